//! `GET /client/v1/trips/{id}`: one of the caller's trips, merged with its ride and quote.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{TripDetail, detail};
use crate::{AppState, Error, store};
use odmu_ids::RideId;

/// The trip `id` of the caller's: status, driver once accepted, start code while useful, the
/// quoted and final price, the invoice once billed, and the quote. Another rider's trip is
/// answered 404, as if it did not exist.
#[utoipa::path(
    get, path = "/v1/trips/{id}", operation_id = "get_trip", tag = "trips", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "The trip's id")),
    responses(
        (status = 200, description = "The trip", body = TripDetail),
        responses::Guarded,
        responses::Params,
        (status = 404, description = "No trip with this id among the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Rider>,
    Path(id): Path<String>,
) -> Result<Json<TripDetail>, Error> {
    let row = match RideId::parse(&id) {
        Some(id) => store::trips::get(state.db(), auth.rider(), id).await?,
        None => None,
    };
    let row = row.ok_or(Error::TripNotFound)?;
    Ok(Json(detail(&state, row).await?))
}
