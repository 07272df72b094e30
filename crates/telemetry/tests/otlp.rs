//! With an endpoint, spans really leave the process over OTLP/HTTP: a collector served by the
//! test receives them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use tracing_subscriber::layer::SubscriberExt as _;

#[test]
fn spans_are_exported_to_the_otlp_endpoint_when_one_is_set() {
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    // The collector runs on its own runtime thread; the exporter uses its own blocking client.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let endpoint = runtime.block_on(async move {
        let collector = Router::new().route(
            "/v1/traces",
            post(move |headers: HeaderMap, body: Bytes| async move {
                assert_eq!(headers["content-type"], "application/x-protobuf");
                assert!(!body.is_empty());
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, collector).await.unwrap() });
        format!("http://{addr}")
    });

    let provider = odmu_telemetry::tracer_provider("billing", Some(&endpoint)).unwrap();
    let subscriber =
        tracing_subscriber::registry().with(odmu_telemetry::otel_layer(&provider, "test"));
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request", otel.name = "GET /billing/v1/invoices");
        let _entered = span.enter();
        tracing::info!("inside");
    });
    provider.force_flush().unwrap();
    assert!(
        received.load(Ordering::SeqCst) >= 1,
        "the collector got the spans"
    );
    provider.shutdown().unwrap();
}

#[test]
fn without_an_endpoint_nothing_is_exported_and_spans_still_get_ids() {
    let provider = odmu_telemetry::tracer_provider("billing", None).unwrap();
    let subscriber =
        tracing_subscriber::registry().with(odmu_telemetry::otel_layer(&provider, "test"));
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request");
        let _entered = span.enter();
        let mut headers = http::HeaderMap::new();
        odmu_telemetry::inject_trace_context(&mut headers);
        assert!(headers.contains_key("traceparent"));
    });
    provider.force_flush().unwrap();
}
