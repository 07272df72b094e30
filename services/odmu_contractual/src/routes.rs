//! Every route of odmu_contractual, registered once: the router and the OpenAPI document
//! both follow from this list. Paths are relative to `/contract`.

pub mod agreements;
pub mod integer;
pub mod prices;
pub mod quotes;
pub mod tariffs;
pub mod terms;

use odmu_http::{FieldError, Problem};
use odmu_runtime::{OpenApiRouter, routes};

use crate::{AppState, Error};

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

    /// Checks that `value` is in `min..=max`.
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if !(min..=max).contains(&value) {
            self.fail(field, format!("must be from {min} to {max}, got {value}"));
        }
    }

    /// Checks an optional value like [`Fields::range`]; absent passes.
    pub fn range_opt(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(value) = value {
            self.range(field, value, min, max);
        }
    }

    /// Checks that `text` has `min..=max` characters and is not blank.
    pub fn text(&mut self, field: &str, text: &str, min: usize, max: usize) {
        use crate::domain::text::{has_length, is_blank};
        if !has_length(text, min, max) {
            self.fail(field, format!("must be {min} to {max} characters"));
        } else if is_blank(text) {
            self.fail(field, "must not be blank");
        }
    }

    /// Whether a problem was recorded.
    pub fn any(&self) -> bool {
        !self.0.errors.is_empty()
    }

    /// The 422 with every recorded field.
    pub fn into_problem(self) -> Problem {
        self.0
    }

    /// `Ok` when nothing was recorded, else the 422 naming every field.
    pub fn finish(self) -> Result<(), Error> {
        if self.any() {
            Err(self.0.into())
        } else {
            Ok(())
        }
    }
}
