//! Payments: whole, so at most one per invoice (a UNIQUE constraint, beside the invoice's
//! conditional status change).

use odmu_storage::{StorageError, sqlx};
use sqlx::AnyConnection;
use tracing::instrument;

/// A payment to record.
#[derive(Debug, Clone, Copy)]
pub struct NewPayment<'a> {
    /// Its id.
    pub id: &'a str,
    /// The invoice paid.
    pub invoice_id: &'a str,
    /// The paying rider.
    pub rider_id: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// The whole invoice amount.
    pub amount_cents: i64,
    /// `card` or `cash`.
    pub method: &'a str,
    /// The external reference.
    pub reference: &'a str,
    /// Its ledger transaction.
    pub transaction_id: &'a str,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

/// Records the payment; fails on a second payment of one invoice (the constraint).
#[instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, p: &NewPayment<'_>) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO payments (id, invoice_id, rider_id, currency, amount_cents, method, \
         reference, transaction_id, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(p.id)
    .bind(p.invoice_id)
    .bind(p.rider_id)
    .bind(p.currency)
    .bind(p.amount_cents)
    .bind(p.method)
    .bind(p.reference)
    .bind(p.transaction_id)
    .bind(p.now_ms)
    .execute(conn)
    .await?;
    Ok(())
}
