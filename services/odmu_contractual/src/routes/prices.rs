//! Final prices of rides and cancellations, for the services that bill them.

pub mod create;
