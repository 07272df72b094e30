//! `GET /driver/v1/rides/open`: requested rides near the calling (online) driver.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::dispatch;
use crate::routes::input::Point;
use crate::{AppState, Error};

/// An open ride near the driver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenRide {
    /// The ride's id: accept it with `POST /driver/v1/rides/{id}/accept`.
    pub id: odmu_ids::RideId,
    /// Great-circle distance from the driver to the pickup, in whole metres.
    pub pickup_distance_m: i64,
    /// Where the rider waits.
    pub pickup: Point,
    /// Where the rider goes, if the quote said.
    pub dropoff: Option<Point>,
    /// The driver's share of the quoted price, in minor units.
    pub driver_cents: i64,
    /// ISO 4217 code of `driver_cents`.
    pub currency: String,
    /// Distance the quote priced, in metres.
    pub quoted_distance_m: i64,
    /// Duration the quote priced, in seconds.
    pub quoted_duration_s: i64,
    /// Since when it waits for a driver (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub requested_at: String,
}

/// The open rides near the driver.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenRides {
    /// Nearest first, at most 50.
    pub items: Vec<OpenRide>,
    /// The radius searched, in metres (`DISPATCH_RADIUS_M`).
    pub radius_m: f64,
}

/// The rides waiting for a driver whose pickup lies within the dispatch radius of the
/// driver's last reported position, nearest first, at most 50. The driver must be online and
/// have agreed to the current terms.
#[utoipa::path(
    get, path = "/v1/rides/open", operation_id = "list_open_rides", tag = "rides", security(("bearer" = [])),
    responses(
        (status = 200, description = "Open rides, nearest first", body = OpenRides),
        (status = 409, description = "The driver cannot take rides: `reason` is `no_profile`, `offline` or `no_current_agreement`", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
) -> Result<Json<OpenRides>, Error> {
    let driver = dispatch::online_driver(&state, auth.driver()).await?;
    dispatch::require_agreement(&state, auth.driver()).await?;
    let at = dispatch::position_of(&driver)?;
    let near = dispatch::open_rides_near(&state, at).await?;
    let items = near
        .into_iter()
        .map(|n| OpenRide {
            pickup_distance_m: n.distance_m,
            pickup: Point {
                lat: n.id.pickup_lat,
                lon: n.id.pickup_lon,
            },
            dropoff: Point::of(n.id.dropoff_lat, n.id.dropoff_lon),
            driver_cents: n.id.quoted_driver_cents,
            quoted_distance_m: n.id.quoted_distance_m,
            quoted_duration_s: n.id.quoted_duration_s,
            requested_at: rfc3339(n.id.requested_at_ms),
            currency: n.id.currency,
            id: n.id.id,
        })
        .collect();
    Ok(Json(OpenRides {
        items,
        radius_m: state.config().dispatch_radius_m,
    }))
}
