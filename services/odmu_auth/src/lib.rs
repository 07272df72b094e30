//! odmu_auth: the identity service: accounts, credentials, refresh tokens and signing keys. The root of trust: every other service verifies its tokens from the keys it publishes.
//!
//! Serves everything under `{prefix}` (DESIGN.md §1); its public API is in DESIGN.md §5.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use odmu_authn::Verifier;
use odmu_config::{ConfigError, Env};
use odmu_runtime::{App, Platform};
use odmu_storage::{Db, Migrations};
use odmu_topology::Service;

/// The odmu_auth service.
pub struct OdmuAuth;

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

/// Handler state: cheap to clone, parts taken with `State<Db>`, `State<Verifier>`, or
/// `Authenticated` / `Auth<R>` for the caller's token.
#[derive(Clone)]
pub struct AppState(Arc<Platform>);

impl AppState {
    /// State over the platform's parts.
    pub fn new(platform: Platform) -> Self {
        Self(Arc::new(platform))
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Self {
        state.0.db.clone()
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.0.verifier.clone()
    }
}

/// The service's own routes (`{prefix}/v1/...`). Handlers take `Auth<R>` or
/// `Authenticated` to require a token; the domain endpoints arrive with their issues.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}

/// The OpenAPI document of the routes above.
#[derive(utoipa::OpenApi)]
#[openapi(info(
    title = "odmu_auth",
    description = "the identity service: accounts, credentials, refresh tokens and signing keys. The root of trust: every other service verifies its tokens from the keys it publishes."
))]
pub struct ApiDoc;

impl App for OdmuAuth {
    type Config = ();

    fn service() -> &'static Service {
        &odmu_topology::AUTH
    }

    fn config(_env: &Env) -> Result<Self::Config, ConfigError> {
        Ok(())
    }

    fn migrations() -> &'static Migrations {
        &MIGRATIONS
    }

    fn router(_config: Self::Config, platform: Platform) -> Router {
        router(AppState::new(platform))
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }
}
