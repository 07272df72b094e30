//! The geometry's worked examples and properties (the covering proof, checked at random).

use super::*;
use geo::Destination;
use proptest::prelude::*;

fn ll(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).unwrap()
}

/// The point `distance` metres from `origin` along `bearing` degrees.
fn offset(origin: LatLon, bearing: f64, distance: f64) -> LatLon {
    let p = Haversine.destination(origin.point(), bearing, distance);
    // Clamp only to absorb float rounding at the poles / antimeridian.
    ll(p.y().clamp(-90.0, 90.0), p.x().clamp(-180.0, 180.0))
}

#[test]
fn refuses_bad_coordinates_naming_the_field() {
    for lat in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        90.000_001,
        -91.0,
    ] {
        assert_eq!(LatLon::new(lat, 0.0).unwrap_err().field(), "lat");
    }
    for lon in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        180.000_001,
        -181.0,
    ] {
        assert_eq!(LatLon::new(0.0, lon).unwrap_err().field(), "lon");
    }
    assert_eq!(LatLon::new(f64::NAN, f64::NAN).unwrap_err().field(), "lat");
    assert!(LatLon::new(90.0, 180.0).is_ok());
    assert!(LatLon::new(-90.0, -180.0).is_ok());
    assert_eq!(
        LatLon::new(0.0, 200.0).unwrap_err().to_string(),
        "lon must be a finite number in [-180, 180]"
    );
}

#[test]
fn known_distance() {
    // Sofia to Plovdiv, the geo crate's own reference value.
    let sofia = ll(42.698334, 23.319941);
    let plovdiv = ll(42.136097, 24.742168);
    assert!((distance_m(sofia, plovdiv) - 132_433.099).abs() < 0.01);
    assert_eq!(route_distance_m(sofia, plovdiv, ROUTE_FACTOR), 172_163);
    assert_eq!(route_distance_m(sofia, plovdiv, f64::NAN), 132_433);
    assert_eq!(route_distance_m(sofia, plovdiv, 0.5), 132_433);
    assert_eq!(route_distance_m(sofia, plovdiv, f64::INFINITY), 132_433);
}

#[test]
fn antipodes_are_finite() {
    let d = distance_m(ll(0.0, 0.0), ll(0.0, 180.0));
    assert!((d - MAX_DISTANCE_M).abs() < 1.0);
    let d = distance_m(ll(90.0, 0.0), ll(-90.0, 0.0));
    assert!(d.is_finite() && d <= MAX_DISTANCE_M);
    assert_eq!(distance_m(ll(0.0, 180.0), ll(0.0, -180.0)).round(), 0.0);
}

#[test]
fn cell_ids_fit_bigint() {
    let p = ll(52.520008, 13.404954);
    let raw = cell_of(p);
    assert_eq!(raw >> 63, 0);
    assert_eq!(cell_of_i64(p) as u64, raw);
    let cell = CellIndex::try_from(raw).unwrap();
    assert_eq!(u8::from(cell.resolution()), H3_RESOLUTION);
}

#[test]
fn ring_counts() {
    assert_eq!(ring_count(0.0), Ok(1));
    assert_eq!(ring_count(3000.0), Ok(9));
    assert_eq!(ring_count(MAX_SEARCH_RADIUS_M), Ok(128));
    for bad in [-1.0, f64::NAN, f64::INFINITY, MAX_SEARCH_RADIUS_M + 1.0] {
        assert_eq!(ring_count(bad), Err(GeoError::InvalidRadius));
        assert!(cells_within(ll(0.0, 0.0), bad).is_err());
        assert!(cells_within_pruned(ll(0.0, 0.0), bad).is_err());
    }
    let cells = cells_within(ll(48.8566, 2.3522), 3000.0).unwrap();
    assert_eq!(cells.len(), 271);
    assert_eq!(cells[0], cell_of_i64(ll(48.8566, 2.3522)));
}

#[test]
fn min_edge_constant_holds_around_pentagons() {
    // The measurement behind MIN_EDGE_LENGTH_M, re-run on the rings next
    // to each pentagon (where the shortest edges are).
    let shortest = RESOLUTION
        .pentagons()
        .flat_map(|p| p.grid_disk_safe(3))
        .flat_map(|c| c.edges().map(|e| e.length_m()).collect::<Vec<_>>())
        .fold(f64::INFINITY, f64::min);
    assert!(shortest >= MIN_EDGE_LENGTH_M, "{shortest}");
    assert!(shortest < MIN_EDGE_LENGTH_M + 1.0, "{shortest}");
}

