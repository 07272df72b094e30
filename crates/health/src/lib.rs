//! `{prefix}/health` (liveness) and `{prefix}/ready` (readiness) with pluggable checks.
//!
//! Liveness has no dependencies: it answers 200 while the process can serve. Readiness answers
//! 503 while shutting down or while any check fails, so a load balancer stops routing here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use odmu_http::{Json, Problem};
use serde_json::{Map, Value, json};

/// A boxed future, as returned by [`Check::check`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One readiness condition (database reachable, migrations applied, ...).
pub trait Check: Send + Sync + 'static {
    /// Short name shown in the readiness answer.
    fn name(&self) -> &'static str;
    /// `Ok` when ready; `Err` with a reason safe to show to operators.
    fn check(&self) -> BoxFuture<'_, Result<(), String>>;
}

/// How long one check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Shared readiness state: a shutting-down flag and the registered checks. Cheap to clone.
#[derive(Clone, Default)]
pub struct Readiness {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    shutting_down: AtomicBool,
    checks: Vec<Arc<dyn Check>>,
}

impl Readiness {
    /// Readiness that runs these checks.
    pub fn new(checks: Vec<Arc<dyn Check>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                shutting_down: AtomicBool::new(false),
                checks,
            }),
        }
    }

    /// From now on readiness answers 503 (called as soon as the shutdown signal arrives).
    pub fn mark_shutting_down(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// Runs every check; the map holds `"ok"` or the failure per check.
    pub async fn evaluate(&self) -> (bool, Map<String, Value>) {
        let mut results = Map::new();
        let mut ready = !self.is_shutting_down();
        results.insert(
            "shutting_down".to_owned(),
            json!(if ready { "ok" } else { "shutting down" }),
        );
        // One or two cheap checks per service: run them in turn, each bounded.
        for check in &self.inner.checks {
            let name = check.name();
            let outcome = tokio::time::timeout(CHECK_TIMEOUT, check.check())
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {CHECK_TIMEOUT:?}")));
            match outcome {
                Ok(()) => results.insert(name.to_owned(), json!("ok")),
                Err(reason) => {
                    ready = false;
                    tracing::debug!(check = name, %reason, "not ready");
                    results.insert(name.to_owned(), json!(reason))
                }
            };
        }
        (ready, results)
    }
}

/// The two probe routes under `prefix`, for merging into a service's router.
pub fn routes<S: Clone + Send + Sync + 'static>(prefix: &str, readiness: Readiness) -> Router<S> {
    Router::new()
        .route(&format!("{prefix}/health"), get(health))
        .route(&format!("{prefix}/ready"), get(ready))
        .with_state(readiness)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn ready(State(readiness): State<Readiness>) -> Response {
    let (ok, checks) = readiness.evaluate().await;
    if ok {
        Json(json!({ "status": "ready", "checks": checks })).into_response()
    } else {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_detail("The service is not ready to take traffic.")
            .with_extension("checks", Value::Object(checks))
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::atomic::AtomicBool;
    use tower::ServiceExt as _;

    struct Flag(Arc<AtomicBool>);

    impl Check for Flag {
        fn name(&self) -> &'static str {
            "flag"
        }
        fn check(&self) -> BoxFuture<'_, Result<(), String>> {
            let up = self.0.load(Ordering::SeqCst);
            Box::pin(async move { if up { Ok(()) } else { Err("down".into()) } })
        }
    }

    async fn get_status(app: &Router, path: &str) -> (StatusCode, Value) {
        let res = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn readiness_follows_checks_and_shutdown_while_health_stays_ok() {
        let up = Arc::new(AtomicBool::new(true));
        let readiness = Readiness::new(vec![Arc::new(Flag(up.clone()))]);
        let app: Router = routes("/billing", readiness.clone());

        assert_eq!(get_status(&app, "/billing/ready").await.0, StatusCode::OK);

        up.store(false, Ordering::SeqCst);
        let (status, body) = get_status(&app, "/billing/ready").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["checks"]["flag"], "down");

        up.store(true, Ordering::SeqCst);
        readiness.mark_shutting_down();
        let (status, body) = get_status(&app, "/billing/ready").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["checks"]["shutting_down"], "shutting down");

        let (status, body) = get_status(&app, "/billing/health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, json!({"status": "ok"}));
    }
}
