//! The rider's limits (one open ride, a bounded number of free cancellations), the accept
//! radius, the actuals that bound a fare, and text that cannot break storage: the attacker's
//! findings against driver_api, on SQLite and PostgreSQL.

use std::time::Duration;

use serde_json::json;

use crate::support::{CENTRE, Stack, new_id, offset};

#[tokio::test]
async fn a_rider_holds_one_open_ride_however_many_bookings_race() {
    let stack = std::sync::Arc::new(Stack::start().await);
    let rider = stack.rider();
    // Ten bookings of one rider at once: one opens, the others are told which ride is open.
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (stack, rider) = (stack.clone(), rider.clone());
        racers.spawn(async move {
            let quote = stack.quote(&rider, Some(CENTRE), None).await;
            stack
                .open(&new_id(), &rider, quote["id"].as_str().unwrap())
                .await
        });
    }
    let mut opened = Vec::new();
    let mut refused = Vec::new();
    while let Some(reply) = racers.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            201 => opened.push(reply.body),
            409 => refused.push(reply.body),
            other => panic!("{other}: {}", reply.body),
        }
    }
    assert_eq!(opened.len(), 1, "one open ride");
    for body in &refused {
        assert_eq!(body["reason"], "rider_has_open_ride");
        assert_eq!(body["ride_id"], opened[0]["id"]);
    }
    // The demand near the pickup counts the rider once.
    let supply = stack
        .api
        .get(&format!(
            "/v1/internal/supply?lat={}&lon={}",
            CENTRE.0, CENTRE.1
        ))
        .as_(&stack.client_app)
        .send()
        .await
        .expect(200);
    assert_eq!(supply.body["open_requests"], 1);
}

#[tokio::test]
async fn the_fourth_free_cancellation_within_the_window_makes_booking_wait() {
    let stack = Stack::start().await;
    let rider = stack.rider();
    for _ in 0..3 {
        let quote = stack.quote(&rider, Some(CENTRE), None).await;
        let ride = stack
            .open(&new_id(), &rider, quote["id"].as_str().unwrap())
            .await
            .expect(201);
        stack
            .api
            .post(&format!(
                "/v1/internal/rides/{}/cancel",
                ride.body["id"].as_str().unwrap()
            ))
            .as_(&stack.client_app)
            .json(&json!({"by": "rider"}))
            .send()
            .await
            .expect(200);
    }
    let quote = stack.quote(&rider, Some(CENTRE), None).await;
    let refused = stack
        .open(&new_id(), &rider, quote["id"].as_str().unwrap())
        .await
        .expect(429);
    assert_eq!(refused.body["reason"], "cancellation_limit");
    let wait: i64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((3590..=3600).contains(&wait), "{wait}");
    // Another rider is not affected.
    stack.ride(CENTRE).await;
}

#[tokio::test]
async fn a_driver_takes_only_rides_within_the_dispatch_radius() {
    let stack = Stack::start().await;
    let ride = stack.ride(CENTRE).await;
    let id = ride["id"].as_str().unwrap();
    // 390 km south: refused, and the ride stays open for someone near.
    let far = stack.online_driver(offset(CENTRE, -390_000.0, 0.0)).await;
    let refused = stack.act(&far, id, "accept", &json!({})).await.expect(409);
    assert_eq!(refused.body["reason"], "too_far");
    // Just inside the 3000 m radius: taken.
    let near = stack.online_driver(offset(CENTRE, 2_900.0, 0.0)).await;
    stack.act(&near, id, "accept", &json!({})).await.expect(200);
}

/// Finding 1, through driver_api: the charge carries the time the ride took by driver_api's
/// clock, so 1000 km reported 1 s after the start cannot be billed.
#[tokio::test]
async fn a_ride_reported_a_thousand_km_one_second_after_its_start_is_not_billed_so() {
    let stack = Stack::start().await;
    let ride = stack.ride(CENTRE).await;
    let driver = stack.online_driver(CENTRE).await;
    stack.accept_and_start(&driver, &ride).await;
    let id = ride["id"].as_str().unwrap();
    stack
        .act(
            &driver,
            id,
            "complete",
            &json!({"distance_m": 1_000_000, "duration_s": 172_800}),
        )
        .await
        .expect(200);
    let billed = stack.billed_ride(id, Duration::from_secs(5)).await;
    let paid = billed["final_amount_cents"].as_i64().unwrap();
    assert!(
        paid <= ride["amount_cents"].as_i64().unwrap(),
        "{paid} for {}",
        ride["amount_cents"]
    );
    let invoices = stack.invoices().await;
    assert_eq!(invoices[0]["review"]["reason"], "implausible_actuals");
}

/// Finding 5: NUL-only profile fields were stored (PostgreSQL refuses NUL in text).
#[tokio::test]
async fn control_characters_in_a_profile_are_refused_naming_the_field() {
    let stack = Stack::start().await;
    let driver = stack.identity.driver();
    for (field, value) in [
        ("name", "\u{0}"),
        ("vehicle_plate", "AB\u{1b}[2J"),
        ("name", "Dan\u{85}"),
    ] {
        let mut profile =
            json!({"name": "Dan", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"});
        profile[field] = json!(value);
        let refused = stack
            .api
            .put("/v1/profile")
            .as_(&driver)
            .json(&profile)
            .send()
            .await
            .expect(422);
        assert_eq!(refused.fields(), [field], "{value:?}");
    }
    stack
        .api
        .get("/v1/profile")
        .as_(&driver)
        .send()
        .await
        .expect(404);
}
