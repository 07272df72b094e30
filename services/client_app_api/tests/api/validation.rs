//! Requests that are not valid: 4xx problems naming the field, before any dependency is asked.

use serde_json::{Value, json};

use crate::support::{DROPOFF, PICKUP, Platform, new_key, str_of, trip_body};

/// Asserts `body` is a 422 naming exactly `fields`.
async fn refused(platform: &Platform, body: Value, fields: &[&str]) {
    let reply = platform
        .quote_body(&platform.rider(), &body)
        .await
        .expect(422);
    assert_eq!(reply.fields(), fields, "{body}: {}", reply.body);
}

#[tokio::test]
async fn bad_coordinates_are_422_naming_the_field() {
    let platform = Platform::start().await;
    let ok = trip_body(PICKUP, DROPOFF);
    for (path, value, field) in [
        ("/pickup/lat", json!(90.5), "pickup.lat"),
        ("/pickup/lat", json!(-91), "pickup.lat"),
        ("/pickup/lon", json!(180.01), "pickup.lon"),
        ("/dropoff/lon", json!(-200), "dropoff.lon"),
        ("/dropoff/lat", json!(1e300), "dropoff.lat"),
        ("/pickup/lat", json!("NaN"), "pickup.lat"),
        ("/dropoff/lon", json!("Infinity"), "dropoff.lon"),
        ("/pickup/lat", json!("48.8"), "pickup.lat"),
        ("/pickup/lon", json!(null), "pickup.lon"),
        ("/dropoff", json!(null), "dropoff"),
        ("/dropoff", json!([48.8, 2.3]), "dropoff"),
    ] {
        let mut body = ok.clone();
        *body.pointer_mut(path).unwrap() = value;
        refused(&platform, body, &[field]).await;
    }
    // Missing members and points are named too, all at once.
    refused(
        &platform,
        json!({"pickup": {"lon": 2.3}, "tariff_code": "Gold!"}),
        &["pickup.lat", "dropoff", "tariff_code"],
    )
    .await;
    // Unknown fields, at any level.
    let mut body = ok.clone();
    body["pickup"]["alt"] = json!(35);
    refused(&platform, body, &["pickup.alt"]).await;
    let mut body = ok;
    body["demand_bps"] = json!(0);
    refused(&platform, body, &["demand_bps"]).await;
    // The body itself must be an object too.
    refused(
        &platform,
        json!([{"lat": 1.0, "lon": 2.0}, {"lat": 1.1, "lon": 2.1}]),
        &["(body)"],
    )
    .await;
    // A number too large for JSON's doubles is not valid JSON: 400.
    let raw = r#"{"pickup": {"lat": 1e999, "lon": 2.3}, "dropoff": {"lat": 48.85, "lon": 2.36}}"#;
    let res = platform
        .client
        .http
        .post(platform.client.url("/v1/quotes"))
        .bearer_auth(&platform.rider().token)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_ride_to_nowhere_or_across_the_world_is_refused_naming_the_dropoff() {
    let platform = Platform::start().await;
    refused(&platform, trip_body(PICKUP, PICKUP), &["dropoff"]).await;
    refused(
        &platform,
        trip_body(PICKUP, (-33.8688, 151.2093)),
        &["dropoff"],
    )
    .await;
}

#[tokio::test]
async fn a_booking_needs_a_key_a_uuid_and_nothing_else() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    let quote = platform.quote(&rider).await;
    let body = json!({"quote_id": quote["id"]});
    let no_key = platform
        .client
        .post("/v1/trips")
        .as_(&rider)
        .json(&body)
        .send()
        .await
        .expect(400);
    assert_eq!(no_key.fields(), ["Idempotency-Key"]);
    let bad = platform
        .book(&rider, "quote-1", &new_key())
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["quote_id"]);
    let extra = platform
        .client
        .post("/v1/trips")
        .as_(&rider)
        .idempotency_key(&new_key())
        .json(&json!({"quote_id": quote["id"], "price": 1}))
        .send()
        .await
        .expect(422);
    assert_eq!(extra.fields(), ["price"]);
    // One key, one body.
    let key = new_key();
    platform
        .book(&rider, str_of(&quote, "id"), &key)
        .await
        .expect(201);
    let other = platform.quote(&rider).await;
    let reused = platform
        .book(&rider, str_of(&other, "id"), &key)
        .await
        .expect(422);
    assert_eq!(reused.fields(), ["Idempotency-Key"]);
    // Drivers do not book.
    platform
        .client
        .post("/v1/trips")
        .as_(&platform.identity.driver())
        .idempotency_key(&new_key())
        .json(&body)
        .send()
        .await
        .expect(403);
}
