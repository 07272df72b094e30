//! The spatial reads of dispatch: candidates by H3 cell (indexed BIGINT columns) within a
//! bounding box, which the caller then filters by exact distance. Each cell list comes from
//! [`crate::domain::geo::cells_within_pruned`], which covers the whole circle, and each box
//! from [`crate::domain::geo::bounding_box`], which holds it.

use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

use super::rides::placeholders;
use crate::domain::geo::BoundingBox;

/// A point read back from the database.
#[derive(Debug, Clone, Copy, PartialEq, sqlx::FromRow)]
pub struct Located {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// What a driver is shown of an open ride (only these columns are read: a lookup reads a few
/// hundred candidates).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenRideRow {
    /// The ride's id.
    pub id: odmu_ids::RideId,
    /// Pickup latitude.
    pub pickup_lat: f64,
    /// Pickup longitude.
    pub pickup_lon: f64,
    /// Drop-off latitude.
    pub dropoff_lat: Option<f64>,
    /// Drop-off longitude.
    pub dropoff_lon: Option<f64>,
    /// ISO 4217 code of the quote.
    pub currency: String,
    /// The driver's share of the quote.
    pub quoted_driver_cents: i64,
    /// Distance priced, in metres.
    pub quoted_distance_m: i64,
    /// Duration priced, in seconds.
    pub quoted_duration_s: i64,
    /// Since when it waits.
    pub requested_at_ms: i64,
}

/// Binds `$first..$first+3` of a query to the box.
macro_rules! bind_box {
    ($query:expr, $b:expr) => {
        $query
            .bind($b.lat_min)
            .bind($b.lat_max)
            .bind($b.lon_min)
            .bind($b.lon_max)
    };
}

/// Rides `requested` since `open_since_ms` or later whose pickup lies in one of `cells` and
/// in `within`.
#[instrument(skip_all, fields(cells = cells.len()))]
pub async fn open_rides_in(
    db: &Db,
    cells: &[i64],
    within: &BoundingBox,
    open_since_ms: i64,
) -> Result<Vec<OpenRideRow>, StorageError> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    // `status = 'requested'` literally, so both databases use the partial index.
    let sql = format!(
        "SELECT id, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon, currency, \
         quoted_driver_cents, quoted_distance_m, quoted_duration_s, requested_at_ms \
         FROM rides WHERE status = 'requested' AND requested_at_ms >= $1 \
         AND pickup_lat BETWEEN $2 AND $3 AND pickup_lon BETWEEN $4 AND $5 \
         AND pickup_cell IN ({})",
        placeholders(6, cells.len())
    );
    let mut query = bind_box!(sqlx::query_as(&sql).bind(open_since_ms), within);
    for cell in cells {
        query = query.bind(*cell);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// The pickups of the rides `requested` since `open_since_ms` or later in one of `cells` and
/// in `within`.
#[instrument(skip_all, fields(cells = cells.len()))]
pub async fn open_pickups_in(
    db: &Db,
    cells: &[i64],
    within: &BoundingBox,
    open_since_ms: i64,
) -> Result<Vec<Located>, StorageError> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT pickup_lat AS lat, pickup_lon AS lon FROM rides WHERE status = 'requested' \
         AND requested_at_ms >= $1 AND pickup_lat BETWEEN $2 AND $3 \
         AND pickup_lon BETWEEN $4 AND $5 AND pickup_cell IN ({})",
        placeholders(6, cells.len())
    );
    let mut query = bind_box!(sqlx::query_as(&sql).bind(open_since_ms), within);
    for cell in cells {
        query = query.bind(*cell);
    }
    Ok(query.fetch_all(db.pool()).await?)
}

/// The positions of the online drivers in one of `cells` and in `within`.
#[instrument(skip_all, fields(cells = cells.len()))]
pub async fn online_drivers_in(
    db: &Db,
    cells: &[i64],
    within: &BoundingBox,
) -> Result<Vec<Located>, StorageError> {
    if cells.is_empty() {
        return Ok(Vec::new());
    }
    // `online = 1` literally, so both databases use the partial index.
    let sql = format!(
        "SELECT lat, lon FROM drivers WHERE online = 1 AND lat BETWEEN $1 AND $2 \
         AND lon BETWEEN $3 AND $4 AND cell IN ({})",
        placeholders(5, cells.len())
    );
    let mut query = bind_box!(sqlx::query_as(&sql), within);
    for cell in cells {
        query = query.bind(*cell);
    }
    Ok(query.fetch_all(db.pool()).await?)
}
