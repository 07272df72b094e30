//! Final prices: upfront within tolerance, metered outside it, always under the quote's
//! tariff version and multiplier; cancellations split by commission.

use odmu_storage::sqlx;
use serde_json::json;

use crate::{lines, price, publish, quote, spawn, split, tariff_body, with};

#[tokio::test]
async fn a_ride_within_tolerance_costs_the_quote_and_outside_it_is_metered_on_both_sides() {
    let app = spawn().await;
    let q = quote(
        &app,
        &app.rider(),
        json!({"distance_m": 5000, "duration_s": 900}),
    )
    .await;
    let id = q["id"].as_str().unwrap_or_default();
    let ride = |actuals: serde_json::Value| with(json!({"quote_id": id, "kind": "ride"}), &actuals);

    let p = price(&app, ride(json!({}))).await;
    assert_eq!(
        (p["basis"].as_str(), split(&p)),
        (Some("upfront"), (1325, 385, 940))
    );
    assert_eq!(lines(&p), lines(&q));
    assert_eq!(
        (
            p["quote_id"].as_str(),
            p["tariff_code"].as_str(),
            p["tariff_version"].as_i64(),
            p["currency"].as_str()
        ),
        (Some(id), Some("standard"), Some(1), Some("EUR"))
    );
    // Tolerance 20 %: 4000..=6000 m and 720..=1080 s hold the quoted price.
    for (distance, duration) in [
        (6000, 900),
        (4000, 900),
        (5000, 1080),
        (4000, 720),
        (6000, 1080),
    ] {
        let p = price(
            &app,
            ride(json!({"distance_m": distance, "duration_s": duration})),
        )
        .await;
        assert_eq!(
            (p["basis"].as_str(), p["amount_cents"].as_i64()),
            (Some("upfront"), Some(1325)),
            "{distance} m {duration} s"
        );
    }
    // One metre or second beyond, either way, is metered from the actuals (above the quote
    // with evidence: the recorded positions cover the distance).
    for (distance, duration, amount, platform, driver) in [
        (6001, 900, 1435, 407, 1028),  // 660.11 → 660: fare 1285
        (3999, 900, 1215, 363, 852),   // 439.89 → 440: fare 1065
        (5000, 1081, 1400, 400, 1000), // 450.42 → 450: fare 1250
        (5000, 719, 1250, 370, 880),   // 299.58 → 300: fare 1100
        (0, 0, 850, 290, 560),         // ended on the spot: the minimum fare
    ] {
        let p = price(
            &app,
            ride(json!({"distance_m": distance, "duration_s": duration,
                        "evidence_distance_m": distance})),
        )
        .await;
        assert_eq!(p["basis"], "metered", "{distance} m {duration} s");
        assert_eq!(p["review"], json!(null));
        assert_eq!(
            split(&p),
            (amount, platform, driver),
            "{distance} m {duration} s"
        );
        assert_eq!(lines(&p).iter().sum::<i64>(), amount);
    }
    // Only one actual given: the other is the quoted one.
    let p = price(
        &app,
        ride(json!({"distance_m": 7000, "evidence_distance_m": 7000})),
    )
    .await;
    assert_eq!(
        (p["basis"].as_str(), p["amount_cents"].as_i64()),
        (Some("metered"), Some(1545))
    );
}

