//! What the producing service implements: the [`Handler`] that delivers messages, and the
//! [`Failure`] it reports.

use std::future::Future;
use std::pin::Pin;

use odmu_http::ClientError;
use odmu_storage::{StorageError, WriteTx};
use serde_json::Value;

/// A boxed future, as returned by [`Handler`]'s methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One message handed to a [`Handler`].
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id: the consumer's idempotency key, the same on every attempt.
    pub id: String,
    /// What kind of message it is (the handler dispatches on it).
    pub topic: String,
    /// The body the producer enqueued.
    pub payload: Value,
    /// This attempt's number, from 1 (attempts cut short by a dying relay count too).
    pub attempt: u32,
    /// When it was enqueued (milliseconds since the epoch).
    pub created_at_ms: i64,
}

/// Why a delivery did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// It may succeed later (the consumer unreachable, slow, overloaded or failing): retried
    /// with backoff.
    #[error("transient: {0}")]
    Transient(String),
    /// It can never succeed (the consumer refuses it): the message is parked as dead.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl Failure {
    /// The outbox's reading of a failed call: transient when the service was unreachable, did
    /// not answer in time or had no token for us, or answered 5xx, 408, 409 (the consumer is
    /// still processing this key) or 429 (DESIGN.md §5a); also 401, since the client drops its
    /// token on a 401 and fetches another for the next attempt. Any other answer is permanent.
    pub fn from_client_error(error: &ClientError) -> Self {
        let retry = error.is_transient()
            || error
                .status()
                .is_some_and(|s| matches!(s.as_u16(), 401 | 409));
        if retry {
            Self::Transient(error.to_string())
        } else {
            Self::Permanent(error.to_string())
        }
    }

    /// The reason given.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient(r) | Self::Permanent(r) => r,
        }
    }
}

/// Delivers the messages of one service's outbox: the producing service implements it.
pub trait Handler: Send + Sync + 'static {
    /// Sends `message` to its consumer (dispatching on its topic) and returns the consumer's
    /// answer. Send `message.id` as the idempotency key. An unknown topic is a
    /// [`Failure::Permanent`].
    fn deliver<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Value, Failure>>;

    /// Records the consumer's `answer` (an invoice id and final price on the ride) in `tx`,
    /// the transaction that marks the message delivered: both commit or neither does. An error
    /// rolls both back and the message is delivered again later. Runs once per message.
    fn delivered<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        message: &'a Message,
        answer: &'a Value,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        let _ = (tx, message, answer);
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn answered(status: u16) -> Failure {
        Failure::from_client_error(&ClientError::Status {
            service: "billing",
            status: StatusCode::from_u16(status).unwrap(),
            problem: None,
        })
    }

    #[test]
    fn only_answers_that_cannot_change_are_permanent() {
        for status in [500, 502, 503, 504, 408, 409, 429, 401] {
            assert!(
                matches!(answered(status), Failure::Transient(_)),
                "{status} is transient"
            );
        }
        for status in [400, 403, 404, 410, 413, 415, 422] {
            assert!(
                matches!(answered(status), Failure::Permanent(_)),
                "{status} is permanent"
            );
        }
        let no_token = ClientError::NoToken {
            service: "billing",
            source: "odmu_auth is down".into(),
        };
        assert!(matches!(
            Failure::from_client_error(&no_token),
            Failure::Transient(_)
        ));
        assert_eq!(
            answered(422).reason(),
            "billing answered 422 Unprocessable Entity"
        );
    }
}
