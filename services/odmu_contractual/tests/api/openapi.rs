//! The OpenAPI document: every route with every status it can answer, and request bounds
//! that are exactly the domain's (so a schema-valid request is never refused for a bound).

use odmu_contractual::Contractual;
use odmu_contractual::domain::currency::ACTIVE_ISO_4217_CODES;
use odmu_contractual::domain::pricing::{MAX_DISTANCE_M, MAX_DURATION_S, MIN_DISTANCE_M};
use odmu_contractual::domain::tariff as t;
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(odmu_runtime::openapi_document::<Contractual>()).expect("a JSON document")
}

fn statuses(doc: &Value, path: &str, method: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is documented"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn every_route_is_documented_with_every_status_it_answers() {
    let doc = document();
    let guarded = ["401", "403", "503"];
    let json_body = ["400", "413", "415", "422"];
    for (method, path, own) in [
        ("post", "/contract/v1/tariffs", &["201"][..]),
        ("get", "/contract/v1/tariffs", &["200", "400", "422"][..]),
        (
            "get",
            "/contract/v1/tariffs/{code}",
            &["200", "404", "400"][..],
        ),
        (
            "get",
            "/contract/v1/tariffs/{code}/versions/{version}",
            &["200", "404", "400"][..],
        ),
        ("post", "/contract/v1/quotes", &["201"][..]),
        (
            "get",
            "/contract/v1/quotes/{id}",
            &["200", "404", "400"][..],
        ),
        ("post", "/contract/v1/internal/prices", &["200", "404"][..]),
        ("post", "/contract/v1/terms", &["201", "409"][..]),
        ("get", "/contract/v1/terms/current", &["200", "404"][..]),
        (
            "post",
            "/contract/v1/agreements",
            &["200", "201", "409"][..],
        ),
        ("get", "/contract/v1/agreements/me", &["200", "404"][..]),
        (
            "get",
            "/contract/v1/internal/agreements/{driver_id}",
            &["200", "400"][..],
        ),
    ] {
        let found = statuses(&doc, path, method);
        let mut expected: Vec<&str> = own.iter().chain(&guarded).copied().collect();
        if method == "post" {
            expected.extend(json_body);
        }
        for status in expected {
            assert!(
                found.iter().any(|s| s == status),
                "{method} {path} lacks {status}: {found:?}"
            );
        }
    }
}

fn bounds(doc: &Value, schema: &str, field: &str) -> (Option<i64>, Option<i64>) {
    let property = &doc["components"]["schemas"][schema]["properties"][field];
    (property["minimum"].as_i64(), property["maximum"].as_i64())
}

#[test]
fn request_bounds_are_the_domains() {
    let doc = document();
    for (field, min, max) in [
        ("base_fare_cents", 0, t::MAX_AMOUNT_CENTS),
        ("booking_fee_cents", 0, t::MAX_AMOUNT_CENTS),
        ("per_km_cents", 0, t::MAX_RATE_CENTS),
        ("per_minute_cents", 0, t::MAX_RATE_CENTS),
        ("minimum_fare_cents", 0, t::MAX_AMOUNT_CENTS),
        ("commission_bps", 0, t::MAX_COMMISSION_BPS),
        ("cancellation_fee_cents", 0, t::MAX_AMOUNT_CENTS),
        ("free_cancellation_s", 0, t::MAX_FREE_CANCELLATION_S),
        (
            "average_speed_kmh",
            t::MIN_AVERAGE_SPEED_KMH,
            t::MAX_AVERAGE_SPEED_KMH,
        ),
        ("upfront_tolerance_bps", 0, t::MAX_UPFRONT_TOLERANCE_BPS),
        (
            "max_multiplier_bps",
            t::NEUTRAL_MULTIPLIER_BPS,
            t::MAX_MULTIPLIER_CAP_BPS,
        ),
    ] {
        assert_eq!(
            bounds(&doc, "TariffInput", field),
            (Some(min), Some(max)),
            "{field}"
        );
    }
    assert_eq!(
        bounds(&doc, "Step", "min_demand_bps"),
        (Some(0), Some(t::MAX_MIN_DEMAND_BPS))
    );
    assert_eq!(
        bounds(&doc, "Step", "multiplier_bps"),
        (
            Some(t::NEUTRAL_MULTIPLIER_BPS),
            Some(t::MAX_MULTIPLIER_CAP_BPS)
        )
    );
    let tariff = &doc["components"]["schemas"]["TariffInput"]["properties"];
    assert_eq!(
        tariff["surge"]["maxItems"].as_u64(),
        Some(t::MAX_SURGE_STEPS as u64)
    );
    assert_eq!(
        tariff["code"]["maxLength"].as_u64(),
        Some(t::MAX_CODE_LEN as u64)
    );
    let currencies: Vec<&str> = tariff["currency"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(currencies, ACTIVE_ISO_4217_CODES);

    assert_eq!(
        bounds(&doc, "QuoteInput", "distance_m"),
        (Some(MIN_DISTANCE_M), Some(MAX_DISTANCE_M))
    );
    assert_eq!(
        bounds(&doc, "QuoteInput", "duration_s"),
        (Some(0), Some(MAX_DURATION_S))
    );
    assert_eq!(
        bounds(&doc, "PriceInput", "distance_m"),
        (Some(0), Some(MAX_DISTANCE_M))
    );
    assert_eq!(
        bounds(&doc, "PriceInput", "duration_s"),
        (Some(0), Some(MAX_DURATION_S))
    );
    let demand =
        doc["components"]["schemas"]["QuoteInput"]["properties"]["demand_bps"]["description"]
            .as_str()
            .unwrap_or_default();
    assert!(
        demand.contains("service tokens only") || demand.contains("from service tokens only"),
        "{demand}"
    );
}
