//! The base of every typed client for another odmu service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;

use crate::{Problem, REQUEST_ID_HEADER, current_request_id};

/// An outgoing call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service could not be reached or did not answer in time.
    #[error("{service} is unavailable: {source}")]
    Unavailable {
        /// The service called.
        service: &'static str,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The service answered with an error status.
    #[error("{service} answered {status}")]
    Status {
        /// The service called.
        service: &'static str,
        /// Its status.
        status: StatusCode,
        /// Its problem+json body, when it sent one.
        problem: Option<Box<Problem>>,
    },
    /// No token could be had to call the service.
    #[error("no token to call {service}: {source}")]
    NoToken {
        /// The service to be called.
        service: &'static str,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The service answered 2xx with a body of an unexpected shape.
    #[error("{service} answered with an unexpected body: {source}")]
    Decode {
        /// The service called.
        service: &'static str,
        /// The decoding error.
        #[source]
        source: reqwest::Error,
    },
}

impl From<ClientError> for Problem {
    /// What our own caller sees: the dependency's trouble, without its internals.
    fn from(e: ClientError) -> Self {
        match &e {
            ClientError::Unavailable { service, .. } | ClientError::NoToken { service, .. } => {
                tracing::warn!(error = %e, "dependency unavailable");
                Problem::unavailable(format!("{service} is unavailable; retry later.")).with_header(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                )
            }
            ClientError::Status { status, .. } if status.is_server_error() => {
                tracing::warn!(error = %e, "dependency failed");
                Problem::unavailable("A service this one depends on failed; retry later.")
            }
            _ => Problem::internal(e),
        }
    }
}

impl ClientError {
    /// The status the service answered, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: the service was unreachable, timed out, or
    /// answered 408, 429 or 5xx. Other answers will not change.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable { .. } | Self::NoToken { .. } => true,
            Self::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::REQUEST_TIMEOUT
                    || *status == StatusCode::TOO_MANY_REQUESTS
            }
            Self::Decode { .. } => false,
        }
    }
}

/// A boxed future, for [`Bearer`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where a client gets the token it sends (a service's `client_credentials` token).
pub trait Bearer: Send + Sync + 'static {
    /// The token for `Authorization: Bearer`.
    fn bearer(&self) -> BoxFuture<'_, Result<String, BoxError>>;
    /// The callee refused the token (401): forget it, so the next call fetches another.
    fn invalidate(&self) {}
}

/// A client for one service: base URL, timeouts, the caller's token when it has one, and the
/// request id and W3C trace context of the request being served passed on with every call.
#[derive(Clone)]
pub struct ServiceClient {
    service: &'static str,
    base_url: String,
    http: reqwest::Client,
    bearer: Option<Arc<dyn Bearer>>,
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("service", &self.service)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ServiceClient {
    /// A client for `service` at `base_url` (scheme and host, no path: paths carry the prefix).
    pub fn new(service: &'static str, base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("odmu/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            service,
            base_url: base_url.trim_end_matches('/').to_owned(),
            http,
            bearer: None,
        }
    }

    /// Sends a token from `bearer` with every call.
    pub fn with_bearer(mut self, bearer: Arc<dyn Bearer>) -> Self {
        self.bearer = Some(bearer);
        self
    }

    /// Bounds each call (connect, send, answer) by `timeout` instead of 10 s.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2).min(timeout))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("odmu/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        self
    }

    /// The service's name.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// A request to `path` (which starts with the service's prefix) with context headers set.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut headers = reqwest::header::HeaderMap::new();
        odmu_telemetry::inject_trace_context(&mut headers);
        if let Some(id) = current_request_id().filter(|id| !id.is_empty())
            && let Ok(value) = id.parse()
        {
            headers.insert(REQUEST_ID_HEADER, value);
        }
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .headers(headers)
    }

    /// Sends `request` (with the token, if the client has a source) and decodes a 2xx JSON
    /// answer; error statuses keep their problem body.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let service = self.service;
        let request = match &self.bearer {
            Some(bearer) => {
                let token = bearer
                    .bearer()
                    .await
                    .map_err(|source| ClientError::NoToken { service, source })?;
                request.bearer_auth(token)
            }
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unavailable { service, source })?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED
            && let Some(bearer) = &self.bearer
        {
            bearer.invalidate();
        }
        if !status.is_success() {
            let problem = response.json::<Problem>().await.ok().map(Box::new);
            return Err(ClientError::Status {
                service,
                status,
                problem,
            });
        }
        response
            .json::<T>()
            .await
            .map_err(|source| ClientError::Decode { service, source })
    }
}
