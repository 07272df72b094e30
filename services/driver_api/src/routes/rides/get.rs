//! `GET /driver/v1/rides/{id}`: one of the calling driver's rides.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{DriverRide, own_ride, ride_id};
use crate::{AppState, Error};

/// The ride `id`, if the calling driver holds or held it.
#[utoipa::path(
    get, path = "/v1/rides/{id}", operation_id = "get_my_ride", tag = "rides", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    responses(
        (status = 200, description = "The ride", body = DriverRide),
        (status = 404, description = "No such ride, or not the driver's", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Driver>,
    Path(id): Path<String>,
) -> Result<Json<DriverRide>, Error> {
    Ok(Json(
        own_ride(&state, ride_id(&id)?, auth.driver()).await?.into(),
    ))
}
