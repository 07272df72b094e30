//! `PUT /driver/v1/availability`: the driver goes online or offline, at a position.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Availability;
use crate::domain::geo;
use crate::error::{Conflict, Error};
use crate::routes::input;
use crate::store::drivers::{self, Position};
use crate::{AppState, dispatch, store};
use odmu_http::Fields;

/// Online or not, and where.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInput {
    /// `true` to take rides, `false` to stop.
    pub online: bool,
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90, value_type = f64, required = true)]
    #[serde(default, deserialize_with = "input::number")]
    pub lat: Option<f64>,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180, value_type = f64, required = true)]
    #[serde(default, deserialize_with = "input::number")]
    pub lon: Option<f64>,
}

/// Sets the driver online or offline at a position. Going online needs a profile and an
/// agreement to the current terms (asked of contractual; a positive answer is kept 30 s):
/// 409 with `reason` `no_profile` or `no_current_agreement` otherwise. Going offline always
/// works once there is a profile; a ride already held stays held.
#[utoipa::path(
    put, path = "/v1/availability", operation_id = "set_availability", tag = "availability", security(("bearer" = [])),
    request_body = AvailabilityInput,
    responses(
        (status = 200, description = "The driver's availability", body = Availability),
        (status = 409, description = "Refused: `reason` is `no_profile` or `no_current_agreement`", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Json(input): Json<AvailabilityInput>,
) -> Result<Json<Availability>, Error> {
    let mut fields = Fields::new("The availability is not valid.");
    let at = input::position(&mut fields, "", input.lat, input.lon);
    fields.finish()?;
    let at = at.ok_or_else(|| Problem::unprocessable("The position is not valid."))?;
    let me = auth.driver();
    if input.online {
        // The profile first: it is ours to check, and needs no call.
        if store::profiles::get(state.db(), me).await?.is_none() {
            return Err(Conflict::NoProfile.into());
        }
        dispatch::require_agreement(&state, me).await?;
    }
    let position = Position {
        lat: at.lat(),
        lon: at.lon(),
        cell: geo::cell_of_i64(at),
    };
    if !drivers::set_availability(state.db(), me, input.online, position, now_millis()).await? {
        return Err(Conflict::NoProfile.into());
    }
    let profile = store::profiles::get(state.db(), me)
        .await?
        .ok_or(Conflict::NoProfile)?;
    Ok(Json(profile.into()))
}
