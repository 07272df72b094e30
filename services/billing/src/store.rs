//! billing's queries, SQL next to the function that runs it (DESIGN.md §6 portable subset).
//! Functions that write take the connection of a [`odmu_storage::WriteTx`], so the caller
//! decides what commits together.

pub mod invoices;
pub mod ledger;
pub mod payments;
pub mod payouts;
