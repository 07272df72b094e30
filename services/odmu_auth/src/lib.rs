//! odmu_auth: the identity service and the root of trust of the platform. It keeps accounts
//! and refresh tokens, signs access tokens with its Ed25519 key, and publishes the public keys
//! that every other service verifies tokens with (DESIGN.md §4, §5).

mod config;
mod error;
mod keys;
mod limits;
pub mod oauth;
mod password;
mod store;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use odmu_authn::Verifier;
use odmu_runtime::{App, BoxError, OpenApiRouter, Platform, Worker, routes};
use odmu_storage::{Db, Migrations};
use odmu_topology::Service;

pub use config::Config;
pub use error::Error;
pub use keys::SigningKeys;
pub use oauth::sha256_hex;
pub use odmu_authn::SigningKey;

/// The odmu_auth service.
pub struct OdmuAuth;

/// Handler state.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    platform: Platform,
    config: Config,
    passwords: password::Passwords,
    limits: limits::Limits,
}

impl AppState {
    fn new(config: Config, platform: Platform) -> Self {
        let rate = |limit, window| limits::Rate { limit, window };
        let limits = limits::Limits::new(
            rate(config.login_per_address, config.login_window),
            rate(config.login_per_account, config.login_window),
            rate(config.signup_per_address, config.signup_window),
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

    fn limits(&self) -> &limits::Limits {
        &self.0.limits
    }

    /// Argon2id off the async workers: it takes tens of milliseconds of CPU by design.
    async fn hash_password(&self, password: String) -> Result<String, Error> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.0.passwords.hash(&password))
            .await
            .map_err(|e| Error::Hashing(e.to_string()))?
            .map_err(|e| Error::Hashing(e.to_string()))
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

impl App for OdmuAuth {
    const SERVICE: &'static Service = &odmu_topology::AUTH;
    const DESCRIPTION: &'static str = "Accounts, tokens (OAuth 2.0 password, refresh_token and client_credentials grants), revocation, and the JWKS.";
    type Config = Config;
    type State = AppState;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(config: Config, platform: Platform) -> Result<AppState, BoxError> {
        if let Some((email, password)) = &config.bootstrap_admin
            && store::user_by_email(&platform.db, email).await?.is_none()
        {
            users::bootstrap_admin(&platform.db, email, password.expose()).await?;
        }
        Ok(AppState::new(config, platform))
    }

    fn routes() -> OpenApiRouter<AppState> {
        OpenApiRouter::new()
            .routes(routes!(users::create_user))
            .routes(routes!(users::me))
            .routes(routes!(oauth::token))
            .routes(routes!(oauth::revoke))
            .routes(routes!(oauth::jwks))
    }

    fn workers(state: &AppState) -> Vec<Worker> {
        // Keep the limiters' memory bounded by forgetting idle keys now and then.
        let state = state.clone();
        vec![Worker::every(
            "login-limits-cleanup",
            Duration::from_secs(60),
            move || {
                let state = state.clone();
                async move { state.limits().forget_idle() }
            },
        )]
    }
}
