//! `POST /client/v1/quotes`: the route distance, the demand near the pickup, contractual's
//! price on the rider's behalf.

use client_app_api::domain::route::{Point, distance_m};
use serde_json::json;

use crate::support::{DROPOFF, PICKUP, Platform, str_of, trip_body};

fn point((lat, lon): (f64, f64)) -> Point {
    Point { lat, lon }
}

#[tokio::test]
async fn a_quote_is_the_great_circle_distance_times_the_route_factor_priced_for_the_caller() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let expected = distance_m(point(PICKUP), point(DROPOFF), 1.3).unwrap();
    assert_eq!(quote["distance_m"], expected, "{quote}");
    // About 3.8 km straight, 4.9 km of route.
    assert!((4_800..5_100).contains(&expected), "{expected}");
    assert_eq!(str_of(&quote, "rider_id"), rider.id);
    assert_eq!(quote["tariff_code"], "standard");
    assert_eq!(quote["demand_bps"], 0, "no driver, no request: no demand");
    assert_eq!(quote["surge_multiplier_bps"], 10_000);
    assert_eq!(quote["pickup"], json!({"lat": PICKUP.0, "lon": PICKUP.1}));
    assert_eq!(
        quote["dropoff"],
        json!({"lat": DROPOFF.0, "lon": DROPOFF.1})
    );
    let lines: i64 = quote["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(quote["amount_cents"], lines);

    // contractual holds it as the rider's own.
    let stored = platform
        .contract
        .get(&format!("/v1/quotes/{}", str_of(&quote, "id")))
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(stored.body["distance_m"], expected);
    assert_eq!(stored.body["amount_cents"], quote["amount_cents"]);
}

#[tokio::test]
async fn the_route_factor_is_configurable() {
    let platform = Platform::start_with(&[], &[("ROUTE_FACTOR", "1.0")]).await;
    let quote = platform.quote(&platform.rider()).await;
    let straight = distance_m(point(PICKUP), point(DROPOFF), 1.0).unwrap();
    assert_eq!(quote["distance_m"], straight);
}

#[tokio::test]
async fn demand_near_the_pickup_is_open_requests_per_online_driver() {
    let platform = Platform::start().await;
    // One driver online near the pickup, then three riders book there: three open requests.
    platform.online_driver(PICKUP).await;
    for _ in 0..3 {
        platform.booked().await;
    }
    let quote = platform.quote(&platform.rider()).await;
    assert_eq!(quote["demand_bps"], 30_000, "{quote}");
    assert!(
        quote["surge_multiplier_bps"].as_i64().unwrap() > 10_000,
        "{quote}"
    );

    // Far from there, nobody: no demand.
    let far = platform
        .quote_body(
            &platform.rider(),
            &trip_body((45.4642, 9.19), (45.4781, 9.2273)),
        )
        .await
        .expect(201);
    assert_eq!(far.body["demand_bps"], 0);
}

#[tokio::test]
async fn a_tariff_can_be_named_and_an_unknown_one_is_refused_naming_it() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let mut body = trip_body(PICKUP, DROPOFF);
    body["tariff_code"] = json!("standard");
    platform.quote_body(&rider, &body).await.expect(201);
    body["tariff_code"] = json!("limousine");
    let refused = platform.quote_body(&rider, &body).await.expect(422);
    assert_eq!(refused.fields(), ["tariff_code"]);
}

#[tokio::test]
async fn only_riders_quote() {
    let platform = Platform::start().await;
    let body = trip_body(PICKUP, DROPOFF);
    platform
        .client
        .post("/v1/quotes")
        .json(&body)
        .send()
        .await
        .expect(401);
    for caller in [platform.identity.driver(), platform.identity.admin()] {
        platform.quote_body(&caller, &body).await.expect(403);
    }
}
