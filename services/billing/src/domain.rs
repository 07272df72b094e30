//! Billing domain: money, accounts, the double-entry ledger, invoices and
//! book summaries, and the bounds of what callers send. Pure code: no I/O, no async, no
//! database types.

pub mod account;
pub mod books;
pub mod invoice;
pub mod ledger;
pub mod limits;
pub mod money;
pub mod parse;

#[cfg(test)]
mod simulation_tests;
