//! The token endpoint: login, refresh rotation and reuse, revocation, expiry, rate limits, RFC 6749 errors.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn sign_up_login_me_refresh_and_a_replayed_refresh_token_revokes_its_family() {
    let app = app().await;
    let (status, user) = sign_up(&app, " Ada@Example.com ", "correct horse 42", "rider").await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["role"], "rider");
    assert!(user.get("password_hash").is_none());
    assert!(s(&user, "created_at").ends_with('Z'));

    let (status, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let (status, body) = me(&app, s(&tokens, "access_token")).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], user["id"]);

    let first = s(&tokens, "refresh_token").to_owned();
    let (status, rotated) = refresh(&app, &first).await;
    assert_eq!(status, 200, "{rotated}");
    let second = s(&rotated, "refresh_token").to_owned();
    assert_ne!(first, second);
    assert_eq!(me(&app, s(&rotated, "access_token")).await.0, 200);

    // Replaying the spent token fails and takes the whole family with it.
    let (status, err) = refresh(&app, &first).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"], "invalid_grant");
    let (status, err) = refresh(&app, &second).await;
    assert_eq!((status, s(&err, "error")), (400, "invalid_grant"));

    // A fresh login starts a new family.
    let (status, again) = login(&app, "ada@example.com", "correct horse 42").await;
    assert_eq!(status, 200);
    assert_eq!(refresh(&app, s(&again, "refresh_token")).await.0, 200);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_are_indistinguishable() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (s1, b1) = login(&app, "ada@example.com", "wrong password 42").await;
    let (s2, b2) = login(&app, "nobody@example.com", "wrong password 42").await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(b1["error"], "invalid_grant");

    // Both pay for one password hash. Interleave the two and compare the fastest of each, so
    // that load from other tests running alongside falls on both alike.
    let (mut known, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..7 {
        for (email, best) in [
            ("ada@example.com", &mut known),
            ("nobody@example.com", &mut unknown),
        ] {
            let t = Instant::now();
            login(&app, email, "wrong password 42").await;
            *best = (*best).min(t.elapsed());
        }
    }
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "known {known:?} vs unknown {unknown:?}"
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_account_and_recover_after_the_window() {
    let app = app_with(&[
        ("AUTH_LOGIN_LIMIT_PER_ACCOUNT", "3"),
        ("AUTH_LOGIN_LIMIT_WINDOW_MS", "1500"),
    ])
    .await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    for _ in 0..3 {
        assert_eq!(
            login(&app, "ada@example.com", "wrong password 42").await.0,
            400
        );
    }
    let res = app
        .http
        .post(app.url("/v1/token"))
        .form(&[
            ("grant_type", "password"),
            ("email", "ada@example.com"),
            ("password", "correct horse 42"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "slow_down");

    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(
        login(&app, "ada@example.com", "correct horse 42").await.0,
        200
    );
}

#[tokio::test]
async fn login_attempts_are_limited_per_client_address() {
    let app = app_with(&[("AUTH_LOGIN_LIMIT_PER_ADDRESS", "2")]).await;
    for email in ["a@example.com", "b@example.com"] {
        assert_eq!(login(&app, email, "wrong password 42").await.0, 400);
    }
    assert_eq!(
        login(&app, "c@example.com", "wrong password 42").await.0,
        429
    );
    // Another caller, as the load balancer reports it, is not affected.
    let res = app
        .http
        .post(app.url("/v1/token"))
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("grant_type", "password"),
            ("email", "c@example.com"),
            ("password", "wrong password 42"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn bad_token_requests_get_rfc6749_errors() {
    let app = app().await;
    let url = app.url("/v1/token");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            app.http.post(&url).body("grant_type=password"),
            400,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .header("content-type", "application/json")
                .body("{"),
            400,
            "invalid_request",
        ),
        (
            app.http.post(&url).json(&json!({"email": "a@b.co"})),
            400,
            "invalid_request",
        ),
        (
            app.http
                .post(&url)
                .form(&[("grant_type", "authorization_code")]),
            400,
            "unsupported_grant_type",
        ),
        (
            app.http
                .post(&url)
                .form(&[("grant_type", "password"), ("email", "a@b.co")]),
            400,
            "invalid_request",
        ),
        (
            app.http.post(&url).form(&[
                ("grant_type", "password"),
                ("email", "a@b.co"),
                ("password", &"x".repeat(600)),
            ]),
            400,
            "invalid_request",
        ),
        (
            app.http.post(&url).form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "rt_nope"),
            ]),
            400,
            "invalid_grant",
        ),
        (
            app.http.post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "billing"),
                ("client_secret", "wrong"),
            ]),
            401,
            "invalid_client",
        ),
    ];
    for (i, (req, status, error)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "case {i}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], error, "case {i}: {body}");
        assert!(body["error_description"].is_string());
    }
    // JSON works as well as a form.
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let res = app
        .http
        .post(&url)
        .json(&json!({"grant_type": "password", "email": "ada@example.com", "password": "correct horse 42"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_succeed_exactly_once() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    let rt = s(&tokens, "refresh_token").to_owned();
    let (a, b) = tokio::join!(refresh(&app, &rt), refresh(&app, &rt));
    let wins = [a.0, b.0].iter().filter(|s| **s == 200).count();
    assert_eq!(wins, 1, "{a:?} {b:?}");
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_family_and_unknown_tokens_are_fine() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    let (_, rotated) = refresh(&app, s(&tokens, "refresh_token")).await;
    let res = app
        .http
        .post(app.url("/v1/revoke"))
        .form(&[("token", s(&rotated, "refresh_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        refresh(&app, s(&rotated, "refresh_token")).await.1["error"],
        "invalid_grant"
    );
    let res = app
        .http
        .post(app.url("/v1/revoke"))
        .json(&json!({"token": "rt_never_issued"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .post(app.url("/v1/revoke"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn an_expired_refresh_token_is_refused() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    // Age every stored token past its lifetime rather than wait 30 days.
    odmu_storage::sqlx::query("UPDATE refresh_tokens SET expires_at_ms = $1")
        .bind(odmu_storage::now_millis() - 1)
        .execute(app.db().pool())
        .await
        .unwrap();
    let (status, body) = refresh(&app, s(&tokens, "refresh_token")).await;
    assert_eq!((status, s(&body, "error")), (400, "invalid_grant"));
}

/// A login from `from` (the address the load balancer reports).
async fn login_from(app: &odmu_testkit::TestApp, from: &str, email: &str, password: &str) -> u16 {
    app.http
        .post(app.url("/v1/token"))
        .header("x-forwarded-for", from)
        .form(&[
            ("grant_type", "password"),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Finding: ten wrong passwords and the owner's right one got 429; one guess every 6 s kept
/// the account locked. Now a stranger's guesses lock the stranger's address out, not Ada.
#[tokio::test]
async fn a_strangers_wrong_passwords_do_not_lock_the_owner_out() {
    let app = app_with(&[("AUTH_LOGIN_LIMIT_PER_ACCOUNT", "3")]).await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    for _ in 0..3 {
        let status = login_from(&app, "6.6.6.6", "ada@example.com", "guess 123456").await;
        assert_eq!(status, 400);
    }
    let status = login_from(&app, "6.6.6.6", "ada@example.com", "correct horse 42").await;
    assert_eq!(
        status, 429,
        "the stranger's address is locked out of Ada's account"
    );
    let status = login_from(&app, "198.51.100.1", "ada@example.com", "correct horse 42").await;
    assert_eq!(status, 200, "Ada, from her own address, is not");
}

/// Finding: directly on the service, a rotating X-Forwarded-For never met the per-address
/// limit. The header is believed from the configured proxies only.
#[tokio::test]
async fn forwarded_for_is_believed_from_trusted_proxies_only() {
    let app = app_with(&[
        ("AUTH_LOGIN_LIMIT_PER_ADDRESS", "2"),
        ("AUTH_TRUSTED_PROXIES", "10.0.0.0/16"),
    ])
    .await;
    for (n, from) in ["1.1.1.1", "2.2.2.2"].iter().enumerate() {
        let email = format!("x{n}@example.com");
        assert_eq!(
            login_from(&app, from, &email, "wrong password 42").await,
            400
        );
    }
    assert_eq!(
        login_from(&app, "3.3.3.3", "x3@example.com", "wrong password 42").await,
        429,
        "the peer (not a trusted proxy) is the client, whatever the header says"
    );
}

/// Finding: sign-up had no limit (60 Argon2 sign-ups in 1 s), and each tells whether an email
/// has an account.
#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = app_with(&[("AUTH_SIGNUP_LIMIT_PER_ADDRESS", "3")]).await;
    for n in 0..3 {
        let (status, _) = sign_up(
            &app,
            &format!("n{n}@example.com"),
            "correct horse 42",
            "rider",
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, body) = sign_up(&app, "n4@example.com", "correct horse 42", "rider").await;
    assert_eq!(status, 429);
    assert_eq!(body["reason"], "signup_rate_limited");
    // A taken email is not even looked up any more.
    let (status, _) = sign_up(&app, "n0@example.com", "correct horse 42", "rider").await;
    assert_eq!(status, 429);
}

/// Finding: a newline in `client_id` wrote a second log line. Control characters are refused
/// in every field of the token endpoint.
#[tokio::test]
async fn control_characters_in_token_fields_are_refused() {
    let app = app().await;
    for (field, value) in [
        ("client_id", "billing\n2026-01-01T00:00:00Z INFO forged"),
        ("client_id", "billing\u{0}"),
        ("email", "ada@example.com\r"),
    ] {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_secret", SECRET),
        ];
        if field == "email" {
            form = vec![("grant_type", "password"), ("password", "correct horse 42")];
        }
        form.push((field, value));
        let (status, body) = token(&app, &form).await;
        assert_eq!(
            (status, s(&body, "error")),
            (400, "invalid_request"),
            "{field} {value:?}"
        );
    }
}
