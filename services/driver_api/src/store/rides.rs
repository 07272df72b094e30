//! Rides: opening one, reading them, and a driver's list. Status changes are in
//! [`super::transitions`].

use odmu_http::PageRequest;
use odmu_ids::{DriverId, QuoteId, RideId, RiderId};
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// A stored ride.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RideRow {
    /// The ride's id (client_app_api's trip id).
    pub id: RideId,
    /// The rider.
    pub rider_id: RiderId,
    /// The quote it was opened from.
    pub quote_id: QuoteId,
    /// Its status name (`crate::domain::ride::Status`).
    pub status: String,
    /// The driver holding it (accepted or later); cleared by a release.
    pub driver_id: Option<DriverId>,
    /// The 4-digit code the rider shows.
    pub start_code: String,
    /// Wrong codes since the last lock-out.
    pub start_code_failures: i64,
    /// No code is heard before this (ms since the epoch).
    pub start_code_locked_until_ms: Option<i64>,
    /// Pickup latitude.
    pub pickup_lat: f64,
    /// Pickup longitude.
    pub pickup_lon: f64,
    /// H3 cell of the pickup.
    pub pickup_cell: i64,
    /// Drop-off latitude.
    pub dropoff_lat: Option<f64>,
    /// Drop-off longitude.
    pub dropoff_lon: Option<f64>,
    /// The quote's tariff.
    pub tariff_code: String,
    /// Its version.
    pub tariff_version: i64,
    /// ISO 4217 code of the quote.
    pub currency: String,
    /// What the rider was quoted.
    pub quoted_amount_cents: i64,
    /// The driver's share of the quote.
    pub quoted_driver_cents: i64,
    /// Distance priced, in metres.
    pub quoted_distance_m: i64,
    /// Duration priced, in seconds.
    pub quoted_duration_s: i64,
    /// Free cancellation window after acceptance.
    pub free_cancellation_s: i64,
    /// Fee of a cancellation after the window.
    pub late_cancellation_fee_cents: i64,
    /// What the cancellation cost, once cancelled.
    pub cancellation_fee_cents: Option<i64>,
    /// Who cancelled.
    pub cancelled_by: Option<String>,
    /// Actual distance.
    pub distance_m: Option<i64>,
    /// Actual duration.
    pub duration_s: Option<i64>,
    /// billing's invoice, once billed.
    pub invoice_id: Option<String>,
    /// The final price.
    pub final_amount_cents: Option<i64>,
    /// The driver's share of it.
    pub final_driver_cents: Option<i64>,
    /// Its currency.
    pub final_currency: Option<String>,
    /// When billing's answer was recorded.
    pub billed_at_ms: Option<i64>,
    /// When it was opened.
    pub created_at_ms: i64,
    /// When it last became `requested`.
    pub requested_at_ms: i64,
    /// When it was accepted.
    pub accepted_at_ms: Option<i64>,
    /// When it started.
    pub started_at_ms: Option<i64>,
    /// When it was completed.
    pub completed_at_ms: Option<i64>,
    /// When it was cancelled.
    pub cancelled_at_ms: Option<i64>,
    /// When it expired.
    pub expired_at_ms: Option<i64>,
    /// Last change.
    pub updated_at_ms: i64,
}

/// Every column, in [`RideRow`]'s order.
pub(crate) const COLUMNS: &str = "id, rider_id, quote_id, status, driver_id, start_code, \
    start_code_failures, start_code_locked_until_ms, pickup_lat, pickup_lon, pickup_cell, \
    dropoff_lat, dropoff_lon, tariff_code, tariff_version, currency, quoted_amount_cents, \
    quoted_driver_cents, quoted_distance_m, quoted_duration_s, free_cancellation_s, \
    late_cancellation_fee_cents, cancellation_fee_cents, cancelled_by, distance_m, duration_s, \
    invoice_id, final_amount_cents, final_driver_cents, final_currency, billed_at_ms, \
    created_at_ms, requested_at_ms, accepted_at_ms, started_at_ms, completed_at_ms, \
    cancelled_at_ms, expired_at_ms, updated_at_ms";

/// A ride to open.
#[derive(Debug, Clone)]
pub struct NewRide<'a> {
    /// The trip's id.
    pub id: RideId,
    /// The rider.
    pub rider_id: RiderId,
    /// The quote.
    pub quote_id: QuoteId,
    /// The start code.
    pub start_code: &'a str,
    /// Pickup `(lat, lon)`.
    pub pickup: (f64, f64),
    /// Its H3 cell.
    pub pickup_cell: i64,
    /// Drop-off `(lat, lon)`, if any.
    pub dropoff: Option<(f64, f64)>,
    /// The quote's tariff.
    pub tariff_code: &'a str,
    /// Its version.
    pub tariff_version: i64,
    /// The quote's currency.
    pub currency: &'a str,
    /// Quoted amount.
    pub amount_cents: i64,
    /// Quoted driver's share.
    pub driver_cents: i64,
    /// Quoted distance.
    pub distance_m: i64,
    /// Quoted duration.
    pub duration_s: i64,
    /// The tariff version's free window.
    pub free_cancellation_s: i64,
    /// The tariff version's cancellation fee.
    pub cancellation_fee_cents: i64,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

