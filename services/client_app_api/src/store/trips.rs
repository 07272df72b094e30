//! Trips: the rider's side of a booking (which quote, under which key, when).

use odmu_http::PageRequest;
use odmu_ids::{QuoteId, RideId, RiderId};
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// A stored trip.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TripRow {
    /// The trip's id; also the id of its ride at driver_api.
    pub id: RideId,
    /// The rider's account id.
    pub rider_id: RiderId,
    /// The quote booked.
    pub quote_id: QuoteId,
    /// The `Idempotency-Key` the trip was first booked under.
    pub idempotency_key: String,
    /// When it was booked, ms since the epoch.
    pub created_at_ms: i64,
}

impl TripRow {
    /// The row's place in the newest-first order, for the list's cursor.
    pub fn sort_key(&self) -> (i64, String) {
        (self.created_at_ms, self.id.to_string())
    }
}

const COLUMNS: &str = "id, rider_id, quote_id, idempotency_key, created_at_ms";

/// Stores `trip` unless the rider already has a trip for its quote; answers the stored row, or
/// `None` when another one holds the quote.
#[instrument(skip_all)]
pub async fn insert(db: &Db, trip: &TripRow) -> Result<Option<TripRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO trips ({COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (rider_id, quote_id) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(trip.id)
    .bind(trip.rider_id)
    .bind(trip.quote_id)
    .bind(&trip.idempotency_key)
    .bind(trip.created_at_ms)
    .fetch_optional(db.pool())
    .await?)
}

/// The rider's trip for `quote_id`, if any.
#[instrument(skip_all)]
pub async fn by_quote(
    db: &Db,
    rider_id: RiderId,
    quote_id: QuoteId,
) -> Result<Option<TripRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trips WHERE rider_id = $1 AND quote_id = $2"
    ))
    .bind(rider_id)
    .bind(quote_id)
    .fetch_optional(db.pool())
    .await?)
}

/// The rider's trip `id`; another rider's is `None`, as if it did not exist.
#[instrument(skip_all)]
pub async fn get(db: &Db, rider_id: RiderId, id: RideId) -> Result<Option<TripRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trips WHERE id = $1 AND rider_id = $2"
    ))
    .bind(id)
    .bind(rider_id)
    .fetch_optional(db.pool())
    .await?)
}

/// One page of the rider's trips, newest first (one row more than the page, to tell whether
/// another follows).
#[instrument(skip_all)]
pub async fn list(
    db: &Db,
    rider_id: RiderId,
    page: &PageRequest,
) -> Result<Vec<TripRow>, StorageError> {
    let (key, id) = page.before();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM trips WHERE rider_id = $1 \
         AND (created_at_ms < $2 OR (created_at_ms = $2 AND id < $3)) \
         ORDER BY created_at_ms DESC, id DESC LIMIT $4"
    ))
    .bind(rider_id)
    .bind(key)
    .bind(id)
    .bind(page.fetch())
    .fetch_all(db.pool())
    .await?)
}

/// Deletes trip `id` of `rider_id` (a booking driver_api refused for good, so no ride holds
/// the id); answers whether it was there.
#[instrument(skip_all)]
pub async fn delete(db: &Db, rider_id: RiderId, id: RideId) -> Result<bool, StorageError> {
    let done = sqlx::query("DELETE FROM trips WHERE id = $1 AND rider_id = $2")
        .bind(id)
        .bind(rider_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
