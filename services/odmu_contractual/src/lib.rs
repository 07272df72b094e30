//! odmu_contractual: tariffs (versioned), quotes, final prices, driver terms and agreements.
//!
//! Serves everything under `/contract` (DESIGN.md §1); its public API is in DESIGN.md §5 and
//! its pricing rules in §5a. The money arithmetic lives in [`domain`] (pure, no I/O); routes
//! check what callers send, and [`store`] keeps tariff versions, quotes, terms and agreements.

pub mod config;
pub mod domain;
pub mod error;
pub mod routes;
mod seed;
pub mod state;
pub mod store;

use odmu_runtime::{App, BoxError, OpenApiRouter, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

pub use config::Config;
pub use error::Error;
pub use state::AppState;

/// The odmu_contractual service.
pub struct Contractual;

impl App for Contractual {
    const SERVICE: &'static Service = &odmu_topology::CONTRACTUAL;
    const DESCRIPTION: &'static str =
        "Tariffs (versioned), quotes, final prices, driver terms and agreements.";
    type Config = Config;
    type State = AppState;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(config: Config, platform: Platform) -> Result<AppState, BoxError> {
        // A fresh platform quotes at once: tariff `standard` v1 and terms v1, created once
        // however many tasks start together (conditional inserts).
        seed::ensure_defaults(&platform.db).await?;
        Ok(AppState::new(config, platform))
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::all()
    }
}
