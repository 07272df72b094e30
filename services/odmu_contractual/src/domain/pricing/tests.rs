//! Unit and property tests of pricing.

use super::*;
use crate::domain::tariff::strategies::{bounded, valid_tariff};
use crate::domain::tariff::{
    MAX_AMOUNT_CENTS, MAX_COMMISSION_BPS, MAX_MULTIPLIER_CAP_BPS, MAX_RATE_CENTS, TariffTerms,
    standard_v1, standard_v1_terms,
};
use proptest::prelude::*;

const KINDS: [ComponentKind; 6] = [
    ComponentKind::BaseFare,
    ComponentKind::Distance,
    ComponentKind::Time,
    ComponentKind::MinimumFareAdjustment,
    ComponentKind::Surge,
    ComponentKind::BookingFee,
];

/// Amounts of the six ride components, in breakdown order.
fn lines(price: &Price) -> Vec<i64> {
    price.breakdown.iter().map(|c| c.amount_cents).collect()
}

fn tariff(terms: TariffTerms) -> Tariff {
    match Tariff::new(terms) {
        Ok(tariff) => tariff,
        Err(errors) => panic!("test tariff invalid: {errors}"),
    }
}

fn ok<T>(result: Result<T, PricingError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("unexpected pricing error: {error}"),
    }
}

#[test]
fn normal_trip() {
    // 5 km, 15 min, no surge, standard v1:
    // base 250 + distance 110×5000/1000 = 550 + time 25×900/60 = 375 → fare 1175 (≥ 700).
    // amount 1175 + booking 150 = 1325; platform 1175×0.2 = 235 + 150 = 385; driver 940.
    let price = ok(quote(&standard_v1(), 5_000, 900, 0));
    assert_eq!(lines(&price), [250, 550, 375, 0, 0, 150]);
    assert_eq!(
        (price.amount_cents, price.platform_cents, price.driver_cents),
        (1_325, 385, 940)
    );
    assert_eq!(
        (price.multiplier_bps, price.currency),
        (10_000, Currency::EUR)
    );
    let kinds: Vec<_> = price.breakdown.iter().map(|c| c.component).collect();
    assert_eq!(kinds, KINDS);
}

#[test]
fn minimum_fare_applies() {
    // 1 km, 3 min: 250 + 110 + 25×180/60 = 75 → 435 < 700, adjustment 265, fare 700.
    // amount 850; platform 140 + 150 = 290; driver 560.
    let price = ok(quote(&standard_v1(), 1_000, 180, 0));
    assert_eq!(lines(&price), [250, 110, 75, 265, 0, 150]);
    assert_eq!(
        (price.amount_cents, price.platform_cents, price.driver_cents),
        (850, 290, 560)
    );
}

#[test]
fn surge_at_each_step() {
    // Fare 1175 (5 km, 15 min) at each step of standard v1.
    let at = |demand| ok(quote(&standard_v1(), 5_000, 900, demand));
    // Just below the ×1.2 step: no surge.
    assert_eq!(at(14_999).amount_cents, 1_325);
    // ×1.2: 1175×1.2 = 1410, surge 235, amount 1560; platform 282 + 150 = 432; driver 1128.
    let p = at(15_000);
    assert_eq!((p.multiplier_bps, lines(&p)[4]), (12_000, 235));
    assert_eq!(
        (p.amount_cents, p.platform_cents, p.driver_cents),
        (1_560, 432, 1_128)
    );
    // ×1.5: 1762.5 → 1763, surge 588, amount 1913; platform 352.6 → 353 + 150 = 503; driver 1410.
    let p = at(20_000);
    assert_eq!((p.multiplier_bps, lines(&p)[4]), (15_000, 588));
    assert_eq!(
        (p.amount_cents, p.platform_cents, p.driver_cents),
        (1_913, 503, 1_410)
    );
    // ×2.0: 2350, surge 1175, amount 2500; platform 470 + 150 = 620; driver 1880.
    let p = at(30_000);
    assert_eq!((p.multiplier_bps, lines(&p)[4]), (20_000, 1_175));
    assert_eq!(
        (p.amount_cents, p.platform_cents, p.driver_cents),
        (2_500, 620, 1_880)
    );
    // Far above the last step: stays ×2.0.
    assert_eq!(at(i64::MAX).multiplier_bps, 20_000);
}

