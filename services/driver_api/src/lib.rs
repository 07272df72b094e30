//! driver_api: driver profiles, availability and location, rides and their lifecycle.
//!
//! Serves everything under `/driver` (DESIGN.md §1); its public API is in DESIGN.md §5 and
//! the ride rules in §5a. The pure rules (status machine, cancellation fee, start codes, H3
//! geometry) live in [`domain`]; every status change is one conditional write in
//! [`store::transitions`]; charges reach billing through the transactional outbox
//! ([`charges`]); [`dispatch`] finds rides and supply near a point; [`expiry`] expires rides
//! no driver took.

pub mod charges;
pub mod clients;
pub mod config;
pub mod dispatch;
pub mod domain;
pub mod error;
pub mod expiry;
pub mod routes;
pub mod state;
pub mod store;

use odmu_outbox::{Outbox, OutboxConfig};
use odmu_runtime::{App, BoxError, OpenApiRouter, Platform, Worker};
use odmu_storage::Migrations;
use odmu_topology::Service;

pub use config::Config;
pub use error::Error;
pub use state::AppState;

use crate::charges::ChargeRelay;
use crate::clients::billing::Billing;
use crate::clients::contractual::Contractual;

/// The driver_api service.
pub struct DriverApi;

impl App for DriverApi {
    const SERVICE: &'static Service = &odmu_topology::DRIVER_API;
    const DESCRIPTION: &'static str =
        "Driver profiles, availability and location, rides and their lifecycle.";
    type Config = Config;
    type State = AppState;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(config: Config, platform: Platform) -> Result<AppState, BoxError> {
        let outbox = Outbox::install(platform.db.clone(), OutboxConfig::default()).await?;
        let client = |service| match platform.client(service) {
            Ok(client) => Some(client),
            Err(e) => {
                // Profiles work without them; what needs one answers 503 (the stack and the
                // deployments always set the credentials).
                tracing::warn!(error = %e, dependency = service.name, "no client for a dependency");
                None
            }
        };
        let contractual = client(&odmu_topology::CONTRACTUAL).map(Contractual::new);
        let billing = client(&odmu_topology::BILLING).map(Billing::new);
        Ok(AppState::new(
            platform,
            config,
            outbox,
            contractual,
            billing,
        ))
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::all()
    }

    fn workers(state: &AppState) -> Vec<Worker> {
        let relay = ChargeRelay::new(state.billing().cloned());
        vec![state.outbox().relay(relay), expiry::worker(state)]
    }
}
