//! Invoices: one per ride and kind, `open` → `paid` or `void`.

pub mod get;
pub mod list;
pub mod void;

use odmu_authn::{Claims, Role};
use odmu_http::Problem;
use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::invoice::{ChargeKind, InvoiceStatus};
use crate::store::invoices::InvoiceRow;
use crate::{AppState, Error, store};

/// An invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invoice {
    /// The invoice id.
    #[schema(format = "uuid")]
    pub id: String,
    /// The ride (the rider's trip) charged.
    #[schema(format = "uuid")]
    pub ride_id: String,
    /// A ride or a cancellation.
    #[schema(value_type = ChargeKind)]
    pub kind: String,
    /// Who pays.
    #[schema(format = "uuid")]
    pub rider_id: String,
    /// Who earns.
    #[schema(format = "uuid")]
    pub driver_id: String,
    /// The quote that priced it.
    #[schema(format = "uuid")]
    pub quote_id: String,
    /// ISO 4217 code of every amount here.
    #[schema(min_length = 3, max_length = 3, example = "EUR")]
    pub currency: String,
    /// What the rider pays, in minor units: `platform_cents + driver_cents`.
    pub amount_cents: i64,
    /// The platform's share (commission and booking fee).
    pub platform_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// Still owed: `amount_cents` while open, 0 once paid or void.
    pub outstanding_cents: i64,
    /// How contractual reached the price: `upfront`, `metered` or `cancellation`.
    pub basis: String,
    /// The tariff priced under.
    pub tariff_code: Option<String>,
    /// Its version.
    pub tariff_version: Option<i64>,
    /// Where it stands.
    #[schema(value_type = InvoiceStatus)]
    pub status: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// When it was paid (an invoice of 0 is paid when created).
    pub paid_at: Option<String>,
    /// When it was voided.
    pub voided_at: Option<String>,
    /// The ledger transaction of the charge (none for an invoice of 0, which posts nothing).
    pub charge_transaction_id: Option<String>,
    /// The reversing ledger transaction, once void.
    pub void_transaction_id: Option<String>,
    /// Set when the ride was priced otherwise than its driver reported: the reported
    /// actuals were beyond what could have happened, or priced above the quote without
    /// evidence (the quote then holds). Admins list these with `?review=true`.
    pub review: Option<InvoiceReview>,
}

/// Why a ride's price did not follow its driver's report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceReview {
    /// `implausible_actuals` or `unverified_metered`.
    #[schema(example = "unverified_metered")]
    pub reason: String,
    /// The distance the driver reported, in metres.
    pub reported_distance_m: i64,
    /// The duration the driver reported, in seconds.
    pub reported_duration_s: i64,
}

impl From<InvoiceRow> for Invoice {
    fn from(r: InvoiceRow) -> Self {
        let open = r.status == InvoiceStatus::Open.as_str();
        Self {
            outstanding_cents: if open { r.amount_cents } else { 0 },
            id: r.id,
            ride_id: r.ride_id,
            kind: r.kind,
            rider_id: r.rider_id,
            driver_id: r.driver_id,
            quote_id: r.quote_id,
            currency: r.currency,
            amount_cents: r.amount_cents,
            platform_cents: r.platform_cents,
            driver_cents: r.driver_cents,
            basis: r.basis,
            tariff_code: r.tariff_code,
            tariff_version: r.tariff_version,
            status: r.status,
            created_at: rfc3339(r.created_at_ms),
            paid_at: r.paid_at_ms.map(rfc3339),
            voided_at: r.voided_at_ms.map(rfc3339),
            charge_transaction_id: r.charge_tx_id,
            void_transaction_id: r.void_tx_id,
            review: r.review_reason.map(|reason| InvoiceReview {
                reason,
                reported_distance_m: r.reported_distance_m.unwrap_or_default(),
                reported_duration_s: r.reported_duration_s.unwrap_or_default(),
            }),
        }
    }
}

/// A path's invoice id in the stored (canonical) form; text that is not a UUID names no invoice.
pub fn invoice_id(text: &str) -> Result<String, Error> {
    Ok(odmu_ids::parse(text)
        .ok_or(Error::InvoiceNotFound)?
        .to_string())
}

/// The invoice `id` if `claims` may see it: an admin any, a rider their own. Anything else,
/// including an id that is not a UUID, is "not found" (another rider's invoice must not be
/// told apart from a missing one).
pub async fn visible(state: &AppState, claims: &Claims, id: &str) -> Result<InvoiceRow, Error> {
    let row = store::invoices::get(state.db(), &invoice_id(id)?)
        .await?
        .ok_or(Error::InvoiceNotFound)?;
    if claims.role == Role::Admin || row.rider_id == canonical_sub(claims) {
        Ok(row)
    } else {
        Err(Error::InvoiceNotFound)
    }
}

/// The caller's id as billing stores ids: canonical when it is a UUID (a person's always is).
pub fn canonical_sub(claims: &Claims) -> String {
    odmu_ids::parse(&claims.sub).map_or_else(|| claims.sub.clone(), |id| id.to_string())
}

/// The domain status of `row` (rows hold only known spellings: a CHECK constraint).
pub fn status_of(row: &InvoiceRow) -> Result<InvoiceStatus, Error> {
    row.status
        .parse()
        .map_err(|e| Problem::internal(format!("invoice {}: {e}", row.id)).into())
}
