//! Coordinates of a pickup or drop-off (WGS 84 degrees).

/// Lowest and highest latitude, in degrees.
pub const LAT_RANGE: (f64, f64) = (-90.0, 90.0);
/// Lowest and highest longitude, in degrees.
pub const LON_RANGE: (f64, f64) = (-180.0, 180.0);

/// Why a latitude is refused, if it is (finite and within [`LAT_RANGE`] passes).
#[must_use]
pub fn latitude_problem(lat: f64) -> Option<String> {
    out_of(lat, LAT_RANGE)
}

/// Why a longitude is refused, if it is (finite and within [`LON_RANGE`] passes).
#[must_use]
pub fn longitude_problem(lon: f64) -> Option<String> {
    out_of(lon, LON_RANGE)
}

fn out_of(value: f64, (min, max): (f64, f64)) -> Option<String> {
    // `contains` is false for NaN, so a NaN that got this far is refused too.
    (!value.is_finite() || !(min..=max).contains(&value))
        .then(|| format!("must be a finite number from {min} to {max} degrees"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_non_finite_values_are_refused() {
        for ok in [-90.0, 0.0, 48.8566, 90.0] {
            assert_eq!(latitude_problem(ok), None, "{ok}");
        }
        for ok in [-180.0, 2.3522, 180.0] {
            assert_eq!(longitude_problem(ok), None, "{ok}");
        }
        for bad in [
            -90.000_001,
            90.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert!(latitude_problem(bad).is_some(), "{bad}");
        }
        for bad in [180.1, -181.0, f64::NAN] {
            assert!(longitude_problem(bad).is_some(), "{bad}");
        }
    }
}
