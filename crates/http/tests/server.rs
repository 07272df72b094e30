//! Graceful shutdown and outgoing calls, over real sockets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use odmu_http::{Json, ServiceClient, Shutdown};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tracing_subscriber::layer::SubscriberExt as _;

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    (listener, base)
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_completes_while_readiness_turns_503() {
    let draining = Arc::new(AtomicBool::new(false));
    let router = Router::new()
        .route(
            "/svc/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(800)).await;
                "done"
            }),
        )
        .route(
            "/svc/ready",
            get(|State(d): State<Arc<AtomicBool>>| async move {
                if d.load(Ordering::SeqCst) {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }),
        )
        .with_state(draining.clone());
    let router = odmu_http::with_common_layers(router, Duration::from_secs(5));
    let (listener, base) = bind().await;
    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel::<()>();
    let flag = draining.clone();
    let shutdown = Shutdown::on(async move {
        let _ = signal_rx.await;
    })
    .first(move || flag.store(true, Ordering::SeqCst))
    .delay(Duration::from_millis(400));
    let server = tokio::spawn(odmu_http::serve(listener, router, shutdown));

    let http = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let (http, url) = (http.clone(), format!("{base}/svc/slow"));
        async move { http.get(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    signal_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    // During the drain delay new connections are still served, and readiness says 503.
    let ready = reqwest::Client::new()
        .get(format!("{base}/svc/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);

    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "done");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("drains and returns")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("{base}/svc/ready")).await.is_err(),
        "closed after the drain"
    );
}

#[tokio::test]
async fn a_slow_handler_is_cut_by_the_timeout_with_a_503_problem() {
    let router = Router::new().route(
        "/svc/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }),
    );
    let router = odmu_http::with_common_layers(router, Duration::from_millis(200));
    let (listener, base) = bind().await;
    tokio::spawn(odmu_http::serve(
        listener,
        router,
        Shutdown::on(std::future::pending()),
    ));
    let res = reqwest::get(format!("{base}/svc/stuck")).await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn outgoing_calls_carry_the_request_id_and_the_trace_context() {
    let provider = odmu_telemetry::tracer_provider("test", None).unwrap();
    let subscriber =
        tracing_subscriber::registry().with(odmu_telemetry::otel_layer(&provider, "test"));
    let _guard = tracing::subscriber::set_default(subscriber);

    // B reports the headers it received.
    let b = Router::new().route(
        "/b/v1/headers",
        get(|headers: HeaderMap| async move {
            let get = |n: &str| {
                headers
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            Json(json!({"request_id": get("x-request-id"), "traceparent": get("traceparent")}))
        }),
    );
    let (listener, b_url) = bind().await;
    tokio::spawn(odmu_http::serve(
        listener,
        b,
        Shutdown::on(std::future::pending()),
    ));

    // A calls B while serving a request.
    let client = ServiceClient::new("b", &b_url);
    let a = Router::new()
        .route(
            "/a/v1/call",
            get(|State(client): State<ServiceClient>| async move {
                let seen: Value = client
                    .send_json(client.request(Method::GET, "/b/v1/headers"))
                    .await
                    .map_err(odmu_http::Problem::from)?;
                Ok::<_, odmu_http::Problem>(Json(seen))
            }),
        )
        .with_state(client);
    let a = odmu_http::with_common_layers(a, Duration::from_secs(5));
    let (listener, a_url) = bind().await;
    tokio::spawn(odmu_http::serve(
        listener,
        a,
        Shutdown::on(std::future::pending()),
    ));

    let seen: Value = reqwest::Client::new()
        .get(format!("{a_url}/a/v1/call"))
        .header("x-request-id", "req-42")
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["request_id"], "req-42");
    let tp = seen["traceparent"].as_str().unwrap();
    assert!(
        tp.starts_with("00-0af7651916cd43dd8448eb211c80319c-"),
        "{tp}"
    );
    assert!(!tp.contains("b7ad6b7169203331"), "a child span: {tp}");
}

#[tokio::test]
async fn an_unreachable_dependency_is_a_503_problem_not_a_500() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = ServiceClient::new("billing", &dead);
    let err = client
        .send_json::<Value>(client.request(Method::GET, "/billing/health"))
        .await
        .unwrap_err();
    let problem = odmu_http::Problem::from(err);
    assert_eq!(problem.status, 503);
    assert!(problem.detail.unwrap().contains("billing"));
}
