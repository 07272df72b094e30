//! Token verification as the middleware does it (header, allow-list, cached key, signature,
//! claims), on one thread: the figure is per core.
//!
//! `cargo bench -p odmu-authn --bench verify`

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use odmu_authn::{AuthConfig, Verifier};
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::json;

fn verification(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "alg": "EdDSA",
                                "x": B64.encode(pair.public_key().as_ref())}]});
    let auth_url = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            odmu_authn::JWKS_PATH,
            get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    });
    let env = odmu_config::Env::from_pairs([("AUTH_URL", auth_url.as_str())]);
    let verifier = Verifier::new(AuthConfig::from_env(&env).unwrap());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"iss": "odmu", "aud": "odmu", "sub": "0b1c6a9e-6b8e-4bd5-9a55-4ad3c1d2e3f4",
                        "role": "rider", "iat": now, "exp": now + 900,
                        "jti": "5f0e2a4c-1d3b-4c5e-8f7a-9b0c1d2e3f4a"});
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let token =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(pkcs8.as_ref())).unwrap();
    // Warm the key cache, as in a running service.
    rt.block_on(verifier.verify(&token)).unwrap();

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("eddsa_access_token", |b| {
        b.iter(|| {
            rt.block_on(verifier.verify(std::hint::black_box(&token)))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
