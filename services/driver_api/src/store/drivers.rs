//! Drivers' availability and position (the profile itself is in [`super::profiles`]).

use odmu_ids::DriverId;
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// A driver's position and its H3 cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// H3 cell (resolution 8) as BIGINT.
    pub cell: i64,
}

/// Sets the driver online or offline at `at`; `false` when the driver has no profile.
#[instrument(skip_all)]
pub async fn set_availability(
    db: &Db,
    driver_id: DriverId,
    online: bool,
    at: Position,
    now: i64,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE drivers SET online = $2, lat = $3, lon = $4, cell = $5, located_at_ms = $6, \
         updated_at_ms = $6 WHERE driver_id = $1",
    )
    .bind(driver_id)
    .bind(i64::from(online))
    .bind(at.lat)
    .bind(at.lon)
    .bind(at.cell)
    .bind(now)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an online driver to `at`; `false` when the driver is offline or has no profile.
#[instrument(skip_all)]
pub async fn set_location(
    db: &Db,
    driver_id: DriverId,
    at: Position,
    now: i64,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE drivers SET lat = $2, lon = $3, cell = $4, located_at_ms = $5 \
         WHERE driver_id = $1 AND online = 1",
    )
    .bind(driver_id)
    .bind(at.lat)
    .bind(at.lon)
    .bind(at.cell)
    .bind(now)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}
