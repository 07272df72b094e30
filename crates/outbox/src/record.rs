//! What admins and tests see of the outbox.

use serde_json::Value;

use crate::store;

/// The outbox at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Messages not yet delivered and not dead.
    pub pending: u64,
    /// Messages parked as dead.
    pub dead: u64,
    /// Age of the oldest pending message (the lag), 0 when none is pending.
    pub oldest_pending_age_ms: u64,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting, leased to a relay, or backing off.
    Pending,
    /// The consumer answered 2xx.
    Delivered,
    /// It can never be delivered; kept for an admin.
    Dead,
}

/// A stored message, for admins and tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    /// Its id (the consumer's idempotency key).
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// Its body.
    pub payload: Value,
    /// Where it stands.
    pub state: State,
    /// Attempts started so far.
    pub attempts: u32,
    /// When it is due next, or while leased, when its lease expires (ms since the epoch).
    pub next_attempt_at_ms: i64,
    /// When it was enqueued.
    pub created_at_ms: i64,
    /// When the consumer's answer was recorded.
    pub delivered_at_ms: Option<i64>,
    /// When it was parked as dead.
    pub dead_at_ms: Option<i64>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The consumer's answer, once delivered.
    pub answer: Option<Value>,
}

impl From<store::MessageRow> for Record {
    fn from(r: store::MessageRow) -> Self {
        let state = match r.state.as_str() {
            "delivered" => State::Delivered,
            "dead" => State::Dead,
            _ => State::Pending,
        };
        Self {
            payload: parse_json(&r.payload),
            answer: r.answer.as_deref().map(parse_json),
            id: r.id,
            topic: r.topic,
            state,
            attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            next_attempt_at_ms: r.next_attempt_at_ms,
            created_at_ms: r.created_at_ms,
            delivered_at_ms: r.delivered_at_ms,
            dead_at_ms: r.dead_at_ms,
            last_error: r.last_error,
        }
    }
}

/// Stored JSON text back to a value; text that is not JSON (written by hand) stays a string.
fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}
