//! The billing outbox, for admins: what is pending, what is dead, and putting a dead charge
//! back in the queue once its cause is fixed.

pub mod get;
pub mod retry;

use odmu_outbox::{Record, State};
use odmu_storage::rfc3339;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One message of the outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    /// Its id: `{ride_id}:{kind}`, billing's idempotency key.
    pub id: String,
    /// Its topic (`billing.charge`).
    pub topic: String,
    /// The charge it carries.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When it was written (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was parked as dead.
    #[schema(format = DateTime)]
    pub dead_at: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
}

impl From<Record> for OutboxMessage {
    fn from(r: Record) -> Self {
        let state = match r.state {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Dead => "dead",
        };
        Self {
            id: r.id,
            topic: r.topic,
            payload: r.payload,
            state: state.to_owned(),
            attempts: i64::from(r.attempts),
            created_at: rfc3339(r.created_at_ms),
            dead_at: r.dead_at_ms.map(rfc3339),
            last_error: r.last_error,
        }
    }
}
