//! driver_api: driver profiles, availability and location, rides and their lifecycle.
//!
//! Serves everything under `{prefix}` (DESIGN.md §1); its public API is in DESIGN.md §5.

pub mod profile;

use axum::Router;
use axum::routing::get;
use odmu_config::{ConfigError, Env};
use odmu_runtime::{App, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

/// The driver_api service.
pub struct DriverApi;

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("migrations/sqlite"),
    postgres: sqlx::migrate!("migrations/postgres"),
};

/// The service's own routes (`{prefix}/v1/...`). The state is the runtime's [`Platform`]
/// (take `State<Db>`, or `Authenticated` / `Auth<R>` for the caller's token) until the service
/// needs more. So far: the driver's profile; availability and rides arrive with their issue.
pub fn router(platform: Platform) -> Router {
    Router::new()
        .route(
            "/driver/v1/profile",
            get(profile::get_profile).put(profile::put_profile),
        )
        .with_state(platform)
}

/// The OpenAPI document of the routes above.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(profile::get_profile, profile::put_profile),
    components(schemas(profile::ProfileInput, profile::Profile)),
    info(
        title = "driver_api",
        description = "driver profiles, availability and location, rides and their lifecycle."
    )
)]
pub struct ApiDoc;

impl App for DriverApi {
    type Config = ();

    fn service() -> &'static Service {
        &odmu_topology::DRIVER_API
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
