//! `GET /driver/v1/internal/rides/{id}`: a ride, whole, for client_app_api.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::Ride;
use crate::routes::rides::ride_id;
use crate::{AppState, Error, store};

/// The ride `id`: status, start code, the driver once accepted, the quoted price, and the
/// final price and invoice once billed.
#[utoipa::path(
    get, path = "/v1/internal/rides/{id}", operation_id = "get_ride", tag = "internal", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    responses(
        (status = 200, description = "The ride", body = Ride),
        (status = 404, description = "No such ride (or asked through the public load balancer, which does not serve internal paths)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Path(id): Path<String>,
) -> Result<Json<Ride>, Error> {
    let ride = store::rides::get(state.db(), ride_id(&id)?)
        .await?
        .ok_or(Error::RideNotFound)?;
    Ok(Json(Ride::load(&state, ride).await?))
}
