//! Trips: a booked quote, as its rider sees it. The row here holds the rider's side; the ride
//! at driver_api (same id) gives the status, the driver, the start code and the prices.

pub mod cancel;
pub mod create;
pub mod get;
pub mod list;

use axum::http::StatusCode;
use odmu_ids::{QuoteId, RideId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::clients::contractual::Quote;
use crate::clients::driver_api::{DriverApi, Ride, RideDriver};
use crate::domain::trip::{TripStatus, visible};
use crate::store::trips::TripRow;
use crate::{AppState, Error};

/// The driver of a trip, once one accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Driver {
    /// Their name.
    pub name: String,
    /// The vehicle's licence plate.
    pub vehicle_plate: String,
    /// The vehicle's class (e.g. `standard`).
    pub vehicle_class: String,
}

impl From<RideDriver> for Driver {
    fn from(d: RideDriver) -> Self {
        Self {
            name: d.name,
            vehicle_plate: d.vehicle_plate,
            vehicle_class: d.vehicle_class,
        }
    }
}

/// A trip, as a list shows it: the rider's record merged with its ride.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Trip {
    /// The trip's id.
    pub id: RideId,
    /// Where it stands; `pending` until dispatch confirms the booking.
    pub status: TripStatus,
    /// The quote booked.
    pub quote_id: QuoteId,
    /// The 4-digit code to give the driver at pickup; shown while `requested` or `accepted`.
    #[schema(pattern = "^[0-9]{4}$", example = "4821")]
    pub start_code: Option<String>,
    /// The driver, once one accepted the trip.
    pub driver: Option<Driver>,
    /// ISO 4217 code of the amounts.
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// The quoted price, in minor units.
    pub quoted_amount_cents: Option<i64>,
    /// What the rider was billed, in minor units: the final price of a completed trip, or
    /// the fee of a cancelled one; once billed.
    pub final_amount_cents: Option<i64>,
    /// The rider's invoice at billing, once billed.
    #[schema(format = "uuid")]
    pub invoice_id: Option<String>,
    /// What cancelling cost, in minor units (0 when free); set once cancelled.
    pub cancellation_fee_cents: Option<i64>,
    /// When it was booked (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// One trip in full: the trip and the quote it books.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TripDetail {
    /// The trip.
    #[serde(flatten)]
    pub trip: Trip,
    /// The quote booked, as contractual made it.
    pub quote: Quote,
}

impl Trip {
    /// The trip of `row` and its ride (`None`: driver_api has none yet, the trip is pending).
    pub fn merge(row: TripRow, ride: Option<Ride>) -> Self {
        let created_at = odmu_storage::rfc3339(row.created_at_ms);
        let Some(ride) = ride else {
            let shown = visible::<RideDriver>(None);
            return Self {
                id: row.id,
                status: shown.status,
                quote_id: row.quote_id,
                start_code: None,
                driver: None,
                currency: None,
                quoted_amount_cents: None,
                final_amount_cents: None,
                invoice_id: None,
                cancellation_fee_cents: None,
                created_at,
            };
        };
        let shown = visible(Some((ride.status, Some(ride.start_code), ride.driver)));
        Self {
            id: row.id,
            status: shown.status,
            quote_id: row.quote_id,
            start_code: shown.start_code,
            driver: shown.driver.map(Driver::from),
            currency: Some(ride.currency),
            quoted_amount_cents: Some(ride.amount_cents),
            final_amount_cents: ride.final_amount_cents,
            invoice_id: ride.invoice_id,
            cancellation_fee_cents: (shown.status == TripStatus::Cancelled)
                .then_some(ride.cancellation_fee_cents),
            created_at,
        }
    }
}

/// The ride of trip `id`, or `None` when driver_api has none under that id (yet).
///
/// # Errors
/// driver_api unreachable or answering unexpectedly.
pub async fn ride_of(driver_api: &DriverApi, id: RideId) -> Result<Option<Ride>, Error> {
    match driver_api.ride(id).await {
        Ok(ride) => Ok(Some(ride)),
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The whole view of `row`: its ride and its quote, fetched at once.
///
/// # Errors
/// A dependency unreachable or answering unexpectedly.
pub async fn detail(state: &AppState, row: TripRow) -> Result<TripDetail, Error> {
    let driver_api = state.driver_api()?;
    let contractual = state.contractual()?;
    let (ride, quote) = tokio::join!(ride_of(driver_api, row.id), contractual.quote(row.quote_id));
    Ok(TripDetail {
        trip: Trip::merge(row, ride?),
        quote: quote?,
    })
}
