//! Quotes: a price for a ride between two points, made by contractual for the caller.

pub mod create;

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::route::{Point, latitude_problem, longitude_problem};
use odmu_http::Fields;

/// A point on the map (WGS 84 degrees). Both members are required; they are read as optional
/// only so that a missing one is answered 422 naming it (`pickup.lat`), like a bad one.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    /// Latitude, -90 to 90.
    #[schema(value_type = f64, required = true, minimum = -90, maximum = 90)]
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude, -180 to 180.
    #[schema(value_type = f64, required = true, minimum = -180, maximum = 180)]
    #[serde(default)]
    pub lon: Option<f64>,
}

impl PointInput {
    /// The point, or `None` after recording each missing or out-of-range member as
    /// `{field}.lat` / `{field}.lon`.
    pub fn check(point: Option<Self>, field: &str, fields: &mut Fields) -> Option<Point> {
        let Some(point) = point else {
            fields.fail(field, "is required: {\"lat\": ..., \"lon\": ...}");
            return None;
        };
        let mut member =
            |name: &str, value: Option<f64>, problem: fn(f64) -> Option<&'static str>| {
                let path = format!("{field}.{name}");
                match value {
                    None => fields.fail(&path, "is required"),
                    Some(v) => match problem(v) {
                        Some(message) => fields.fail(&path, message),
                        None => return Some(v),
                    },
                }
                None
            };
        let lat = member("lat", point.lat, latitude_problem);
        let lon = member("lon", point.lon, longitude_problem);
        Some(Point {
            lat: lat?,
            lon: lon?,
        })
    }
}
