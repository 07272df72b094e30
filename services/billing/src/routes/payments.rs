//! Payments of invoices by their riders.

pub mod create;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::invoice::PaymentMethod;
use crate::routes::invoices::Invoice;

/// A recorded payment: the whole invoice, captured outside billing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Payment {
    /// The payment id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The invoice paid.
    #[schema(format = "uuid")]
    pub invoice_id: String,
    /// The paying rider.
    #[schema(format = "uuid")]
    pub rider_id: String,
    /// The amount paid: the invoice's whole amount, in minor units.
    pub amount_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// How the rider paid.
    #[schema(value_type = PaymentMethod)]
    pub method: String,
    /// The payment provider's reference of the capture.
    pub reference: String,
    /// The ledger transaction (cash debited, the rider credited).
    #[schema(format = "uuid")]
    pub transaction_id: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// The invoice, now paid.
    pub invoice: Invoice,
}
