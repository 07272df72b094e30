//! Unit and property tests of tariff validation.

use super::strategies::valid_terms;
use super::*;
use proptest::prelude::*;

fn fields(terms: &TariffTerms) -> Vec<String> {
    terms.validate().into_iter().map(|e| e.field).collect()
}

#[test]
fn standard_v1_is_valid_and_matches_its_constructor() {
    assert_eq!(standard_v1_terms().validate(), Vec::new());
    assert_eq!(Tariff::new(standard_v1_terms()), Ok(standard_v1()));
    assert_eq!(standard_v1().currency(), Currency::EUR);
    assert_eq!(standard_v1().terms().code, STANDARD_CODE);
}

#[test]
fn reports_every_invalid_field_at_once() {
    let terms = TariffTerms {
        code: "Standard!".to_owned(),
        currency: "eur".to_owned(),
        base_fare_cents: -1,
        booking_fee_cents: MAX_AMOUNT_CENTS + 1,
        per_km_cents: -5,
        per_minute_cents: MAX_RATE_CENTS + 1,
        minimum_fare_cents: -700,
        commission_bps: 10_001,
        cancellation_fee_cents: -1,
        free_cancellation_s: 86_401,
        average_speed_kmh: 0,
        upfront_tolerance_bps: -1,
        surge: vec![
            SurgeStep {
                min_demand_bps: 20_000,
                multiplier_bps: 15_000,
            },
            SurgeStep {
                min_demand_bps: 20_000,
                multiplier_bps: 9_999,
            },
        ],
        max_multiplier_bps: 9_000,
    };
    assert_eq!(
        fields(&terms),
        [
            "code",
            "currency",
            "base_fare_cents",
            "booking_fee_cents",
            "per_km_cents",
            "per_minute_cents",
            "minimum_fare_cents",
            "commission_bps",
            "cancellation_fee_cents",
            "free_cancellation_s",
            "average_speed_kmh",
            "upfront_tolerance_bps",
            "max_multiplier_bps",
            "surge[1].multiplier_bps",
            "surge[1].min_demand_bps",
            "surge[1].multiplier_bps",
        ]
    );
    let error = Tariff::new(terms)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(error.starts_with("invalid tariff: code: "), "{error}");
}

#[test]
fn code_rules() {
    let with_code = |code: &str| TariffTerms {
        code: code.to_owned(),
        ..standard_v1_terms()
    };
    assert_eq!(fields(&with_code("")), ["code"]);
    assert_eq!(fields(&with_code(&"a".repeat(33))), ["code"]);
    assert_eq!(fields(&with_code(&"a".repeat(32))), Vec::<String>::new());
    assert_eq!(fields(&with_code("night_x-2")), Vec::<String>::new());
    assert_eq!(fields(&with_code("été")), ["code"]);
}

#[test]
fn surge_rules() {
    let with_surge = |surge: Vec<(i64, i64)>, max: i64| TariffTerms {
        surge: surge
            .into_iter()
            .map(|(min_demand_bps, multiplier_bps)| SurgeStep {
                min_demand_bps,
                multiplier_bps,
            })
            .collect(),
        max_multiplier_bps: max,
        ..standard_v1_terms()
    };
    assert!(fields(&with_surge(vec![], 10_000)).is_empty());
    assert_eq!(
        fields(&with_surge(vec![(0, 25_001)], 25_000)),
        ["surge[0].multiplier_bps"]
    );
    assert_eq!(
        fields(&with_surge(vec![(-1, 10_000)], 25_000)),
        ["surge[0].min_demand_bps"]
    );
    assert_eq!(
        fields(&with_surge(vec![(100, 12_000), (50, 13_000)], 25_000)),
        ["surge[1].min_demand_bps"]
    );
    assert_eq!(
        fields(&with_surge(vec![(100, 13_000), (150, 12_000)], 25_000)),
        ["surge[1].multiplier_bps"]
    );
    // Equal multipliers are fine: non-decreasing, not strictly ascending.
    assert!(fields(&with_surge(vec![(100, 13_000), (150, 13_000)], 25_000)).is_empty());
    let eleven = (0..11).map(|i| (i * 100, 10_000 + i * 100)).collect();
    assert_eq!(fields(&with_surge(eleven, 25_000)), ["surge"]);
}

#[test]
fn json_round_trip_and_unknown_fields() {
    let json = serde_json::to_value(standard_v1()).unwrap_or_default();
    assert_eq!(json["currency"], "EUR");
    assert_eq!(json["surge"][1]["multiplier_bps"], 12_000);
    let back: Result<Tariff, _> = serde_json::from_value(json.clone());
    assert_eq!(back.ok(), Some(standard_v1()));

    let mut extra = json.clone();
    extra["vat_bps"] = serde_json::json!(2_000);
    assert!(serde_json::from_value::<TariffTerms>(extra).is_err());

    let mut invalid = json;
    invalid["commission_bps"] = serde_json::json!(-3);
    invalid["currency"] = serde_json::json!("XXX");
    let error = serde_json::from_value::<Tariff>(invalid)
        .err()
        .map(|e| e.to_string());
    let error = error.unwrap_or_default();
    assert!(
        error.contains("currency") && error.contains("commission_bps"),
        "{error}"
    );
}

proptest! {
    #[test]
    fn generated_valid_terms_validate(terms in valid_terms()) {
        prop_assert_eq!(terms.validate(), Vec::new());
    }

    #[test]
    fn validation_never_panics(
        code in any::<String>(),
        currency in any::<String>(),
        numbers in proptest::collection::vec(any::<i64>(), 11),
        surge in proptest::collection::vec((any::<i64>(), any::<i64>()), 0..14),
    ) {
        let terms = TariffTerms {
            code,
            currency,
            base_fare_cents: numbers[0],
            booking_fee_cents: numbers[1],
            per_km_cents: numbers[2],
            per_minute_cents: numbers[3],
            minimum_fare_cents: numbers[4],
            commission_bps: numbers[5],
            cancellation_fee_cents: numbers[6],
            free_cancellation_s: numbers[7],
            average_speed_kmh: numbers[8],
            upfront_tolerance_bps: numbers[9],
            surge: surge
                .into_iter()
                .map(|(min_demand_bps, multiplier_bps)| SurgeStep { min_demand_bps, multiplier_bps })
                .collect(),
            max_multiplier_bps: numbers[10],
        };
        let _ = Tariff::new(terms);
    }
}
