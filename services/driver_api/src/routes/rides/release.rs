//! `POST /driver/v1/rides/{id}/release`: the driver gives an accepted ride back.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;

use super::{DriverRide, own_ride, ride_id, status_of};
use crate::domain::ride::Action;
use crate::error::{Conflict, Error};
use crate::store::transitions;
use crate::{AppState, store};

/// `accepted` → `requested`: the ride is open to other drivers again, for a full
/// `RIDE_REQUEST_TTL_S`; no fee for anyone. Answers the ride as it now is (no longer the
/// driver's).
#[utoipa::path(
    post, path = "/v1/rides/{id}/release", operation_id = "release_ride", tag = "rides", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    responses(
        (status = 200, description = "Released: the ride, requested again", body = DriverRide),
        (status = 404, description = "No such ride, or not the driver's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ride is not `accepted` (`reason` `invalid_transition`, `status` says what it is)", body = Problem, content_type = "application/problem+json"),
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
    if transitions::release(state.db(), id, me, now_millis()).await? {
        let ride = store::rides::get(state.db(), id)
            .await?
            .ok_or(Error::RideNotFound)?;
        return Ok(Json(ride.into()));
    }
    let ride = own_ride(&state, id, me).await?;
    Err(Conflict::InvalidTransition {
        status: status_of(&ride),
        action: Action::Release,
    }
    .into())
}