/// Finding: completing a ride 1 s after its start with 1 000 000 m and 172 800 s turned a
/// 13 € quote into an invoice of 1824 €. The report is now bounded by the clock, the speed
/// and the route, and a price above the quote needs evidence.
#[tokio::test]
async fn a_driver_cannot_set_the_fare_the_rider_pays() {
    let app = spawn().await;
    let rider = app.rider();
    // 5 km of route between points 3846 m apart (the route factor 1.3), as client_app_api
    // quotes: 1325.
    let body = json!({"distance_m": 5000, "duration_s": 900, "rider_id": rider.id,
                      "pickup": {"lat": 48.8566, "lon": 2.3522},
                      "dropoff": {"lat": 48.8566 + 3846.0 / 111_195.0, "lon": 2.3522}});
    let q = quote(&app, &app.service("client_app_api"), body).await;
    assert_eq!(q["amount_cents"], 1325);
    let ride =
        |actuals: serde_json::Value| with(json!({"quote_id": q["id"], "kind": "ride"}), &actuals);
    let p = price(
        &app,
        ride(json!({"distance_m": 1_000_000, "duration_s": 172_800, "elapsed_s": 1})),
    )
    .await;
    assert_eq!(
        (p["basis"].as_str(), p["amount_cents"].as_i64()),
        (Some("metered"), Some(850)),
        "cut to 36 m in 1 s: the minimum fare"
    );
    assert_eq!(
        p["review"],
        json!({"reason": "implausible_actuals", "reported_distance_m": 1_000_000,
               "reported_duration_s": 172_800})
    );
    // A plausible longer ride, without evidence: the quote holds, flagged for review.
    let p = price(
        &app,
        ride(json!({"distance_m": 9000, "duration_s": 1500, "elapsed_s": 1510})),
    )
    .await;
    assert_eq!(
        (p["basis"].as_str(), p["amount_cents"].as_i64()),
        (Some("upfront"), Some(1325))
    );
    assert_eq!(p["review"]["reason"], "unverified_metered");
    // With the driver's recorded positions covering it: metered.
    let p = price(
        &app,
        ride(
            json!({"distance_m": 9000, "duration_s": 1500, "elapsed_s": 1510,
                    "evidence_distance_m": 8500}),
        ),
    )
    .await;
    assert_eq!(
        (p["basis"].as_str(), p["amount_cents"].as_i64()),
        (Some("metered"), Some(2015))
    );
    // 20 km between points 3846 m apart is cut to 9692 m even with "evidence".
    let p = price(
        &app,
        ride(
            json!({"distance_m": 20_000, "duration_s": 1500, "elapsed_s": 1510,
                    "evidence_distance_m": 20_000}),
        ),
    )
    .await;
    assert_eq!(p["amount_cents"], 2091);
    assert_eq!(p["review"]["reason"], "implausible_actuals");
}

#[tokio::test]
async fn a_metered_ride_keeps_the_quoted_multiplier() {
    let app = spawn().await;
    let rider = app.rider();
    let body =
        json!({"distance_m": 5000, "duration_s": 900, "demand_bps": 15000, "rider_id": rider.id});
    let q = quote(&app, &app.service("client_app_api"), body).await;
    assert_eq!(q["amount_cents"], 1560);
    // 10 km, 30 min: 250 + 1100 + 750 = 2100; × 1.2 = 2520; + 150 = 2670; platform 504 + 150.
    let p = price(
        &app,
        json!({"quote_id": q["id"], "kind": "ride", "distance_m": 10000, "duration_s": 1800,
               "evidence_distance_m": 9500}),
    )
    .await;
    assert_eq!(
        (p["basis"].as_str(), p["surge_multiplier_bps"].as_i64()),
        (Some("metered"), Some(12000))
    );
    assert_eq!(split(&p), (2670, 654, 2016));
    assert_eq!(lines(&p), [250, 1100, 750, 0, 420, 150]);
}

#[tokio::test]
async fn a_cancellation_costs_the_fee_split_by_commission() {
    let app = spawn().await;
    let q = quote(&app, &app.rider(), json!({"distance_m": 5000})).await;
    let p = price(&app, json!({"quote_id": q["id"], "kind": "cancellation"})).await;
    assert_eq!(
        (p["basis"].as_str(), split(&p)),
        (Some("cancellation"), (500, 100, 400))
    );
    assert_eq!(
        p["breakdown"],
        json!([{"component": "cancellation_fee", "amount_cents": 500}])
    );
    // 505 at 10 %: 50.5 → 51 to the platform, 454 to the driver; actuals are ignored.
    publish(
        &app,
        &with(
            tariff_body("odd"),
            &json!({"cancellation_fee_cents": 505, "commission_bps": 1000}),
        ),
    )
    .await;
    let q = quote(
        &app,
        &app.rider(),
        json!({"tariff_code": "odd", "distance_m": 5000}),
    )
    .await;
    let p = price(
        &app,
        json!({"quote_id": q["id"], "kind": "cancellation", "distance_m": 1}),
    )
    .await;
    assert_eq!(split(&p), (505, 51, 454));
}

