//! Points, distances and the H3 cells used to find nearby drivers.
//!
//! Dispatch works in two steps: a cheap SQL pre-filter on an indexed BIGINT
//! column holding each driver's H3 cell ([`cell_of_i64`]) against the cells
//! returned by [`cells_within`], then the exact great-circle filter
//! [`nearest_within`] on the rows that came back.
//!
//! # Resolution and ring count
//!
//! Cells are H3 resolution [`H3_RESOLUTION`] = 8: average hexagon edge
//! 531 m, so a 3000 m dispatch radius spans a handful of cells (resolution 7,
//! 1.4 km edges, would make the SQL pre-filter return about 2.4 times the
//! area for the same radius; resolution 9 would need about 1700 cells).
//!
//! [`cells_within`] returns the grid disk of `k = ceil(radius / e_min) + 1`
//! rings around the origin's cell, where `e_min` ([`MIN_EDGE_LENGTH_M`]) is
//! the shortest cell edge anywhere on the globe at that resolution. Why that
//! covers the whole circle: ring `j` of the disk (the cells at grid distance
//! exactly `j`) is a closed band separating rings `< j` from rings `> j`. A
//! cell of ring `j` cannot touch both ring `j - 1` and ring `j + 1` at one
//! point (the three cells meeting at a vertex are pairwise neighbours, so
//! their grid distances differ by at most 1), and in a hexagonal band the
//! gap between its inner and outer boundary is one full edge, at least
//! `e_min` long. So any path from the origin to a point in a cell at grid
//! distance `m` crosses rings `1..m-1` completely and is at least
//! `(m - 1) * e_min` long. A point within `radius` therefore lies in a cell
//! with `m <= radius / e_min + 1 <= k`. For 3000 m: `k = ceil(3000 / 395) + 1
//! = 9`, i.e. 271 cells. The property tests check this with random points
//! (also next to the 12 pentagons, where the grid is most distorted); in a
//! one-off run over 3.2 million random points 3000 m from random origins
//! (a quarter of them next to pentagons) the grid distance never exceeded 6,
//! so k = 9 has 3 rings of margin.
//!
//! `e_min` was measured with h3o 0.11 (min of `DirectedEdgeIndex::length_m`):
//! over every cell at resolutions 2 to 6, the shortest edge is always one of
//! a pentagon's neighbours, so at resolution 8 it was taken over the 10-ring
//! around each of the 12 pentagons: 395.603 m (0.744 × the 531.4 m average),
//! rounded down to 395 m.
//!
//! [`cells_within_pruned`] further drops the disk's cells that cannot hold
//! any point of the circle (about a quarter of the disk is kept for 3000 m),
//! at the price of computing cell centres and, for the cells on the rim,
//! their boundaries.

use std::f64::consts::PI;
use std::fmt;

use geo::{Distance, Haversine, Point};
use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Ratio of the driving distance to the great-circle distance assumed when
/// no routing engine is asked (typical urban detour factor).
pub const ROUTE_FACTOR: f64 = 1.3;

/// H3 resolution of the cells stored for drivers (see the module docs).
pub const H3_RESOLUTION: u8 = 8;

/// [`H3_RESOLUTION`] as the h3o type; kept private so callers do not need
/// h3o in their own API.
const RESOLUTION: Resolution = Resolution::Eight;

/// Shortest cell edge on the globe at [`H3_RESOLUTION`], in metres, rounded
/// down (measured 395.603 m; see the module docs).
pub const MIN_EDGE_LENGTH_M: f64 = 395.0;

/// Largest radius [`cells_within`] accepts: 50 km means k = 128 rings, about
/// 50 000 cells, already far beyond any dispatch radius. Bigger radii would
/// make the cell list (and the SQL array) grow quadratically.
pub const MAX_SEARCH_RADIUS_M: f64 = 50_000.0;

/// Extra metres granted by [`cells_within_pruned`] to absorb the tiny
/// difference between geo's Earth radius (6 371 008.8 m) and h3o's
/// (6 371 007.2 m) and rounding on cell boundaries.
const PRUNE_SLACK_M: f64 = 1.0;

