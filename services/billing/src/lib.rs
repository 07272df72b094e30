//! billing: invoices, payments, the double-entry ledger and driver earnings.
//!
//! Serves everything under `/billing` (DESIGN.md §1); its API is in DESIGN.md §5 and its
//! ledger rules in §5a. A charge from another service becomes exactly one invoice per ride and
//! kind (a UNIQUE constraint) and one balanced ledger transaction, written together; payments,
//! voids and payouts each post one more transaction in the database transaction that changes
//! their row. The pure rules live in [`domain`]; [`ledger`] appends transactions and keeps the
//! cached balances and totals; [`store`] holds the SQL.

pub mod clients;
pub mod config;
pub mod domain;
pub mod error;
pub mod ledger;
pub mod payments;
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
use crate::payments::ReportedCapture;

/// The billing service.
pub struct Billing;

impl App for Billing {
    const SERVICE: &'static Service = &odmu_topology::BILLING;
    const DESCRIPTION: &'static str =
        "Invoices, payments, the double-entry ledger and driver earnings.";
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
        let contractual = match platform.client(&odmu_topology::CONTRACTUAL) {
            Ok(client) => Some(Contractual::new(client, config.price_timeout)),
            Err(e) => {
                // Everything but charges works without it; charges answer 503 until the
                // credentials are set (the stack and the deployments always set them).
                tracing::warn!(error = %e, "no client for odmu_contractual: charges will answer 503");
                None
            }
        };
        Ok(AppState::new(
            platform,
            idempotency,
            contractual,
            Box::new(ReportedCapture),
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
