//! Every route of driver_api, registered once: the router and the OpenAPI document both
//! follow from this list.

pub mod profile;

use odmu_runtime::{OpenApiRouter, routes};

use crate::AppState;

/// The routes, at paths relative to `/driver`.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(profile::get::handler, profile::put::handler))
}