/// Half the circumference of geo's Haversine sphere: the largest possible
/// great-circle distance.
const MAX_DISTANCE_M: f64 = PI * Haversine.radius();

/// Invalid geographic input. The HTTP layer maps it to 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum GeoError {
    /// A coordinate is not finite or out of range; `field` is `"lat"` or `"lon"`.
    #[error("{field} must be a finite number in [-{max_abs}, {max_abs}]")]
    InvalidCoordinate {
        /// `"lat"` or `"lon"`.
        field: &'static str,
        /// 90 for `lat`, 180 for `lon`.
        max_abs: u16,
    },
    /// A search radius is not finite, negative, or above [`MAX_SEARCH_RADIUS_M`].
    #[error("radius must be a finite number of metres in [0, 50000]")]
    InvalidRadius,
}

impl GeoError {
    /// The offending field name (`"lat"`, `"lon"` or `"radius_m"`), for
    /// the 422 body.
    #[must_use]
    pub const fn field(&self) -> &'static str {
        match self {
            GeoError::InvalidCoordinate { field, .. } => field,
            GeoError::InvalidRadius => "radius_m",
        }
    }
}

/// A validated WGS84 point in degrees: finite, `lat` in [-90, 90], `lon` in
/// [-180, 180].
///
/// The fields are private so an unchecked point cannot exist; deserialising
/// (`{"lat": .., "lon": ..}`) validates too.
#[derive(Clone, Copy)]
pub struct LatLon {
    lat: f64,
    lon: f64,
    // Converted once here so later H3 calls have no error path left.
    h3: LatLng,
}

impl LatLon {
    /// Checks and builds a point. The error names the first bad field.
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, GeoError> {
        // `contains` is false for NaN, and ±inf are outside the ranges.
        if !(-90.0..=90.0).contains(&lat) {
            return Err(GeoError::InvalidCoordinate {
                field: "lat",
                max_abs: 90,
            });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(GeoError::InvalidCoordinate {
                field: "lon",
                max_abs: 180,
            });
        }
        // h3o only refuses non-finite input, already excluded above.
        let h3 = LatLng::new(lat, lon).map_err(|_| GeoError::InvalidCoordinate {
            field: "lat",
            max_abs: 90,
        })?;
        Ok(LatLon { lat, lon, h3 })
    }

    /// Latitude in degrees, in [-90, 90].
    #[must_use]
    pub const fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees, in [-180, 180].
    #[must_use]
    pub const fn lon(&self) -> f64 {
        self.lon
    }

    /// As a geo point (x = lon, y = lat).
    fn point(self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }
}

impl PartialEq for LatLon {
    fn eq(&self, other: &Self) -> bool {
        self.lat == other.lat && self.lon == other.lon
    }
}

impl fmt::Debug for LatLon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatLon")
            .field("lat", &self.lat)
            .field("lon", &self.lon)
            .finish()
    }
}

/// Wire shape of [`LatLon`].
#[derive(Serialize, Deserialize)]
struct RawLatLon {
    lat: f64,
    lon: f64,
}

impl Serialize for LatLon {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawLatLon {
            lat: self.lat,
            lon: self.lon,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LatLon {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawLatLon::deserialize(deserializer)?;
        LatLon::new(raw.lat, raw.lon).map_err(serde::de::Error::custom)
    }
}

/// Great-circle (Haversine) distance in metres, on a sphere of radius
/// 6 371 008.8 m. Always finite, in [0, 20 015 115] m; symmetric.
#[must_use]
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let d = Haversine.distance(a.point(), b.point());
    // Near-antipodal points can push the haversine term a hair above 1, and
    // asin then yields NaN: that case is the maximum distance.
    if d.is_nan() {
        MAX_DISTANCE_M
    } else {
        d.clamp(0.0, MAX_DISTANCE_M)
    }
}

