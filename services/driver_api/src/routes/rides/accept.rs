//! `POST /driver/v1/rides/{id}/accept`: the first driver to accept a ride gets it.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;

use super::{DriverRide, ride_id, status_of};
use crate::domain::geo::{self, LatLon};
use crate::domain::ride::Status;
use crate::error::{Conflict, Error};
use crate::store::transitions::{self, Accepted};
use crate::{AppState, dispatch, store};

/// Takes the ride: one conditional write, so of any number of concurrent accepts exactly one
/// wins. The winner asking again gets 200 and the same ride; the others 409 `ride_taken`. A
/// driver who already holds an active ride is refused with 409 `driver_busy` (the database's
/// one-active-ride-per-driver index decides). The driver must be online, at a last reported
/// position within `DISPATCH_RADIUS_M` of the pickup (the rides they are shown): 409
/// `too_far` otherwise.
#[utoipa::path(
    post, path = "/v1/rides/{id}/accept", operation_id = "accept_ride", tag = "rides", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    responses(
        (status = 200, description = "The driver holds the ride (now, or already)", body = DriverRide),
        (status = 404, description = "No such ride", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Refused: `reason` is `ride_taken` (another driver was first), `driver_busy` (the driver holds another active ride), `ride_not_open` (cancelled, expired or completed), `too_far` (the pickup is beyond the dispatch radius of the driver's position), `no_profile` or `offline`", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Path(id): Path<String>,
) -> Result<Json<DriverRide>, Error> {
    let me = auth.driver();
    let id = ride_id(&id)?;
    let profile = dispatch::online_driver(&state, me).await?;
    let at = dispatch::position_of(&profile)?;
    // Only rides a driver could have been shown: within the dispatch radius of where they are.
    if let Some(ride) = store::rides::get(state.db(), id).await?
        && status_of(&ride) == Status::Requested
        && let Ok(pickup) = LatLon::new(ride.pickup_lat, ride.pickup_lon)
    {
        let radius_m = state.config().dispatch_radius_m;
        let distance_m = geo::distance_m(at, pickup);
        if distance_m > radius_m {
            return Err(Conflict::TooFar {
                distance_m: distance_m.round() as i64,
                radius_m: radius_m as i64,
            }
            .into());
        }
    }
    let outcome = transitions::accept(state.db(), id, me, now_millis()).await?;
    // Whatever the write did, the ride as it now stands decides the answer.
    let ride = store::rides::get(state.db(), id)
        .await?
        .ok_or(Error::RideNotFound)?;
    let status = status_of(&ride);
    let mine = ride.driver_id == Some(me);
    match outcome {
        Accepted::Won => Ok(Json(ride.into())),
        Accepted::DriverBusy => Err(Conflict::DriverBusy.into()),
        Accepted::NotRequested if mine && status.is_active() => Ok(Json(ride.into())),
        Accepted::NotRequested => Err(match status {
            Status::Accepted | Status::InProgress => Conflict::RideTaken,
            Status::Completed if !mine => Conflict::RideTaken,
            // Released, then accepted and released again between our write and this read.
            Status::Requested => Conflict::RideTaken,
            other => Conflict::RideNotOpen(other),
        }
        .into()),
    }
}
