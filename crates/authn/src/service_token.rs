//! The service-token client: how one odmu service gets a `client_credentials` access token
//! from odmu_auth to call another.
//!
//! The token is cached until shortly before it expires, one fetch runs at a time (callers that
//! arrive meanwhile wait for its result), and transient failures are retried with backoff for a
//! few seconds. A rejected client is a configuration mistake, so it surfaces at once.

use std::fmt;
use std::sync::{Arc, Mutex as SyncMutex, PoisonError};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable as _};
use odmu_config::{ConfigError, Env, Secret};
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::Mutex;

/// Where odmu_auth issues tokens, under `AUTH_URL`.
pub const TOKEN_PATH: &str = "/auth/v1/token";

/// The least time before expiry at which a cached token is replaced.
const MIN_REFRESH_MARGIN: Duration = Duration::from_secs(30);
/// How long transient failures are retried before giving up.
const RETRY_BUDGET: Duration = Duration::from_secs(5);

/// The credentials a service presents to odmu_auth.
#[derive(Debug, Clone)]
pub struct ServiceTokenConfig {
    /// `AUTH_URL` (default `http://127.0.0.1:3003`): odmu_auth's base URL.
    pub auth_url: String,
    /// `SERVICE_CLIENT_ID`: this service's client id.
    pub client_id: String,
    /// `SERVICE_CLIENT_SECRET`: its secret; never printed.
    pub client_secret: Secret,
}

impl ServiceTokenConfig {
    /// Reads the service credentials: `None` when the service has none (it calls nobody that
    /// requires a service token); an error naming the variable when only half is set.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let auth_url = env.http_url_or("AUTH_URL", "http://127.0.0.1:3003")?;
        let missing = |var: &str| ConfigError::Missing {
            var: var.to_owned(),
        };
        match (
            env.raw("SERVICE_CLIENT_ID"),
            env.secret("SERVICE_CLIENT_SECRET"),
        ) {
            (None, None) => Ok(None),
            (Some(_), None) => Err(missing("SERVICE_CLIENT_SECRET")),
            (None, Some(_)) => Err(missing("SERVICE_CLIENT_ID")),
            (Some(client_id), Some(client_secret)) => Ok(Some(Self {
                auth_url,
                client_id: client_id.to_owned(),
                client_secret,
            })),
        }
    }
}

/// Why no service token could be had. Never carries the secret or a token.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ServiceTokenError {
    /// odmu_auth could not be reached, or kept failing, for the whole retry budget.
    #[error("odmu_auth is unavailable; no service token could be fetched")]
    Unavailable,
    /// odmu_auth refused the credentials (a configuration mistake; retrying will not help).
    #[error(
        "odmu_auth rejected the service credentials ({error}); check SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET"
    )]
    Rejected {
        /// The RFC 6749 `error` code, e.g. `invalid_client`.
        error: String,
    },
    /// odmu_auth answered with a body that is not a token response.
    #[error("odmu_auth answered the token request with an unexpected body")]
    Malformed,
}

/// Service tokens for outgoing calls. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct ServiceTokens {
    inner: Arc<Inner>,
}

struct Inner {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    http: reqwest::Client,
    cached: SyncMutex<Option<Cached>>,
    /// Held while fetching, so concurrent callers share one fetch; keeps the last failure so
    /// callers that waited for a failed fetch get its error rather than starting another.
    fetching: Mutex<Option<Failure>>,
}

struct Cached {
    token: String,
    refresh_at: Instant,
    expires_at: Instant,
    fetched_at: Instant,
}

struct Failure {
    at: Instant,
    error: ServiceTokenError,
}

/// One attempt's failure, before retrying decides what the caller sees.
enum Attempt {
    Transient(String),
    Final(ServiceTokenError),
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl ServiceTokens {
    /// A client for `config`; the first token is fetched on first use.
    pub fn new(config: ServiceTokenConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .user_agent(concat!("odmu/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                token_url: format!("{}{TOKEN_PATH}", config.auth_url),
                client_id: config.client_id,
                client_secret: config.client_secret,
                http,
                cached: SyncMutex::new(None),
                fetching: Mutex::new(None),
            }),
        }
    }

    /// An access token for `Authorization: Bearer`, from the cache or freshly fetched.
    pub async fn bearer(&self) -> Result<String, ServiceTokenError> {
        let asked_at = Instant::now();
        if let Some(token) = self.inner.cached_token(asked_at) {
            return Ok(token);
        }
        let mut last_failure = self.inner.fetching.lock().await;
        // Whoever held the lock may have just fetched (or failed) on our behalf.
        if let Some(token) = self.inner.cached_token(asked_at) {
            return Ok(token);
        }
        if let Some(failure) = &*last_failure
            && failure.at >= asked_at
        {
            return self.inner.still_valid_or(failure.error.clone());
        }
        match self.inner.fetch().await {
            Ok(token) => {
                *last_failure = None;
                Ok(token)
            }
            Err(error) => {
                *last_failure = Some(Failure {
                    at: Instant::now(),
                    error: error.clone(),
                });
                self.inner.still_valid_or(error)
            }
        }
    }

