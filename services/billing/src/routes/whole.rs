//! Whole numbers as JSON Schema counts them: `98.0` is an `integer` there (a number whose
//! fraction is zero), so a schema-valid body may carry one. serde's `i64` refuses it; these
//! accept it, and refuse fractions and values outside `i64` with a message naming the problem
//! (the extractor names the field).

use std::fmt;

use serde::Deserializer;
use serde::de::{Error, Visitor};

struct Whole;

impl Visitor<'_> for Whole {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 is exact as an f64; every whole f64 below it converts exactly.
        const LIMIT: f64 = 9_223_372_036_854_775_808.0;
        if v.fract() != 0.0 || !v.is_finite() {
            return Err(E::custom(format!("{v} is not a whole number")));
        }
        if !(-LIMIT..LIMIT).contains(&v) {
            return Err(E::custom(format!("{v} is too large")));
        }
        Ok(v as i64)
    }
}

/// A whole number (`5` or `5.0`) as an `i64`.
pub fn number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(Whole)
}

/// An optional whole number: absent or `null` is `None` (use with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Maybe;
    impl<'de> Visitor<'de> for Maybe {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number or null")
        }
        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            number(d).map(Some)
        }
    }
    d.deserialize_option(Maybe)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::number")]
        n: i64,
        #[serde(default, deserialize_with = "super::optional")]
        m: Option<i64>,
    }

    fn parse(text: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn whole_numbers_in_any_spelling_are_accepted_and_nothing_else() {
        let b = parse(r#"{"n": 98.0, "m": 5}"#).unwrap();
        assert_eq!((b.n, b.m), (98, Some(5)));
        let b = parse(r#"{"n": -3, "m": null}"#).unwrap();
        assert_eq!((b.n, b.m), (-3, None));
        assert_eq!(parse(r#"{"n": 1}"#).unwrap().m, None);
        assert_eq!(parse(r#"{"n": 1e3}"#).unwrap().n, 1000);
        assert_eq!(
            parse(&format!(r#"{{"n": {}}}"#, i64::MAX)).unwrap().n,
            i64::MAX
        );
        for bad in [
            r#"{"n": 12.5}"#,
            r#"{"n": "5"}"#,
            r#"{"n": 9223372036854775808}"#,
            r#"{"n": 1e19}"#,
            r#"{"n": -1e19}"#,
            r#"{"n": 1, "m": 0.5}"#,
            r#"{"n": null}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
