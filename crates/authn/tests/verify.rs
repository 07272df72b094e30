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
use odmu_authn::{Auth, AuthConfig, Authenticated, SigningKey, Verifier, roles};
use odmu_http::Json;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// A person's subject: their account id.
const USER: &str = "2f1c3d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(role: &str) -> Value {
    json!({"iss": "odmu", "aud": "odmu", "sub": USER, "role": role,
           "iat": now(), "exp": now() + 900, "jti": "j1"})
}

#[derive(Clone)]
struct Jwks {
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

struct Fixture {
    app: String,
    jwks_url: String,
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

fn key() -> SigningKey {
    SigningKey::generate().unwrap().0
}

fn sign(key: &SigningKey, claims: &Value) -> String {
    key.sign_any(claims).unwrap()
}

async fn fixture(min_refresh: Duration) -> Fixture {
    fixture_with(|c| c.jwks_min_refresh = min_refresh).await
}

async fn fixture_with(adjust: impl FnOnce(&mut AuthConfig)) -> Fixture {
    let key = key();
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
    // The app below plays billing, as the runtime configures each service's verifier.
    config.service = Some("billing".to_owned());
    adjust(&mut config);
    let verifier = Verifier::new(config);
    let app = Router::new()
        .route(
            "/billing/v1/me",
            get(|Authenticated(c): Authenticated| async move { Json(c) }),
        )
        .route(
            "/billing/v1/admin",
            get(|a: Auth<roles::Admin>| async move { Json(a.claims) }),
        )
        .route(
            "/billing/v1/driver",
            get(|a: Auth<roles::Driver>| async move { Json(json!({"driver": a.driver()})) }),
        )
        .with_state(verifier);
    let app = odmu_http::with_common_layers(app, Duration::from_secs(5));
    Fixture {
        jwks_url: auth_url,
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
        .call("/billing/v1/me", Some(&sign(&f.key, &claims("rider"))))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["sub"], USER);
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
            format!("Basic {}", sign(&f.key, &claims("rider"))),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let kid = f.key.kid.clone();
    let header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let payload = B64.encode(claims("admin").to_string());
    assert_eq!(f.me(&format!("{header}.{payload}.")).await, 401);
    assert_eq!(f.me(&format!("{header}.{payload}")).await, 401);
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_as_secret_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(f.key.kid.clone());
    let public = B64.decode(f.key.jwk()["x"].as_str().unwrap()).unwrap();
    for secret in [public, f.key.jwk().to_string().into_bytes()] {
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
    let (status, body) = f
        .call("/billing/v1/me", Some(&sign(&f.key, &expired)))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "the token has expired");

    let mut early = claims("rider");
    early["nbf"] = json!(now() + 600);
    assert_eq!(f.me(&sign(&f.key, &early)).await, 401);

    // Within the leeway, a few seconds of clock skew is tolerated.
    let mut skewed = claims("rider");
    skewed["nbf"] = json!(now() + 2);
    assert_eq!(f.me(&sign(&f.key, &skewed)).await, 200);
}

#[tokio::test]
async fn wrong_issuer_audience_or_missing_claims_are_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut c = claims("rider");
    c["iss"] = json!("someone-else");
    assert_eq!(f.me(&sign(&f.key, &c)).await, 401);
    let mut c = claims("rider");
    c["aud"] = json!("other-platform");
    assert_eq!(f.me(&sign(&f.key, &c)).await, 401);
    let mut c = claims("rider");
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(f.me(&sign(&f.key, &c)).await, 401);
    let mut c = claims("rider");
    c["role"] = json!("superuser");
    assert_eq!(f.me(&sign(&f.key, &c)).await, 401);
}

#[tokio::test]
async fn a_tampered_token_is_refused_even_while_the_original_is_cached() {
    let f = fixture(Duration::from_secs(5)).await;
    let token = sign(&f.key, &claims("rider"));
    assert_eq!(f.me(&token).await, 200, "verified and cached");
    // One byte changed anywhere: refused on every request.
    for at in [5, token.len() / 2, token.len() - 2] {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        for _ in 0..2 {
            assert_eq!(f.me(&changed).await, 401, "byte {at}");
        }
    }
    assert_eq!(f.me(&token).await, 200, "the original still passes");
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
    assert_eq!(f.me(&sign(&f.key, &claims("rider"))).await, 200);
    assert_eq!(f.jwks.fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;

    let stranger = key();
    assert_eq!(f.me(&sign(&stranger, &claims("rider"))).await, 401);
    assert_eq!(
        f.jwks.fetches.load(Ordering::SeqCst),
        2,
        "one refresh on the unknown kid"
    );
    // Within the cooldown, more unknown kids are refused without refetching.
    for _ in 0..20 {
        let s = key();
        assert_eq!(f.me(&sign(&s, &claims("rider"))).await, 401);
    }
    assert_eq!(
        f.jwks.fetches.load(Ordering::SeqCst),
        2,
        "unknown kids must not flood odmu_auth"
    );
    // Known keys keep working from the cache meanwhile.
    assert_eq!(f.me(&sign(&f.key, &claims("rider"))).await, 200);
}

#[tokio::test]
async fn a_rotated_in_key_is_picked_up_and_a_removed_key_stops_verifying() {
    let f = fixture(Duration::from_millis(100)).await;
    let old_token = sign(&f.key, &claims("rider"));
    assert_eq!(f.me(&old_token).await, 200);

    let next = key();
    f.jwks.keys.lock().await.push(next.jwk());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = f.jwks.fetches.load(Ordering::SeqCst);
    assert_eq!(f.me(&sign(&next, &claims("rider"))).await, 200);
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
    assert_eq!(f.me(&sign(&key(), &claims("rider"))).await, 401);
    assert_eq!(f.me(&old_token).await, 401);
}

#[tokio::test]
async fn a_wrong_role_is_403_and_the_right_role_passes() {
    let f = fixture(Duration::from_secs(5)).await;
    let (status, body) = f
        .call("/billing/v1/admin", Some(&sign(&f.key, &claims("rider"))))
        .await;
    assert_eq!(status, 403);
    assert_eq!(body["status"], 403);
    assert_eq!(
        f.call("/billing/v1/admin", Some(&sign(&f.key, &claims("admin"))))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn a_persons_subject_must_be_an_account_id_and_a_services_is_its_name() {
    let f = fixture(Duration::from_secs(5)).await;
    let (status, body) = f
        .call("/billing/v1/driver", Some(&sign(&f.key, &claims("driver"))))
        .await;
    assert_eq!((status, body["driver"].as_str()), (200, Some(USER)));
    for (role, sub) in [
        ("driver", "driver-7"),
        ("rider", ""),
        ("admin", "2F1C3D4E5A6B4C7D8E9F0A1B2C3D4E5F"),
    ] {
        let mut c = claims(role);
        c["sub"] = json!(sub);
        assert_eq!(f.me(&sign(&f.key, &c)).await, 401, "{role} {sub:?}");
    }
    let mut service = claims("service");
    service["sub"] = json!("driver_api");
    service["aud"] = json!(["odmu_contractual", "billing", "odmu_auth"]);
    assert_eq!(f.me(&sign(&f.key, &service)).await, 200);
}

/// Finding: every token had `aud: odmu`, so any service's credentials opened every
/// service's internal endpoints. A service's token now names the services it calls.
#[tokio::test]
async fn a_services_token_opens_only_the_services_it_calls() {
    let f = fixture(Duration::from_secs(5)).await;
    // billing calls contractual, never itself: its own token does not open billing.
    let mut billing = claims("service");
    billing["sub"] = json!("billing");
    billing["aud"] = json!(["odmu_contractual", "odmu_auth"]);
    assert_eq!(f.me(&sign(&f.key, &billing)).await, 401);
    // The platform-wide audience is a person's, never a service's.
    billing["aud"] = json!("odmu");
    assert_eq!(f.me(&sign(&f.key, &billing)).await, 401);
    // And a person's token needs the platform's audience, not a service's name.
    let mut rider = claims("rider");
    rider["aud"] = json!("billing");
    assert_eq!(f.me(&sign(&f.key, &rider)).await, 401);
    // What odmu_auth issues: driver_api calls billing.
    let issued =
        odmu_authn::Claims::for_service("odmu", "driver_api", Duration::from_secs(900)).unwrap();
    assert!(issued.aud.iter().any(|a| a == "billing"));
    assert_eq!(f.me(&f.key.sign(&issued).unwrap()).await, 200);
    assert_eq!(
        odmu_authn::Claims::for_service("odmu", "billing", Duration::from_secs(900))
            .unwrap()
            .aud,
        ["odmu_contractual", "odmu_auth"]
    );
    assert!(odmu_authn::Claims::for_service("odmu", "mallory", Duration::from_secs(900)).is_none());
}

/// Finding: the verifier accepted any `exp` (a token expiring in 2100 passed).
#[tokio::test]
async fn a_token_living_longer_than_any_odmu_auth_issues_is_refused() {
    let f = fixture(Duration::from_secs(5)).await;
    let mut forever = claims("rider");
    forever["exp"] = json!(4_102_444_800_i64); // 2100-01-01
    assert_eq!(f.me(&sign(&f.key, &forever)).await, 401);
    let mut hour = claims("rider");
    hour["exp"] = json!(now() + 3600);
    assert_eq!(f.me(&sign(&f.key, &hour)).await, 200, "the longest allowed");
    hour["exp"] = json!(now() + 3600 + 60);
    assert_eq!(f.me(&sign(&f.key, &hour)).await, 401);
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
    let token = sign(&key(), &claims("rider"));
    assert_eq!(
        verifier.verify(&token).await,
        Err(odmu_authn::AuthError::KeysUnavailable)
    );
}

#[tokio::test]
async fn a_cached_token_is_refused_once_its_exp_passes() {
    let f = fixture_with(|c| c.leeway = Duration::ZERO).await;
    let mut short = claims("rider");
    short["exp"] = json!(now() + 2);
    let token = sign(&f.key, &short);
    assert_eq!(f.me(&token).await, 200);
    assert_eq!(f.me(&token).await, 200, "from the cache");
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, body) = f.call("/billing/v1/me", Some(&token)).await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "the token has expired");
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_stops_its_cached_tokens_within_the_refresh_interval() {
    let f = fixture_with(|c| {
        c.jwks_min_refresh = Duration::from_millis(50);
        c.jwks_max_age = Duration::from_millis(300);
    })
    .await;
    let token = sign(&f.key, &claims("rider"));
    assert_eq!(f.me(&token).await, 200);
    assert_eq!(f.me(&token).await, 200, "from the cache");
    let fetches = f.jwks.fetches.load(Ordering::SeqCst);
    f.jwks.keys.lock().await.clear();
    // Nothing else happens: the cached answer must not outlive the key set's maximum age.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(f.me(&token).await, 401);
    assert!(
        f.jwks.fetches.load(Ordering::SeqCst) > fetches,
        "the set was refetched"
    );
}

#[tokio::test]
async fn repeated_presentations_of_a_token_verify_once_then_hit_the_cache() {
    let f = fixture(Duration::from_secs(5)).await;
    let token = sign(&f.key, &claims("rider"));
    let config = AuthConfig::from_env(&odmu_config::Env::from_pairs([(
        "AUTH_URL",
        f.jwks_url.as_str(),
    )]))
    .unwrap();
    let verifier = Verifier::new(config);
    let first = verifier.verify(&token).await.unwrap();
    let started = std::time::Instant::now();
    for _ in 0..2000 {
        assert_eq!(verifier.verify(&token).await.unwrap(), first);
    }
    // 2000 full EdDSA verifications take over 60 ms even optimised; cached ones, a fraction.
    let per = started.elapsed() / 2000;
    assert!(
        per < Duration::from_micros(30),
        "{per:?} per cached verification"
    );
}
