//! Every route of billing, registered once: the router and the OpenAPI document both follow
//! from this list.

pub mod charges;
pub mod earnings;
pub mod invoices;
pub mod ledger;
pub mod payments;
pub mod payouts;
mod schemas;

use odmu_runtime::{OpenApiRouter, routes};

use crate::AppState;

/// The routes, at paths relative to `/billing`.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(charges::create::handler))
        .routes(routes!(invoices::list::handler))
        .routes(routes!(invoices::get::handler))
        .routes(routes!(invoices::void::handler))
        .routes(routes!(payments::create::handler))
        .routes(routes!(earnings::get::handler))
        .routes(routes!(payouts::create::handler))
        .routes(routes!(ledger::summary::handler))
        .routes(routes!(ledger::transactions::handler))
}
