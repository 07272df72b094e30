//! Every route of client_app_api, registered once: the router and the OpenAPI document both
//! follow from this list. Paths are relative to `/client`.

pub mod object;
pub mod quotes;
pub mod trips;

use odmu_runtime::{OpenApiRouter, routes};

use crate::AppState;

/// The routes, at paths relative to `/client`.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(quotes::create::handler))
        .routes(routes!(trips::create::handler, trips::list::handler))
        .routes(routes!(trips::get::handler))
        .routes(routes!(trips::cancel::handler))
}
