//! A driver's earnings: what the platform owes them, and the postings that make it up.

pub mod get;
