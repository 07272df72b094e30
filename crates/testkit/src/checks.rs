//! The conformance checks every service passes; [`crate::conformance_tests!`] runs each as a
//! test of the service's own suite.

use std::time::Duration;

use axum::Router;
use axum::routing::post;
use odmu_http::Json;
use odmu_runtime::App;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ServiceProcess, TestApp};

/// A body shape for the echo route the checks add: the services' domain endpoints come with
/// later issues, and the body rules (limit, JSON, content type, unknown fields) are the same
/// layers and extractors for every route.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Echo {
    text: String,
}

fn echo_route(prefix: &str) -> Router {
    Router::new().route(
        &format!("{prefix}/v1/conformance/echo"),
        post(|Json(e): Json<Echo>| async move { Json(e) }),
    )
}

async fn spawn<A: App>() -> TestApp {
    let identity = crate::TestIdentity::start().await;
    TestApp::spawn_with::<A>(&identity, &[], Some(echo_route(A::SERVICE.prefix))).await
}

/// Asserts a problem+json answer with this status, and returns its body.
pub async fn expect_problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "problem+json"
    );
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], status);
    assert!(
        body["title"].is_string() && body["type"].is_string(),
        "{body}"
    );
    body
}

/// `{prefix}/health` is 200 `{"status":"ok"}`.
pub async fn health_is_ok<A: App>() {
    let app = spawn::<A>().await;
    let res = app
        .http
        .get(app.raw_url(&A::SERVICE.health_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );
}

/// `{prefix}/ready` is 200 with a migrated database, and 503 once it is unreachable.
pub async fn ready_follows_the_database<A: App>() {
    let app = spawn::<A>().await;
    let ready = app.raw_url(&A::SERVICE.ready_path());
    let res = app.http.get(&ready).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.json::<Value>().await.unwrap()["checks"]["database"],
        "ok"
    );

    app.db().close().await;
    let body = expect_problem(app.http.get(&ready).send().await.unwrap(), 503).await;
    assert_eq!(body["checks"]["database"], "unreachable");
    // Liveness does not depend on the database.
    let res = app
        .http
        .get(app.raw_url(&A::SERVICE.health_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// `{prefix}/openapi.json` is an OpenAPI 3.1 document that lists the probes.
pub async fn openapi_document_is_valid<A: App>() {
    let app = spawn::<A>().await;
    let s = A::SERVICE;
    let res = app
        .http
        .get(app.raw_url(&s.openapi_path()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1"), "openapi {version}");
    assert_eq!(doc["info"]["title"], s.name);
    assert!(doc["info"]["version"].is_string());
    for path in [s.health_path(), s.ready_path(), s.openapi_path()] {
        assert!(doc["paths"][&path]["get"].is_object(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // The kit refuses control characters in every text field: the document says so on every
    // string a request may carry (a pattern, or a format or enum of its own).
    let mut bare = Vec::new();
    let mut requests = doc.clone();
    if let Some(schemas) = requests["components"]["schemas"].as_object_mut() {
        schemas.remove("Problem");
        schemas.remove("FieldError");
    }
    bare_strings(&requests, "", &mut bare);
    assert!(bare.is_empty(), "strings without the text rule: {bare:?}");
    // Every path the document lists is served under the prefix.
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(s.owns(path), "{path} outside {}", s.prefix);
    }
    // The docs page serves Swagger UI, from the binary, pointed at this document.
    let res = app
        .http
        .get(app.raw_url(&format!("{}/", s.docs_path())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger-ui"));
    let res = app
        .http
        .get(app.raw_url(&format!("{}/swagger-initializer.js", s.docs_path())))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains(&s.openapi_path()));
}

fn bare_strings(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("string")
                && !["pattern", "format", "enum", "const"]
                    .iter()
                    .any(|k| map.contains_key(*k))
            {
                found.push(at.to_owned());
            }
            for (k, v) in map {
                bare_strings(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                bare_strings(v, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// `x-request-id` is echoed when sent and generated when absent.
pub async fn request_id_is_echoed_or_generated<A: App>() {
    let app = spawn::<A>().await;
    let url = app.raw_url(&A::SERVICE.health_path());
    let res = app
        .http
        .get(&url)
        .header("x-request-id", "req-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "req-abc-123");
    let res = app.http.get(&url).send().await.unwrap();
    let generated = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    // Errors carry it too.
    let res = app.http.get(app.raw_url("/nowhere")).send().await.unwrap();
    assert!(res.headers().contains_key("x-request-id"));
    // Finding: any id was echoed and logged verbatim, up to 8000 characters. One too long,
    // or outside A-Z a-z 0-9 . _ : -, is replaced by a generated one.
    for unsafe_id in [
        "x".repeat(129),
        "<script>alert(1)</script>".to_owned(),
        "a b".to_owned(),
    ] {
        let res = app
            .http
            .get(&url)
            .header("x-request-id", &unsafe_id)
            .send()
            .await
            .unwrap();
        let echoed = res.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(
            echoed.len(),
            36,
            "{unsafe_id:?} replaced by a UUID: {echoed}"
        );
    }
}

/// Finding: a body shorter than its `Content-Length` got 503 when the request timed out; it
/// is the client's 408. And control characters in any JSON string are a 422 naming the field.
pub async fn truncated_bodies_are_408_and_control_characters_422<A: App>() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let identity = crate::TestIdentity::start().await;
    let app = TestApp::spawn_with::<A>(
        &identity,
        &[("REQUEST_TIMEOUT_MS", "300")],
        Some(echo_route(A::SERVICE.prefix)),
    )
    .await;
    let path = format!("{}/v1/conformance/echo", A::SERVICE.prefix);
    let authority = app.base_url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"text\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 12];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut answer))
        .await
        .expect("an answer before the client gives up")
        .unwrap();
    assert_eq!(
        &answer,
        b"HTTP/1.1 408",
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let url = app.raw_url(&path);
    for text in [r"\u0000abc", r"line\u001b[31m", r"\u0085"] {
        let res = app
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(format!(r#"{{"text":"{text}"}}"#))
            .send()
            .await
            .unwrap();
        let body = expect_problem(res, 422).await;
        assert_eq!(body["errors"][0]["field"], "text", "{text}");
    }
    // Lines and tabs are text.
    let res = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"{"text":"two\nlines\tand a tab"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// Paths outside the service's routes are 404 problem+json; a wrong method is 405.
pub async fn unknown_routes_are_404_problems<A: App>() {
    let app = spawn::<A>().await;
    let prefix = A::SERVICE.prefix;
    for path in [
        "/".to_owned(),
        "/unknown".to_owned(),
        format!("{prefix}x/health"),
        format!("{prefix}/v1/no-such-thing"),
    ] {
        let body =
            expect_problem(app.http.get(app.raw_url(&path)).send().await.unwrap(), 404).await;
        assert_eq!(body["instance"], path.as_str());
    }
    let res = app
        .http
        .delete(app.raw_url(&A::SERVICE.health_path()))
        .send()
        .await
        .unwrap();
    expect_problem(res, 405).await;
}

/// Bodies: over 64 KiB is 413, bad JSON 400, wrong content type 415, unknown field 422.
pub async fn bad_bodies_are_4xx_problems<A: App>() {
    let app = spawn::<A>().await;
    let url = app.raw_url(&format!("{}/v1/conformance/echo", A::SERVICE.prefix));
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(&url)
            .header("content-type", content_type)
            .body(body)
    };

    let ok = post(br#"{"text":"hi"}"#.to_vec(), "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(70 * 1024)).into_bytes();
    expect_problem(post(big, "application/json").send().await.unwrap(), 413).await;

    let body = expect_problem(
        post(b"{\"text\":".to_vec(), "application/json")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    expect_problem(
        post(br#"{"text":"hi"}"#.to_vec(), "text/plain")
            .send()
            .await
            .unwrap(),
        415,
    )
    .await;

    let body = expect_problem(
        post(
            br#"{"text":"hi","admin":true}"#.to_vec(),
            "application/json",
        )
        .send()
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("admin"),
        "{body}"
    );

    let body = expect_problem(
        post(br#"{"text":5}"#.to_vec(), "application/json")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "text", "{body}");
}

/// The real binary: on SIGTERM readiness turns 503 at once while liveness stays 200 during
/// the drain, and the process exits 0.
pub async fn sigterm_drains_and_exits_zero<A: App>(binary: &str) {
    let database = odmu_storage::TestDatabase::new().await;
    let mut process = ServiceProcess::start(
        binary,
        &[
            ("DATABASE_URL", database.url()),
            ("SHUTDOWN_DELAY_MS", "1500"),
        ],
    )
    .await;
    let http = reqwest::Client::new();
    let health = format!("{}{}", process.base_url, A::SERVICE.health_path());
    let ready = format!("{}{}", process.base_url, A::SERVICE.ready_path());
    assert_eq!(http.get(&ready).send().await.unwrap().status(), 200);

    process.terminate();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1000);
    let mut saw_503 = false;
    while tokio::time::Instant::now() < deadline {
        let r = http.get(&ready).send().await.unwrap();
        if r.status() == 503 {
            saw_503 = true;
            assert_eq!(http.get(&health).send().await.unwrap().status(), 200);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saw_503, "readiness answers 503 during the drain");
    assert_eq!(process.wait(Duration::from_secs(15)).await, Some(0));
}

/// The real binary stopped while it is still starting (its database not reachable yet, as
/// when ECS stops a task that never became healthy) exits 0 at once: neither killed by the
/// signal's default action nor waiting out its database retries.
pub async fn sigterm_while_starting_exits_zero(binary: &str) {
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("AUTH_URL", crate::NOWHERE)
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:9/none")
        .env("DATABASE_CONNECT_PATIENCE_MS", "60000")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the service binary");
    // Long enough to be retrying the database, where a slow start spends its time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = child.id().expect("still running") as i32;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .expect("exits within 5 s of SIGTERM")
        .expect("wait");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

/// `<binary> healthcheck` exits 0 while the service on `PORT` is healthy and 1 once it is gone.
pub async fn healthcheck_argument_follows_the_service<A: App>(binary: &str) {
    let database = odmu_storage::TestDatabase::new().await;
    let mut process = ServiceProcess::start(binary, &[("DATABASE_URL", database.url())]).await;
    let port = process.base_url.rsplit(':').next().unwrap().to_owned();
    let check = || {
        std::process::Command::new(binary)
            .arg("healthcheck")
            .env_clear()
            .env("PORT", &port)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(check(), Some(0), "healthy");
    process.terminate();
    assert_eq!(process.wait(Duration::from_secs(15)).await, Some(0));
    assert_eq!(check(), Some(1), "nothing listens any more");
}

/// The real binary with a bad value refuses to start, naming the variable.
pub async fn bad_configuration_stops_startup(binary: &str) {
    for (var, value) in [
        ("PORT", "eighty"),
        ("LOG_FORMAT", "xml"),
        ("AUTH_URL", "auth:3003"),
    ] {
        let out = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::process::Command::new(binary)
                .env_clear()
                .env(var, value)
                .output(),
        )
        .await
        .expect("exits promptly")
        .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(var), "stderr names {var}: {stderr}");
    }
}

/// Declares the conformance tests for a service: `conformance_tests!(crate::App, binary)`.
#[macro_export]
macro_rules! conformance_tests {
    ($app:ty, $binary:expr) => {
        #[tokio::test]
        async fn health_answers_ok() {
            $crate::checks::health_is_ok::<$app>().await;
        }
        #[tokio::test]
        async fn ready_answers_200_and_503_while_the_database_is_unreachable() {
            $crate::checks::ready_follows_the_database::<$app>().await;
        }
        #[tokio::test]
        async fn openapi_json_is_a_valid_openapi_31_document() {
            $crate::checks::openapi_document_is_valid::<$app>().await;
        }
        #[tokio::test]
        async fn request_id_is_echoed_and_generated_when_absent() {
            $crate::checks::request_id_is_echoed_or_generated::<$app>().await;
        }
        #[tokio::test]
        async fn unknown_routes_are_404_problem_json() {
            $crate::checks::unknown_routes_are_404_problems::<$app>().await;
        }
        #[tokio::test]
        async fn oversized_malformed_and_mistyped_bodies_are_4xx_problem_json() {
            $crate::checks::bad_bodies_are_4xx_problems::<$app>().await;
        }
        #[tokio::test]
        async fn truncated_bodies_are_408_and_control_characters_422() {
            $crate::checks::truncated_bodies_are_408_and_control_characters_422::<$app>().await;
        }
        #[tokio::test]
        async fn sigterm_turns_readiness_503_drains_and_exits_zero() {
            $crate::checks::sigterm_drains_and_exits_zero::<$app>($binary).await;
        }
        #[tokio::test]
        async fn sigterm_while_starting_exits_zero_at_once() {
            $crate::checks::sigterm_while_starting_exits_zero($binary).await;
        }
        #[tokio::test]
        async fn the_healthcheck_argument_exits_0_when_healthy_and_1_when_not() {
            $crate::checks::healthcheck_argument_follows_the_service::<$app>($binary).await;
        }
        #[tokio::test]
        async fn a_bad_configuration_value_stops_startup_naming_the_variable() {
            $crate::checks::bad_configuration_stops_startup($binary).await;
        }
    };
}
