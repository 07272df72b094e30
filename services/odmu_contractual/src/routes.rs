//! Every route of odmu_contractual, registered once: the router and the OpenAPI document
//! both follow from this list. Paths are relative to `/contract`.

pub mod agreements;
pub mod prices;
pub mod quotes;
pub mod tariffs;
pub mod terms;

use odmu_http::Fields;
use odmu_runtime::{OpenApiRouter, routes};

use crate::AppState;

/// The routes, at paths relative to `/contract`.
pub fn all() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tariffs::create::handler, tariffs::list::handler))
        .routes(routes!(tariffs::current::handler))
        .routes(routes!(tariffs::version::handler))
        .routes(routes!(quotes::create::handler))
        .routes(routes!(quotes::get::handler))
        .routes(routes!(prices::create::handler))
        .routes(routes!(terms::publish::handler))
        .routes(routes!(terms::current::handler))
        .routes(routes!(agreements::create::handler))
        .routes(routes!(agreements::me::handler))
        .routes(routes!(agreements::internal::handler))
}

/// Checks that `text` has `min..=max` characters and is not blank.
pub fn check_text(fields: &mut Fields, field: &str, text: &str, min: usize, max: usize) {
    use crate::domain::text::{has_length, is_blank};
    if !has_length(text, min, max) {
        fields.fail(field, format!("must be {min} to {max} characters"));
    } else if is_blank(text) {
        fields.fail(field, "must not be blank");
    }
}
