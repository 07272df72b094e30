//! `GET /driver/v1/outbox` (admin): the billing outbox at a glance.

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, responses};
use serde::Serialize;
use utoipa::ToSchema;

use super::OutboxMessage;
use crate::{AppState, Error};

/// The most dead messages listed.
const DEAD_LISTED: u32 = 100;

/// The outbox's state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxView {
    /// Charges not yet delivered (waiting, in flight or backing off).
    pub pending: i64,
    /// Charges billing refused for good, waiting for an admin.
    pub dead: i64,
    /// Age of the oldest pending charge, in ms: the relay's lag (0 when none).
    pub oldest_pending_age_ms: i64,
    /// The dead charges, most recently parked first (at most 100).
    pub dead_messages: Vec<OutboxMessage>,
}

/// Pending and dead counts, the lag, and the dead charges.
#[utoipa::path(
    get, path = "/v1/outbox", operation_id = "get_outbox", tag = "outbox", security(("bearer" = [])),
    responses(
        (status = 200, description = "The outbox", body = OutboxView),
        responses::Guarded,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::Admin>,
) -> Result<Json<OutboxView>, Error> {
    let stats = state.outbox().stats().await?;
    let dead = state.outbox().dead_messages(DEAD_LISTED).await?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Ok(Json(OutboxView {
        pending: count(stats.pending),
        dead: count(stats.dead),
        oldest_pending_age_ms: count(stats.oldest_pending_age_ms),
        dead_messages: dead.into_iter().map(OutboxMessage::from).collect(),
    }))
}
