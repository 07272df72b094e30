//! The middleware every service runs, assembled in one place.

use std::any::Any;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use odmu_telemetry::{make_server_span, on_response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::{Problem, REQUEST_ID_HEADER};

/// Largest request body any endpoint accepts (DESIGN.md §3).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

tokio::task_local! {
    /// The id of the request being served, for outgoing calls made while serving it.
    static REQUEST_ID: String;
}

/// The id of the request this task is serving, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Adds the 404 problem+json fallback and the common layers, outermost first: request id
/// (accepted or generated), request span and log line, request id echoed, the id in scope and
/// problem+json for bare error answers, panics as 500, the request timeout, and the body limit.
pub fn with_common_layers(router: Router, request_timeout: Duration) -> Router {
    router.fallback(not_found).layer(
        ServiceBuilder::new()
            .map_request(drop_unsafe_request_id)
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(make_server_span::<Body>)
                    .on_request(())
                    .on_response(on_response::<Body>),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(middleware::from_fn(request_scope))
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(middleware::from_fn_with_state(
                request_timeout,
                read_whole_body,
            ))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                request_timeout,
            ))
            .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES)),
    )
}

/// The longest `x-request-id` kept; a longer one, or one with a character outside
/// `A-Z a-z 0-9 . _ : -`, is replaced by a generated one (it is echoed, logged and passed on).
pub const REQUEST_ID_MAX: usize = 128;

/// Whether a client's request id is kept as it is.
pub fn is_safe_request_id(id: &[u8]) -> bool {
    (1..=REQUEST_ID_MAX).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn drop_unsafe_request_id(mut request: Request) -> Request {
    let headers = request.headers_mut();
    if headers
        .get_all(REQUEST_ID_HEADER)
        .iter()
        .enumerate()
        .any(|(i, v)| i > 0 || !is_safe_request_id(v.as_bytes()))
    {
        headers.remove(REQUEST_ID_HEADER);
    }
    request
}

/// Answer for any path outside the service's routes.
pub async fn not_found(uri: Uri) -> Problem {
    Problem::not_found("There is nothing at this path.").with_instance(uri.path())
}

/// Serves the request with its id in scope (for outgoing calls), and gives error answers made
/// below our handlers (405 from the router, the timeout's 503, ...), which come without a body,
/// the project's format, so clients parse one shape only. One middleware for both: each layer
/// of `from_fn` costs a boxed future per request.
async fn request_scope(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let path = request.uri().path().to_owned();
    let response = REQUEST_ID.scope(id, next.run(request)).await;
    problem_for_bare_error(&path, response)
}

fn problem_for_bare_error(path: &str, response: Response) -> Response {
    let status = response.status();
    let is_error = status.is_client_error() || status.is_server_error();
    if !is_error || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut problem = Problem::new(status).with_instance(path);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        problem = problem.with_detail("The request took too long and was abandoned.");
    }
    let mut fresh = problem.into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name, value.clone());
        }
    }
    fresh
}

/// Reads every request body (at most the limit) before the handler runs. A handler that
/// answers without reading the body (a 401 before the JSON) would otherwise leave hyper to
/// close the connection after the answer, and a proxy or client that reuses its pooled
/// connection at that moment gets a reset instead of an answer. Outside the request timeout:
/// a body that stops short of its `Content-Length` is the client's 408, not our 503.
async fn read_whole_body(
    axum::extract::State(timeout): axum::extract::State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(timeout, read_body(body, BODY_LIMIT_BYTES)).await {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) => e.problem().into_response(),
        Err(_) => BodyError::TimedOut(timeout).problem().into_response(),
    }
}

/// The most of a refused body that is still read (and dropped) so that a client still
/// sending it gets the answer, not a reset; beyond it the connection is closed.
pub const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

/// Why a request body was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Over the limit.
    TooLarge(usize),
    /// The client went away or sent a malformed chunk.
    Unreadable,
    /// It did not arrive within this long.
    TimedOut(Duration),
}

impl BodyError {
    /// The client's 4xx for it.
    pub fn problem(self) -> Problem {
        match self {
            Self::TooLarge(limit) => Problem::new(StatusCode::PAYLOAD_TOO_LARGE).with_detail(
                format!("The body is larger than the limit of {limit} bytes."),
            ),
            Self::Unreadable => Problem::bad_request("The body could not be read."),
            Self::TimedOut(after) => Problem::new(StatusCode::REQUEST_TIMEOUT)
                .with_detail(format!(
                    "The body did not arrive within {} s.",
                    after.as_secs_f64()
                ))
                .with_header(
                    header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                ),
        }
    }
}

/// The whole of `body`, at most `limit` bytes. A larger one is read on (and dropped) up to
/// [`DRAIN_LIMIT_BYTES`] before it is refused, so that the client, still sending, reads the
/// 413 instead of a reset.
pub async fn read_body(mut body: Body, limit: usize) -> Result<axum::body::Bytes, BodyError> {
    use http_body_util::BodyExt as _;
    let mut whole = Vec::new();
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Unreadable);
        };
        let Some(data) = frame.data_ref() else {
            continue;
        };
        read = read.saturating_add(data.len());
        if read > DRAIN_LIMIT_BYTES {
            return Err(BodyError::TooLarge(limit));
        }
        if read <= limit {
            whole.extend_from_slice(data);
        }
    }
    if read > limit {
        return Err(BodyError::TooLarge(limit));
    }
    Ok(whole.into())
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    Problem::internal("handler panicked").into_response()
}
