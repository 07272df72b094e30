//! The driver's availability (online or not) and position.

pub mod put;

use serde::Serialize;
use utoipa::ToSchema;

use super::input::Point;
use super::rides::time;
use crate::store::profiles::ProfileRow;

/// Whether the driver takes rides, and where they were last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Availability {
    /// The driver's account id.
    pub driver_id: String,
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
            located_at: time(r.located_at_ms),
            driver_id: r.driver_id,
        }
    }
}
