//! `GET /client/v1/trips/{id}` and `GET /client/v1/trips`: the rider's own trips, merged with
//! their rides.

use serde_json::Value;

use crate::support::{PICKUP, Platform, new_key, str_of};

#[tokio::test]
async fn a_rider_reads_their_trip_and_another_riders_is_404() {
    let platform = Platform::start().await;
    let (rider, booked) = platform.booked().await;
    let id = str_of(&booked, "id");
    let read = platform.trip(&rider, id).await.expect(200);
    assert_eq!(read.body, booked);

    let other = platform.trip(&platform.rider(), id).await.expect(404);
    assert!(other.body["detail"].is_string());
    platform
        .trip(&rider, &uuid::Uuid::new_v4().to_string())
        .await
        .expect(404);
    platform.trip(&rider, "not-a-uuid").await.expect(404);
    platform
        .client
        .get(&format!("/v1/trips/{id}"))
        .as_(&platform.identity.driver())
        .send()
        .await
        .expect(403);
}

#[tokio::test]
async fn the_trip_shows_its_driver_once_accepted_and_the_code_until_started() {
    let platform = Platform::start().await;
    let driver = platform.online_driver(PICKUP).await;
    let (rider, booked) = platform.booked().await;
    let id = str_of(&booked, "id");
    platform
        .driver
        .post(&format!("/v1/rides/{id}/accept"))
        .as_(&driver)
        .send()
        .await
        .expect(200);
    let accepted = platform.trip(&rider, id).await.expect(200).body;
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(accepted["driver"]["name"], "Dan");
    assert_eq!(accepted["driver"]["vehicle_plate"], "AB-123-CD");
    assert_eq!(accepted["driver"]["vehicle_class"], "standard");
    assert_eq!(accepted["start_code"], booked["start_code"]);

    platform
        .driver
        .post(&format!("/v1/rides/{id}/start"))
        .as_(&driver)
        .json(&serde_json::json!({"start_code": booked["start_code"]}))
        .send()
        .await
        .expect(200);
    let started = platform.trip(&rider, id).await.expect(200).body;
    assert_eq!(started["status"], "in_progress");
    assert!(started["start_code"].is_null(), "{started}");
    assert_eq!(started["driver"]["name"], "Dan");
}

#[tokio::test]
async fn the_list_is_the_riders_own_newest_first_page_by_page() {
    let platform = Platform::start().await;
    let rider = platform.rider();
    // One open trip at a time: each booking but the last is cancelled before the next.
    let mut booked = Vec::new();
    for n in 0..3 {
        let quote = platform.quote(&rider).await;
        let trip = platform
            .book(&rider, str_of(&quote, "id"), &new_key())
            .await
            .expect(201);
        let id = trip.body["id"].clone();
        if n < 2 {
            platform
                .cancel(&rider, id.as_str().unwrap())
                .await
                .expect(200);
        }
        booked.push(id);
    }
    // Someone else's trip is not in it.
    platform.booked().await;

    let mut seen: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/trips?limit=1&cursor={c}"),
            None => "/v1/trips?limit=1".to_owned(),
        };
        let page = platform
            .client
            .get(&path)
            .as_(&rider)
            .send()
            .await
            .expect(200);
        let items = page.body["items"].as_array().unwrap().clone();
        assert!(items.len() <= 1);
        for item in &items {
            let expected = if seen.is_empty() {
                "requested"
            } else {
                "cancelled"
            };
            assert_eq!(item["status"], expected, "{item}");
            assert!(item["quoted_amount_cents"].as_i64().unwrap() > 0);
            assert!(item.get("quote").is_none(), "lists leave the quote out");
        }
        seen.extend(items.iter().map(|i| i["id"].clone()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    booked.reverse();
    assert_eq!(seen, booked);

    let empty = platform
        .client
        .get("/v1/trips")
        .as_(&platform.rider())
        .send()
        .await
        .expect(200);
    assert_eq!(empty.body["items"], serde_json::json!([]));
    assert!(empty.body["next_cursor"].is_null());
    let bad = platform
        .client
        .get("/v1/trips?limit=0")
        .as_(&rider)
        .send()
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["limit"]);
}
