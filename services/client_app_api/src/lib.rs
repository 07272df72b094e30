//! client_app_api: the rider's app talks only to this. Quotes (the route distance estimated
//! here, the demand measured at driver_api, the price made by contractual on the rider's
//! behalf), trips (booked once per quote, safe against lost answers and retries), and their
//! cancellation.
//!
//! Serves everything under `/client` (DESIGN.md §1); its API is in DESIGN.md §5. A trip row
//! holds only what is the rider's; the ride's truth (status, driver, prices, invoice) stays in
//! driver_api under the same id and is merged in on every read.

pub mod clients;
pub mod config;
pub mod domain;
pub mod error;
pub mod routes;
pub mod state;
pub mod store;

use odmu_idempotency::Idempotency;
use odmu_runtime::{App, BoxError, OpenApiRouter, Platform, Worker};
use odmu_storage::Migrations;
use odmu_topology::Service;

pub use config::Config;
pub use error::Error;
pub use state::AppState;

use crate::clients::contractual::Contractual;
use crate::clients::driver_api::DriverApi;

/// The client_app_api service.
pub struct ClientAppApi;

impl App for ClientAppApi {
    const SERVICE: &'static Service = &odmu_topology::CLIENT_APP_API;
    const DESCRIPTION: &'static str = "The rider's app: quotes, trips and their cancellation.";
    type Config = Config;
    type State = AppState;

    fn migrations() -> &'static Migrations {
        odmu_storage::migrations!()
    }

    async fn state(config: Config, platform: Platform) -> Result<AppState, BoxError> {
        let idempotency = Idempotency::install(
            platform.db.clone(),
            platform.verifier.clone(),
            config.idempotency,
        )
        .await?;
        // Without credentials the service still starts (probes, docs); the routes that need
        // a dependency answer 503 until they are set (the stack and deployments set them).
        let client = |service: &'static Service| match platform.client(service) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::warn!(error = %e, dependency = service.name, "no client: its routes will answer 503");
                None
            }
        };
        let contractual =
            client(&odmu_topology::CONTRACTUAL).map(|c| Contractual::new(c, config.call_timeout));
        let driver_api =
            client(&odmu_topology::DRIVER_API).map(|c| DriverApi::new(c, config.call_timeout));
        Ok(AppState::new(
            platform,
            idempotency,
            contractual,
            driver_api,
            config,
        ))
    }

    fn routes() -> OpenApiRouter<AppState> {
        routes::all()
    }

    fn workers(state: &AppState) -> Vec<Worker> {
        vec![state.idempotency().pruner()]
    }
}
