//! Token verification as the middleware does it, on one thread (the figures are per core):
//! a token seen for the first time (header, allow-list, cached key, EdDSA signature, claims),
//! and the same token presented again (the verified-token cache).
//!
//! `cargo bench -p odmu-authn --bench verify`

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use odmu_authn::{AuthConfig, Claims, Role, SigningKey, Verifier};
use serde_json::json;

fn verification(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (key, _) = SigningKey::generate().unwrap();
    let jwks = json!({"keys": [key.jwk()]});
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
    let claims =
        |sub: &str| Claims::new("odmu", "odmu", sub, Role::Rider, Duration::from_secs(900));
    let token = key
        .sign(&claims("0b1c6a9e-6b8e-4bd5-9a55-4ad3c1d2e3f4"))
        .unwrap();
    // Warm the key cache (and the token's entry), as in a running service.
    rt.block_on(verifier.verify(&token)).unwrap();
    // Distinct tokens, each verified in full the first time it is seen.
    let fresh: Vec<String> = (0..20_000)
        .map(|_| {
            key.sign(&claims(&uuid::Uuid::new_v4().to_string()))
                .unwrap()
        })
        .collect();

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    let mut next = fresh.iter().cycle();
    group.bench_function("eddsa_token_first_seen", |b| {
        b.iter(|| {
            // A cache of 10 000 entries over 20 000 tokens in turn: every one is a miss.
            let token = next.next().unwrap();
            rt.block_on(verifier.verify(std::hint::black_box(token)))
                .unwrap()
        })
    });
    group.bench_function("eddsa_token_presented_again", |b| {
        b.iter(|| {
            rt.block_on(verifier.verify(std::hint::black_box(&token)))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
