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
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                request_timeout,
            ))
            .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
            .layer(middleware::from_fn(read_whole_body)),
    )
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
/// connection at that moment gets a reset instead of an answer.
async fn read_whole_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
            .with_detail(format!(
                "The body is larger than the limit of {BODY_LIMIT_BYTES} bytes."
            ))
            .into_response(),
    }
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    Problem::internal("handler panicked").into_response()
}
