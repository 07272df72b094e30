//! `POST /client/v1/trips/{id}/cancel`: the rider calls a trip off.

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::{Trip, TripDetail, ride_of};
use crate::domain::trip::TripStatus;
use crate::error::problem_of;
use crate::{AppState, Error, store};
use odmu_ids::RideId;

/// Cancels one of the caller's trips through driver_api, which decides the fee: free from
/// `requested` and shortly after a driver accepts, `cancellation_fee_cents` after that.
/// Cancelling a cancelled trip answers it again (a retry after a lost answer is safe). A
/// trip in progress or over, or still `pending`, is 409 with its `trip_status`.
#[utoipa::path(
    post, path = "/v1/trips/{id}/cancel", operation_id = "cancel_trip", tag = "trips", security(("bearer" = [])),
    params(("id" = String, Path, format = "uuid", description = "The trip's id")),
    responses(
        (status = 200, description = "The cancelled trip, with its `cancellation_fee_cents` (0 when free)", body = TripDetail),
        responses::Guarded,
        responses::Params,
        (status = 404, description = "No trip with this id among the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The trip can no longer be cancelled (in progress or over), or is still `pending` (complete the booking first)", body = Problem, content_type = "application/problem+json"),
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
    let driver_api = state.driver_api()?;
    // The quote first: a read that fails leaves the trip as it was.
    let quote = state.contractual()?.quote(row.quote_id).await?;
    let ride = match driver_api.cancel(row.id).await {
        Ok(ride) => ride,
        Err(e) if e.status() == Some(StatusCode::CONFLICT) => {
            // Say where the trip stands (driver_api's problem cannot carry it: `status` is
            // the problem's own member).
            let status = ride_of(driver_api, row.id).await?.map(|ride| ride.status);
            return Err(Error::NotCancellable {
                detail: problem_of(&e).and_then(|p| p.detail.clone()),
                status,
            });
        }
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => {
            return Err(Problem::conflict(
                "The trip is still pending: complete the booking (repeat it with the same \
                 Idempotency-Key) before cancelling it.",
            )
            .with_extension("trip_status", serde_json::json!(TripStatus::Pending))
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(TripDetail {
        trip: Trip::merge(row, Some(ride)),
        quote,
    }))
}
