//! Reading request fields the way the documents describe them: coordinates (a missing one is
//! a 422 naming it, not a shapeless body error). Integers, ids and the one 422 for every field
//! problem are `odmu_http`'s (`integer`, `Fields`).

use std::fmt;

use odmu_http::Fields;
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

/// A position from optional coordinates named `{prefix}lat` and `{prefix}lon`: each missing or
/// out-of-range one is recorded in `fields`.
pub fn position(
    fields: &mut Fields,
    prefix: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Option<LatLon> {
    for (name, value, max) in [("lat", lat, 90.0), ("lon", lon, 180.0)] {
        let field = format!("{prefix}{name}");
        match value {
            None => fields.fail(&field, "is required"),
            Some(v) if !(-max..=max).contains(&v) => {
                fields.fail(&field, format!("must be a number from -{max} to {max}"));
            }
            Some(_) => {}
        }
    }
    LatLon::new(lat?, lon?).ok()
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
        #[serde(deserialize_with = "odmu_http::integer::exact")]
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
        assert!(position(&mut fields, "", Some(91.0), None).is_none());
        assert!(position(&mut fields, "pickup.", Some(1.0), Some(2.0)).is_some());
        let problem = fields.finish().unwrap_err();
        let named: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["lat", "lon"]);
    }
}
