//! Payouts: money paid to a driver, at most what the platform owes them.

pub mod create;

use serde::Serialize;
use utoipa::ToSchema;

/// A payout.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payout {
    /// The payout id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The driver paid.
    #[schema(format = "uuid")]
    pub driver_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The amount paid out, in minor units.
    pub amount_cents: i64,
    /// The ledger transaction (the driver debited, cash credited).
    #[schema(format = "uuid")]
    pub transaction_id: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}
