//! Accounts: sign-up, the caller's own account, admins, the OpenAPI document.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn admin_sign_up_needs_an_admin_token() {
    let app = app().await;
    let (status, _) = sign_up(&app, "boss@example.com", "boss-password-1", "admin").await;
    assert_eq!(status, 401);

    sign_up(&app, "rita@example.com", "rider-password-1", "rider").await;
    let (_, rider) = login(&app, "rita@example.com", "rider-password-1").await;
    let res = app
        .http
        .post(app.url("/v1/users"))
        .bearer_auth(s(&rider, "access_token"))
        .json(&json!({"email": "boss@example.com", "password": "boss-password-1", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let (status, admin) = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "the bootstrap admin exists");
    let res = app
        .http
        .post(app.url("/v1/users"))
        .bearer_auth(s(&admin, "access_token"))
        .json(&json!({"email": "boss@example.com", "password": "boss-password-1", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(me(&app, s(&admin, "access_token")).await.1["role"], "admin");
}

#[tokio::test]
async fn bad_sign_ups_get_problem_json() {
    let app = app().await;
    let url = app.url("/v1/users");
    let post = |body: Value| app.http.post(&url).json(&body).send();
    let cases = [
        (
            json!({"email": "x", "password": "correct horse 42", "role": "rider"}),
            422,
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "short", "role": "rider"}),
            422,
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "y".repeat(129), "role": "rider"}),
            422,
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "correct horse 42", "role": "root"}),
            422,
            "role",
        ),
        (
            json!({"email": "a@example.com", "password": "correct horse 42", "role": "service"}),
            422,
            "role",
        ),
        (
            json!({"email": "a@example.com", "password": "correct horse 42"}),
            422,
            "role",
        ),
        (
            json!({"email": "a@example.com", "password": "correct horse 42", "role": "rider", "admin": true}),
            422,
            "admin",
        ),
    ];
    for (body, status, field) in cases {
        let res = post(body.clone()).await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{body}");
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    let res = app
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        sign_up(&app, "a@example.com", "correct horse 42", "driver")
            .await
            .0,
        201
    );
    assert_eq!(
        sign_up(&app, "A@example.com", "another horse 42", "rider")
            .await
            .0,
        409
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = app().await;
    let doc: Value = app.get("/openapi.json").send().await.body;
    for path in [
        "/auth/v1/users",
        "/auth/v1/me",
        "/auth/v1/token",
        "/auth/v1/revoke",
        "/auth/.well-known/jwks.json",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
