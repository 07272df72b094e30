//! Quotes: a rider's own, or a service's on a rider's behalf; priced to the cent.

use odmu_contractual::Contractual;
use odmu_storage::sqlx;
use odmu_testkit::TestApp;
use serde_json::{Value, json};

use crate::{lines, publish, quote, spawn, split, tariff_body, with};

const RIDE_LINES: [&str; 6] = [
    "base_fare",
    "distance",
    "time",
    "minimum_fare_adjustment",
    "surge",
    "booking_fee",
];

#[tokio::test]
async fn a_rider_is_quoted_the_worked_example_to_the_cent() {
    let app = spawn().await;
    let rider = app.rider();
    let q = quote(
        &app,
        &rider,
        json!({"distance_m": 5000, "duration_s": 900,
        "pickup": {"lat": 48.8566, "lon": 2.3522}, "dropoff": {"lat": 48.8606, "lon": 2.3376}}),
    )
    .await;
    // base 250 + distance 110 × 5 = 550 + time 25 × 15 = 375 → fare 1175; + booking 150 = 1325.
    // Platform 20 % of 1175 = 235 + 150 = 385; driver 940.
    assert_eq!(split(&q), (1325, 385, 940));
    assert_eq!(lines(&q), [250, 550, 375, 0, 0, 150]);
    let names: Vec<_> = q["breakdown"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| l["component"].clone())
        .collect();
    assert_eq!(names, RIDE_LINES);
    assert_eq!(
        (
            q["tariff_code"].as_str(),
            q["tariff_version"].as_i64(),
            q["currency"].as_str()
        ),
        (Some("standard"), Some(1), Some("EUR"))
    );
    assert_eq!(
        (q["surge_multiplier_bps"].as_i64(), q["demand_bps"].as_i64()),
        (Some(10000), Some(0))
    );
    assert_eq!(q["rider_id"], rider.id.as_str());
    assert_eq!(q["pickup"], json!({"lat": 48.8566, "lon": 2.3522}));
    assert_eq!(
        (q["distance_m"].as_i64(), q["duration_s"].as_i64()),
        (Some(5000), Some(900))
    );
    assert!(q["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let id = q["id"].as_str().unwrap_or_default();

    let read = app
        .get(&format!("/v1/quotes/{id}"))
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(read.body, q);
    for reader in [app.admin(), app.service("driver_api")] {
        app.get(&format!("/v1/quotes/{id}"))
            .as_(&reader)
            .send()
            .await
            .expect(200);
    }
    // Another rider cannot tell it exists; drivers may not read quotes at all.
    app.get(&format!("/v1/quotes/{id}"))
        .as_(&app.rider())
        .send()
        .await
        .expect(404);
    app.get(&format!("/v1/quotes/{id}"))
        .as_(&app.driver())
        .send()
        .await
        .expect(403);
    app.get(&format!("/v1/quotes/{id}"))
        .send()
        .await
        .expect(401);
    for unknown in ["00000000-0000-4000-8000-000000000000", "not-a-uuid"] {
        app.get(&format!("/v1/quotes/{unknown}"))
            .as_(&rider)
            .send()
            .await
            .expect(404);
    }
}

#[tokio::test]
async fn short_rides_pay_the_minimum_fare_and_a_missing_duration_is_estimated() {
    let app = spawn().await;
    let rider = app.rider();
    // 1 km, 3 min: 250 + 110 + 75 = 435 < 700: adjustment 265; 700 + 150 = 850; platform 140 + 150.
    let q = quote(&app, &rider, json!({"distance_m": 1000, "duration_s": 180})).await;
    assert_eq!(lines(&q), [250, 110, 75, 265, 0, 150]);
    assert_eq!(split(&q), (850, 290, 560));
    // 5 km at the tariff's 25 km/h is 720 s: 250 + 550 + 300 = 1100; + 150 = 1250.
    let q = quote(
        &app,
        &rider,
        json!({"distance_m": 5000, "tariff_code": "standard"}),
    )
    .await;
    assert_eq!(
        (q["duration_s"].as_i64(), q["amount_cents"].as_i64()),
        (Some(720), Some(1250))
    );
    assert_eq!(
        (q["pickup"].clone(), q["dropoff"].clone()),
        (Value::Null, Value::Null)
    );
    // JSON Schema's integers include 5000.0: it reads as 5000.
    let q = quote(
        &app,
        &rider,
        json!({"distance_m": 5000.0, "duration_s": 900.0}),
    )
    .await;
    assert_eq!(q["amount_cents"], 1325);
    // Half up on each line: 4550 m is 500.5 → 501, 6 s is 2.5 → 3; 754 + 150 = 904.
    let q = quote(&app, &rider, json!({"distance_m": 4550, "duration_s": 6})).await;
    assert_eq!(lines(&q), [250, 501, 3, 0, 0, 150]);
    assert_eq!(split(&q), (904, 301, 603));
}

#[tokio::test]
async fn a_service_quotes_for_a_rider_with_surge_at_each_step_and_the_cap() {
    let app = spawn().await;
    let service = app.service("client_app_api");
    let rider = app.rider();
    let at = |demand: i64| {
        let body = json!({"distance_m": 5000, "duration_s": 900, "demand_bps": demand, "rider_id": rider.id});
        quote(&app, &service, body)
    };
    // (demand, multiplier, surge line, amount, platform, driver) for 5 km, 15 min (fare 1175).
    for (demand, multiplier, surge, amount, platform, driver) in [
        (0, 10000, 0, 1325, 385, 940),
        (14_999, 10000, 0, 1325, 385, 940),
        (15_000, 12000, 235, 1560, 432, 1128), // 1410: 282 + 150 to the platform
        (20_000, 15000, 588, 1913, 503, 1410), // 1762.5 → 1763; 352.6 → 353
        (30_000, 20000, 1175, 2500, 620, 1880), // 2350: 470 + 150
        (100_000_000, 20000, 1175, 2500, 620, 1880),
    ] {
        let q = at(demand).await;
        assert_eq!(
            (q["surge_multiplier_bps"].as_i64(), lines(&q)[4]),
            (Some(multiplier), surge),
            "{demand}"
        );
        assert_eq!(split(&q), (amount, platform, driver), "{demand}");
        assert_eq!(
            (q["rider_id"].as_str(), q["demand_bps"].as_i64()),
            (Some(rider.id.as_str()), Some(demand))
        );
    }
    // The rider reads the quote a service made for them.
    let q = at(0).await;
    let id = q["id"].as_str().unwrap_or_default();
    app.get(&format!("/v1/quotes/{id}"))
        .as_(&rider)
        .send()
        .await
        .expect(200);

    // A table whose top step is the cap: ×2.5 is 2937.5 → 2938; + 150 = 3088; 587.6 → 588 + 150.
    let capped = with(
        tariff_body("capped"),
        &json!({"surge": [
        {"min_demand_bps": 0, "multiplier_bps": 10000},
        {"min_demand_bps": 40000, "multiplier_bps": 25000}
    ], "max_multiplier_bps": 25000}),
    );
    publish(&app, &capped).await;
    let body = json!({"tariff_code": "capped", "distance_m": 5000, "duration_s": 900,
        "demand_bps": 1_000_000, "rider_id": rider.id});
    let q = quote(&app, &service, body).await;
    assert_eq!(q["surge_multiplier_bps"], 25000);
    assert_eq!(split(&q), (3088, 738, 2350));
}

#[tokio::test]
async fn every_bad_quote_request_is_a_422_naming_the_field() {
    let app = spawn().await;
    let rider = app.rider();
    let service = app.service("client_app_api");
    let ok = json!({"distance_m": 5000});
    let for_rider = json!({"distance_m": 5000, "rider_id": rider.id});
    for (caller, body, field) in [
        (&rider, json!({"distance_m": -1}), "distance_m"),
        (&rider, json!({"distance_m": 0}), "distance_m"),
        (&rider, json!({"distance_m": 1_000_001}), "distance_m"),
        (&rider, json!({"distance_m": "far"}), "distance_m"),
        (&rider, json!({"distance_m": 1.5}), "distance_m"),
        (
            &rider,
            with(ok.clone(), &json!({"duration_s": -5})),
            "duration_s",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"duration_s": 172_801})),
            "duration_s",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"tariff_code": "nope"})),
            "tariff_code",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"tariff_code": "Not A Code"})),
            "tariff_code",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"pickup": {"lat": 90.5, "lon": 0}})),
            "pickup.lat",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"pickup": {"lat": 0, "lon": -180.01}})),
            "pickup.lon",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"dropoff": {"lat": "NaN", "lon": 0}})),
            "dropoff.lat",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"dropoff": {"lat": 1e300, "lon": 1}})),
            "dropoff.lat",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"pickup": "here"})),
            "pickup",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"demand_bps": 30000})),
            "demand_bps",
        ),
        (
            &rider,
            with(ok.clone(), &json!({"rider_id": rider.id})),
            "rider_id",
        ),
        (&service, ok.clone(), "rider_id"),
        (
            &service,
            with(ok.clone(), &json!({"rider_id": "someone"})),
            "rider_id",
        ),
        (
            &service,
            with(for_rider.clone(), &json!({"demand_bps": -1})),
            "demand_bps",
        ),
        (
            &service,
            with(for_rider.clone(), &json!({"demand_bps": 100_000_001})),
            "demand_bps",
        ),
    ] {
        let reply = app
            .post("/v1/quotes")
            .as_(caller)
            .json(&body)
            .send()
            .await
            .expect(422);
        assert_eq!(reply.fields(), [field], "{body}");
    }
    // Missing and unknown fields.
    let reply = app
        .post("/v1/quotes")
        .as_(&rider)
        .json(&json!({"duration_s": 60}))
        .send()
        .await
        .expect(422);
    assert!(
        reply.body.to_string().contains("distance_m"),
        "{}",
        reply.body
    );
    let reply = app
        .post("/v1/quotes")
        .as_(&rider)
        .json(&with(ok.clone(), &json!({"surge": 2})))
        .send()
        .await
        .expect(422);
    assert!(reply.body.to_string().contains("surge"), "{}", reply.body);
    let reply = app
        .post("/v1/quotes")
        .as_(&rider)
        .json(&with(ok, &json!({"pickup": {"lat": 1}})))
        .send()
        .await
        .expect(422);
    assert!(reply.body.to_string().contains("lon"), "{}", reply.body);
    // Not JSON, not JSON's content type.
    let reply = app
        .post("/v1/quotes")
        .as_(&rider)
        .header("content-type", "application/json")
        .send()
        .await;
    assert_eq!(reply.status, 400);
    // Drivers and admins do not quote.
    for other in [app.driver(), app.admin()] {
        app.post("/v1/quotes")
            .as_(&other)
            .json(&json!({"distance_m": 5000}))
            .send()
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn quotes_expire_after_the_configured_lifetime_and_still_read_afterwards() {
    let identity = odmu_testkit::TestIdentity::start().await;
    let app =
        TestApp::spawn_with::<Contractual>(&identity, &[("CONTRACT_QUOTE_TTL_S", "60")], None)
            .await;
    let rider = app.rider();
    let q = quote(&app, &rider, json!({"distance_m": 2000})).await;
    let id = q["id"].as_str().unwrap_or_default().to_owned();
    let lifetime: i64 =
        sqlx::query_scalar("SELECT expires_at_ms - created_at_ms FROM quotes WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db().pool())
            .await
            .expect("the quote is stored");
    assert_eq!(lifetime, 60_000);
    // Once expired it still reads (clients compare expires_at).
    sqlx::query("UPDATE quotes SET expires_at_ms = created_at_ms - 1 WHERE id = $1")
        .bind(&id)
        .execute(app.db().pool())
        .await
        .expect("expire it");
    let read = app
        .get(&format!("/v1/quotes/{id}"))
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(read.str("id"), id);
    assert_eq!(read.body["amount_cents"], q["amount_cents"]);
}
