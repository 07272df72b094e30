//! The ledger for admins: the trial balance per currency and the journal.

pub mod summary;
pub mod transactions;
