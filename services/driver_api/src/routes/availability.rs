//! The driver's availability (online or not) and position.

pub mod put;

use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use super::input::Point;
use crate::store::profiles::ProfileRow;

/// Whether the driver takes rides, and where they were last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    /// The driver's account id.
    pub driver_id: odmu_ids::DriverId,
    /// Whether the driver takes rides.
    pub online: bool,
    /// The last reported position.
    pub position: Option<Point>,
    /// When it was reported (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub located_at: Option<String>,
}

impl From<ProfileRow> for Availability {
    fn from(r: ProfileRow) -> Self {
        Self {
            online: r.online == 1,
            position: Point::of(r.lat, r.lon),
            located_at: r.located_at_ms.map(rfc3339),
            driver_id: r.driver_id,
        }
    }
}
