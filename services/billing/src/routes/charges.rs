//! Charges from other services: a completed ride or a cancellation fee becomes one invoice
//! and its ledger transaction.

pub mod create;
