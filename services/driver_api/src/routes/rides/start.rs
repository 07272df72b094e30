//! `POST /driver/v1/rides/{id}/start`: the rider is on board; the driver proves it with the
//! rider's start code.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{DriverRide, own_ride, ride_id, status_of};
use crate::domain::ride::{Action, Status};
use crate::domain::start_code::{self, LOCKOUT_MS, MAX_FAILED_ATTEMPTS, StartCode};
use crate::error::{Conflict, Error};
use crate::store::transitions;
use crate::{AppState, store};

/// The code the rider shows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// The rider's 4-digit start code.
    #[schema(
        min_length = 4,
        max_length = 4,
        pattern = "^[0-9]{4}$",
        example = "0427"
    )]
    pub start_code: String,
}

/// `accepted` → `in_progress`, if `start_code` is the rider's. A wrong code is a 422 naming
/// `start_code`; after 5 wrong codes in a row the ride's code is not heard for 60 s (429). The
/// driver asking again once started gets 200 and the same ride.
#[utoipa::path(
    post, path = "/v1/rides/{id}/start", operation_id = "start_ride", tag = "rides", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    request_body = StartInput,
    responses(
        (status = 200, description = "Started", body = DriverRide),
        (status = 404, description = "No such ride, or not the driver's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The ride is not `accepted` (`reason` `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`start_code` is not 4 digits, or not the rider's code", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes: wait `Retry-After` seconds (`reason` `start_code_locked`)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Path(id): Path<String>,
    Json(input): Json<StartInput>,
) -> Result<Json<DriverRide>, Error> {
    let me = auth.driver();
    let id = ride_id(&id)?;
    if let Err(e) = StartCode::parse(&input.start_code) {
        return Err(Problem::unprocessable("The start code is not valid.")
            .with_field_error("start_code", e.to_string())
            .into());
    }
    let ride = own_ride(&state, id, me).await?;
    let expected = StartCode::parse(&ride.start_code)
        .map_err(|e| Problem::internal(format!("stored start code: {e}")))?;
    let right = start_code::matches(&expected, &input.start_code);
    let status = status_of(&ride);
    if status == Status::InProgress && right {
        return Ok(Json(ride.into()));
    }
    let refused = |status| Conflict::InvalidTransition {
        status,
        action: Action::Start,
    };
    if status != Status::Accepted {
        return Err(refused(status).into());
    }
    let now = now_millis();
    // Counted before the code is compared, in one conditional write: a burst of guesses at
    // once cannot get more than MAX_FAILED_ATTEMPTS of them compared per lock-out.
    if !transitions::admit_start_code(
        state.db(),
        id,
        me,
        MAX_FAILED_ATTEMPTS,
        now,
        now + LOCKOUT_MS,
    )
    .await?
    {
        let ride = own_ride(&state, id, me).await?;
        return match ride.start_code_locked_until_ms.filter(|until| *until > now) {
            Some(until) if status_of(&ride) == Status::Accepted => Err(Error::StartCodeLocked {
                retry_after_s: (until - now + 999).div_euclid(1000),
            }),
            _ => Err(refused(status_of(&ride)).into()),
        };
    }
    if !right {
        return Err(Problem::unprocessable("The start code is wrong.")
            .with_field_error("start_code", "is not the rider's code")
            .into());
    }
    if !transitions::start(state.db(), id, me, now).await? {
        // It changed since it was read (the rider cancelled, say).
        let ride = own_ride(&state, id, me).await?;
        return Err(refused(status_of(&ride)).into());
    }
    let ride = store::rides::get(state.db(), id)
        .await?
        .ok_or(Error::RideNotFound)?;
    Ok(Json(ride.into()))
}