#[test]
fn circumradius_bound_holds() {
    // Around the pentagons and across a band of ordinary cells.
    let sample = RESOLUTION
        .pentagons()
        .flat_map(|p| p.grid_disk_safe(3))
        .chain(cells_within_raw(ll(-50.1, 36.5), 20))
        .chain(cells_within_raw(ll(0.0, 0.0), 20));
    for cell in sample {
        let c = LatLng::from(cell);
        for v in cell.boundary().iter() {
            assert!(c.distance_m(*v) < CIRCUMRADIUS_BOUND_M / 1.5, "{cell}");
        }
    }
}

fn cells_within_raw(p: LatLon, k: u32) -> Vec<CellIndex> {
    p.h3.to_cell(RESOLUTION).grid_disk(k)
}

#[test]
fn pruning_keeps_about_a_quarter() {
    let paris = ll(48.8566, 2.3522);
    let full = cells_within(paris, 3000.0).unwrap();
    let pruned = cells_within_pruned(paris, 3000.0).unwrap();
    assert!(pruned.iter().all(|c| full.contains(c)));
    assert!((40..=90).contains(&pruned.len()), "{}", pruned.len());
    assert!(cells_within_pruned(paris, 0.0).unwrap().len() <= 7);
}

#[test]
fn nearest_filter_sorts_and_cuts() {
    let origin = ll(40.0, -3.7);
    let candidates = vec![
        ("far", offset(origin, 10.0, 3500.0)),
        ("edge", offset(origin, 200.0, 2999.0)),
        ("near", offset(origin, 90.0, 100.0)),
        ("mid", offset(origin, 300.0, 1500.0)),
        ("self", origin),
    ];
    let got = nearest_within(origin, 3000.0, candidates);
    let ids: Vec<_> = got.iter().map(|n| n.id).collect();
    assert_eq!(ids, ["self", "near", "mid", "edge"]);
    let dists: Vec<_> = got.iter().map(|n| n.distance_m).collect();
    assert_eq!(dists, [0, 100, 1500, 2999]);
    assert!(nearest_within(origin, f64::NAN, vec![(1, origin)]).is_empty());
    assert!(nearest_within(origin, -1.0, vec![(1, origin)]).is_empty());
}

#[test]
fn serde_validates() {
    // No serde_json here: feed the Deserialize impl an in-memory map.
    use serde::de::value::{Error, MapDeserializer};
    let good = MapDeserializer::<_, Error>::new([("lat", 1.5), ("lon", 2.5)].into_iter());
    assert_eq!(LatLon::deserialize(good).unwrap(), ll(1.5, 2.5));
    let bad = MapDeserializer::<_, Error>::new([("lat", 91.0), ("lon", 2.5)].into_iter());
    let err = LatLon::deserialize(bad).unwrap_err();
    assert!(err.to_string().contains("lat"), "{err}");
}

fn any_point() -> impl Strategy<Value = LatLon> {
    (-90.0..=90.0_f64, -180.0..=180.0_f64).prop_map(|(lat, lon)| ll(lat, lon))
}

/// Points near a pentagon centre, where the grid is most distorted.
fn near_pentagon() -> impl Strategy<Value = LatLon> {
    let pentagons: Vec<LatLon> = RESOLUTION
        .pentagons()
        .map(|c| {
            let c = LatLng::from(c);
            ll(c.lat(), c.lng())
        })
        .collect();
    (
        proptest::sample::select(pentagons),
        0.0..360.0_f64,
        0.0..2000.0_f64,
    )
        .prop_map(|(p, bearing, d)| offset(p, bearing, d))
}

fn origin() -> impl Strategy<Value = LatLon> {
    prop_oneof![3 => any_point(), 1 => near_pentagon()]
}

