//! `Idempotency-Key` for creating POSTs (DESIGN.md §5a, the IETF httpapi draft; Stripe's
//! idempotent requests are the model).
//!
//! A handler takes [`Idempotent<T>`] instead of `Json<T>` and runs its work through
//! [`Idempotent::run`]. Keys are scoped by the caller's `sub`, the method and the path, and
//! remembered with a SHA-256 fingerprint of the body:
//! - the same key and body again: the stored first answer, with `Idempotency-Replayed: true`;
//! - the same key with another body: `422`;
//! - the same key while the first request is still running: `409` with `Retry-After`;
//! - no key where one is required: `400`.
//!
//! The record is claimed with one conditional insert, so of any number of concurrent requests
//! with one key exactly one runs. Answers below 500 are stored; a 5xx (or a request that never
//! finished) releases the key so the client can retry. Records live `IDEMPOTENCY_TTL_H` (24)
//! hours; [`Idempotency::pruner`] deletes expired ones. The table lives in the service's own
//! database and is created at start-up on either backend.
//!
//! A process that dies between the handler's commit and storing the answer leaves a running
//! record; after [`STALE_AFTER`] a retry may run the handler again. Writes that must happen at
//! most once therefore also carry a unique constraint of their own (one payment per invoice,
//! one trip per rider and key), which this kit does not replace.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use odmu_authn::{Claims, Verifier};
use odmu_config::{ConfigError, Env};
use odmu_http::{BODY_LIMIT_BYTES, Problem};
use odmu_runtime::Worker;
use odmu_storage::{Backend, Db, StorageError, now_millis};
use serde::de::DeserializeOwned;

mod store;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The header set on a replayed answer.
pub const REPLAYED: &str = "idempotency-replayed";
/// Longest accepted key (Stripe's limit).
pub const KEY_MAX: usize = 255;
/// A record still running after this long belongs to a request that will never finish (its
/// process died); a retry may take it over.
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// Largest answer body stored for replay.
const ANSWER_LIMIT: usize = 1024 * 1024;

/// The kit's settings.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyConfig {
    /// `IDEMPOTENCY_TTL_H` (default 24): how long keys are remembered.
    pub ttl: Duration,
}

impl IdempotencyConfig {
    /// Reads `IDEMPOTENCY_TTL_H` (1 to 720).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let hours: u64 = env.parse_or("IDEMPOTENCY_TTL_H", 24)?;
        if !(1..=720).contains(&hours) {
            return Err(ConfigError::invalid(
                "IDEMPOTENCY_TTL_H",
                "must be 1 to 720",
            ));
        }
        Ok(Self {
            ttl: Duration::from_secs(hours * 3600),
        })
    }
}

impl Default for IdempotencyConfig {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// The kit on one service's database. Cheap to clone; reach it from the state with `FromRef`.
#[derive(Clone)]
pub struct Idempotency {
    db: Db,
    verifier: Verifier,
    config: IdempotencyConfig,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Idempotency {
    /// Creates the kit's table if it is missing (safe when several tasks start at once).
    pub async fn install(
        db: Db,
        verifier: Verifier,
        config: IdempotencyConfig,
    ) -> Result<Self, StorageError> {
        store::create_table(&db).await?;
        Ok(Self {
            db,
            verifier,
            config,
        })
    }

    /// The worker that deletes expired keys, every ten minutes.
    pub fn pruner(&self) -> Worker {
        let db = self.db.clone();
        Worker::every("idempotency-pruner", Duration::from_secs(600), move || {
            let db = db.clone();
            async move {
                match store::prune(&db, now_millis()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired idempotency keys pruned"),
                    Err(e) => tracing::warn!(error = %e, "pruning idempotency keys failed"),
                }
            }
        })
    }

    /// Deletes keys expired at `now_ms` (the pruner's work, for tests that move time).
    pub async fn prune(&self, now_ms: i64) -> Result<u64, StorageError> {
        store::prune(&self.db, now_ms).await
    }
}

/// A JSON body taken under an `Idempotency-Key` (required): the handler does its work in
/// [`Idempotent::run`]. Take it after the `Auth<_>` extractor.
pub struct Idempotent<T> {
    /// The parsed body.
    pub body: T,
    claim: Claim,
}

/// The claim on one key, released if the request never finishes.
struct Claim {
    kit: Idempotency,
    scope: String,
    key: String,
    finished: bool,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The handler was cancelled (the client went away) or panicked: free the key.
        let (db, scope, key) = (self.kit.db.clone(), self.scope.clone(), self.key.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = store::release(&db, &scope, &key).await;
            });
        }
    }
}

