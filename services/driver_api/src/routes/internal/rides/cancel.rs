//! `POST /driver/v1/internal/rides/{id}/cancel`: the rider calls the ride off.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Ride;
use crate::AppState;
use crate::charges::{self, Kind};
use crate::domain::ride::{Status, TransitionError, cancellation_fee};
use crate::error::{Conflict, Error};
use crate::routes::rides::{ride_id, status_of};
use crate::store::rides;
use crate::store::transitions::{self, Cancel};

/// Attempts before giving up on a ride that keeps changing under the cancellation.
const ATTEMPTS: usize = 3;

/// Who cancels.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The rider, through their app.
    Rider,
}

/// The cancellation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelInput {
    /// Who cancels.
    pub by: CancelledBy,
}

/// `requested`/`accepted` → `cancelled`. Free from `requested`, and from `accepted` within
/// the tariff's `free_cancellation_s` of the acceptance; after that the ride owes the tariff's
/// cancellation fee, charged through billing (its charge is written in the same transaction).
/// Refused once `in_progress` (409). Cancelling again answers 200 and the same ride.
#[utoipa::path(
    post, path = "/v1/internal/rides/{id}/cancel", operation_id = "cancel_ride", tag = "internal", security(("bearer" = [])),
    params(("id" = String, Path, description = "The ride's id", format = "uuid")),
    request_body = CancelInput,
    responses(
        (status = 200, description = "Cancelled: the ride with its `cancellation_fee_cents` (0 when free)", body = Ride),
        (status = 404, description = "No such ride (or asked through the public load balancer, which does not serve internal paths)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not cancellable: `reason` `invalid_transition` with `status` (`in_progress`, `completed`, `expired`), or `contended` (retry)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Path(id): Path<String>,
    Json(_input): Json<CancelInput>,
) -> Result<Json<Ride>, Error> {
    let id = ride_id(&id)?;
    for _ in 0..ATTEMPTS {
        let mut tx = state.db().begin_write().await?;
        let ride = rides::get_in(tx.conn(), id)
            .await?
            .ok_or(Error::RideNotFound)?;
        let status = status_of(&ride);
        if status == Status::Cancelled {
            drop(tx);
            return Ok(Json(Ride::load(&state, ride).await?));
        }
        let now = now_millis();
        let outcome = cancellation_fee(
            status,
            ride.accepted_at_ms,
            now,
            ride.free_cancellation_s,
            ride.late_cancellation_fee_cents,
        )
        .map_err(|TransitionError::NotAllowed { from, action }| {
            Conflict::InvalidTransition {
                status: from,
                action,
            }
        })?;
        let cancel = Cancel {
            seen_status: status,
            seen_accepted_at_ms: ride.accepted_at_ms,
            fee_cents: outcome.fee_cents,
            by: "rider",
            now_ms: now,
        };
        // Guarded on the status and acceptance read above: if either moved, try again.
        if !transitions::cancel(&mut tx, id, &cancel).await? {
            continue;
        }
        let ride = rides::get_in(tx.conn(), id)
            .await?
            .ok_or(Error::RideNotFound)?;
        if outcome.charged {
            charges::enqueue(&mut tx, &ride, Kind::Cancellation).await?;
        }
        tx.commit().await?;
        if outcome.charged {
            state.outbox().notify();
        }
        tracing::info!(ride_id = %id, fee_cents = outcome.fee_cents, "ride cancelled");
        return Ok(Json(Ride::load(&state, ride).await?));
    }
    Err(Conflict::Contended.into())
}
