//! client_app_api's one error type: every handler answers with it, as problem+json.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use odmu_http::{ClientError, Problem};
use odmu_storage::StorageError;
use serde_json::json;

use crate::domain::trip::TripStatus;

/// Everything a client_app_api request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No trip with this id among the caller's (another rider's answers the same).
    #[error("no such trip")]
    TripNotFound,
    /// No quote with this id among the caller's (another rider's answers the same).
    #[error("no such quote")]
    QuoteNotFound,
    /// The quote can no longer be booked.
    #[error("the quote expired at {expires_at}")]
    QuoteExpired {
        /// When it expired (RFC 3339).
        expires_at: String,
    },
    /// The quote already has its trip.
    #[error("the quote is already booked as trip {trip_id}")]
    QuoteBooked {
        /// The trip that holds it.
        trip_id: odmu_ids::RideId,
    },
    /// driver_api refused the cancellation: the ride is in progress or over.
    #[error("the trip can no longer be cancelled")]
    NotCancellable {
        /// driver_api's explanation, when it gave one.
        detail: Option<String>,
        /// Where the trip stands, when known.
        status: Option<TripStatus>,
    },
    /// This service has no client for a dependency (no service credentials configured).
    #[error("no client for {0}")]
    NoClient(&'static str),
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A service this one calls failed, could not be reached, or answered unexpectedly.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::TripNotFound => Problem::not_found("No trip with this id."),
            Self::QuoteNotFound => Problem::not_found("No quote with this id.")
                .with_field_error("quote_id", "names no quote of yours"),
            Self::QuoteExpired { expires_at } => Problem::new(StatusCode::GONE)
                .with_detail("The quote has expired: ask for a new one.")
                .with_field_error("quote_id", format!("expired at {expires_at}"))
                .with_extension("expires_at", json!(expires_at)),
            Self::QuoteBooked { trip_id } => Problem::conflict(
                "This quote is already booked: one trip per quote. Read the trip, or ask for \
                 a new quote.",
            )
            .with_extension("trip_id", json!(trip_id)),
            Self::NotCancellable { detail, status } => match status {
                Some(status) => Problem::conflict(format!(
                    "The trip is {status}: it can no longer be cancelled."
                ))
                .with_extension("trip_status", json!(status)),
                None => Problem::conflict(detail.unwrap_or_else(|| {
                    "The trip can no longer be cancelled; read it for its status.".to_owned()
                })),
            },
            Self::NoClient(service) => {
                tracing::error!(service, "no service credentials to call a dependency");
                unavailable(service)
            }
            Self::Problem(p) => p,
            Self::Storage(e) => odmu_runtime::storage_problem(&e),
            Self::Client(e) => dependency_failed(e),
        }
        .into_response()
    }
}

/// What the rider sees when a dependency fails: a 503 to retry, never a 500 or a hang. The
/// kit's mapping covers the unreachable and the 5xx; an answer this service did not expect
/// (a 4xx it does not handle, a body of another shape) is logged as an error and is a 503 too.
pub fn dependency_failed(e: ClientError) -> Problem {
    match &e {
        ClientError::Unavailable { .. } | ClientError::NoToken { .. } => Problem::from(e),
        ClientError::Status { status, .. } if status.is_server_error() => Problem::from(e),
        ClientError::Status { service, .. } | ClientError::Decode { service, .. } => {
            tracing::error!(error = %e, "dependency answered unexpectedly");
            unavailable(service)
        }
    }
}

fn unavailable(service: &str) -> Problem {
    Problem::unavailable(format!(
        "{service} cannot serve this right now; retry later."
    ))
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
}

/// The problem a dependency sent with an error status, if it sent one.
pub fn problem_of(e: &ClientError) -> Option<&Problem> {
    match e {
        ClientError::Status { problem, .. } => problem.as_deref(),
        _ => None,
    }
}