#[test]
fn surge_cap() {
    let steps = [
        SurgeStep {
            min_demand_bps: 0,
            multiplier_bps: 10_000,
        },
        SurgeStep {
            min_demand_bps: 40_000,
            multiplier_bps: 30_000,
        },
    ];
    assert_eq!(multiplier_for(&steps, 25_000, 39_999), 10_000);
    assert_eq!(multiplier_for(&steps, 25_000, 40_000), 25_000);
    assert_eq!(multiplier_for(&[], 25_000, 1_000_000), 10_000);
    // Validation keeps steps under the cap, so price at the cap directly:
    // 1175×2.5 = 2937.5 → 2938, amount 3088; platform 587.6 → 588 + 150 = 738; driver 2350.
    let p = ok(price_at_multiplier(&standard_v1(), 5_000, 900, 25_000));
    assert_eq!(
        (p.amount_cents, p.platform_cents, p.driver_cents),
        (3_088, 738, 2_350)
    );
    assert!(matches!(
        price_at_multiplier(&standard_v1(), 5_000, 900, 25_001),
        Err(PricingError::OutOfRange {
            field: "multiplier_bps",
            ..
        })
    ));
}

#[test]
fn half_up_rounding() {
    assert_eq!(div_half_up(5, 10), Ok(1)); // 0.5 → 1
    assert_eq!(div_half_up(4, 10), Ok(0));
    assert_eq!(div_half_up(15, 10), Ok(2)); // 1.5 → 2
    assert_eq!(div_half_up(7, 3), Ok(2)); // 2.33 → 2, odd denominator
    assert_eq!(div_half_up(5, 2), Ok(3)); // 2.5 → 3
    // 4550 m: 110×4.55 = 500.5 → 501; 6 s: 25×6/60 = 2.5 → 3.
    // fare 250 + 501 + 3 = 754; amount 904; platform 150.8 → 151 + 150 = 301; driver 603.
    let p = ok(quote(&standard_v1(), 4_550, 6, 0));
    assert_eq!(lines(&p), [250, 501, 3, 0, 0, 150]);
    assert_eq!(
        (p.amount_cents, p.platform_cents, p.driver_cents),
        (904, 301, 603)
    );
    // 4545 m: 499.95 → 500; 5 s: 2.083 → 2.
    assert_eq!(
        lines(&ok(quote(&standard_v1(), 4_545, 5, 0)))[1..3],
        [500, 2]
    );
}

#[test]
fn default_duration() {
    // 5000 m at 25 km/h: 5000×3600/25000 = 720 s.
    assert_eq!(default_duration_s(5_000, 25), Ok(720));
    // 5 m at 4 km/h: 18000/4000 = 4.5 → 5 (half up).
    assert_eq!(default_duration_s(5, 4), Ok(5));
    assert_eq!(default_duration_s(0, 25), Ok(0));
    // 1000 km at 1 km/h would be 3.6 M s: clamped to 48 h.
    assert_eq!(default_duration_s(MAX_DISTANCE_M, 1), Ok(MAX_DURATION_S));
    assert!(default_duration_s(-1, 25).is_err());
    assert!(default_duration_s(5_000, 0).is_err());
}

#[test]
fn demand() {
    assert_eq!(demand_bps(3, 2), 15_000);
    assert_eq!(demand_bps(5, 0), 50_000); // no driver online counts as one
    assert_eq!(demand_bps(1, 3), 3_333);
    assert_eq!(demand_bps(2, 3), 6_667); // 6666.67 → 6667
    assert_eq!(demand_bps(u64::MAX, 1), i64::MAX); // saturates
    assert_eq!(demand_bps(0, u64::MAX), 0);
}

/// Quote of the normal trip (5 km, 15 min, 1325) under standard v1.
fn normal_quote(demand: i64) -> Quoted {
    Quoted::new(5_000, 900, &ok(quote(&standard_v1(), 5_000, 900, demand)))
}

#[test]
fn upfront_within_tolerance_boundaries() {
    // Tolerance 2000 bps = 20 %: distance 4000..=6000 m, duration 720..=1080 s.
    let quoted = normal_quote(0);
    for (distance, duration) in [
        (5_000, 900),
        (6_000, 900),
        (4_000, 900),
        (5_000, 1_080),
        (4_000, 720),
        (6_000, 1_080),
    ] {
        let (basis, price) = ok(final_ride_price(
            &standard_v1(),
            &quoted,
            distance,
            duration,
        ));
        assert_eq!(basis, Basis::Upfront, "{distance} m, {duration} s");
        assert_eq!(price, ok(quote(&standard_v1(), 5_000, 900, 0)));
    }
}

