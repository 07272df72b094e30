//! The driver's own profile.

pub mod get;
pub mod put;

use serde::Serialize;
use utoipa::ToSchema;

use crate::store::profiles::ProfileRow;

/// A driver's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    /// The driver's account id.
    pub driver_id: odmu_ids::DriverId,
    /// Name shown to riders.
    pub name: String,
    /// Licence plate.
    pub vehicle_plate: String,
    /// Vehicle class.
    pub vehicle_class: String,
    /// Whether the driver is taking rides.
    pub online: bool,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

impl From<ProfileRow> for Profile {
    fn from(r: ProfileRow) -> Self {
        Self {
            driver_id: r.driver_id,
            name: r.name,
            vehicle_plate: r.vehicle_plate,
            vehicle_class: r.vehicle_class,
            online: r.online == 1,
            updated_at: odmu_storage::rfc3339(r.updated_at_ms),
        }
    }
}
