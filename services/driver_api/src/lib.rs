//! driver_api: driver profiles, availability and location, rides and their lifecycle.
//!
//! Serves everything under `/driver` (DESIGN.md §1); its public API is in DESIGN.md §5.

pub mod error;
pub mod routes;
pub mod store;

use odmu_runtime::{App, BoxError, OpenApiRouter, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

pub use error::Error;

/// The driver_api service.
pub struct DriverApi;

/// What the handlers share.
pub type AppState = Platform;

impl App for DriverApi {
    const SERVICE: &'static Service = &odmu_topology::DRIVER_API;
    const DESCRIPTION: &'static str =
        "Driver profiles, availability and location, rides and their lifecycle.";
    type Config = ();
    type State = AppState;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(_config: (), platform: Platform) -> Result<AppState, BoxError> {
        Ok(platform)
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::all()
    }
}
