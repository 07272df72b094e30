//! odmu_auth: the identity service: accounts, credentials, refresh tokens and signing keys. The root of trust: every other service verifies its tokens from the keys it publishes.
//!
//! Serves everything under `{prefix}` (DESIGN.md §1); its public API is in DESIGN.md §5.

use axum::Router;
use odmu_config::{ConfigError, Env};
use odmu_runtime::{App, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

/// The odmu_auth service.
pub struct OdmuAuth;

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

/// The service's own routes (`{prefix}/v1/...`). The state is the runtime's [`Platform`]
/// (take `State<Db>`, or `Authenticated` / `Auth<R>` for the caller's token) until the service
/// needs more; the domain endpoints arrive with their issues.
pub fn router(platform: Platform) -> Router {
    Router::new().with_state(platform)
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
        router(platform)
    }

    fn openapi() -> utoipa::openapi::OpenApi {
        <ApiDoc as utoipa::OpenApi>::openapi()
    }
}
