//! Integers in request bodies as JSON Schema counts them: `"type": "integer"` accepts `5` and
//! `5.0` alike, so both read as 5 here; `5.5`, `"5"` and values beyond ±2^53 (where a JSON
//! number stops being exact) are refused, naming the field. Use on `i64` fields with
//! `#[serde(deserialize_with = "odmu_http::integer::exact")]`, on `Option<i64>` fields with
//! `#[serde(default, deserialize_with = "odmu_http::integer::optional")]`.

use std::fmt;

use serde::Deserializer;
use serde::de::{Error, Unexpected, Visitor};

/// The largest magnitude at which every integer is exact as a JSON (IEEE 754 double) number.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Reads a required integer.
pub fn exact<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    deserializer.deserialize_any(IntegerVisitor)
}

/// Reads an optional integer: absent (with `#[serde(default)]`) or `null` is `None`.
pub fn optional<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalVisitor)
}

struct IntegerVisitor;

impl Visitor<'_> for IntegerVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
        if v.is_finite() && v.fract() == 0.0 && v.abs() <= EXACT_LIMIT {
            // Exact: an integral value within ±2^53 converts without loss.
            Ok(v as i64)
        } else {
            Err(E::invalid_value(Unexpected::Float(v), &self))
        }
    }
}

struct OptionalVisitor;

impl<'de> Visitor<'de> for OptionalVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or null")
    }

    fn visit_none<E: Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
        exact(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::exact")]
        n: i64,
        #[serde(default, deserialize_with = "super::optional")]
        m: Option<i64>,
    }

    fn read(json: &str) -> Result<(i64, Option<i64>), String> {
        serde_json::from_str::<Body>(json)
            .map(|b| (b.n, b.m))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_read_as_integers_whatever_their_spelling() {
        assert_eq!(read(r#"{"n": 5}"#), Ok((5, None)));
        assert_eq!(read(r#"{"n": 5.0, "m": -3.0}"#), Ok((5, Some(-3))));
        assert_eq!(read(r#"{"n": 1e3, "m": null}"#), Ok((1000, None)));
        assert_eq!(read(r#"{"n": -9223372036854775808}"#), Ok((i64::MIN, None)));
    }

    #[test]
    fn fractions_text_and_inexact_numbers_are_refused() {
        for bad in [
            r#"{"n": 5.5}"#,
            r#"{"n": "5"}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"n": 1, "m": 0.25}"#,
            r#"{"m": 1}"#,
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
