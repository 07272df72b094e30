//! Real accounts on a running odmu_auth (directly or through a gateway): sign-up, login and
//! service tokens, for tests that go through the whole platform.

use odmu_authn::Role;
use serde_json::{Value, json};

use crate::Caller;

/// The password every test account gets.
pub const PASSWORD: &str = "a-long-test-password";

/// Signs up `email` in `role` at `base` (which routes `/auth`), logs in, and returns the
/// caller with their access token.
///
/// # Panics
/// When odmu_auth refuses: the test cannot go on.
pub async fn sign_up_and_log_in(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    role: Role,
) -> Caller {
    let res = http
        .post(format!("{base}/auth/v1/users"))
        .json(&json!({"email": email, "password": PASSWORD, "role": role}))
        .send()
        .await
        .expect("odmu_auth answers");
    assert_eq!(res.status(), 201, "sign-up of {email}");
    let user: Value = res.json().await.expect("the account");
    let token = log_in(http, base, email, PASSWORD).await;
    Caller {
        id: user["id"].as_str().expect("an id").to_owned(),
        role,
        token,
    }
}

/// An access token for `email` / `password` (the `password` grant).
///
/// # Panics
/// When the login is refused.
pub async fn log_in(http: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    token(
        http,
        base,
        &[
            ("grant_type", "password"),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

/// A service token for `client_id` / `secret` (the `client_credentials` grant).
///
/// # Panics
/// When the credentials are refused.
pub async fn service_token(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
    secret: &str,
) -> String {
    token(
        http,
        base,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
    )
    .await
}

async fn token(http: &reqwest::Client, base: &str, form: &[(&str, &str)]) -> String {
    let res = http
        .post(format!("{base}/auth/v1/token"))
        .form(form)
        .send()
        .await
        .expect("odmu_auth answers");
    assert_eq!(res.status(), 200, "token request {:?}", form.first());
    let body: Value = res.json().await.expect("a token response");
    body["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}
