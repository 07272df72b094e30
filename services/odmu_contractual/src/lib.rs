//! odmu_contractual: tariffs (versioned), quotes, final prices, driver terms and agreements.
//!
//! Serves everything under its prefix (DESIGN.md §1); its public API is in DESIGN.md §5.

use odmu_runtime::{App, BoxError, OpenApiRouter, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

/// The odmu_contractual service.
pub struct Contractual;

impl App for Contractual {
    const SERVICE: &'static Service = &odmu_topology::CONTRACTUAL;
    const DESCRIPTION: &'static str =
        "Tariffs (versioned), quotes, final prices, driver terms and agreements.";
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