impl<T> Idempotent<T> {
    /// Runs the handler's work once for this key and stores its answer for replays.
    pub async fn run<F, Fut, R>(mut self, work: F) -> Response
    where
        F: FnOnce(T) -> Fut,
        Fut: Future<Output = R>,
        R: IntoResponse,
    {
        let response = work(self.body).await.into_response();
        let claim = &mut self.claim;
        claim.finished = true;
        let (parts, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, ANSWER_LIMIT).await {
            Ok(b) => b,
            Err(e) => {
                let _ = store::release(&claim.kit.db, &claim.scope, &claim.key).await;
                return Problem::internal(format!("answer too large to keep: {e}")).into_response();
            }
        };
        let stored = if parts.status.is_server_error() {
            store::release(&claim.kit.db, &claim.scope, &claim.key).await
        } else {
            let answer = store::Answer {
                status: i64::from(parts.status.as_u16()),
                content_type: header_text(&parts.headers, header::CONTENT_TYPE),
                location: header_text(&parts.headers, header::LOCATION),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            };
            store::finish(&claim.kit.db, &claim.scope, &claim.key, &answer).await
        };
        if let Err(e) = stored {
            // The work is done and answered; a replay may not find it (logged).
            tracing::error!(error = %e, "cannot store the idempotent answer");
        }
        Response::from_parts(parts, Body::from(bytes))
    }
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl<S, T> FromRequest<S> for Idempotent<T>
where
    Idempotency: FromRef<S>,
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let kit = Idempotency::from_ref(state);
        let (mut parts, body) = request.into_parts();
        let key = idempotency_key(&parts.headers).map_err(IntoResponse::into_response)?;
        let sub = match parts.extensions.get::<Claims>() {
            Some(claims) => claims.sub.clone(),
            None => {
                let token = odmu_authn::bearer_token(&parts.headers)
                    .map_err(|e| Problem::from(e).into_response())?;
                let claims = kit
                    .verifier
                    .verify(token)
                    .await
                    .map_err(|e| Problem::from(e).into_response())?;
                parts.extensions.insert(claims.clone());
                claims.sub
            }
        };
        let bytes = axum::body::to_bytes(body, BODY_LIMIT_BYTES)
            .await
            .map_err(|_| {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                    .with_detail(format!(
                        "The body is larger than the limit of {BODY_LIMIT_BYTES} bytes."
                    ))
                    .into_response()
            })?;
        // Parse before claiming: a body that is not valid is answered without using the key.
        let request = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        let odmu_http::Json(body) = odmu_http::Json::<T>::from_request(request, &())
            .await
            .map_err(IntoResponse::into_response)?;
        // Paths name resources by ids that read the same in any case (UUIDs); routes are
        // lower case. So the scope is the lower-case path: `/INVOICES/ABC...` and
        // `/invoices/abc...` are one resource and one key.
        let scope = format!(
            "{sub} {} {}",
            parts.method,
            parts.uri.path().to_ascii_lowercase()
        );
        let fingerprint = fingerprint(&parts.method, &bytes);
        claim(&kit, &scope, &key, &fingerprint).await?;
        Ok(Self {
            body,
            claim: Claim {
                kit,
                scope,
                key,
                finished: false,
            },
        })
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Problem> {
    let values: Vec<&HeaderValue> = headers.get_all(HEADER).iter().collect();
    let value = match values.as_slice() {
        [] => {
            return Err(Problem::bad_request(
                "This request needs an `Idempotency-Key` header: a unique value per operation \
                 (a UUID), sent again unchanged when the request is retried.",
            )
            .with_field_error("Idempotency-Key", "is required"));
        }
        [one] => *one,
        _ => {
            return Err(Problem::bad_request("Send one `Idempotency-Key` header.")
                .with_field_error("Idempotency-Key", "appears more than once"));
        }
    };
    let key = value.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            Problem::bad_request("The `Idempotency-Key` is not valid.").with_field_error(
                "Idempotency-Key",
                format!("must be 1 to {KEY_MAX} visible ASCII characters"),
            ),
        );
    }
    Ok(key.to_owned())
}

