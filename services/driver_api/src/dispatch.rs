//! Who may take rides, and what lies near a point.
//!
//! The spatial index is the database's, so it stays right with any number of tasks: every
//! pickup and every driver position is stored with its H3 cell (resolution 8, an indexed
//! BIGINT). A lookup takes the cells that cover the dispatch circle
//! ([`geo::cells_within_pruned`]: the 9-ring disk around the point's cell, less the cells
//! wholly outside the circle; about 70 cells for 3 km), asks for the rows in those cells and in
//! the circle's bounding box (`cell IN (...) AND lat BETWEEN ... AND lon BETWEEN ...`), then
//! keeps those within the exact great-circle radius, nearest first.

use odmu_ids::DriverId;
use odmu_storage::now_millis;

use crate::domain::geo::{self, BoundingBox, LatLon, Nearby};
use crate::domain::ride::expiry_cutoff_ms;
use crate::error::{Conflict, Error};
use crate::state::AppState;
use crate::store::dispatch::OpenRideRow;
use crate::store::profiles::ProfileRow;
use crate::store::{dispatch, profiles};

/// At most this many open rides are shown to a driver.
pub const MAX_OPEN_RIDES: usize = 50;

/// The driver's profile, if they are online; 409 `no_profile` or `offline` otherwise.
pub async fn online_driver(state: &AppState, driver_id: DriverId) -> Result<ProfileRow, Error> {
    let profile = profiles::get(state.db(), driver_id)
        .await?
        .ok_or(Conflict::NoProfile)?;
    if profile.online != 1 {
        return Err(Conflict::Offline.into());
    }
    Ok(profile)
}

/// 409 `no_current_agreement` unless contractual says the driver agreed to the current
/// terms (503 when contractual cannot answer).
pub async fn require_agreement(state: &AppState, driver_id: DriverId) -> Result<(), Error> {
    if state
        .contractual()?
        .has_current_agreement(driver_id)
        .await?
    {
        Ok(())
    } else {
        Err(Conflict::NoCurrentAgreement.into())
    }
}

/// Where an online driver is (their last reported position).
pub fn position_of(profile: &ProfileRow) -> Result<LatLon, Error> {
    profile
        .lat
        .zip(profile.lon)
        .and_then(|(lat, lon)| LatLon::new(lat, lon).ok())
        .ok_or_else(|| Conflict::Offline.into())
}

/// The cells covering the dispatch circle around `at`, and a box holding it.
fn area_near(state: &AppState, at: LatLon) -> Result<(Vec<i64>, BoundingBox), Error> {
    let radius = state.config().dispatch_radius_m;
    // The radius is checked at start-up, so this cannot fail; a 500 if it ever did.
    let cells = geo::cells_within_pruned(at, radius).map_err(odmu_http::Problem::internal)?;
    Ok((cells, geo::bounding_box(at, radius)))
}

/// The earliest `requested_at_ms` of a ride that has not outlived its TTL: rides past it are
/// not offered even before the sweep expires them.
fn open_since(state: &AppState) -> i64 {
    expiry_cutoff_ms(now_millis(), state.config().request_ttl_ms())
}

/// The open rides whose pickup lies within the dispatch radius of `at`, nearest first, at
/// most [`MAX_OPEN_RIDES`], each with its distance in metres.
pub async fn open_rides_near(
    state: &AppState,
    at: LatLon,
) -> Result<Vec<Nearby<OpenRideRow>>, Error> {
    let (cells, within) = area_near(state, at)?;
    let rows = dispatch::open_rides_in(state.db(), &cells, &within, open_since(state)).await?;
    let candidates = rows.into_iter().filter_map(|ride| {
        let pickup = LatLon::new(ride.pickup_lat, ride.pickup_lon).ok()?;
        Some((ride, pickup))
    });
    let mut near = geo::nearest_within(at, state.config().dispatch_radius_m, candidates);
    near.truncate(MAX_OPEN_RIDES);
    Ok(near)
}

/// Online drivers and open requests within the dispatch radius of `at`.
pub async fn supply_near(state: &AppState, at: LatLon) -> Result<(usize, usize), Error> {
    let (cells, within) = area_near(state, at)?;
    let radius = state.config().dispatch_radius_m;
    let count = |points: Vec<dispatch::Located>| {
        points
            .into_iter()
            .filter_map(|p| LatLon::new(p.lat, p.lon).ok())
            .filter(|p| geo::distance_m(at, *p) <= radius)
            .count()
    };
    let drivers = dispatch::online_drivers_in(state.db(), &cells, &within).await?;
    let pickups = dispatch::open_pickups_in(state.db(), &cells, &within, open_since(state)).await?;
    Ok((count(drivers), count(pickups)))
}