#[test]
fn metered_just_outside_tolerance() {
    let quoted = normal_quote(0);
    let metered = |distance, duration| {
        let (basis, price) = ok(final_ride_price(
            &standard_v1(),
            &quoted,
            distance,
            duration,
        ));
        assert_eq!(basis, Basis::Metered);
        price.amount_cents
    };
    // 6001 m: |1001|×10000 > 5000×2000. distance 660.11 → 660; 250 + 660 + 375 = 1285; +150 = 1435.
    assert_eq!(metered(6_001, 900), 1_435);
    // 3999 m: distance 439.89 → 440; 250 + 440 + 375 = 1065; +150 = 1215.
    assert_eq!(metered(3_999, 900), 1_215);
    // 1081 s: time 450.42 → 450; 250 + 550 + 450 = 1250; +150 = 1400.
    assert_eq!(metered(5_000, 1_081), 1_400);
    // 719 s: time 299.58 → 300; 250 + 550 + 300 = 1100; +150 = 1250.
    assert_eq!(metered(5_000, 719), 1_250);
    // Ended on the spot: 250 + 0 + 0 → minimum 700; +150 = 850.
    assert_eq!(metered(0, 0), 850);
}

#[test]
fn boundary_is_exact_to_the_metre_and_second() {
    // Quoted 10 km / 30 min: 20 % is exactly 2000 m and 360 s.
    let quoted = Quoted::new(10_000, 1_800, &ok(quote(&standard_v1(), 10_000, 1_800, 0)));
    let basis = |distance, duration| {
        ok(final_ride_price(
            &standard_v1(),
            &quoted,
            distance,
            duration,
        ))
        .0
    };
    assert_eq!(basis(12_000, 2_160), Basis::Upfront);
    assert_eq!(basis(8_000, 1_440), Basis::Upfront);
    assert_eq!(basis(12_001, 1_800), Basis::Metered);
    assert_eq!(basis(7_999, 1_800), Basis::Metered);
    assert_eq!(basis(10_000, 2_161), Basis::Metered);
    assert_eq!(basis(10_000, 1_439), Basis::Metered);
    // At 10 000 s a single bps is one second: 12 000 s holds, 12 001 s does not.
    let long = Quoted::new(
        10_000,
        10_000,
        &ok(quote(&standard_v1(), 10_000, 10_000, 0)),
    );
    let basis = |duration| ok(final_ride_price(&standard_v1(), &long, 10_000, duration)).0;
    assert_eq!(
        (basis(12_000), basis(12_001)),
        (Basis::Upfront, Basis::Metered)
    );
}

#[test]
fn metered_keeps_the_quoted_multiplier() {
    // Quoted at ×1.2 (1560). Actual 10 km, 30 min: 250 + 1100 + 750 = 2100;
    // ×1.2 = 2520; +150 = 2670; platform 504 + 150 = 654; driver 2016.
    let quoted = normal_quote(15_000);
    assert_eq!(quoted.amount_cents, 1_560);
    let (basis, price) = ok(final_ride_price(&standard_v1(), &quoted, 10_000, 1_800));
    assert_eq!((basis, price.multiplier_bps), (Basis::Metered, 12_000));
    assert_eq!(
        (price.amount_cents, price.platform_cents, price.driver_cents),
        (2_670, 654, 2_016)
    );
}

#[test]
fn wrong_tariff_version_is_detected() {
    let quoted = normal_quote(0);
    let cheaper = tariff(TariffTerms {
        per_km_cents: 100,
        ..standard_v1_terms()
    });
    assert_eq!(
        final_ride_price(&cheaper, &quoted, 5_000, 900),
        Err(PricingError::QuoteMismatch {
            quoted_cents: 1_325,
            recomputed_cents: 1_275
        })
    );
}

#[test]
fn tolerance_definition() {
    assert!(within_tolerance(0, 0, 2_000));
    assert!(!within_tolerance(0, 1, 10_000)); // nothing is "20 % of zero"
    assert!(within_tolerance(900, 1_080, 2_000));
    assert!(!within_tolerance(900, 1_081, 2_000));
    assert!(within_tolerance(900, 900, 0));
    assert!(!within_tolerance(900, 901, 0));
}

#[test]
fn cancellation_split() {
    // 500 fee, 20 %: platform 100, driver 400.
    let price = ok(cancellation_price(&standard_v1()));
    assert_eq!(
        (price.amount_cents, price.platform_cents, price.driver_cents),
        (500, 100, 400)
    );
    assert_eq!(
        price.breakdown,
        [Component {
            component: ComponentKind::CancellationFee,
            amount_cents: 500
        }]
    );
    // 505 fee, 10 %: 50.5 → 51 to the platform, 454 to the driver.
    let odd = tariff(TariffTerms {
        cancellation_fee_cents: 505,
        commission_bps: 1_000,
        ..standard_v1_terms()
    });
    let price = ok(cancellation_price(&odd));
    assert_eq!((price.platform_cents, price.driver_cents), (51, 454));
}

