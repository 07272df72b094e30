//! Proptest strategies shared with the pricing tests.

use super::*;
use crate::domain::currency::ACTIVE_ISO_4217_CODES;
use proptest::prelude::*;

/// A value in `min..=max`, with the bounds themselves drawn often.
pub(crate) fn bounded(min: i64, max: i64) -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(min), 1 => Just(max), 4 => min..=max]
}

fn surge(max_multiplier_bps: i64) -> impl Strategy<Value = Vec<SurgeStep>> {
    (0..=MAX_SURGE_STEPS).prop_flat_map(move |len| {
        (
            proptest::collection::btree_set(0..=MAX_MIN_DEMAND_BPS, len),
            proptest::collection::vec(NEUTRAL_MULTIPLIER_BPS..=max_multiplier_bps, len),
        )
            .prop_map(|(demands, mut multipliers)| {
                multipliers.sort_unstable();
                demands
                    .into_iter()
                    .zip(multipliers)
                    .map(|(min_demand_bps, multiplier_bps)| SurgeStep {
                        min_demand_bps,
                        multiplier_bps,
                    })
                    .collect()
            })
    })
}

/// Any terms that validation must accept, extremes included.
pub(crate) fn valid_terms() -> impl Strategy<Value = TariffTerms> {
    let amounts = (
        bounded(0, MAX_AMOUNT_CENTS),
        bounded(0, MAX_AMOUNT_CENTS),
        bounded(0, MAX_RATE_CENTS),
        bounded(0, MAX_RATE_CENTS),
        bounded(0, MAX_AMOUNT_CENTS),
        bounded(0, MAX_AMOUNT_CENTS),
    );
    let others = (
        "[a-z0-9_-]{1,32}",
        proptest::sample::select(ACTIVE_ISO_4217_CODES),
        bounded(0, MAX_COMMISSION_BPS),
        bounded(0, MAX_FREE_CANCELLATION_S),
        bounded(MIN_AVERAGE_SPEED_KMH, MAX_AVERAGE_SPEED_KMH),
        bounded(0, MAX_UPFRONT_TOLERANCE_BPS),
        bounded(NEUTRAL_MULTIPLIER_BPS, MAX_MULTIPLIER_CAP_BPS)
            .prop_flat_map(|max| (Just(max), surge(max))),
    );
    (amounts, others).prop_map(
        |(
            (base, booking, per_km, per_minute, minimum, cancellation),
            (code, currency, commission, free_s, speed, tolerance, (max_multiplier, surge)),
        )| TariffTerms {
            code,
            currency: currency.to_owned(),
            base_fare_cents: base,
            booking_fee_cents: booking,
            per_km_cents: per_km,
            per_minute_cents: per_minute,
            minimum_fare_cents: minimum,
            commission_bps: commission,
            cancellation_fee_cents: cancellation,
            free_cancellation_s: free_s,
            average_speed_kmh: speed,
            upfront_tolerance_bps: tolerance,
            surge,
            max_multiplier_bps: max_multiplier,
        },
    )
}

/// A validated tariff drawn from [`valid_terms`].
pub(crate) fn valid_tariff() -> impl Strategy<Value = Tariff> {
    valid_terms().prop_filter_map("validation refused generated terms", |terms| {
        Tariff::new(terms).ok()
    })
}
