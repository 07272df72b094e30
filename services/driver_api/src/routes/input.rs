//! Reading request fields the way the documents describe them: coordinates (a missing one is
//! a 422 naming it, not a shapeless body error), integers as JSON Schema counts them, UUIDs in
//! their canonical form, and every field problem of a request in one 422.

use std::fmt;

use odmu_http::{FieldError, Problem};
use serde::de::{Unexpected, Visitor};
use serde::{Deserializer, Serialize};
use utoipa::ToSchema;

use crate::domain::geo::LatLon;

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Point {
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

impl Point {
    /// The point at `(lat, lon)`, when both are present.
    pub fn of(lat: Option<f64>, lon: Option<f64>) -> Option<Self> {
        Some(Self {
            lat: lat?,
            lon: lon?,
        })
    }
}

impl From<LatLon> for Point {
    fn from(p: LatLon) -> Self {
        Self {
            lat: p.lat(),
            lon: p.lon(),
        }
    }
}

/// Collects every field problem of one request, to answer them all in one 422.
#[derive(Debug)]
pub struct Fields(Problem);

impl Fields {
    /// No problem yet; `detail` is the 422's summary if one is found.
    pub fn new(detail: &str) -> Self {
        Self(Problem::unprocessable(detail))
    }

    /// Records a problem with `field`.
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

    /// A position from optional coordinates named `{prefix}lat` and `{prefix}lon`: each
    /// missing or out-of-range one is recorded.
    pub fn position(&mut self, prefix: &str, lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
        for (name, value, max) in [("lat", lat, 90.0), ("lon", lon, 180.0)] {
            let field = format!("{prefix}{name}");
            match value {
                None => self.fail(&field, "is required"),
                Some(v) if !(-max..=max).contains(&v) => {
                    self.fail(&field, format!("must be a number from -{max} to {max}"));
                }
                Some(_) => {}
            }
        }
        LatLon::new(lat?, lon?).ok()
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

    /// `Ok` when nothing was recorded, else the 422 naming every field.
    pub fn finish(self) -> Result<(), Problem> {
        if self.0.errors.is_empty() {
            Ok(())
        } else {
            Err(self.0)
        }
    }
}

/// The largest magnitude at which every integer is exact as a JSON (IEEE 754) number.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Reads a required integer as JSON Schema counts them: `5` and `5.0` alike; `5.5`, `"5"`
/// and numbers beyond ±2^53 are refused, naming the field. Use with
/// `#[serde(deserialize_with = "input::integer")]`.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerVisitor)
}

struct IntegerVisitor;

impl Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() <= EXACT_LIMIT {
            // Exact: an integral value within ±2^53 converts without loss.
            Ok(v as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

/// Reads an optional number whose absence the handler reports by name (a coordinate): absent
/// (with `#[serde(default)]`) is `None`, `null` is refused as the wrong type.
pub fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    deserializer.deserialize_any(NumberVisitor).map(Some)
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<f64, E> {
        Err(E::invalid_type(Unexpected::Unit, &self))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(deserialize_with = "integer")]
        n: i64,
        #[serde(default, deserialize_with = "number")]
        lat: Option<f64>,
    }

    fn read(json: &str) -> Result<(i64, Option<f64>), String> {
        serde_json::from_str::<Body>(json)
            .map(|b| (b.n, b.lat))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integers_and_numbers_read_as_the_schema_says() {
        assert_eq!(read(r#"{"n": 5}"#), Ok((5, None)));
        assert_eq!(read(r#"{"n": 5.0, "lat": 1}"#), Ok((5, Some(1.0))));
        assert_eq!(read(r#"{"n": 1e3, "lat": -2.5}"#), Ok((1000, Some(-2.5))));
        for bad in [
            r#"{"n": 5.5}"#,
            r#"{"n": "5"}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": 1, "lat": null}"#,
            r#"{"n": 1, "lat": "NaN"}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn positions_name_each_missing_or_bad_coordinate() {
        let mut fields = Fields::new("bad");
        assert!(fields.position("", Some(91.0), None).is_none());
        assert!(fields.position("pickup.", Some(1.0), Some(2.0)).is_some());
        let problem = fields.finish().unwrap_err();
        let named: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["lat", "lon"]);
        let mut fields = Fields::new("bad");
        let id: odmu_ids::RideId = fields.id("id", "6F9619FF-8B86-D011-B42D-00C04FC964FF");
        assert_eq!(id.to_string(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        assert!(fields.finish().is_ok());
        let mut fields = Fields::new("bad");
        let _: odmu_ids::RideId = fields.id("id", "6f9619ff8b86d011b42d00c04fc964ff");
        assert_eq!(fields.finish().unwrap_err().errors[0].field, "id");
    }
}
