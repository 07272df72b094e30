//! Request spans are named by the matched route, not the raw path, and carry the request id;
//! the request's log line carries status and latency.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use tower::ServiceExt as _;
use tower_http::trace::TraceLayer;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// Every field value any span got, as text.
#[derive(Clone, Default)]
struct Fields(Arc<Mutex<Vec<(String, String)>>>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .lock()
            .unwrap()
            .push((field.name().to_owned(), format!("{value:?}")));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Fields {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        attrs.record(&mut self.clone());
    }
    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        values.record(&mut self.clone());
    }
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        event.record(&mut self.clone());
    }
}

impl Fields {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn spans_are_named_by_route_and_the_log_line_has_status_latency_and_request_id() {
    let fields = Fields::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(fields.clone()));
    let app = Router::new()
        .route("/billing/v1/invoices/{id}", get(|| async { "ok" }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(odmu_telemetry::make_server_span::<Body>)
                .on_response(odmu_telemetry::on_response::<Body>),
        );
    let response = app
        .oneshot(
            Request::get("/billing/v1/invoices/7f1c")
                .header("x-request-id", "req-9")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(
        fields.get("otel.name").as_deref(),
        Some("GET /billing/v1/invoices/{id}")
    );
    assert_eq!(
        fields.get("http.route").as_deref(),
        Some("/billing/v1/invoices/{id}")
    );
    assert_eq!(fields.get("request_id").as_deref(), Some("req-9"));
    assert_eq!(
        fields.get("http.response.status_code").as_deref(),
        Some("200")
    );
    assert!(fields.get("latency_ms").is_some());
}
