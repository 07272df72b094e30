//! Signing keys: what the verifier refuses, rotation, and what survives a restart.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odmu_auth::{OdmuAuth, SigningKey};
use serde_json::{Value, json};

use crate::support::*;

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
    let jwks: Value = app.get("/.well-known/jwks.json").send().await.body;
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
async fn a_restart_keeps_users_keys_and_refresh_tokens() {
    let app = app().await;
    sign_up(&app, "ada@example.com", "correct horse 42", "rider").await;
    let (_, tokens) = login(&app, "ada@example.com", "correct horse 42").await;
    let jwks_before: Value = app.get("/.well-known/jwks.json").send().await.body;

    let app = app.restart::<OdmuAuth>().await;
    let jwks_after: Value = app.get("/.well-known/jwks.json").send().await.body;
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