#[test]
fn extreme_valid_tariff_prices_without_overflow() {
    let extreme = tariff(TariffTerms {
        base_fare_cents: MAX_AMOUNT_CENTS,
        booking_fee_cents: MAX_AMOUNT_CENTS,
        per_km_cents: MAX_RATE_CENTS,
        per_minute_cents: MAX_RATE_CENTS,
        minimum_fare_cents: MAX_AMOUNT_CENTS,
        commission_bps: MAX_COMMISSION_BPS,
        cancellation_fee_cents: MAX_AMOUNT_CENTS,
        surge: vec![SurgeStep {
            min_demand_bps: 0,
            multiplier_bps: MAX_MULTIPLIER_CAP_BPS,
        }],
        max_multiplier_bps: MAX_MULTIPLIER_CAP_BPS,
        ..standard_v1_terms()
    });
    // 10^7 + 10^9 + 10^6×172800/60 = 2.88×10^9 → 3_890_000_000; ×10 + 10^7.
    let price = ok(quote(&extreme, MAX_DISTANCE_M, MAX_DURATION_S, i64::MAX));
    assert_eq!(price.amount_cents, 38_910_000_000);
    assert_eq!(price.driver_cents, 0);
}

#[test]
fn json_shape() {
    let price = ok(quote(&standard_v1(), 1_000, 180, 0));
    let json = serde_json::to_value(&price).unwrap_or_default();
    assert_eq!(json["currency"], "EUR");
    assert_eq!(json["breakdown"][3]["component"], "minimum_fare_adjustment");
    assert_eq!(json["breakdown"][3]["amount_cents"], 265);
    assert_eq!(
        serde_json::to_value(Basis::Cancellation).unwrap_or_default(),
        "cancellation"
    );
    for kind in KINDS.into_iter().chain([ComponentKind::CancellationFee]) {
        assert_eq!(
            serde_json::to_value(kind).unwrap_or_default(),
            kind.as_str()
        );
    }
}

/// In-bound trip inputs, bounds drawn often.
fn trip() -> impl Strategy<Value = (i64, i64, i64)> {
    (
        bounded(MIN_DISTANCE_M, MAX_DISTANCE_M),
        bounded(0, MAX_DURATION_S),
        prop_oneof![bounded(0, 100_000), bounded(0, i64::MAX)],
    )
}

