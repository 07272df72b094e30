//! Rides as a driver sees them: the open ones nearby, and the ones they hold or held.

pub mod accept;
pub mod complete;
pub mod get;
pub mod list;
pub mod open;
pub mod release;
pub mod start;

use std::str::FromStr as _;

use odmu_ids::{DriverId, RideId};
use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use super::input::Point;
use crate::domain::ride::Status;
use crate::error::Error;
use crate::state::AppState;
use crate::store::rides::RideRow;

/// A ride's status.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RideStatus {
    /// Waiting for a driver.
    Requested,
    /// A driver is on the way to the pickup.
    Accepted,
    /// The rider is on board.
    InProgress,
    /// Ended normally.
    Completed,
    /// Cancelled by the rider before it started.
    Cancelled,
    /// No driver accepted it in time.
    Expired,
}

impl From<Status> for RideStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Requested => Self::Requested,
            Status::Accepted => Self::Accepted,
            Status::InProgress => Self::InProgress,
            Status::Completed => Self::Completed,
            Status::Cancelled => Self::Cancelled,
            Status::Expired => Self::Expired,
        }
    }
}

/// The stored status name as the domain's status (a name outside the CHECK constraint
/// cannot be stored; `requested` if it ever were).
pub fn status_of(row: &RideRow) -> Status {
    Status::from_str(&row.status).unwrap_or(Status::Requested)
}

/// A ride the driver holds or held.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverRide {
    /// The ride's id.
    pub id: RideId,
    /// Where it stands.
    pub status: RideStatus,
    /// Where the rider waits.
    pub pickup: Point,
    /// Where the rider goes, if the quote said.
    pub dropoff: Option<Point>,
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// The driver's share of the quoted price, in minor units.
    pub driver_cents: i64,
    /// Distance the quote priced, in metres.
    pub quoted_distance_m: i64,
    /// Duration the quote priced, in seconds.
    pub quoted_duration_s: i64,
    /// Actual distance, once completed.
    pub distance_m: Option<i64>,
    /// Actual duration, once completed.
    pub duration_s: Option<i64>,
    /// The driver's share of the final price, once billed.
    pub final_driver_cents: Option<i64>,
    /// When it was opened (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was accepted.
    #[schema(format = DateTime)]
    pub accepted_at: Option<String>,
    /// When the rider got on board.
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// When it was completed.
    #[schema(format = DateTime)]
    pub completed_at: Option<String>,
    /// When the rider cancelled it.
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
}

impl From<RideRow> for DriverRide {
    fn from(r: RideRow) -> Self {
        Self {
            status: status_of(&r).into(),
            pickup: Point {
                lat: r.pickup_lat,
                lon: r.pickup_lon,
            },
            dropoff: Point::of(r.dropoff_lat, r.dropoff_lon),
            created_at: rfc3339(r.created_at_ms),
            accepted_at: r.accepted_at_ms.map(rfc3339),
            started_at: r.started_at_ms.map(rfc3339),
            completed_at: r.completed_at_ms.map(rfc3339),
            cancelled_at: r.cancelled_at_ms.map(rfc3339),
            id: r.id,
            currency: r.currency,
            driver_cents: r.quoted_driver_cents,
            quoted_distance_m: r.quoted_distance_m,
            quoted_duration_s: r.quoted_duration_s,
            distance_m: r.distance_m,
            duration_s: r.duration_s,
            final_driver_cents: r.final_driver_cents,
        }
    }
}

/// The path's ride id; text that is not one names no ride (404, as an unknown id does).
pub fn ride_id(text: &str) -> Result<RideId, Error> {
    RideId::parse(text).ok_or(Error::RideNotFound)
}

/// The ride `id` if `driver_id` holds it; 404 otherwise (someone else's ride answers the
/// same as no ride).
pub async fn own_ride(state: &AppState, id: RideId, driver_id: DriverId) -> Result<RideRow, Error> {
    crate::store::rides::get(state.db(), id)
        .await?
        .filter(|r| r.driver_id == Some(driver_id))
        .ok_or(Error::RideNotFound)
}
