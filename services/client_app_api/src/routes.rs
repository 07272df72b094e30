//! Every route of client_app_api, registered once: the router and the OpenAPI document both
//! follow from this list. Paths are relative to `/client`.

pub mod object;
pub mod quotes;
pub mod trips;

use odmu_http::{FieldError, Problem};
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

/// Collects every field problem of one request, to answer them all in one 422.
#[derive(Debug)]
pub struct Fields(Problem);

impl Fields {
    /// No problem yet; `detail` is the 422's summary if one is found.
    pub fn new(detail: &str) -> Self {
        Self(Problem::unprocessable(detail))
    }

    /// Records a problem with `field` (a dotted path into the body).
    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.0.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok` when nothing was recorded, else the 422 naming every field.
    pub fn finish(self) -> Result<(), Problem> {
        if self.0.errors.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}
