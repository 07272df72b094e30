//! odmu_contractual over HTTP, on real ports, with the test identity's tokens: tariffs,
//! quotes, final prices, terms and agreements, start-up, and the OpenAPI document. Every
//! figure is the domain's worked examples under `standard` v1 (DESIGN.md §5a).

mod openapi;
mod prices;
mod quotes;
mod startup;
mod tariffs;
mod terms;

use odmu_contractual::Contractual;
use odmu_testkit::{Caller, Reply, TestApp};
use serde_json::{Value, json};

/// The service on port 0 with a fresh database (where start-up created the defaults).
async fn spawn() -> TestApp {
    TestApp::spawn::<Contractual>().await
}

/// A valid tariff: `standard` v1's terms under `code`.
fn tariff_body(code: &str) -> Value {
    json!({
        "code": code,
        "currency": "EUR",
        "base_fare_cents": 250,
        "booking_fee_cents": 150,
        "per_km_cents": 110,
        "per_minute_cents": 25,
        "minimum_fare_cents": 700,
        "commission_bps": 2000,
        "cancellation_fee_cents": 500,
        "free_cancellation_s": 120,
        "average_speed_kmh": 25,
        "upfront_tolerance_bps": 2000,
        "surge": [
            {"min_demand_bps": 0, "multiplier_bps": 10000},
            {"min_demand_bps": 15000, "multiplier_bps": 12000},
            {"min_demand_bps": 20000, "multiplier_bps": 15000},
            {"min_demand_bps": 30000, "multiplier_bps": 20000}
        ],
        "max_multiplier_bps": 25000
    })
}

/// `body` with `changes` merged over it.
fn with(mut body: Value, changes: &Value) -> Value {
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            body.insert(key.clone(), value.clone());
        }
    }
    body
}

/// Publishes a tariff as a new admin; answers the created version.
async fn publish(app: &TestApp, body: &Value) -> Reply {
    app.post("/v1/tariffs")
        .as_(&app.admin())
        .json(body)
        .send()
        .await
        .expect(201)
}

/// A quote made by `caller`; answers the created quote.
async fn quote(app: &TestApp, caller: &Caller, body: Value) -> Value {
    app.post("/v1/quotes")
        .as_(caller)
        .json(&body)
        .send()
        .await
        .expect(201)
        .body
}

/// The final price of `body` asked by a service.
async fn price(app: &TestApp, body: Value) -> Value {
    app.post("/v1/internal/prices")
        .as_(&app.service("billing"))
        .json(&body)
        .send()
        .await
        .expect(200)
        .body
}

/// The amounts of a price's breakdown, in order.
fn lines(price: &Value) -> Vec<i64> {
    price["breakdown"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(|l| l["amount_cents"].as_i64())
                .collect()
        })
        .unwrap_or_default()
}

/// `(amount, platform, driver)` of a price.
fn split(price: &Value) -> (i64, i64, i64) {
    let cents = |key: &str| price[key].as_i64().unwrap_or(i64::MIN);
    (
        cents("amount_cents"),
        cents("platform_cents"),
        cents("driver_cents"),
    )
}
