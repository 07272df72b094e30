//! odmu_contractual's one error type: every handler answers with it, as problem+json.

use axum::response::{IntoResponse, Response};
use odmu_http::Problem;
use odmu_storage::StorageError;

use crate::domain::pricing::PricingError;

/// Everything an odmu_contractual request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Pricing refused inputs the routes had already checked, or a stored quote no longer
    /// reproduces under its own tariff version: a bug or tampered data, never the caller's
    /// fault.
    #[error("pricing: {0}")]
    Pricing(#[from] PricingError),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::Problem(p) => p,
            Self::Storage(e) => odmu_runtime::storage_problem(&e),
            Self::Pricing(e) => Problem::internal(e),
        }
        .into_response()
    }
}
