//! The online driver's position as they move.

pub mod put;
