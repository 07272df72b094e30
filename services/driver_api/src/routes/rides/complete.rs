//! `POST /driver/v1/rides/{id}/complete`: the trip ended; its charge goes to billing through
//! the outbox.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{DriverRide, own_ride, ride_id, status_of};
use crate::AppState;
use crate::charges::{self, Kind};
use crate::domain::ride::{Action, Status};
use crate::error::{Conflict, Error};
use crate::store::{rides, transitions};
use odmu_http::{Fields, integer};

/// The most distance a ride may report, in metres (billing's and contractual's bound).
pub const MAX_DISTANCE_M: i64 = 1_000_000;
/// The most duration a ride may report, in seconds (48 h).
pub const MAX_DURATION_S: i64 = 172_800;

/// What the trip actually was.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// Distance driven with the rider, in metres: 0 to 1 000 000.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub distance_m: i64,
    /// Time with the rider on board, in seconds: 0 to 172 800.
    #[schema(minimum = 0, maximum = 172800)]
    #[serde(deserialize_with = "integer::exact")]
    pub duration_s: i64,
}

/// `in_progress` → `completed` with the actuals. The charge for billing is written in the
/// same transaction and delivered in the background, so this answers at once whether or not
/// billing is up; the invoice shows on the ride once billed. The driver asking again gets 200
/// and the same ride.
#[utoipa::path(
    post, path = "/v1/rides/{id}/complete", operation_id = "complete_ride", tag = "rides", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    request_body = CompleteInput,
    responses(
        (status = 200, description = "Completed", body = DriverRide),
        (status = 404, description = "No such ride, or not the driver's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ride is not `in_progress` (`reason` `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Path(id): Path<String>,
    Json(input): Json<CompleteInput>,
) -> Result<Json<DriverRide>, Error> {
    let me = auth.driver();
    let id = ride_id(&id)?;
    let mut fields = Fields::new("The actuals are not valid.");
    fields.range("distance_m", input.distance_m, 0, MAX_DISTANCE_M);
    fields.range("duration_s", input.duration_s, 0, MAX_DURATION_S);
    fields.finish()?;

    let mut tx = state.db().begin_write().await?;
    let actuals = (input.distance_m, input.duration_s);
    if transitions::complete(&mut tx, id, me, actuals, now_millis()).await? {
        let ride = rides::get_in(tx.conn(), id)
            .await?
            .ok_or(Error::RideNotFound)?;
        charges::enqueue(&mut tx, &ride, Kind::Ride).await?;
        tx.commit().await?;
        state.outbox().notify();
        return Ok(Json(ride.into()));
    }
    drop(tx);
    let ride = own_ride(&state, id, me).await?;
    match status_of(&ride) {
        Status::Completed => Ok(Json(ride.into())),
        status => Err(Conflict::InvalidTransition {
            status,
            action: Action::Complete,
        }
        .into()),
    }
}
