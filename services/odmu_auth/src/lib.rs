//! odmu_auth: the identity service and the root of trust of the platform. It keeps accounts
//! and refresh tokens, signs access tokens with its Ed25519 key, and publishes the public keys
//! that every other service verifies tokens with (DESIGN.md §4, §5).

mod config;
mod keys;
mod limits;
pub mod oauth;
mod password;
mod store;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use odmu_authn::Verifier;
use odmu_config::{ConfigError, Env};
use odmu_http::Problem;
use odmu_runtime::{App, Platform};
use odmu_storage::{Db, Migrations};
use odmu_topology::Service;

pub use config::Config;
pub use keys::{SigningKey, SigningKeys};
pub use oauth::sha256_hex;

/// The odmu_auth service.
pub struct OdmuAuth;

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

/// Handler state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    config: Config,
    passwords: password::Passwords,
    limits: limits::LoginLimits,
}

impl AppState {
    fn new(config: Config, platform: Platform) -> Self {
        let limits = limits::LoginLimits::new(
            config.login_per_address,
            config.login_per_account,
            config.login_window,
        );
        let state = Self(Arc::new(Inner {
            platform,
            config,
            passwords: password::Passwords::new(),
            limits,
        }));
        // Make the dummy hash now, off the request path, so the first unknown-email login
        // costs the same as every other.
        let warm = state.clone();
        tokio::task::spawn_blocking(move || warm.0.passwords.verify("", None));
        state
    }

    fn db(&self) -> &Db {
        &self.0.platform.db
    }

    fn config(&self) -> &Config {
        &self.0.config
    }

    fn limits(&self) -> &limits::LoginLimits {
        &self.0.limits
    }

    /// Argon2id off the async workers: it takes tens of milliseconds of CPU by design.
    async fn hash_password(&self, password: String) -> Result<String, Problem> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.0.passwords.hash(&password))
            .await
            .map_err(Problem::internal)?
            .map_err(Problem::internal)
    }

    async fn verify_password(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<bool, oauth::OAuthError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.0.passwords.verify(&password, stored.as_deref()))
            .await
            .map_err(oauth::OAuthError::server)
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.0.platform.verifier.clone()
    }
}

/// The routes, all under `/auth`.
pub fn router(state: AppState) -> Router {
    // Keep the limiters' memory bounded by forgetting idle keys now and then.
    let weak = Arc::downgrade(&state.0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { break };
            inner.limits.forget_idle();
        }
    });
    Router::new()
        .route("/auth/v1/users", post(users::create_user))
        .route("/auth/v1/me", get(users::me))
        .route("/auth/v1/token", post(oauth::token))
        .route("/auth/v1/revoke", post(oauth::revoke))
        .route("/auth/.well-known/jwks.json", get(oauth::jwks))
        .with_state(state)
}

/// The OpenAPI document of the routes above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "odmu_auth",
        description = "Accounts, tokens (OAuth 2.0 password, refresh_token and client_credentials grants), revocation, and the JWKS."
    ),
    paths(
        users::create_user,
        users::me,
        oauth::token,
        oauth::revoke,
        oauth::jwks
    ),
    components(schemas(
        users::NewUser,
        users::UserView,
        oauth::TokenRequest,
        oauth::TokenResponse,
        oauth::RevokeRequest
    ))
)]
pub struct ApiDoc;

impl App for OdmuAuth {
    type Config = Config;

    fn service() -> &'static Service {
        &odmu_topology::AUTH
    }

    fn config(env: &Env) -> Result<Self::Config, ConfigError> {
        Config::from_env(env)
    }

    fn migrations() -> &'static Migrations {
        &MIGRATIONS
    }

    async fn prepare(config: &Self::Config, platform: &Platform) -> Result<(), String> {
        let Some((email, password)) = &config.bootstrap_admin else {
            return Ok(());
        };
        if store::user_by_email(&platform.db, email)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Ok(());
        }
        users::bootstrap_admin(&platform.db, email, password.expose()).await
    }

    fn router(config: Self::Config, platform: Platform) -> Router {
        router(AppState::new(config, platform))
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }
}