/// What opening a ride did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The ride is open.
    Opened,
    /// A ride with this id exists (it is left as it was).
    IdExists,
    /// The rider has another open ride (`rides_one_open_per_rider`).
    RiderBusy,
}

/// Opens a ride.
#[instrument(skip_all, fields(ride_id = %r.id))]
pub async fn insert(db: &Db, r: &NewRide<'_>) -> Result<Opened, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "INSERT INTO rides (id, rider_id, quote_id, status, start_code, pickup_lat, pickup_lon, \
         pickup_cell, dropoff_lat, dropoff_lon, tariff_code, tariff_version, currency, \
         quoted_amount_cents, quoted_driver_cents, quoted_distance_m, quoted_duration_s, \
         free_cancellation_s, late_cancellation_fee_cents, created_at_ms, requested_at_ms, \
         updated_at_ms) \
         VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $19, $19) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(r.id)
    .bind(r.rider_id)
    .bind(r.quote_id)
    .bind(r.start_code)
    .bind(r.pickup.0)
    .bind(r.pickup.1)
    .bind(r.pickup_cell)
    .bind(r.dropoff.map(|p| p.0))
    .bind(r.dropoff.map(|p| p.1))
    .bind(r.tariff_code)
    .bind(r.tariff_version)
    .bind(r.currency)
    .bind(r.amount_cents)
    .bind(r.driver_cents)
    .bind(r.distance_m)
    .bind(r.duration_s)
    .bind(r.free_cancellation_s)
    .bind(r.cancellation_fee_cents)
    .bind(r.now_ms)
    .execute(tx.conn())
    .await;
    match done {
        Ok(done) if done.rows_affected() == 1 => {
            tx.commit().await?;
            Ok(Opened::Opened)
        }
        Ok(_) => Ok(Opened::IdExists),
        // The id's conflict is handled above: the only unique index left is the rider's.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Opened::RiderBusy),
        Err(e) => Err(e.into()),
    }
}

/// The rider's open ride (`requested`, `accepted` or `in_progress`), if any.
#[instrument(skip_all)]
pub async fn open_of_rider(db: &Db, rider_id: RiderId) -> Result<Option<RideId>, StorageError> {
    let row: Option<(RideId,)> = sqlx::query_as(
        "SELECT id FROM rides WHERE rider_id = $1 \
         AND status IN ('requested', 'accepted', 'in_progress')",
    )
    .bind(rider_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

/// When the rider cancelled for free since `since_ms`, oldest first.
#[instrument(skip_all)]
pub async fn free_cancellations_since(
    db: &Db,
    rider_id: RiderId,
    since_ms: i64,
) -> Result<Vec<i64>, StorageError> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT cancelled_at_ms FROM rides WHERE rider_id = $1 AND cancelled_by = 'rider' \
         AND cancellation_fee_cents = 0 AND cancelled_at_ms > $2 ORDER BY cancelled_at_ms",
    )
    .bind(rider_id)
    .bind(since_ms)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// The ride `id`, if any.
#[instrument(skip_all)]
pub async fn get(db: &Db, id: RideId) -> Result<Option<RideRow>, StorageError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM rides WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}

/// The ride `id` read inside a transaction (the one about to change it).
pub async fn get_in(
    conn: &mut sqlx::AnyConnection,
    id: RideId,
) -> Result<Option<RideRow>, StorageError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM rides WHERE id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// One page of the rides `driver_id` holds or held, newest first.
#[instrument(skip_all)]
pub async fn list_for_driver(
    db: &Db,
    driver_id: DriverId,
    page: &PageRequest,
) -> Result<Vec<RideRow>, StorageError> {
    let (key, id) = page.before();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM rides WHERE driver_id = $1 \
         AND (created_at_ms < $2 OR (created_at_ms = $2 AND id < $3)) \
         ORDER BY created_at_ms DESC, id DESC LIMIT $4"
    ))
    .bind(driver_id)
    .bind(key)
    .bind(id)
    .bind(page.fetch())
    .fetch_all(db.pool())
    .await?)
}

/// The placeholders `$from, $from+1, ...` for `n` values (an `IN (...)` list).
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_from_the_first() {
        assert_eq!(super::placeholders(2, 3), "$2, $3, $4");
        assert_eq!(super::placeholders(1, 0), "");
    }
}
