//! The service-token client over real HTTP: a fake odmu_auth token endpoint served by the test,
//! counting requests and answering from a script.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use odmu_authn::{ServiceTokenConfig, ServiceTokenError, ServiceTokens, TOKEN_PATH};
use odmu_config::{ConfigError, Env, Secret};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// One scripted answer of the fake endpoint.
#[derive(Clone)]
enum Answer {
    Token { expires_in: u64 },
    Status(u16),
    InvalidClient,
}

#[derive(Clone, Default)]
struct Endpoint {
    requests: Arc<AtomicUsize>,
    /// Answers in order; once used up, every request gets a one-hour token.
    script: Arc<Mutex<VecDeque<Answer>>>,
    forms: Arc<Mutex<Vec<HashMap<String, String>>>>,
    /// How long each answer takes, so concurrent callers really overlap.
    delay: Duration,
}

impl Endpoint {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn token(State(e): State<Endpoint>, Form(form): Form<HashMap<String, String>>) -> Response {
    let n = e.requests.fetch_add(1, Ordering::SeqCst) + 1;
    e.forms.lock().await.push(form);
    tokio::time::sleep(e.delay).await;
    let answer = e
        .script
        .lock()
        .await
        .pop_front()
        .unwrap_or(Answer::Token { expires_in: 3600 });
    match answer {
        Answer::Token { expires_in } => axum::Json(json!({
            "access_token": format!("token-{n}"),
            "token_type": "Bearer",
            "expires_in": expires_in,
        }))
        .into_response(),
        Answer::Status(status) => StatusCode::from_u16(status).unwrap().into_response(),
        Answer::InvalidClient => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({
                "error": "invalid_client",
                "error_description": "unknown client or wrong secret",
            })),
        )
            .into_response(),
    }
}

/// A fake odmu_auth answering `script` (then one-hour tokens), and a client pointed at it.
async fn fixture(script: Vec<Answer>, delay: Duration) -> (Endpoint, ServiceTokens) {
    let endpoint = Endpoint {
        script: Arc::new(Mutex::new(script.into())),
        delay,
        ..Endpoint::default()
    };
    let router = Router::new()
        .route(TOKEN_PATH, post(token))
        .with_state(endpoint.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let tokens = ServiceTokens::new(ServiceTokenConfig {
        auth_url: format!("http://{addr}"),
        client_id: "billing".into(),
        client_secret: Secret::new("s3cret-value".into()),
    });
    (endpoint, tokens)
}

#[tokio::test]
async fn a_token_is_fetched_with_client_credentials_and_cached() {
    let (endpoint, tokens) = fixture(vec![], Duration::ZERO).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    assert_eq!(
        endpoint.requests(),
        1,
        "the second call is served from the cache"
    );

    let forms = endpoint.forms.lock().await;
    let form = &forms[0];
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "billing");
    assert_eq!(form["client_secret"], "s3cret-value");
    assert_eq!(form.len(), 3, "{form:?}");
}

#[tokio::test]
async fn concurrent_callers_on_a_cold_cache_share_one_fetch() {
    let (endpoint, tokens) = fixture(vec![], Duration::from_millis(100)).await;
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let tokens = tokens.clone();
            tokio::spawn(async move { tokens.bearer().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "token-1");
    }
    assert_eq!(endpoint.requests(), 1);
}

#[tokio::test]
async fn a_token_within_the_refresh_margin_is_fetched_again() {
    // One second left is well inside the 30 s margin: the next call must not reuse it.
    let (endpoint, tokens) = fixture(vec![Answer::Token { expires_in: 1 }], Duration::ZERO).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
    assert_eq!(endpoint.requests(), 2);
    // The new one lasts an hour and is cached.
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff() {
    let (endpoint, tokens) = fixture(
        vec![Answer::Status(503), Answer::Status(503)],
        Duration::ZERO,
    )
    .await;
    let started = std::time::Instant::now();
    assert_eq!(tokens.bearer().await.unwrap(), "token-3");
    assert_eq!(endpoint.requests(), 3);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the retries waited: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn too_many_requests_is_retried_too() {
    let (endpoint, tokens) = fixture(vec![Answer::Status(429)], Duration::ZERO).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
    assert_eq!(endpoint.requests(), 2);
}

#[tokio::test]
async fn invalid_client_is_rejected_at_once_without_retrying() {
    let (endpoint, tokens) = fixture(vec![Answer::InvalidClient], Duration::ZERO).await;
    let err = tokens.bearer().await.unwrap_err();
    assert_eq!(
        err,
        ServiceTokenError::Rejected {
            error: "invalid_client".into()
        }
    );
    assert_eq!(endpoint.requests(), 1);
    let message = err.to_string();
    assert!(
        message.contains("invalid_client") && message.contains("SERVICE_CLIENT_SECRET"),
        "{message}"
    );
    assert!(!message.contains("s3cret-value"), "{message}");
}

#[tokio::test]
async fn callers_waiting_on_a_failed_fetch_share_its_error() {
    let (endpoint, tokens) = fixture(vec![Answer::InvalidClient], Duration::from_millis(100)).await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let tokens = tokens.clone();
            tokio::spawn(async move { tokens.bearer().await })
        })
        .collect();
    for call in calls {
        assert!(matches!(
            call.await.unwrap(),
            Err(ServiceTokenError::Rejected { .. })
        ));
    }
    assert_eq!(
        endpoint.requests(),
        1,
        "one failed fetch, not one per caller"
    );
    // A later call tries again (the script is used up: it gets a token now).
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
}

