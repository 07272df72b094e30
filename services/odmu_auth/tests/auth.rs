//! odmu_auth as its users meet it: over HTTP, on a fresh database (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odmu_auth::{OdmuAuth, SigningKey};
use odmu_testkit::TestApp;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "admin@odmu.test";
const ADMIN_PASSWORD: &str = "admin-password-1";
const SECRET: &str = "billing-dev-secret-0123456789abcdef";

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
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

async fn app() -> TestApp {
    app_with(&[]).await
}

async fn sign_up(app: &TestApp, email: &str, password: &str, role: &str) -> (u16, Value) {
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

async fn token(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
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

async fn login(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
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

async fn refresh(app: &TestApp, refresh_token: &str) -> (u16, Value) {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

async fn me(app: &TestApp, access_token: &str) -> (u16, Value) {
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

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

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
async fn tokens_issued_here_resist_every_attack_of_the_verifier_suite() {
    let app = app().await;
    sign_up(&app, "eve@example.com", "eve-password-1", "rider").await;
    let (_, tokens) = login(&app, "eve@example.com", "eve-password-1").await;
    let good = s(&tokens, "access_token").to_owned();
    assert_eq!(me(&app, &good).await.0, 200);
    let user_id = me(&app, &good).await.1["id"].as_str().unwrap().to_owned();

    // The real signing key, to forge tokens that differ in one claim only.
    let pem = std::fs::read_to_string(app.data_dir().join("odmu_auth/signing-key.pem")).unwrap();
    let key = SigningKey::from_pem(&pem).unwrap();
    let sign = |claims: Value| key.sign_any(&claims).unwrap();
    let claims = |patch: Value| {
        let mut c = json!({"iss": "odmu", "aud": "odmu", "sub": user_id, "role": "rider",
                           "iat": now(), "exp": now() + 600, "jti": "x"});
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    assert_eq!(
        me(&app, &sign(claims(json!({})))).await.0,
        200,
        "the control"
    );

    let mut refused = vec![
        ("no token", String::new()),
        ("malformed", "not.a.jwt".to_owned()),
        ("expired", sign(claims(json!({"exp": now() - 120})))),
        ("not yet valid", sign(claims(json!({"nbf": now() + 600})))),
        ("wrong iss", sign(claims(json!({"iss": "evil"})))),
        ("wrong aud", sign(claims(json!({"aud": "elsewhere"})))),
    ];
    let parts: Vec<&str> = good.split('.').collect();
    let forged = B64.encode(claims(json!({"role": "admin"})).to_string());
    refused.push((
        "tampered payload",
        format!("{}.{forged}.{}", parts[0], parts[2]),
    ));
    let none_header = B64.encode(json!({"alg": "none", "kid": key.kid}).to_string());
    refused.push(("alg none", format!("{none_header}.{}.", parts[1])));
    let jwks: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let x = B64.decode(s(&jwks["keys"][0], "x")).unwrap();
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(key.kid.clone());
    let hs_token =
        jsonwebtoken::encode(&hs, &claims(json!({})), &EncodingKey::from_secret(&x)).unwrap();
    refused.push(("HS256 with the public key", hs_token));
    let (stranger, _) = SigningKey::generate().unwrap();
    let unknown = stranger.sign_any(&claims(json!({}))).unwrap();
    refused.push(("unknown kid", unknown));

    for (case, token) in refused {
        let mut req = app.http.get(app.url("/v1/me"));
        if !token.is_empty() {
            req = req.bearer_auth(&token);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{case}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{case}"
        );
    }
}

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
            "(body)",
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
async fn a_restart_keeps_users_keys_and_refresh_tokens() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    let jwks_before: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let app = app.restart::<OdmuAuth>().await;
    let jwks_after: Value = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks_before, jwks_after, "same signing key");
    assert_eq!(
        me(&app, s(&tokens, "access_token")).await.0,
        200,
        "old access token"
    );
    assert_eq!(
        refresh(&app, s(&tokens, "refresh_token")).await.0,
        200,
        "old refresh token"
    );
    assert_eq!(
        login(&app, "ada@example.com", "correct horse 42").await.0,
        200,
        "user"
    );
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_valid_until_the_old_key_is_removed() {
    let (key_a, pem_a) = SigningKey::generate().unwrap();
    let (key_b, pem_b) = SigningKey::generate().unwrap();
    let app = app_with(&[("AUTH_SIGNING_KEY", &pem_a)]).await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, old) = login(&app, "ada@example.com", "correct horse 42").await;
    let old_token = s(&old, "access_token").to_owned();

    let clients = format!("billing:{}", odmu_auth::sha256_hex(SECRET));
    let base = [
        ("AUTH_SERVICE_CLIENTS", clients.as_str()),
        ("AUTH_JWKS_MIN_REFRESH_MS", "0"),
    ];
    let mut rotated = base.to_vec();
    rotated.extend([
        ("AUTH_SIGNING_KEY", pem_b.as_str()),
        ("AUTH_PREVIOUS_SIGNING_KEY", pem_a.as_str()),
    ]);
    let app = app.restart_with::<OdmuAuth>(&rotated).await;
    let res = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    let jwks: Value = res.json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| s(k, "kid"))
        .collect();
    assert_eq!(kids, vec![key_b.kid.as_str(), key_a.kid.as_str()]);
    assert_eq!(
        me(&app, &old_token).await.0,
        200,
        "signed by the previous key"
    );
    let (_, new) = login(&app, "ada@example.com", "correct horse 42").await;
    let header = jsonwebtoken::decode_header(s(&new, "access_token")).unwrap();
    assert_eq!(header.kid.as_deref(), Some(key_b.kid.as_str()));
    assert_eq!(header.alg, Algorithm::EdDSA);

    let mut done = base.to_vec();
    done.push(("AUTH_SIGNING_KEY", pem_b.as_str()));
    let app = app.restart_with::<OdmuAuth>(&done).await;
    assert_eq!(
        me(&app, &old_token).await.0,
        401,
        "the removed key no longer verifies"
    );
    assert_eq!(me(&app, s(&new, "access_token")).await.0, 200);
}

#[tokio::test]
async fn services_get_tokens_with_client_credentials() {
    let app = app().await;
    let (status, body) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "billing"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none());
    let header = jsonwebtoken::decode_header(s(&body, "access_token")).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    // A service is not a user: /me is for people.
    assert_eq!(me(&app, s(&body, "access_token")).await.0, 403);

    // HTTP Basic client authentication (RFC 6749 §2.3.1) works too.
    let res = app
        .http
        .post(app.url("/v1/token"))
        .basic_auth("billing", Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The platform's client caches it and the verifier accepts it as a service token.
    let tokens = odmu_authn::ServiceTokens::new(odmu_authn::ServiceTokenConfig {
        auth_url: app.base_url.clone(),
        client_id: "billing".into(),
        client_secret: odmu_config::Secret::new(SECRET.into()),
    });
    let bearer = tokens.bearer().await.unwrap();
    let verifier = odmu_authn::Verifier::new(
        odmu_authn::AuthConfig::from_env(&odmu_config::Env::from_pairs([(
            "AUTH_URL",
            app.base_url.as_str(),
        )]))
        .unwrap(),
    );
    let claims = verifier.verify(&bearer).await.unwrap();
    assert_eq!(claims.sub, "billing");
    assert_eq!(claims.role, odmu_authn::Role::Service);

    let (status, body) = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "driver_api"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!((status, s(&body, "error")), (401, "invalid_client"));
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
async fn the_openapi_document_lists_every_endpoint() {
    let app = app().await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