    /// Drops the cached token, so the next [`ServiceTokens::bearer`] fetches a new one: call it
    /// when another service answered 401 to the current token.
    pub fn invalidate(&self) {
        *self.inner.cache() = None;
    }
}

impl odmu_http::Bearer for ServiceTokens {
    fn bearer(&self) -> odmu_http::BoxFuture<'_, Result<String, odmu_http::BoxError>> {
        Box::pin(async move { Ok(ServiceTokens::bearer(self).await?) })
    }

    fn invalidate(&self) {
        ServiceTokens::invalidate(self);
    }
}

impl fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceTokens")
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn cache(&self) -> std::sync::MutexGuard<'_, Option<Cached>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token if it is outside the refresh margin, or was fetched while this caller
    /// waited (even a short-lived one: the fetch was made for it).
    fn cached_token(&self, asked_at: Instant) -> Option<String> {
        let now = Instant::now();
        self.cache()
            .as_ref()
            .filter(|c| now < c.refresh_at || (c.fetched_at >= asked_at && now < c.expires_at))
            .map(|c| c.token.clone())
    }

    /// When odmu_auth is unreachable, a token inside the refresh margin but not yet expired
    /// still works: better than failing the call. Any other error is returned.
    fn still_valid_or(&self, error: ServiceTokenError) -> Result<String, ServiceTokenError> {
        if error == ServiceTokenError::Unavailable
            && let Some(c) = self.cache().as_ref()
            && Instant::now() < c.expires_at
        {
            tracing::warn!("odmu_auth unavailable; using the service token until it expires");
            return Ok(c.token.clone());
        }
        Err(error)
    }

    /// Fetches a token, retrying transient failures with backoff within the budget.
    async fn fetch(&self) -> Result<String, ServiceTokenError> {
        let started = Instant::now();
        let backoff = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(2))
            .with_jitter()
            .without_max_times()
            .with_total_delay(Some(RETRY_BUDGET));
        let result = (|| self.attempt())
            .retry(backoff)
            .when(|e| matches!(e, Attempt::Transient(_)))
            // Attempts take time too: stop once the next one would start after the budget.
            .adjust(|_, delay| delay.filter(|d| started.elapsed() + *d < RETRY_BUDGET))
            .notify(|e, delay| {
                if let Attempt::Transient(reason) = e {
                    tracing::warn!(%reason, retry_in = ?delay, "service token fetch failed; retrying");
                }
            })
            .await;
        match result {
            Ok(token) => Ok(token),
            Err(Attempt::Transient(reason)) => {
                tracing::warn!(%reason, url = %self.token_url, "odmu_auth unavailable; giving up");
                Err(ServiceTokenError::Unavailable)
            }
            Err(Attempt::Final(error)) => Err(error),
        }
    }

    /// One request to the token endpoint; a success is cached before it is returned.
    async fn attempt(&self) -> Result<String, Attempt> {
        let sent_at = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose()),
            ])
            .send()
            .await
            .map_err(|e| Attempt::Transient(e.to_string()))?;
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(Attempt::Transient(format!("odmu_auth answered {status}")));
        }
        if !status.is_success() {
            return Err(Attempt::Final(
                match response.json::<ErrorResponse>().await {
                    Ok(e) => {
                        tracing::error!(
                            %status,
                            error = %e.error,
                            description = e.error_description.as_deref().unwrap_or(""),
                            client_id = %self.client_id,
                            "odmu_auth rejected the service credentials"
                        );
                        ServiceTokenError::Rejected { error: e.error }
                    }
                    Err(_) => {
                        tracing::error!(%status, "odmu_auth refused the token request without an RFC 6749 error");
                        ServiceTokenError::Malformed
                    }
                },
            ));
        }
        let body = response.bytes().await.map_err(|e| {
            // The status came, the body did not: a broken connection, worth another try.
            Attempt::Transient(e.to_string())
        })?;
        let token = serde_json::from_slice::<TokenResponse>(&body)
            .ok()
            .filter(|t| t.token_type.eq_ignore_ascii_case("bearer") && !t.access_token.is_empty())
            .ok_or_else(|| {
                tracing::error!("odmu_auth's token response is not a bearer token response");
                Attempt::Final(ServiceTokenError::Malformed)
            })?;
        let lifetime = Duration::from_secs(token.expires_in);
        let margin = MIN_REFRESH_MARGIN.max(lifetime / 10);
        let expires_at = sent_at + lifetime;
        tracing::debug!(expires_in = token.expires_in, "service token fetched");
        *self.cache() = Some(Cached {
            token: token.access_token.clone(),
            refresh_at: expires_at.checked_sub(margin).unwrap_or(sent_at),
            expires_at,
            fetched_at: Instant::now(),
        });
        Ok(token.access_token)
    }
}
