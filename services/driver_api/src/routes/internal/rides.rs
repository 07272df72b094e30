//! Rides as client_app_api sees them: opened from a rider's quote, followed, cancelled.

pub mod cancel;
pub mod create;
pub mod get;

use odmu_ids::{DriverId, QuoteId, RideId, RiderId};
use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::Error;
use crate::routes::input::Point;
use crate::routes::rides::{RideStatus, status_of};
use crate::state::AppState;
use crate::store::profiles::ProfileRow;
use crate::store::rides::RideRow;

/// The driver of a ride, as the rider sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RideDriver {
    /// The driver's account id.
    pub id: DriverId,
    /// Name shown to riders.
    pub name: String,
    /// Licence plate.
    pub vehicle_plate: String,
    /// Vehicle class.
    pub vehicle_class: String,
}

/// A ride, whole: for the rider's app through client_app_api (it holds the start code).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ride {
    /// The ride's id (the trip's id).
    pub id: RideId,
    /// The rider.
    pub rider_id: RiderId,
    /// The quote it was opened from.
    pub quote_id: QuoteId,
    /// Where it stands.
    pub status: RideStatus,
    /// The 4-digit code the rider shows the driver at pickup.
    #[schema(pattern = "^[0-9]{4}$")]
    pub start_code: String,
    /// The driver, once accepted (and after, for a ride that was not released).
    pub driver: Option<RideDriver>,
    /// Where the rider waits.
    pub pickup: Point,
    /// Where the rider goes, if the quote said.
    pub dropoff: Option<Point>,
    /// The quote's tariff.
    pub tariff_code: String,
    /// Its version.
    pub tariff_version: i64,
    /// ISO 4217 code of the quoted amounts.
    pub currency: String,
    /// The quoted price, in minor units.
    pub amount_cents: i64,
    /// The driver's share of it.
    pub driver_cents: i64,
    /// Actual distance, once completed.
    pub distance_m: Option<i64>,
    /// Actual duration, once completed.
    pub duration_s: Option<i64>,
    /// billing's invoice (of the ride, or of the cancellation fee), once billed.
    pub invoice_id: Option<String>,
    /// The final price (or the cancellation fee), once billed.
    pub final_amount_cents: Option<i64>,
    /// Its currency.
    pub final_currency: Option<String>,
    /// What the cancellation cost: 0 unless cancelled after the free window.
    pub cancellation_fee_cents: i64,
    /// Seconds after acceptance during which cancelling is free (the tariff version's).
    pub free_cancellation_s: i64,
    /// What cancelling after that window costs (the tariff version's).
    pub late_cancellation_fee_cents: i64,
    /// Who cancelled (`rider`), once cancelled.
    pub cancelled_by: Option<String>,
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
    /// When it was cancelled.
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    /// When it expired without a driver.
    #[schema(format = DateTime)]
    pub expired_at: Option<String>,
    /// When billing's invoice was recorded.
    #[schema(format = DateTime)]
    pub billed_at: Option<String>,
}

impl Ride {
    /// The view of `r`, with its driver's profile if it has one.
    pub fn new(r: RideRow, driver: Option<ProfileRow>) -> Self {
        Self {
            status: status_of(&r).into(),
            driver: driver.map(|d| RideDriver {
                id: d.driver_id,
                name: d.name,
                vehicle_plate: d.vehicle_plate,
                vehicle_class: d.vehicle_class,
            }),
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
            expired_at: r.expired_at_ms.map(rfc3339),
            billed_at: r.billed_at_ms.map(rfc3339),
            cancellation_fee_cents: r.cancellation_fee_cents.unwrap_or(0),
            id: r.id,
            rider_id: r.rider_id,
            quote_id: r.quote_id,
            start_code: r.start_code,
            tariff_code: r.tariff_code,
            tariff_version: r.tariff_version,
            currency: r.currency,
            amount_cents: r.quoted_amount_cents,
            driver_cents: r.quoted_driver_cents,
            distance_m: r.distance_m,
            duration_s: r.duration_s,
            invoice_id: r.invoice_id,
            final_amount_cents: r.final_amount_cents,
            final_currency: r.final_currency,
            free_cancellation_s: r.free_cancellation_s,
            late_cancellation_fee_cents: r.late_cancellation_fee_cents,
            cancelled_by: r.cancelled_by,
        }
    }

    /// The view of `r`, its driver's profile read from the database.
    pub async fn load(state: &AppState, r: RideRow) -> Result<Self, Error> {
        let driver = match &r.driver_id {
            Some(id) => crate::store::profiles::get(state.db(), *id).await?,
            None => None,
        };
        Ok(Self::new(r, driver))
    }
}
