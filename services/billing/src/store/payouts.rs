//! Payouts to drivers.

use odmu_storage::{StorageError, sqlx};
use sqlx::AnyConnection;
use tracing::instrument;

/// A payout to record.
#[derive(Debug, Clone, Copy)]
pub struct NewPayout<'a> {
    /// Its id.
    pub id: &'a str,
    /// The driver paid.
    pub driver_id: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Amount paid out.
    pub amount_cents: i64,
    /// Its ledger transaction.
    pub transaction_id: &'a str,
    /// The admin who ordered it.
    pub admin_id: &'a str,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

/// Records the payout (before its ledger transaction, which points back to it).
#[instrument(skip_all)]
pub async fn insert(conn: &mut AnyConnection, p: &NewPayout<'_>) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO payouts (id, driver_id, currency, amount_cents, transaction_id, admin_id, \
         created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(p.id)
    .bind(p.driver_id)
    .bind(p.currency)
    .bind(p.amount_cents)
    .bind(p.transaction_id)
    .bind(p.admin_id)
    .bind(p.now_ms)
    .execute(conn)
    .await?;
    Ok(())
}
