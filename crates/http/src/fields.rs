//! Every field problem of one request, answered together in one 422.

use crate::{FieldError, Problem};

/// Collects every field problem of one request, to answer them all in one 422:
/// `let mut fields = Fields::new("The ride is not valid."); ...; fields.finish()?;`.
#[derive(Debug)]
pub struct Fields(Problem);

impl Fields {
    /// No problem yet; `detail` is the 422's summary if one is found.
    pub fn new(detail: &str) -> Self {
        Self(Problem::unprocessable(detail))
    }

    /// Records a problem with `field` (a dotted path into the body, or a parameter's name).
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

    /// `text` as an id (`odmu_ids`), or a problem with `field` (and the nil id, which
    /// [`Fields::finish`] then never lets through).
    pub fn id<T: From<uuid::Uuid>>(&mut self, field: &str, text: &str) -> T {
        odmu_ids::parse(text).map_or_else(
            || {
                self.fail(field, "must be a UUID");
                uuid::Uuid::nil().into()
            },
            T::from,
        )
    }

    /// Whether a problem was recorded.
    pub fn any(&self) -> bool {
        !self.0.errors.is_empty()
    }

    /// `Ok` when nothing was recorded, else the 422 naming every field.
    pub fn finish(self) -> Result<(), Problem> {
        if self.any() { Err(self.0) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_named_in_one_422() {
        let mut fields = Fields::new("The ride is not valid.");
        fields.range("distance_m", 5, 0, 10);
        fields.range_opt("duration_s", None, 0, 10);
        assert!(!fields.any());
        fields.range("distance_m", -1, 0, 10);
        fields.range_opt("duration_s", Some(11), 0, 10);
        let id: odmu_ids::RideId = fields.id("id", "6f9619ff8b86d011b42d00c04fc964ff");
        assert_eq!(id.uuid(), uuid::Uuid::nil());
        let problem = fields.finish().unwrap_err();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.detail.as_deref(), Some("The ride is not valid."));
        let named: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["distance_m", "duration_s", "id"]);
        assert_eq!(problem.errors[0].message, "must be from 0 to 10, got -1");
    }

    #[test]
    fn an_id_in_canonical_form_passes_in_lower_case() {
        let mut fields = Fields::new("bad");
        let id: odmu_ids::QuoteId = fields.id("quote_id", "6F9619FF-8B86-D011-B42D-00C04FC964FF");
        assert_eq!(id.to_string(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert!(fields.finish().is_ok());
    }
}