/// Estimated driving distance in whole metres: great-circle distance times
/// `route_factor` (normally [`ROUTE_FACTOR`]), rounded to nearest.
///
/// A `route_factor` that is NaN, infinite or below 1.0 is replaced by 1.0:
/// a road is never shorter than the great circle.
#[must_use]
pub fn route_distance_m(a: LatLon, b: LatLon, route_factor: f64) -> i64 {
    let factor = if route_factor.is_finite() && route_factor >= 1.0 {
        route_factor
    } else {
        1.0
    };
    // `as` saturates for huge finite values; the product is finite here.
    (distance_m(a, b) * factor).round() as i64
}

/// The H3 cell (resolution [`H3_RESOLUTION`]) containing `point`, as the
/// raw 64-bit index.
#[must_use]
pub fn cell_of(point: LatLon) -> u64 {
    u64::from(point.h3.to_cell(RESOLUTION))
}

/// [`cell_of`] for a Postgres BIGINT column. Lossless: bit 63 of an H3
/// index is reserved and always 0, so the value is positive.
#[must_use]
pub fn cell_of_i64(point: LatLon) -> i64 {
    cell_to_i64(point.h3.to_cell(RESOLUTION))
}

/// Bit-exact conversion of a cell index (whose bit 63 is always 0) to i64.
fn cell_to_i64(cell: CellIndex) -> i64 {
    // The mask is a no-op for valid indexes; it makes the cast provably
    // non-negative instead of relying on that.
    (u64::from(cell) & (i64::MAX as u64)) as i64
}

/// Number of rings `k` around the origin's cell that [`cells_within`] uses
/// for `radius_m`: `ceil(radius_m / MIN_EDGE_LENGTH_M) + 1` (9 for 3000 m).
pub fn ring_count(radius_m: f64) -> Result<u32, GeoError> {
    if !(0.0..=MAX_SEARCH_RADIUS_M).contains(&radius_m) {
        return Err(GeoError::InvalidRadius);
    }
    // In [0, 127] by the check above, so the cast is exact.
    Ok((radius_m / MIN_EDGE_LENGTH_M).ceil() as u32 + 1)
}

/// H3 cells (as BIGINT values) such that every point within `radius_m` of
/// `point` lies in one of them: the grid disk of [`ring_count`] rings
/// around `point`'s cell, origin cell first. See the module docs for why
/// this `k` suffices.
///
/// Refuses a radius that is not finite, negative or above
/// [`MAX_SEARCH_RADIUS_M`].
pub fn cells_within(point: LatLon, radius_m: f64) -> Result<Vec<i64>, GeoError> {
    let k = ring_count(radius_m)?;
    let origin = point.h3.to_cell(RESOLUTION);
    Ok(origin
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .map(cell_to_i64)
        .collect())
}

/// Upper bound on any cell's circumradius at [`H3_RESOLUTION`], in metres:
/// twice the average edge. Full scans of every cell at resolutions 2 to 6
/// found at most 1.0998 × the average edge (the distortion pattern repeats
/// at every resolution), so this leaves an 80 % margin.
const CIRCUMRADIUS_BOUND_M: f64 = 2.0 * 531.414;

/// Like [`cells_within`] but without the disk cells that lie entirely
/// outside the circle; still covers the circle, with about a quarter of the
/// cells for the SQL array.
///
/// A cell is kept when its centre is within `radius_m`, dropped when its
/// centre is farther than `radius_m + CIRCUMRADIUS_BOUND_M` (2 × 531 m), and
/// in between kept iff its centre is within `radius_m + circumradius + 1 m`,
/// the circumradius being the distance from the centre to the cell's
/// farthest boundary vertex (the farthest point of a small cell with
/// great-circle edges is a vertex). The 1 m absorbs the tiny difference
/// between geo's and h3o's Earth radii.
pub fn cells_within_pruned(point: LatLon, radius_m: f64) -> Result<Vec<i64>, GeoError> {
    let k = ring_count(radius_m)?;
    let origin = point.h3.to_cell(RESOLUTION);
    let here = point.point();
    let to_point = |ll: LatLng| Point::new(ll.lng(), ll.lat());
    Ok(origin
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .filter(|cell| {
            let centre = to_point(LatLng::from(*cell));
            let d = Haversine.distance(here, centre);
            if d <= radius_m {
                return true;
            }
            if d > radius_m + CIRCUMRADIUS_BOUND_M {
                return false;
            }
            // Only the cells straddling the rim pay for their boundary.
            let circumradius = cell
                .boundary()
                .iter()
                .map(|v| Haversine.distance(centre, to_point(*v)))
                .fold(0.0_f64, f64::max);
            d <= radius_m + circumradius + PRUNE_SLACK_M
        })
        .map(cell_to_i64)
        .collect())
}