#[tokio::test]
async fn a_token_not_yet_expired_is_used_while_auth_is_down() {
    // 31 s of life minus the 30 s margin: due for refresh after one second.
    let mut script = vec![Answer::Token { expires_in: 31 }];
    script.extend(std::iter::repeat_n(Answer::Status(503), 100));
    let (endpoint, tokens) = fixture(script, Duration::ZERO).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    assert!(endpoint.requests() > 2, "the refresh was tried and retried");
}

#[tokio::test]
async fn an_unexpected_body_is_malformed() {
    // A 200 that is not a token response, e.g. a proxy's page.
    let router = Router::new().route(TOKEN_PATH, post(|| async { "<html>hello</html>" }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let tokens = ServiceTokens::new(ServiceTokenConfig {
        auth_url: format!("http://{addr}"),
        client_id: "billing".into(),
        client_secret: Secret::new("s3cret-value".into()),
    });
    assert_eq!(
        tokens.bearer().await.unwrap_err(),
        ServiceTokenError::Malformed
    );
}

#[tokio::test]
async fn an_unreachable_auth_is_unavailable_within_the_retry_budget() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let tokens = ServiceTokens::new(ServiceTokenConfig {
        auth_url: dead,
        client_id: "billing".into(),
        client_secret: Secret::new("s3cret-value".into()),
    });
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(8), tokens.bearer())
        .await
        .expect("gives up within the budget")
        .unwrap_err();
    assert_eq!(err, ServiceTokenError::Unavailable);
    assert!(started.elapsed() >= Duration::from_secs(1), "it retried");
}

#[test]
fn from_env_needs_both_id_and_secret_or_neither() {
    let only_id = Env::from_pairs([("SERVICE_CLIENT_ID", "billing")]);
    let err = ServiceTokenConfig::from_env(&only_id).unwrap_err();
    assert_eq!(
        err,
        ConfigError::Missing {
            var: "SERVICE_CLIENT_SECRET".into()
        }
    );
    assert!(err.to_string().contains("SERVICE_CLIENT_SECRET"), "{err}");

    let only_secret = Env::from_pairs([("SERVICE_CLIENT_SECRET", "s3cret-value")]);
    let err = ServiceTokenConfig::from_env(&only_secret).unwrap_err();
    assert!(err.to_string().contains("SERVICE_CLIENT_ID"), "{err}");
    assert!(!err.to_string().contains("s3cret-value"), "{err}");

    let neither = Env::from_pairs([("SERVICE_CLIENT_ID", "  ")]);
    assert!(ServiceTokenConfig::from_env(&neither).unwrap().is_none());

    let both = Env::from_pairs([
        ("SERVICE_CLIENT_ID", "billing"),
        ("SERVICE_CLIENT_SECRET", "s3cret-value"),
        ("AUTH_URL", "http://auth:3003/"),
    ]);
    let config = ServiceTokenConfig::from_env(&both).unwrap().unwrap();
    assert_eq!(config.auth_url, "http://auth:3003");
    assert_eq!(config.client_id, "billing");
    assert_eq!(config.client_secret.expose(), "s3cret-value");
    assert!(!format!("{config:?}").contains("s3cret-value"));

    let bad_url = Env::from_pairs([("AUTH_URL", "auth:3003")]);
    let err = ServiceTokenConfig::from_env(&bad_url).unwrap_err();
    assert!(err.to_string().starts_with("AUTH_URL is invalid"), "{err}");
}

#[tokio::test]
async fn invalidate_forces_a_new_fetch() {
    let (endpoint, tokens) = fixture(vec![], Duration::ZERO).await;
    assert_eq!(tokens.bearer().await.unwrap(), "token-1");
    tokens.invalidate();
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
    assert_eq!(tokens.bearer().await.unwrap(), "token-2");
    assert_eq!(endpoint.requests(), 2);
}
