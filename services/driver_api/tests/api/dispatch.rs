//! Rides near a driver, nearest first, and supply near a point: the H3 cell lookup in the
//! database, then exact great-circle distances.

use serde_json::Value;

use crate::support::{CENTRE, Stack, offset};

#[tokio::test]
async fn an_online_driver_sees_the_open_rides_within_the_radius_nearest_first() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;
    // 2.9 km, 0.4 km, 1.5 km away; 3.2 km and 12 km are outside the 3 km radius.
    let far = stack.ride(offset(CENTRE, 0.0, 2900.0)).await;
    let near = stack.ride(offset(CENTRE, 400.0, 0.0)).await;
    let mid = stack.ride(offset(CENTRE, -1060.0, -1060.0)).await;
    stack.ride(offset(CENTRE, 0.0, -3200.0)).await;
    stack.ride(offset(CENTRE, 12_000.0, 0.0)).await;

    let open = stack
        .api
        .get("/v1/rides/open")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    let items = open["items"].as_array().unwrap();
    let ids: Vec<&Value> = items.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&near["id"], &mid["id"], &far["id"]]);
    let distances: Vec<i64> = items
        .iter()
        .map(|r| r["pickup_distance_m"].as_i64().unwrap())
        .collect();
    for (got, want) in distances.iter().zip([400, 1499, 2900]) {
        assert!((got - want).abs() <= 5, "{distances:?}");
    }
    assert_eq!(open["radius_m"], 3000.0);
    assert_eq!(items[0]["driver_cents"], near["driver_cents"]);
    assert!(items[0]["driver_cents"].as_i64().unwrap() > 0);
    assert_eq!(items[0]["currency"], "EUR");
    assert!(
        items[0].get("start_code").is_none(),
        "drivers never see the code"
    );

    // A taken ride is no longer open; the driver who moves sees what is near them now.
    let other = stack.online_driver(CENTRE).await;
    let id = near["id"].as_str().unwrap();
    stack
        .act(&other, id, "accept", &serde_json::json!({}))
        .await
        .expect(200);
    let there = offset(CENTRE, 0.0, 3000.0);
    stack
        .api
        .put("/v1/location")
        .as_(&driver)
        .json(&serde_json::json!({"lat": there.0, "lon": there.1}))
        .send()
        .await
        .expect(200);
    let open = stack
        .api
        .get("/v1/rides/open")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    let ids: Vec<&Value> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids[0], &far["id"], "100 m away now");
    assert!(!ids.contains(&&near["id"]));
}

#[tokio::test]
async fn supply_counts_online_drivers_and_open_requests_within_the_radius() {
    let stack = Stack::start().await;
    let supply = |at: (f64, f64)| {
        let stack = &stack;
        async move {
            stack
                .api
                .get(&format!("/v1/internal/supply?lat={}&lon={}", at.0, at.1))
                .as_(&stack.client_app)
                .send()
                .await
                .expect(200)
                .body
        }
    };
    let empty = supply(CENTRE).await;
    assert_eq!(
        (
            empty["online_drivers"].as_i64(),
            empty["open_requests"].as_i64()
        ),
        (Some(0), Some(0))
    );

    for metres in [100.0, 2500.0, 3500.0] {
        stack.online_driver(offset(CENTRE, metres, 0.0)).await;
        stack.ride(offset(CENTRE, 0.0, -metres)).await;
    }
    let offline = stack.online_driver(offset(CENTRE, 50.0, 0.0)).await;
    stack
        .set_online(&offline, false, offset(CENTRE, 50.0, 0.0))
        .await
        .expect(200);
    let here = supply(CENTRE).await;
    assert_eq!(here["online_drivers"], 2);
    assert_eq!(here["open_requests"], 2);
    assert_eq!(here["radius_m"], 3000.0);
    // Far away: nothing.
    let elsewhere = supply(offset(CENTRE, 50_000.0, 0.0)).await;
    assert_eq!(elsewhere["online_drivers"], 0);
    // Only services may ask.
    stack
        .api
        .get("/v1/internal/supply?lat=1&lon=1")
        .as_(&stack.identity.driver())
        .send()
        .await
        .expect(403);
}
