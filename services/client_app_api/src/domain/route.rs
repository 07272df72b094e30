//! The estimated route distance of a quote: the great-circle (haversine) distance between
//! pickup and drop-off, times the route factor (roads are longer than the straight line).

use geo::{Distance as _, Haversine};

/// The shortest route contractual prices, in metres.
pub const MIN_DISTANCE_M: i64 = 1;
/// The longest route contractual prices, in metres (1000 km).
pub const MAX_DISTANCE_M: i64 = 1_000_000;

/// A point on the map, in WGS 84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude, -90 to 90.
    pub lat: f64,
    /// Longitude, -180 to 180.
    pub lon: f64,
}

/// What is wrong with a latitude, if anything.
pub fn latitude_problem(lat: f64) -> Option<&'static str> {
    (!(-90.0..=90.0).contains(&lat)).then_some("must be a number from -90 to 90")
}

/// What is wrong with a longitude, if anything.
pub fn longitude_problem(lon: f64) -> Option<&'static str> {
    (!(-180.0..=180.0).contains(&lon)).then_some("must be a number from -180 to 180")
}

/// Why a route cannot be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Pickup and drop-off are (within half a metre of) the same place.
    #[error("the drop-off is the pickup")]
    TooShort,
    /// The route is longer than contractual prices.
    #[error("the route is {0} m, longer than {MAX_DISTANCE_M} m")]
    TooLong(i64),
}

/// The route distance in whole metres: haversine distance × `factor`, rounded half away from
/// zero; between [`MIN_DISTANCE_M`] and [`MAX_DISTANCE_M`].
pub fn distance_m(pickup: Point, dropoff: Point, factor: f64) -> Result<i64, RouteError> {
    // geo's points are (x, y) = (longitude, latitude).
    let straight = Haversine.distance(
        geo::Point::new(pickup.lon, pickup.lat),
        geo::Point::new(dropoff.lon, dropoff.lat),
    );
    let metres = (straight * factor).round();
    // Half the circumference × 3 is about 60 000 km: far inside i64, never NaN for valid points.
    #[allow(clippy::cast_possible_truncation)]
    let metres = metres as i64;
    match metres {
        m if m < MIN_DISTANCE_M => Err(RouteError::TooShort),
        m if m > MAX_DISTANCE_M => Err(RouteError::TooLong(m)),
        m => Ok(m),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PARIS: Point = Point {
        lat: 48.8566,
        lon: 2.3522,
    };
    const LONDON: Point = Point {
        lat: 51.5074,
        lon: -0.1278,
    };

    #[test]
    fn paris_to_london_is_about_344_km_straight() {
        let straight = distance_m(PARIS, LONDON, 1.0).unwrap();
        assert!((343_000..345_000).contains(&straight), "{straight}");
        // The factor scales it, rounded to the metre.
        let routed = distance_m(PARIS, LONDON, 1.3).unwrap();
        let expected = (f64::from(u32::try_from(straight).unwrap()) * 1.3).round();
        assert!((f64::from(u32::try_from(routed).unwrap()) - expected).abs() <= 1.0);
    }

    #[test]
    fn a_short_hop_rounds_to_the_metre() {
        // 0.0001 degree of latitude is about 11.1 m.
        let a = Point {
            lat: 45.0,
            lon: 7.0,
        };
        let b = Point {
            lat: 45.0001,
            lon: 7.0,
        };
        assert_eq!(distance_m(a, b, 1.0), Ok(11));
        assert_eq!(distance_m(a, b, 1.3), Ok(14));
    }

    #[test]
    fn the_same_place_is_too_short_and_the_other_side_of_the_world_too_long() {
        assert_eq!(distance_m(PARIS, PARIS, 1.3), Err(RouteError::TooShort));
        let near = Point {
            lat: PARIS.lat + 0.000_001,
            lon: PARIS.lon,
        };
        assert_eq!(distance_m(PARIS, near, 1.0), Err(RouteError::TooShort));
        let antipode = Point {
            lat: -PARIS.lat,
            lon: PARIS.lon - 180.0,
        };
        assert!(matches!(
            distance_m(PARIS, antipode, 1.3),
            Err(RouteError::TooLong(m)) if m > 20_000_000
        ));
    }

    #[test]
    fn coordinates_out_of_range_are_named() {
        assert_eq!(latitude_problem(90.0), None);
        assert_eq!(latitude_problem(-90.0), None);
        assert!(latitude_problem(90.000_001).is_some());
        assert!(latitude_problem(f64::NAN).is_some());
        assert_eq!(longitude_problem(-180.0), None);
        assert!(longitude_problem(180.5).is_some());
        assert!(longitude_problem(f64::INFINITY).is_some());
    }

    proptest! {
        #[test]
        fn the_distance_is_symmetric_bounded_and_grows_with_the_factor(
            lat1 in -90.0f64..=90.0, lon1 in -180.0f64..=180.0,
            lat2 in -90.0f64..=90.0, lon2 in -180.0f64..=180.0,
            factor in 1.0f64..=3.0,
        ) {
            let a = Point { lat: lat1, lon: lon1 };
            let b = Point { lat: lat2, lon: lon2 };
            let there = distance_m(a, b, factor);
            prop_assert_eq!(there, distance_m(b, a, factor));
            if let Ok(m) = there {
                prop_assert!((MIN_DISTANCE_M..=MAX_DISTANCE_M).contains(&m));
                if let Ok(straight) = distance_m(a, b, 1.0) {
                    prop_assert!(straight <= m);
                }
            }
        }
    }
}
