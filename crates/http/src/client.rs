//! The base of every typed client for another odmu service.

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
            ClientError::Unavailable { service, .. } => {
                tracing::warn!(error = %e, "dependency unavailable");
                Problem::unavailable(format!("{service} is unavailable; retry later."))
            }
            _ => Problem::internal(e),
        }
    }
}

/// A client for one service: base URL, timeouts, and the request id and W3C trace context
/// of the request being served passed on with every call.
#[derive(Debug, Clone)]
pub struct ServiceClient {
    service: &'static str,
    base_url: String,
    http: reqwest::Client,
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
        }
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

    /// Sends `request` and decodes a 2xx JSON answer; error statuses keep their problem body.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
    ) -> Result<T, ClientError> {
        let service = self.service;
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unavailable { service, source })?;
        let status = response.status();
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
