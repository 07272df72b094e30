//! `PUT /driver/v1/location`: where the online driver is now.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::geo;
use crate::error::{Conflict, Error};
use crate::routes::availability::Availability;
use crate::routes::input;
use crate::store::drivers::{self, Position};
use crate::{AppState, store};
use odmu_http::Fields;

/// Where the driver is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90, value_type = f64, required = true)]
    #[serde(default, deserialize_with = "input::number")]
    pub lat: Option<f64>,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180, value_type = f64, required = true)]
    #[serde(default, deserialize_with = "input::number")]
    pub lon: Option<f64>,
}

/// Records the online driver's position (and its H3 cell, for dispatch).
#[utoipa::path(
    put, path = "/v1/location", operation_id = "set_location", tag = "availability", security(("bearer" = [])),
    request_body = LocationInput,
    responses(
        (status = 200, description = "The driver's availability, at the new position", body = Availability),
        (status = 409, description = "Refused: `reason` is `offline` or `no_profile`", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Json(input): Json<LocationInput>,
) -> Result<Json<Availability>, Error> {
    let mut fields = Fields::new("The location is not valid.");
    let at = input::position(&mut fields, "", input.lat, input.lon);
    fields.finish()?;
    let at = at.ok_or_else(|| Problem::unprocessable("The position is not valid."))?;
    let me = auth.driver();
    let position = Position {
        lat: at.lat(),
        lon: at.lon(),
        cell: geo::cell_of_i64(at),
    };
    let moved = drivers::set_location(state.db(), me, position, now_millis()).await?;
    let profile = store::profiles::get(state.db(), me)
        .await?
        .ok_or(Conflict::NoProfile)?;
    if !moved {
        return Err(Conflict::Offline.into());
    }
    Ok(Json(profile.into()))
}
