//! client_app_api: the rider's app: quotes, trips and their cancellation.
//!
//! Serves everything under its prefix (DESIGN.md §1); its public API is in DESIGN.md §5.

use odmu_runtime::{App, BoxError, OpenApiRouter, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

/// The client_app_api service.
pub struct ClientAppApi;

impl App for ClientAppApi {
    const SERVICE: &'static Service = &odmu_topology::CLIENT_APP_API;
    const DESCRIPTION: &'static str = "The rider's app: quotes, trips and their cancellation.";
    type Config = ();
    type State = Platform;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(_config: (), platform: Platform) -> Result<Platform, BoxError> {
        Ok(platform)
    }

    fn routes() -> OpenApiRouter<Platform> {
        OpenApiRouter::new()
    }
}
