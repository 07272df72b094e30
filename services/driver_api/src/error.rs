//! driver_api's one error type: every handler answers with it, as problem+json.

use axum::response::{IntoResponse, Response};
use odmu_http::{ClientError, Problem};
use odmu_storage::StorageError;

/// Everything a driver_api request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The driver has no profile yet.
    #[error("no profile yet")]
    NoProfile,
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A service this one calls failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::NoProfile => Problem::not_found("No profile yet: PUT one first."),
            Self::Problem(p) => p,
            Self::Storage(e) => Problem::internal(e),
            Self::Client(e) => Problem::from(e),
        }
        .into_response()
    }
}