#[tokio::test]
async fn quotes_made_before_a_tariff_change_are_priced_under_their_own_version() {
    let app = spawn().await;
    let rider = app.rider();
    let old = quote(&app, &rider, json!({"distance_m": 5000, "duration_s": 900})).await;
    publish(
        &app,
        &with(
            tariff_body("standard"),
            &json!({"per_km_cents": 200, "cancellation_fee_cents": 900}),
        ),
    )
    .await;
    let new = quote(&app, &rider, json!({"distance_m": 5000, "duration_s": 900})).await;
    // v2: 250 + 1000 + 375 = 1625; + 150 = 1775.
    assert_eq!(
        (new["tariff_version"].as_i64(), new["amount_cents"].as_i64()),
        (Some(2), Some(1775))
    );

    let p = price(&app, json!({"quote_id": old["id"], "kind": "ride"})).await;
    assert_eq!(
        (p["tariff_version"].as_i64(), p["amount_cents"].as_i64()),
        (Some(1), Some(1325))
    );
    // Metered under v1 too: 250 + 1100 + 750 = 2100; + 150 = 2250 (v2 would say 3150).
    let p = price(
        &app,
        json!({"quote_id": old["id"], "kind": "ride", "distance_m": 10000, "duration_s": 1800,
               "evidence_distance_m": 10000}),
    )
    .await;
    assert_eq!(
        (p["tariff_version"].as_i64(), p["amount_cents"].as_i64()),
        (Some(1), Some(2250))
    );
    let p = price(&app, json!({"quote_id": old["id"], "kind": "cancellation"})).await;
    assert_eq!(p["amount_cents"], 500);
    let p = price(&app, json!({"quote_id": new["id"], "kind": "cancellation"})).await;
    assert_eq!(p["amount_cents"], 900);
    let v1 = app
        .get("/v1/tariffs/standard/versions/1")
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(v1.body["per_km_cents"], 110);
}

#[tokio::test]
async fn only_services_price_and_bad_requests_name_the_field() {
    let app = spawn().await;
    let q = quote(&app, &app.rider(), json!({"distance_m": 5000})).await;
    let body = json!({"quote_id": q["id"], "kind": "ride"});
    for other in [app.rider(), app.driver(), app.admin()] {
        app.post("/v1/internal/prices")
            .as_(&other)
            .json(&body)
            .send()
            .await
            .expect(403);
    }
    app.post("/v1/internal/prices")
        .json(&body)
        .send()
        .await
        .expect(401);

    let service = app.service("billing");
    let unknown = json!({"quote_id": "00000000-0000-4000-8000-000000000000", "kind": "ride"});
    app.post("/v1/internal/prices")
        .as_(&service)
        .json(&unknown)
        .send()
        .await
        .expect(404);
    for (change, field) in [
        (json!({"quote_id": "q-1"}), "quote_id"),
        (json!({"kind": "refund"}), "kind"),
        (json!({"distance_m": -1}), "distance_m"),
        (json!({"distance_m": 1_000_001}), "distance_m"),
        (json!({"duration_s": 172_801}), "duration_s"),
        (
            json!({"kind": "cancellation", "duration_s": -1}),
            "duration_s",
        ),
    ] {
        let reply = app
            .post("/v1/internal/prices")
            .as_(&service)
            .json(&with(body.clone(), &change))
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), [field], "{change}");
    }
    let reply = app
        .post("/v1/internal/prices")
        .as_(&service)
        .json(&json!({"quote_id": q["id"]}))
        .send()
        .await
        .expect(422);
    assert!(reply.body.to_string().contains("kind"), "{}", reply.body);

    // An expired quote still prices its ride: the ride began before it expired.
    sqlx::query("UPDATE quotes SET expires_at_ms = 0")
        .execute(app.db().pool())
        .await
        .expect("expire the quotes");
    let p = price(&app, body).await;
    assert_eq!(p["amount_cents"], q["amount_cents"]);
}
