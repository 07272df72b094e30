//! The worked examples of the README's fare bounds, and properties of the rule.

use proptest::prelude::*;

use super::*;
use crate::domain::pricing::{MAX_DISTANCE_M, MAX_DURATION_S, quote};
use crate::domain::tariff::standard_v1;
use crate::domain::tariff::strategies::{bounded, valid_tariff};

/// The README's quote: 5 km and 15 min under `standard` v1 (1325), between points 3846 m apart
/// (5000 m of route at the route factor 1.3).
fn five_km() -> Quoted {
    let price = quote(&standard_v1(), 5_000, 900, 0).unwrap_or_else(|e| panic!("{e}"));
    Quoted::new(5_000, 900, &price)
}

fn price(reported: (i64, i64), facts: Facts) -> (Basis, i64, Option<ReviewReason>) {
    let (basis, price, review) = bounded_ride_price(&standard_v1(), &five_km(), reported, &facts)
        .unwrap_or_else(|e| panic!("{e}"));
    (basis, price.amount_cents, review)
}

fn facts(elapsed_s: i64, evidence: Option<i64>) -> Facts {
    Facts {
        elapsed_s: Some(elapsed_s),
        crow_fly_m: Some(3_846),
        evidence_distance_m: evidence,
    }
}

#[test]
fn the_bounds_of_the_worked_example() {
    // 130 km/h is 36.1 m/s: 1 s allows 36 m, 15 min 32 500 m.
    assert_eq!(max_distance_in(1), 36);
    assert_eq!(max_distance_in(900), 32_500);
    // 3846 m apart: at most 2 x 3846 + 2000 = 9692 m of route.
    assert_eq!(max_route_m(3_846), 9_692);
}

#[test]
fn an_honest_ride_within_tolerance_pays_the_quote() {
    assert_eq!(
        price((5_200, 960), facts(970, None)),
        (Basis::Upfront, 1_325, None)
    );
    // What the rider agreed to needs no proof: even with a clock that disagrees.
    assert_eq!(
        price((5_000, 900), facts(3, None)),
        (Basis::Upfront, 1_325, None)
    );
}

/// The finding: 1 000 000 m and 172 800 s reported 1 s after the start made a 13 € quote an
/// invoice of 1824 €. Now the report is cut to 36 m and 1 s: the minimum fare, flagged.
#[test]
fn a_ride_reported_a_thousand_km_one_second_after_its_start_is_cut_and_flagged() {
    assert_eq!(
        price((1_000_000, 172_800), facts(1, None)),
        (Basis::Metered, 850, Some(ReviewReason::ImplausibleActuals))
    );
}

#[test]
fn a_longer_ride_without_evidence_pays_the_quote_and_is_flagged() {
    // 9 km, 25 min: metered 250 + 990 + 625 = 1865 + 150 = 2015, above the quote's 1325.
    assert_eq!(
        price((9_000, 1_500), facts(1_510, None)),
        (Basis::Upfront, 1_325, Some(ReviewReason::UnverifiedMetered))
    );
    // The driver's recorded positions cover it (8500 m + 10 % >= 9000 m): metered.
    assert_eq!(
        price((9_000, 1_500), facts(1_510, Some(8_500))),
        (Basis::Metered, 2_015, None)
    );
    // They do not (8000 m + 10 % < 9000 m).
    assert_eq!(
        price((9_000, 1_500), facts(1_510, Some(8_000))),
        (Basis::Upfront, 1_325, Some(ReviewReason::UnverifiedMetered))
    );
}

#[test]
fn a_detour_beyond_the_route_bound_is_cut_to_it() {
    // 20 km between points 3846 m apart: cut to 9692 m; 250 + 1066 + 625 = 1941 + 150 = 2091,
    // charged only with evidence of it.
    assert_eq!(
        price((20_000, 1_500), facts(1_510, Some(20_000))),
        (
            Basis::Metered,
            2_091,
            Some(ReviewReason::ImplausibleActuals)
        )
    );
    assert_eq!(
        price((20_000, 1_500), facts(1_510, None)),
        (
            Basis::Upfront,
            1_325,
            Some(ReviewReason::ImplausibleActuals)
        )
    );
}

#[test]
fn a_shorter_ride_is_metered_down_without_proof() {
    // 2 km, 400 s: 250 + 220 + 167 = 637, lifted to the minimum fare 700, + 150.
    assert_eq!(
        price((2_000, 400), facts(410, None)),
        (Basis::Metered, 850, None)
    );
}

#[test]
fn a_duration_beyond_the_clock_is_cut_to_it() {
    let bounded = bound(5_000, 3_600, &facts(900, None));
    assert_eq!((bounded.duration_s, bounded.cut), (900, true));
    let honest = bound(5_000, 899, &facts(900, None));
    assert_eq!((honest.duration_s, honest.cut), (899, false));
    // Without facts nothing is cut.
    assert!(!bound(MAX_DISTANCE_M, MAX_DURATION_S, &Facts::default()).cut);
}

proptest! {
    #[test]
    fn without_evidence_no_rider_pays_more_than_the_quote(
        tariff in valid_tariff(),
        distance in bounded(1, 50_000),
        reported_distance in bounded(0, MAX_DISTANCE_M),
        reported_duration in bounded(0, MAX_DURATION_S),
        elapsed in bounded(0, MAX_DURATION_S),
        crow in bounded(0, 50_000),
    ) {
        let duration = pricing::default_duration_s(distance, tariff.terms().average_speed_kmh)
            .unwrap_or(0);
        let quoted_price = quote(&tariff, distance, duration, 0).unwrap_or_else(|e| panic!("{e}"));
        let quoted = Quoted::new(distance, duration, &quoted_price);
        let facts = Facts { elapsed_s: Some(elapsed), crow_fly_m: Some(crow), evidence_distance_m: None };
        let (_, price, review) =
            bounded_ride_price(&tariff, &quoted, (reported_distance, reported_duration), &facts)
                .unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(price.amount_cents <= quoted_price.amount_cents);
        let cut = bound(reported_distance, reported_duration, &facts);
        prop_assert!(cut.duration_s <= elapsed);
        prop_assert!(cut.distance_m <= max_distance_in(elapsed).min(max_route_m(crow)));
        if review == Some(ReviewReason::ImplausibleActuals) {
            prop_assert!(cut.cut);
        }
    }

    #[test]
    fn evidence_never_lets_the_price_pass_the_bounds(
        tariff in valid_tariff(),
        reported_distance in bounded(0, MAX_DISTANCE_M),
        reported_duration in bounded(0, MAX_DURATION_S),
        elapsed in bounded(0, MAX_DURATION_S),
        evidence in bounded(0, MAX_DISTANCE_M),
    ) {
        let quoted_price = quote(&tariff, 5_000, 900, 0).unwrap_or_else(|e| panic!("{e}"));
        let quoted = Quoted::new(5_000, 900, &quoted_price);
        let facts = Facts { elapsed_s: Some(elapsed), crow_fly_m: Some(3_846), evidence_distance_m: Some(evidence) };
        let (_, price, _) =
            bounded_ride_price(&tariff, &quoted, (reported_distance, reported_duration), &facts)
                .unwrap_or_else(|e| panic!("{e}"));
        let cut = bound(reported_distance, reported_duration, &facts);
        let ceiling = pricing::price_at_multiplier(&tariff, cut.distance_m, cut.duration_s, quoted.multiplier_bps)
            .unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(price.amount_cents <= ceiling.amount_cents.max(quoted_price.amount_cents));
    }
}