/// A latitude/longitude box, in degrees, inclusive on every side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge.
    pub lat_max: f64,
    /// Western edge.
    pub lon_min: f64,
    /// Eastern edge.
    pub lon_max: f64,
}

impl BoundingBox {
    /// The whole globe: a box that keeps everything.
    pub const WORLD: BoundingBox = BoundingBox {
        lat_min: -90.0,
        lat_max: 90.0,
        lon_min: -180.0,
        lon_max: 180.0,
    };
}

/// A box holding every point within `radius_m` of `point`, for a cheap extra filter beside
/// the H3 cells (it cuts the rows read for the rim cells by about a third). The exact
/// spherical extent, widened by 0.1 %: `Δlat = r / R`, `Δlon = asin(sin(Δlat) / cos(lat))`.
/// [`BoundingBox::WORLD`] when the circle reaches a pole or crosses the antimeridian (a
/// longitude range would then wrap), or for a radius [`ring_count`] refuses.
#[must_use]
pub fn bounding_box(point: LatLon, radius_m: f64) -> BoundingBox {
    if ring_count(radius_m).is_err() {
        return BoundingBox::WORLD;
    }
    let dlat = radius_m * 1.001 / Haversine.radius();
    let lat = point.lat.to_radians();
    let (lat_min, lat_max) = (lat - dlat, lat + dlat);
    if lat_min <= -PI / 2.0 || lat_max >= PI / 2.0 {
        return BoundingBox::WORLD;
    }
    let dlon = (dlat.sin() / lat.cos()).clamp(-1.0, 1.0).asin();
    let (lon_min, lon_max) = (point.lon - dlon.to_degrees(), point.lon + dlon.to_degrees());
    if lon_min < -180.0 || lon_max > 180.0 {
        return BoundingBox::WORLD;
    }
    BoundingBox {
        lat_min: lat_min.to_degrees(),
        lat_max: lat_max.to_degrees(),
        lon_min,
        lon_max,
    }
}

/// A candidate that passed [`nearest_within`], with its distance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nearby<T> {
    /// The candidate's identifier, as given.
    pub id: T,
    /// Great-circle distance from the origin, rounded to whole metres.
    pub distance_m: i64,
}

/// Keeps the candidates whose exact great-circle distance to `origin` is at
/// most `radius_m` (inclusive) and returns them nearest first, with their
/// distance rounded to metres. Ties (same exact distance) keep input order.
///
/// A NaN or negative `radius_m` keeps nothing.
#[must_use]
pub fn nearest_within<T>(
    origin: LatLon,
    radius_m: f64,
    candidates: impl IntoIterator<Item = (T, LatLon)>,
) -> Vec<Nearby<T>> {
    let mut kept: Vec<(f64, T)> = candidates
        .into_iter()
        .filter_map(|(id, at)| {
            let d = distance_m(origin, at);
            (d <= radius_m).then_some((d, id))
        })
        .collect();
    // Sort on the exact distance, not the rounded one, so 1499.4 m comes
    // before 1499.6 m; distances are finite so total_cmp is the usual order.
    kept.sort_by(|(a, _), (b, _)| a.total_cmp(b));
    kept.into_iter()
        .map(|(d, id)| Nearby {
            id,
            distance_m: d.round() as i64,
        })
        .collect()
}

#[cfg(test)]
mod tests;
