//! Driver profiles.

use odmu_ids::DriverId;
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// A stored profile.
#[derive(Debug, sqlx::FromRow)]
pub struct ProfileRow {
    /// The driver's account id.
    pub driver_id: DriverId,
    /// Name shown to riders.
    pub name: String,
    /// Licence plate.
    pub vehicle_plate: String,
    /// Vehicle class.
    pub vehicle_class: String,
    /// 1 while online.
    pub online: i64,
    /// Last known latitude.
    pub lat: Option<f64>,
    /// Last known longitude.
    pub lon: Option<f64>,
    /// H3 cell of the last known position.
    pub cell: Option<i64>,
    /// When the position was last reported.
    pub located_at_ms: Option<i64>,
    /// Last change, ms since the epoch.
    pub updated_at_ms: i64,
}

/// A profile to store.
#[derive(Debug)]
pub struct NewProfile<'a> {
    /// The driver's account id.
    pub driver_id: DriverId,
    /// Name shown to riders.
    pub name: &'a str,
    /// Licence plate.
    pub vehicle_plate: &'a str,
    /// Vehicle class.
    pub vehicle_class: &'a str,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

const COLUMNS: &str = "driver_id, name, vehicle_plate, vehicle_class, online, lat, lon, cell, \
    located_at_ms, updated_at_ms";

/// The driver's profile, if any.
#[instrument(skip_all)]
pub async fn get(db: &Db, driver_id: DriverId) -> Result<Option<ProfileRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM drivers WHERE driver_id = $1"
    ))
    .bind(driver_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Creates or replaces the driver's profile (availability is kept) and returns it.
#[instrument(skip_all)]
pub async fn upsert(db: &Db, p: &NewProfile<'_>) -> Result<ProfileRow, StorageError> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO drivers (driver_id, name, vehicle_plate, vehicle_class, online, updated_at_ms) \
         VALUES ($1, $2, $3, $4, 0, $5) \
         ON CONFLICT (driver_id) DO UPDATE SET name = excluded.name, \
         vehicle_plate = excluded.vehicle_plate, vehicle_class = excluded.vehicle_class, \
         updated_at_ms = excluded.updated_at_ms \
         RETURNING {COLUMNS}"
    ))
    .bind(p.driver_id)
    .bind(p.name)
    .bind(p.vehicle_plate)
    .bind(p.vehicle_class)
    .bind(p.now_ms)
    .fetch_one(db.pool())
    .await?)
}
