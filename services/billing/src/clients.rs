//! One typed client per service billing calls.

pub mod contractual;
