//! The ledger as the handlers use it: transactions are built by the pure domain
//! ([`crate::domain::ledger`], where an unbalanced one cannot be constructed) and appended
//! here inside the caller's write transaction, with the cached balances and totals moved in
//! that same transaction. Entries are never updated or deleted; a mistake is corrected by a
//! reversing transaction (a void).

use odmu_ids::DriverId;
use odmu_storage::{Db, StorageError, WriteTx};
use uuid::Uuid;

use crate::domain::account::Account;
use crate::domain::ledger::{Transaction, TxKind};
use crate::domain::money::Currency;
use crate::store;

/// What a transaction records, besides its postings.
#[derive(Debug, Clone, Copy)]
pub enum Link<'a> {
    /// A charge, payment or void of this invoice.
    Invoice(&'a str),
    /// This payout.
    Payout(&'a str),
}

/// Appends `transaction` under the id `id`.
pub async fn post(
    tx: &mut WriteTx,
    id: &str,
    link: Link<'_>,
    transaction: &Transaction,
    now_ms: i64,
) -> Result<(), StorageError> {
    let (invoice_id, payout_id) = match link {
        Link::Invoice(id) => (Some(id), None),
        Link::Payout(id) => (None, Some(id)),
    };
    let new = store::ledger::NewTransaction {
        id,
        invoice_id,
        payout_id,
        now_ms,
    };
    store::ledger::post(tx.conn(), &new, transaction).await
}

/// The stored charge `id`, rebuilt (and so re-validated) from its entries, to be reversed.
pub async fn stored_charge(tx: &mut WriteTx, id: &str) -> Result<Transaction, crate::Error> {
    let rows = store::ledger::postings_of(tx.conn(), id).await?;
    Ok(Transaction::try_from_rows(
        TxKind::Charge,
        rows.iter()
            .map(|r| (r.account.as_str(), r.amount_cents, r.currency.as_str())),
    )?)
}

/// What the platform owes `driver` in `currency`: minus the raw balance of `driver:<id>`.
pub async fn driver_payable(
    db: &Db,
    driver: DriverId,
    currency: Currency,
) -> Result<i64, StorageError> {
    let raw =
        store::ledger::balance(db, &Account::Driver(driver).to_string(), currency.as_str()).await?;
    Ok(raw.saturating_neg())
}

/// Holds `amount` of the driver's payable for a payout in this transaction: false when the
/// balance does not cover it.
pub async fn hold_payable(
    tx: &mut WriteTx,
    driver: DriverId,
    currency: Currency,
    amount: i64,
) -> Result<bool, StorageError> {
    let account = Account::Driver(driver).to_string();
    store::ledger::hold_payable(tx.conn(), &account, currency.as_str(), amount).await
}

/// A new transaction id.
pub fn new_id() -> String {
    Uuid::new_v4().to_string()
}