#[test]
fn bounding_boxes_give_up_at_poles_and_the_antimeridian() {
    let paris = ll(48.8566, 2.3522);
    let b = bounding_box(paris, 3000.0);
    assert!(b.lat_min < 48.8566 && b.lat_max > 48.8566);
    assert!(
        (b.lat_max - b.lat_min - 2.0 * 3003.0 / 111_195.0).abs() < 1e-4,
        "{b:?}"
    );
    assert!(
        b.lon_max - b.lon_min > b.lat_max - b.lat_min,
        "wider than tall at 49°N"
    );
    assert_eq!(bounding_box(ll(89.99, 0.0), 3000.0), BoundingBox::WORLD);
    assert_eq!(bounding_box(ll(0.0, 179.99), 3000.0), BoundingBox::WORLD);
    assert_eq!(bounding_box(paris, f64::NAN), BoundingBox::WORLD);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn offset_points_fall_in_the_cells(
        origin in origin(),
        radius in prop_oneof![Just(3000.0), 0.0..6000.0_f64],
        offsets in proptest::collection::vec((0.0..360.0_f64, 0.0..=1.0_f64), 8),
    ) {
        let cells = cells_within(origin, radius).unwrap();
        let pruned = cells_within_pruned(origin, radius).unwrap();
        prop_assert!(pruned.len() <= cells.len());
        prop_assert!(pruned.iter().all(|c| cells.contains(c)));
        // Both ends of the range, plus random bearings and fractions.
        let rim = offsets.iter().map(|&(b, _)| (b, 1.0));
        for (bearing, fraction) in offsets.iter().copied().chain(rim) {
            let p = offset(origin, bearing, radius * fraction);
            // The destination formula and haversine disagree by float
            // noise; only check points that really are inside.
            if distance_m(origin, p) <= radius {
                let cell = cell_of_i64(p);
                prop_assert!(cells.contains(&cell), "{:?} not in disk of {:?}", p, origin);
                prop_assert!(pruned.contains(&cell), "{:?} not in pruned of {:?}", p, origin);
            }
        }
    }

    #[test]
    fn bounding_boxes_hold_the_circle(
        origin in origin(),
        radius in 0.0..6000.0_f64,
        bearing in 0.0..360.0_f64,
        fraction in 0.0..=1.0_f64,
    ) {
        let p = offset(origin, bearing, radius * fraction);
        let b = bounding_box(origin, radius);
        if distance_m(origin, p) <= radius {
            prop_assert!((b.lat_min..=b.lat_max).contains(&p.lat()), "{:?} {:?}", p, b);
            prop_assert!((b.lon_min..=b.lon_max).contains(&p.lon()), "{:?} {:?}", p, b);
        }
    }

    #[test]
    fn distance_is_symmetric_and_zero_to_itself(a in any_point(), b in any_point()) {
        let ab = distance_m(a, b);
        prop_assert_eq!(distance_m(a, a), 0.0);
        prop_assert!((ab - distance_m(b, a)).abs() <= 1e-6);
        prop_assert!((0.0..=MAX_DISTANCE_M).contains(&ab));
        let route = route_distance_m(a, b, ROUTE_FACTOR);
        prop_assert!(route >= ab.round() as i64);
    }

    #[test]
    fn latlon_refuses_out_of_range(
        lat in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), any::<f64>()],
        lon in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), any::<f64>()],
    ) {
        let valid_lat = lat.is_finite() && lat.abs() <= 90.0;
        let valid_lon = lon.is_finite() && lon.abs() <= 180.0;
        match LatLon::new(lat, lon) {
            Ok(p) => {
                prop_assert!(valid_lat && valid_lon);
                prop_assert_eq!((p.lat(), p.lon()), (lat, lon));
            }
            Err(e) if !valid_lat => prop_assert_eq!(e.field(), "lat"),
            Err(e) => {
                prop_assert!(!valid_lon);
                prop_assert_eq!(e.field(), "lon");
            }
        }
    }

    #[test]
    fn nearest_is_sorted_and_within(
        origin in any_point(),
        radius in 0.0..5000.0_f64,
        others in proptest::collection::vec((0.0..360.0_f64, 0.0..8000.0_f64), 0..50),
    ) {
        let candidates: Vec<(usize, LatLon)> = others
            .iter()
            .enumerate()
            .map(|(i, &(b, d))| (i, offset(origin, b, d)))
            .collect();
        let got = nearest_within(origin, radius, candidates.clone());
        prop_assert!(got.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
        let expected = candidates
            .iter()
            .filter(|(_, p)| distance_m(origin, *p) <= radius)
            .count();
        prop_assert_eq!(got.len(), expected);
        prop_assert!(got.iter().all(|n| (n.distance_m as f64) <= radius.round()));
    }
}
