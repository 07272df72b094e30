//! The verifier over real HTTP: a JWKS served by the test with keys it generates, a protected
//! app on its own port, and every refusal a client can meet.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odmu_authn::{Admin, Auth, AuthConfig, Authenticated, Verifier};
use odmu_http::Json;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

impl SigningKey {
    fn generate(kid: &str) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
        Self {
            kid: kid.to_owned(),
            pkcs8: pkcs8.as_ref().to_vec(),
            public: pair.public_key().as_ref().to_vec(),
        }
    }

    fn jwk(&self) -> Value {
        json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(&self.public),
               "kid": self.kid, "alg": "EdDSA", "use": "sig"})
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).unwrap()
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(role: &str) -> Value {
    json!({"iss": "odmu", "aud": "odmu", "sub": "user-1", "role": role,
           "iat": now(), "exp": now() + 900, "jti": "j1"})
}

#[derive(Clone)]
struct Jwks {
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

struct Fixture {
    app: String,
    jwks: Jwks,
    key: SigningKey,
    http: reqwest::Client,
}

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn fixture(min_refresh: Duration) -> Fixture {
    let key = SigningKey::generate("k1");
    let jwks = Jwks {
        keys: Arc::new(Mutex::new(vec![key.jwk()])),
        fetches: Arc::new(AtomicUsize::new(0)),
    };
    let auth_url = serve(
        Router::new()
            .route(
                odmu_authn::JWKS_PATH,
                get(|State(j): State<Jwks>| async move {
                    j.fetches.fetch_add(1, Ordering::SeqCst);
                    axum::Json(json!({ "keys": *j.keys.lock().await }))
                }),
            )
            .with_state(jwks.clone()),
    )
    .await;

    let mut config = AuthConfig::from_env(&odmu_config::Env::from_pairs([(
        "AUTH_URL",
        auth_url.as_str(),
    )]))
    .unwrap();
    config.jwks_min_refresh = min_refresh;
    let verifier = Verifier::new(config);
    let app = Router::new()
        .route(
            "/billing/v1/me",
            get(|Authenticated(c): Authenticated| async move { Json(c) }),
        )
        .route(
            "/billing/v1/admin",
            get(|a: Auth<Admin>| async move { Json(a.claims) }),
        )
        .with_state(verifier);
    let app = odmu_http::with_common_layers(app, Duration::from_secs(5));
    Fixture {
        app: serve(app).await,
        jwks,
        key,
        http: reqwest::Client::new(),
    }
}

impl Fixture {
    async fn call(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.app));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        if status >= 400 {
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "errors are problem+json"
            );
        }
        (status, res.json().await.unwrap())
    }

    async fn me(&self, token: &str) -> u16 {
        self.call("/billing/v1/me", Some(token)).await.0
    }
}

#[tokio::test]
async fn a_valid_token_is_accepted_and_its_claims_extracted() {
    let f = fixture(Duration::from_secs(5)).await;
    let (status, body) = f
        .call("/billing/v1/me", Some(&f.key.sign(&claims("rider"))))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["sub"], "user-1");
    assert_eq!(body["role"], "rider");
    assert_eq!(body["jti"], "j1");
}

