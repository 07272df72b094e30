//! Invoices: one per `(ride_id, kind)` by constraint; status changes are single conditional
//! writes.

use odmu_storage::{Db, StorageError, sqlx};
use sqlx::AnyConnection;
use tracing::instrument;

/// A stored invoice.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvoiceRow {
    /// The invoice id.
    pub id: String,
    /// The ride (or trip) charged.
    pub ride_id: String,
    /// `ride` or `cancellation`.
    pub kind: String,
    /// Who pays.
    pub rider_id: String,
    /// Who earns.
    pub driver_id: String,
    /// The quote priced.
    pub quote_id: String,
    /// ISO 4217 code.
    pub currency: String,
    /// What the rider pays.
    pub amount_cents: i64,
    /// The platform's share.
    pub platform_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// How contractual reached the price.
    pub basis: String,
    /// The tariff priced under.
    pub tariff_code: Option<String>,
    /// Its version.
    pub tariff_version: Option<i64>,
    /// `open`, `paid` or `void`.
    pub status: String,
    /// The ledger transaction of the charge (none for an invoice of 0).
    pub charge_tx_id: Option<String>,
    /// The ledger transaction that reversed it, once void.
    pub void_tx_id: Option<String>,
    /// Ms since the epoch.
    pub created_at_ms: i64,
    /// When it was paid.
    pub paid_at_ms: Option<i64>,
    /// When it was voided.
    pub voided_at_ms: Option<i64>,
    /// Why the price did not follow the driver's report, if it did not.
    pub review_reason: Option<String>,
    /// The distance the driver reported, when under review.
    pub reported_distance_m: Option<i64>,
    /// The duration the driver reported, when under review.
    pub reported_duration_s: Option<i64>,
}

const COLUMNS: &str = "id, ride_id, kind, rider_id, driver_id, quote_id, currency, amount_cents, \
    platform_cents, driver_cents, basis, tariff_code, tariff_version, status, charge_tx_id, \
    void_tx_id, created_at_ms, paid_at_ms, voided_at_ms, review_reason, reported_distance_m, \
    reported_duration_s";

/// An invoice to create.
#[derive(Debug)]
pub struct NewInvoice<'a> {
    /// Its id.
    pub id: &'a str,
    /// The ride charged.
    pub ride_id: &'a str,
    /// `ride` or `cancellation`.
    pub kind: &'a str,
    /// Who pays.
    pub rider_id: &'a str,
    /// Who earns.
    pub driver_id: &'a str,
    /// The quote priced.
    pub quote_id: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// What the rider pays.
    pub amount_cents: i64,
    /// The platform's share.
    pub platform_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// How the price was reached.
    pub basis: &'a str,
    /// The tariff.
    pub tariff_code: Option<&'a str>,
    /// Its version.
    pub tariff_version: Option<i64>,
    /// `open`, or `paid` for an invoice of 0.
    pub status: &'a str,
    /// The charge's ledger transaction, if it posts one.
    pub charge_tx_id: Option<&'a str>,
    /// Now, ms since the epoch.
    pub now_ms: i64,
    /// Set for an invoice born paid (of 0).
    pub paid_at_ms: Option<i64>,
    /// Why the price did not follow the report, and the reported distance and duration.
    pub review: Option<(&'a str, i64, i64)>,
}

/// Inserts the invoice unless one exists for its `(ride_id, kind)`: the row when created,
/// `None` when the constraint kept the existing one.
#[instrument(skip_all)]
pub async fn insert(
    conn: &mut AnyConnection,
    new: &NewInvoice<'_>,
) -> Result<Option<InvoiceRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO invoices (id, ride_id, kind, rider_id, driver_id, quote_id, currency, \
         amount_cents, platform_cents, driver_cents, basis, tariff_code, tariff_version, \
         status, charge_tx_id, created_at_ms, paid_at_ms, review_reason, reported_distance_m, \
         reported_duration_s) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20) \
         ON CONFLICT (ride_id, kind) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(new.id)
    .bind(new.ride_id)
    .bind(new.kind)
    .bind(new.rider_id)
    .bind(new.driver_id)
    .bind(new.quote_id)
    .bind(new.currency)
    .bind(new.amount_cents)
    .bind(new.platform_cents)
    .bind(new.driver_cents)
    .bind(new.basis)
    .bind(new.tariff_code)
    .bind(new.tariff_version)
    .bind(new.status)
    .bind(new.charge_tx_id)
    .bind(new.now_ms)
    .bind(new.paid_at_ms)
    .bind(new.review.map(|r| r.0))
    .bind(new.review.map(|r| r.1))
    .bind(new.review.map(|r| r.2))
    .fetch_optional(conn)
    .await?)
}

/// The invoice of `(ride_id, kind)`, if charged.
#[instrument(skip_all)]
pub async fn find_by_ride(
    db: &Db,
    ride_id: &str,
    kind: &str,
) -> Result<Option<InvoiceRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE ride_id = $1 AND kind = $2"
    ))
    .bind(ride_id)
    .bind(kind)
    .fetch_optional(db.pool())
    .await?)
}

/// The invoice `id`, if any.
#[instrument(skip_all)]
pub async fn get(db: &Db, id: &str) -> Result<Option<InvoiceRow>, StorageError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM invoices WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// Which invoices a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Only this rider's.
    pub rider_id: Option<&'a str>,
    /// Only those in this status.
    pub status: Option<&'a str>,
    /// Only those under review (priced otherwise than the driver reported).
    pub under_review: bool,
}

/// Up to `fetch` invoices matching `filter` older than the cursor `before`, newest first.
#[instrument(skip_all)]
pub async fn list(
    db: &Db,
    filter: Filter<'_>,
    before: (i64, String),
    fetch: i64,
) -> Result<Vec<InvoiceRow>, StorageError> {
    let mut sql = format!("SELECT {COLUMNS} FROM invoices WHERE (created_at_ms, id) < ($1, $2)");
    let mut next = 3;
    for (column, value) in [("rider_id", filter.rider_id), ("status", filter.status)] {
        if value.is_some() {
            sql.push_str(&format!(" AND {column} = ${next}"));
            next += 1;
        }
    }
    if filter.under_review {
        sql.push_str(" AND review_reason IS NOT NULL");
    }
    sql.push_str(&format!(
        " ORDER BY created_at_ms DESC, id DESC LIMIT ${next}"
    ));
    let mut query = sqlx::query_as(&sql).bind(before.0).bind(before.1);
    for value in [filter.rider_id, filter.status].into_iter().flatten() {
        query = query.bind(value);
    }
    Ok(query.bind(fetch).fetch_all(db.pool()).await?)
}

/// `open` → `paid`, if still open: the updated row, or `None` when it was not open (or
/// does not exist).
#[instrument(skip_all)]
pub async fn mark_paid(
    conn: &mut AnyConnection,
    id: &str,
    now_ms: i64,
) -> Result<Option<InvoiceRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "UPDATE invoices SET status = 'paid', paid_at_ms = $2 \
         WHERE id = $1 AND status = 'open' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?)
}

/// `open` → `void` with the reversing transaction's id, if still open: the updated row, or
/// `None` when it was not open (or does not exist).
#[instrument(skip_all)]
pub async fn mark_void(
    conn: &mut AnyConnection,
    id: &str,
    void_tx_id: &str,
    now_ms: i64,
) -> Result<Option<InvoiceRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "UPDATE invoices SET status = 'void', void_tx_id = $2, voided_at_ms = $3 \
         WHERE id = $1 AND status = 'open' RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(void_tx_id)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?)
}
