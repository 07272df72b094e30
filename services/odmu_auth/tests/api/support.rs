//! What the feature modules share: an odmu_auth on a fresh database with a bootstrap admin
//! and a service client, and its sign-up, token and `me` calls.

#![allow(unreachable_pub)]

use std::time::{SystemTime, UNIX_EPOCH};

use odmu_auth::OdmuAuth;
use odmu_testkit::TestApp;
use serde_json::{Value, json};
pub const ADMIN_EMAIL: &str = "admin@odmu.test";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const SECRET: &str = "billing-dev-secret-0123456789abcdef";

pub async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let clients = format!("billing:{}", odmu_auth::sha256_hex(SECRET));
    let mut vars = vec![
        ("AUTH_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("AUTH_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("AUTH_SERVICE_CLIENTS", clients.as_str()),
        ("AUTH_JWKS_MIN_REFRESH_MS", "0"),
    ];
    vars.extend_from_slice(extra);
    let identity = odmu_testkit::TestIdentity::start().await;
    TestApp::spawn_with::<OdmuAuth>(&identity, &vars, None).await
}

pub async fn app() -> TestApp {
    app_with(&[]).await
}

pub async fn sign_up(app: &TestApp, email: &str, password: &str, role: &str) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/v1/users"))
        .json(&json!({"email": email, "password": password, "role": role}))
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub async fn token(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app
        .http
        .post(app.url("/v1/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(res.headers()["cache-control"], "no-store");
    (status, res.json().await.unwrap())
}

pub async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "password"),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

pub async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

pub async fn me(app: &TestApp, access_token: &str) -> (u16, Value) {
    let res = app
        .http
        .get(app.url("/v1/me"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}"))
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
