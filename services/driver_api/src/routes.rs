//! Every route of driver_api, registered once: the router and the OpenAPI document both
//! follow from this list.

pub mod availability;
pub mod input;
pub mod internal;
pub mod location;
pub mod outbox;
pub mod profile;
pub mod rides;

use odmu_runtime::{OpenApiRouter, routes};

use crate::AppState;

/// The routes, at paths relative to `/driver`.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(profile::get::handler, profile::put::handler))
        .routes(routes!(availability::put::handler))
        .routes(routes!(location::put::handler))
        .routes(routes!(rides::open::handler))
        .routes(routes!(rides::list::handler))
        .routes(routes!(rides::get::handler))
        .routes(routes!(rides::accept::handler))
        .routes(routes!(rides::release::handler))
        .routes(routes!(rides::start::handler))
        .routes(routes!(rides::complete::handler))
        .routes(routes!(internal::rides::create::handler))
        .routes(routes!(internal::rides::get::handler))
        .routes(routes!(internal::rides::cancel::handler))
        .routes(routes!(internal::supply::handler))
        .routes(routes!(outbox::get::handler))
        .routes(routes!(outbox::retry::handler))
}
