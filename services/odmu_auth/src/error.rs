//! odmu_auth's error types. [`Error`] answers the account routes as problem+json; the token
//! endpoints answer with [`crate::oauth::OAuthError`] instead, in the shape RFC 6749 §5.2 fixes
//! for OAuth clients, and take storage failures the same way through `From`.

use axum::response::{IntoResponse, Response};
use odmu_authn::AuthError;
use odmu_http::Problem;
use odmu_storage::StorageError;

/// Everything an account request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The caller's token was missing, invalid or not allowed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Argon2id failed, or its blocking task did not finish.
    #[error("password hashing: {0}")]
    Hashing(String),
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::Problem(p) => p,
            Self::Auth(e) => e.into(),
            Self::Storage(e) => odmu_runtime::storage_problem(&e),
            Self::Hashing(e) => Problem::internal(e),
        }
        .into_response()
    }
}

impl From<StorageError> for crate::oauth::OAuthError {
    fn from(e: StorageError) -> Self {
        Self::server(e)
    }
}
