//! A test identity: a signing key of the test's own, published by a JWKS served in the test
//! process, that hands out tokens for a rider, a driver, an admin or a service in one line.
//! Services under test verify these tokens exactly as they verify odmu_auth's (same claims,
//! same algorithm, over HTTP); only odmu_auth's own tests need odmu_auth.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use odmu_authn::{Claims, Role, SigningKey};
use serde_json::json;
use tokio::net::TcpListener;

/// The issuer and audience the runtime expects by default.
const ISSUER: &str = "odmu";
const AUDIENCE: &str = "odmu";
/// Access tokens live 15 minutes (DESIGN.md §4).
const ACCESS_TTL: Duration = Duration::from_secs(900);
/// The client secret every service under test presents to the test identity.
pub const SERVICE_SECRET: &str = "test-service-secret";

#[derive(serde::Deserialize)]
struct TokenForm {
    grant_type: String,
    client_id: String,
    client_secret: String,
}

/// Someone who calls a service under test: their id and a valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's `sub`: a user id (a UUID), or a service's name.
    pub id: String,
    /// Their role.
    pub role: Role,
    /// A valid access token.
    pub token: String,
}

/// A signing key and the JWKS that publishes it, on a port of its own. Cheap to clone; share
/// one between the services of a test so each accepts the others' callers.
#[derive(Clone)]
pub struct TestIdentity {
    key: Arc<SigningKey>,
    /// `http://127.0.0.1:PORT`: the `AUTH_URL` to give the services under test.
    pub url: String,
}

impl TestIdentity {
    /// A new key and its JWKS server.
    ///
    /// # Panics
    /// When no key can be made or no port bound: the test cannot go on.
    pub async fn start() -> Self {
        let (key, _) = SigningKey::generate().expect("a signing key");
        let key = Arc::new(key);
        let jwks = json!({ "keys": [key.jwk()] });
        let signer = key.clone();
        // The `client_credentials` grant, for services under test that call each other.
        let token = move |Form(form): Form<TokenForm>| {
            let signer = signer.clone();
            async move {
                if form.grant_type != "client_credentials" || form.client_secret != SERVICE_SECRET {
                    let body = json!({"error": "invalid_client"});
                    return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
                }
                let Some(claims) = Claims::for_service(ISSUER, &form.client_id, ACCESS_TTL) else {
                    let body = json!({"error": "invalid_client"});
                    return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
                };
                let token = signer.sign(&claims).expect("signing");
                axum::Json(json!({"access_token": token, "token_type": "Bearer",
                                  "expires_in": ACCESS_TTL.as_secs()}))
                .into_response()
            }
        };
        let router = Router::new()
            .route(
                odmu_authn::JWKS_PATH,
                get(move || {
                    let jwks = jwks.clone();
                    async move { axum::Json(jwks) }
                }),
            )
            .route(odmu_authn::TOKEN_PATH, post(token));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { key, url }
    }

    /// A token for `sub` in `role`, valid for 15 minutes.
    pub fn token(&self, sub: &str, role: Role) -> String {
        self.sign(&self.claims(sub, role))
    }

    /// Signs any claims (an expired token, a wrong audience...).
    pub fn sign(&self, claims: &Claims) -> String {
        self.key.sign(claims).expect("signing")
    }

    /// Claims as odmu_auth would issue them, to alter before [`TestIdentity::sign`]: a
    /// service's name the services it calls (a name the service table does not know, none).
    pub fn claims(&self, sub: &str, role: Role) -> Claims {
        match role {
            Role::Service => Claims::for_service(ISSUER, sub, ACCESS_TTL).unwrap_or_else(|| {
                let mut claims = Claims::new(ISSUER, AUDIENCE, sub, role, ACCESS_TTL);
                claims.aud.clear();
                claims
            }),
            _ => Claims::new(ISSUER, AUDIENCE, sub, role, ACCESS_TTL),
        }
    }

    /// A caller with a fresh user id in `role`.
    pub fn user(&self, role: Role) -> Caller {
        let id = uuid::Uuid::new_v4().to_string();
        Caller {
            token: self.token(&id, role),
            id,
            role,
        }
    }

    /// A new rider.
    pub fn rider(&self) -> Caller {
        self.user(Role::Rider)
    }

    /// A new driver.
    pub fn driver(&self) -> Caller {
        self.user(Role::Driver)
    }

    /// A new admin.
    pub fn admin(&self) -> Caller {
        self.user(Role::Admin)
    }

    /// The service `name` (a `client_credentials` token's caller).
    pub fn service(&self, name: &str) -> Caller {
        Caller {
            id: name.to_owned(),
            role: Role::Service,
            token: self.token(name, Role::Service),
        }
    }
}