proptest! {
    #[test]
    fn valid_tariffs_price_every_in_bound_trip(tariff in valid_tariff(), (distance, duration, demand) in trip()) {
        let price = quote(&tariff, distance, duration, demand);
        prop_assert!(price.is_ok(), "{:?}", price);
        let price = price.unwrap_or_else(|_| unreachable!());
        let terms = tariff.terms();
        // Components sum exactly to the amount, in the binding order.
        prop_assert_eq!(price.breakdown.iter().map(|c| c.amount_cents).sum::<i64>(), price.amount_cents);
        prop_assert_eq!(price.breakdown.iter().map(|c| c.component).collect::<Vec<_>>(), KINDS);
        prop_assert!(price.breakdown.iter().all(|c| c.amount_cents >= 0));
        // The split is exact and neither side is negative.
        prop_assert_eq!(price.platform_cents + price.driver_cents, price.amount_cents);
        prop_assert!(price.platform_cents >= terms.booking_fee_cents && price.driver_cents >= 0);
        // Never below minimum fare + booking fee.
        prop_assert!(price.amount_cents >= terms.minimum_fare_cents + terms.booking_fee_cents);
        prop_assert!((NEUTRAL_MULTIPLIER_BPS..=terms.max_multiplier_bps).contains(&price.multiplier_bps));
    }

    #[test]
    fn amount_is_monotonic_in_distance_and_duration(
        tariff in valid_tariff(),
        (d1, t1, demand) in trip(),
        (d2, t2, _) in trip(),
    ) {
        let (short, long) = ((d1.min(d2), t1.min(t2)), (d1.max(d2), t1.max(t2)));
        let a = quote(&tariff, short.0, short.1, demand).map_or_else(|e| panic!("{e}"), |p| p.amount_cents);
        let b = quote(&tariff, long.0, long.1, demand).map_or_else(|e| panic!("{e}"), |p| p.amount_cents);
        let c = quote(&tariff, long.0, short.1, demand).map_or_else(|e| panic!("{e}"), |p| p.amount_cents);
        let d = quote(&tariff, short.0, long.1, demand).map_or_else(|e| panic!("{e}"), |p| p.amount_cents);
        prop_assert!(a <= c && c <= b && a <= d && d <= b, "{:?} {:?} {:?} {:?}", a, c, d, b);
    }

    #[test]
    fn quote_never_panics(tariff in valid_tariff(), distance in any::<i64>(), duration in any::<i64>(), demand in any::<i64>()) {
        let in_bounds = (MIN_DISTANCE_M..=MAX_DISTANCE_M).contains(&distance)
            && (0..=MAX_DURATION_S).contains(&duration)
            && demand >= 0;
        let result = quote(&tariff, distance, duration, demand);
        prop_assert_eq!(result.is_ok(), in_bounds);
        let ok_or_out_of_range = result.is_ok() || matches!(result, Err(PricingError::OutOfRange { .. }));
        prop_assert!(ok_or_out_of_range);
    }

    #[test]
    fn other_entry_points_never_panic(
        tariff in valid_tariff(),
        numbers in proptest::collection::vec(any::<i64>(), 6),
        open in any::<u64>(),
        drivers in any::<u64>(),
        steps in proptest::collection::vec((any::<i64>(), any::<i64>()), 0..12),
    ) {
        let _ = price_at_multiplier(&tariff, numbers[0], numbers[1], numbers[2]);
        let quoted = Quoted { distance_m: numbers[0], duration_s: numbers[1], multiplier_bps: numbers[2], amount_cents: numbers[3] };
        let _ = final_ride_price(&tariff, &quoted, numbers[4], numbers[5]);
        let _ = default_duration_s(numbers[0], numbers[1]);
        let _ = within_tolerance(numbers[0], numbers[1], numbers[2]);
        prop_assert!(demand_bps(open, drivers) >= 0);
        let steps: Vec<_> = steps.into_iter().map(|(min_demand_bps, multiplier_bps)| SurgeStep { min_demand_bps, multiplier_bps }).collect();
        let _ = multiplier_for(&steps, numbers[3], numbers[4]);
        prop_assert!(cancellation_price(&tariff).is_ok());
    }

    #[test]
    fn default_duration_is_always_quotable(tariff in valid_tariff(), distance in bounded(MIN_DISTANCE_M, MAX_DISTANCE_M)) {
        let duration = default_duration_s(distance, tariff.terms().average_speed_kmh);
        prop_assert!(duration.is_ok());
        let duration = duration.unwrap_or_default();
        prop_assert!(quote(&tariff, distance, duration, 0).is_ok());
    }

    #[test]
    fn final_price_is_the_quote_or_the_metered_price(
        tariff in valid_tariff(),
        (distance, duration, demand) in trip(),
        actual_distance in bounded(MIN_ACTUAL_DISTANCE_M, MAX_DISTANCE_M),
        actual_duration in bounded(0, MAX_DURATION_S),
    ) {
        let quoted_price = quote(&tariff, distance, duration, demand).unwrap_or_else(|e| panic!("{e}"));
        let quoted = Quoted::new(distance, duration, &quoted_price);
        // Same actuals as quoted: always upfront, identical price.
        prop_assert_eq!(
            final_ride_price(&tariff, &quoted, distance, duration),
            Ok((Basis::Upfront, quoted_price.clone()))
        );
        let tolerance = tariff.terms().upfront_tolerance_bps;
        let within = within_tolerance(distance, actual_distance, tolerance)
            && within_tolerance(duration, actual_duration, tolerance);
        let expected = if within {
            (Basis::Upfront, quoted_price)
        } else {
            let metered = price_at_multiplier(&tariff, actual_distance, actual_duration, quoted.multiplier_bps);
            (Basis::Metered, metered.unwrap_or_else(|e| panic!("{e}")))
        };
        prop_assert_eq!(final_ride_price(&tariff, &quoted, actual_distance, actual_duration), Ok(expected));
    }

    #[test]
    fn cancellation_split_is_exact(tariff in valid_tariff()) {
        let price = cancellation_price(&tariff).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(price.amount_cents, tariff.terms().cancellation_fee_cents);
        prop_assert_eq!(price.platform_cents + price.driver_cents, price.amount_cents);
        prop_assert!(price.platform_cents >= 0 && price.driver_cents >= 0);
    }
}