#[tokio::test]
async fn missing_and_malformed_tokens_are_401_with_a_bearer_challenge() {
    let f = fixture(Duration::from_secs(5)).await;
    let res = f
        .http
        .get(format!("{}/billing/v1/me", f.app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(f.me("not-a-jwt").await, 401);
    assert_eq!(f.me("a.b.c").await, 401);
    let res = f
        .http
        .get(format!("{}/billing/v1/me", f.app))
        .header(
            "authorization",
            format!("Basic {}", f.key.sign(&claims("rider"))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": "k1"}).to_string());
    let payload = B64.encode(claims("admin").to_string());
    assert_eq!(f.me(&format!("{header}.{payload}.")).await, 401);
    assert_eq!(f.me(&format!("{header}.{payload}")).await, 401);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_as_secret_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    for secret in [f.key.public.clone(), f.key.jwk().to_string().into_bytes()] {
        let token = jsonwebtoken::encode(
            &header,
            &claims("admin"),
            &EncodingKey::from_secret(&secret),
        )
        .unwrap();
        assert_eq!(f.me(&token).await, 401);
    }
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut expired = claims("rider");
    expired["exp"] = json!(now() - 120);
    let (status, body) = f.call("/billing/v1/me", Some(&f.key.sign(&expired))).await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "the token has expired");

    let mut early = claims("rider");
    early["nbf"] = json!(now() + 600);
    assert_eq!(f.me(&f.key.sign(&early)).await, 401);

    // Within the leeway, a few seconds of clock skew is tolerated.
    let mut skewed = claims("rider");
    skewed["nbf"] = json!(now() + 2);
    assert_eq!(f.me(&f.key.sign(&skewed)).await, 200);
}

#[tokio::test]
async fn wrong_issuer_audience_or_missing_claims_are_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut c = claims("rider");
    c["iss"] = json!("someone-else");
    assert_eq!(f.me(&f.key.sign(&c)).await, 401);
    let mut c = claims("rider");
    c["aud"] = json!("other-platform");
    assert_eq!(f.me(&f.key.sign(&c)).await, 401);
    let mut c = claims("rider");
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(f.me(&f.key.sign(&c)).await, 401);
    let mut c = claims("rider");
    c["role"] = json!("superuser");
    assert_eq!(f.me(&f.key.sign(&c)).await, 401);
}

#[tokio::test]
async fn a_tampered_payload_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let token = f.key.sign(&claims("rider"));
    let parts: Vec<&str> = token.split('.').collect();
    let forged = B64.encode(claims("admin").to_string());
    assert_eq!(
        f.me(&format!("{}.{forged}.{}", parts[0], parts[2])).await,
        401
    );
    let mut sig = B64.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    assert_eq!(
        f.me(&format!("{}.{}.{}", parts[0], parts[1], B64.encode(sig)))
            .await,
        401
    );
}

#[tokio::test]
async fn unknown_kid_refreshes_the_jwks_once_then_is_refused_and_rate_limited() {
    // A cooldown long enough that the 20 refusals below fit in it even on a loaded machine.
    let f = fixture(Duration::from_secs(2)).await;
    assert_eq!(f.me(&f.key.sign(&claims("rider"))).await, 200);
    assert_eq!(f.jwks.fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let stranger = SigningKey::generate("k-unknown");
    assert_eq!(f.me(&stranger.sign(&claims("rider"))).await, 401);
    assert_eq!(
        f.jwks.fetches.load(Ordering::SeqCst),
        2,
        "one refresh on the unknown kid"
    );
    // Within the cooldown, more unknown kids are refused without refetching.
    for i in 0..20 {
        let s = SigningKey::generate(&format!("k-{i}"));
        assert_eq!(f.me(&s.sign(&claims("rider"))).await, 401);
    }
    assert_eq!(
        f.jwks.fetches.load(Ordering::SeqCst),
        2,
        "unknown kids must not flood odmu_auth"
    );
    // Known keys keep working from the cache meanwhile.
    assert_eq!(f.me(&f.key.sign(&claims("rider"))).await, 200);
}

#[tokio::test]
async fn a_rotated_in_key_is_picked_up_and_a_removed_key_stops_verifying() {
    let f = fixture(Duration::from_millis(100)).await;
    let old_token = f.key.sign(&claims("rider"));
    assert_eq!(f.me(&old_token).await, 200);

    let next = SigningKey::generate("k2");
    f.jwks.keys.lock().await.push(next.jwk());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = f.jwks.fetches.load(Ordering::SeqCst);
    assert_eq!(f.me(&next.sign(&claims("rider"))).await, 200);
    assert_eq!(
        f.jwks.fetches.load(Ordering::SeqCst),
        before + 1,
        "one refresh"
    );
    // The previous key still verifies while it is published.
    assert_eq!(f.me(&old_token).await, 200);

    f.jwks.keys.lock().await.remove(0);
    tokio::time::sleep(Duration::from_millis(150)).await;
    // A token with a third, unknown kid forces a refresh that drops k1 from the cache.
    assert_eq!(
        f.me(&SigningKey::generate("k3").sign(&claims("rider")))
            .await,
        401
    );
    assert_eq!(f.me(&old_token).await, 401);
}

#[tokio::test]
async fn a_wrong_role_is_403_and_the_right_role_passes() {
    let f = fixture(Duration::from_secs(5)).await;
    let (status, body) = f
        .call("/billing/v1/admin", Some(&f.key.sign(&claims("rider"))))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["status"], 403);
    assert_eq!(
        f.call("/billing/v1/admin", Some(&f.key.sign(&claims("admin"))))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn keys_unavailable_is_503_not_401() {
    // AUTH_URL points at a port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config =
        AuthConfig::from_env(&odmu_config::Env::from_pairs([("AUTH_URL", dead.as_str())])).unwrap();
    let verifier = Verifier::new(config);
    let token = SigningKey::generate("k1").sign(&claims("rider"));
    assert_eq!(
        verifier.verify(&token).await,
        Err(odmu_authn::AuthError::KeysUnavailable)
    );
}
