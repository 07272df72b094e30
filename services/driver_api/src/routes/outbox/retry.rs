//! `POST /driver/v1/outbox/{id}/retry` (admin): a dead charge goes back in the queue.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Path, Problem, responses};

use super::OutboxMessage;
use crate::{AppState, Error};

/// Puts the dead message `id` back in the queue, due at once with a fresh backoff (after the
/// cause of billing's refusal was fixed). Answers the message as it now is.
#[utoipa::path(
    post, path = "/v1/outbox/{id}/retry", operation_id = "retry_outbox_message", tag = "outbox", security(("bearer" = [])),
    params(("id" = String, Path, description = "The message's id (`{ride_id}:{kind}`)")),
    responses(
        (status = 200, description = "Requeued", body = OutboxMessage),
        (status = 404, description = "No dead message has this id", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::Params,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Admin>,
    Path(id): Path<String>,
) -> Result<Json<OutboxMessage>, Error> {
    let not_found = || Problem::not_found("No dead outbox message has this id.");
    if !state.outbox().retry_dead(&id).await? {
        return Err(not_found().into());
    }
    let record = state.outbox().find(&id).await?.ok_or_else(not_found)?;
    Ok(Json(record.into()))
}
