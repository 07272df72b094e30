//! billing: invoices, payments, the double-entry ledger and driver earnings.
//!
//! Serves everything under its prefix (DESIGN.md §1); its public API is in DESIGN.md §5.

use odmu_runtime::{App, BoxError, OpenApiRouter, Platform};
use odmu_storage::Migrations;
use odmu_topology::Service;

/// The billing service.
pub struct Billing;

impl App for Billing {
    const SERVICE: &'static Service = &odmu_topology::BILLING;
    const DESCRIPTION: &'static str =
        "Invoices, payments, the double-entry ledger and driver earnings.";
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