fn fingerprint(method: &Method, body: &Bytes) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(method.as_str().as_bytes());
    ctx.update(b"\n");
    ctx.update(body);
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Claims the key for this request, or answers for it (replay, 409, 422).
async fn claim(
    kit: &Idempotency,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> Result<(), Response> {
    let internal = |e: StorageError| Problem::internal(e).into_response();
    // Two rounds at most: the second after clearing an expired record.
    for _ in 0..2 {
        let now = now_millis();
        let ttl_ms = i64::try_from(kit.config.ttl.as_millis()).unwrap_or(i64::MAX);
        if store::insert(
            &kit.db,
            scope,
            key,
            fingerprint,
            now,
            now.saturating_add(ttl_ms),
        )
        .await
        .map_err(internal)?
        {
            return Ok(());
        }
        let Some(found) = store::get(&kit.db, scope, key).await.map_err(internal)? else {
            continue; // released meanwhile: try again
        };
        if found.expires_at_ms <= now {
            store::delete_expired(&kit.db, scope, key, now)
                .await
                .map_err(internal)?;
            continue;
        }
        if found.fingerprint != fingerprint {
            return Err(Problem::unprocessable(
                "This Idempotency-Key was used with another request body; use a new key for \
                 a new operation.",
            )
            .with_field_error("Idempotency-Key", "was used with another body")
            .into_response());
        }
        let stale_ms = i64::try_from(STALE_AFTER.as_millis()).unwrap_or(i64::MAX);
        if let Some(answer) = found.answer {
            return Err(replay(answer));
        }
        let stale = found.locked_at_ms < now - stale_ms;
        if stale
            && store::take_over(&kit.db, scope, key, found.locked_at_ms, now)
                .await
                .map_err(internal)?
        {
            return Ok(());
        }
        return Err(Problem::conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
        .into_response());
    }
    Err(
        Problem::conflict("This Idempotency-Key is changing hands; retry shortly.")
            .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            .into_response(),
    )
}

fn replay(answer: store::Answer) -> Response {
    let status = u16::try_from(answer.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, answer.content_type),
        (header::LOCATION, answer.location),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    }
    headers.insert(
        HeaderName::from_static(REPLAYED),
        HeaderValue::from_static("true"),
    );
    response
}

/// The PostgreSQL advisory lock key of the kit's table creation.
fn ddl_lock_key(backend: Backend) -> Option<i64> {
    (backend == Backend::Postgres).then_some(0x6f64_6d75_6964_656d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_required_single_and_bounded() {
        let mut h = HeaderMap::new();
        assert_eq!(idempotency_key(&h).unwrap_err().status, 400);
        h.insert(HEADER, HeaderValue::from_static("abc-123"));
        assert_eq!(idempotency_key(&h).unwrap(), "abc-123");
        h.append(HEADER, HeaderValue::from_static("other"));
        assert_eq!(idempotency_key(&h).unwrap_err().status, 400);
        let mut h = HeaderMap::new();
        h.insert(HEADER, HeaderValue::from_str(&"k".repeat(256)).unwrap());
        assert!(idempotency_key(&h).is_err());
        h.insert(HEADER, HeaderValue::from_static("a b"));
        assert!(idempotency_key(&h).is_err());
    }

    #[test]
    fn the_fingerprint_covers_method_and_body() {
        let a = fingerprint(&Method::POST, &Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            fingerprint(&Method::POST, &Bytes::from_static(b"{\"a\":2}"))
        );
        assert_ne!(
            a,
            fingerprint(&Method::PUT, &Bytes::from_static(b"{\"a\":1}"))
        );
    }
}
