//! Opening a ride from a quote: idempotent on the trip's id, the quote must be the rider's and
//! have a pickup; only services may call.

use serde_json::json;

use crate::support::{CENTRE, Stack, new_id};

#[tokio::test]
async fn opening_is_idempotent_on_the_id_and_refuses_another_rider_or_quote_under_it() {
    let stack = Stack::start().await;
    let rider = stack.rider();
    let quote = stack.quote(&rider, Some(CENTRE), None).await;
    let quote_id = quote["id"].as_str().unwrap();
    let trip = new_id();
    let first = stack.open(&trip, &rider, quote_id).await.expect(201).body;
    let again = stack.open(&trip, &rider, quote_id).await.expect(200).body;
    assert_eq!(first, again, "the same ride, start code included");
    assert_eq!(first["rider_id"], rider.id.as_str());
    assert_eq!(first["quote_id"], quote_id);
    assert_eq!(first["pickup"], json!({"lat": CENTRE.0, "lon": CENTRE.1}));
    assert_eq!(first["tariff_code"], "standard");

    let other_quote = stack.quote(&rider, Some(CENTRE), None).await;
    let refused = stack
        .open(&trip, &rider, other_quote["id"].as_str().unwrap())
        .await
        .expect(409);
    assert_eq!(refused.body["reason"], "id_taken");
    let stranger = stack.rider();
    stack.open(&trip, &stranger, quote_id).await.expect(409);
    assert_eq!(stack.internal_ride(&trip).await, first);

    // Upper-case spelling of the same id is the same ride.
    stack
        .open(&trip.to_uppercase(), &rider, quote_id)
        .await
        .expect(200);
}

#[tokio::test]
async fn the_quote_must_exist_be_the_rider_s_and_have_a_pickup() {
    let stack = Stack::start().await;
    let rider = stack.rider();
    let stranger = stack.rider();
    let quote = stack.quote(&rider, Some(CENTRE), None).await;
    let quote_id = quote["id"].as_str().unwrap();

    let reply = stack.open(&new_id(), &stranger, quote_id).await.expect(422);
    assert_eq!(reply.fields(), ["quote_id"]);
    let no_pickup = stack.quote(&rider, None, None).await;
    let reply = stack
        .open(&new_id(), &rider, no_pickup["id"].as_str().unwrap())
        .await
        .expect(422);
    assert_eq!(reply.fields(), ["quote_id"]);
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pickup")
    );
    let reply = stack.open(&new_id(), &rider, &new_id()).await.expect(404);
    assert_eq!(reply.fields(), ["quote_id"]);

    let bad = stack
        .api
        .post("/v1/internal/rides")
        .as_(&stack.client_app)
        .json(&json!({"id": "trip-1", "rider_id": rider.id, "quote_id": "q"}))
        .send()
        .await
        .expect(422);
    assert_eq!(bad.fields(), ["id", "quote_id"]);
    // Drivers, riders and admins may not open or read rides here.
    for caller in [stack.identity.driver(), rider.clone(), stack.admin.clone()] {
        stack
            .api
            .post("/v1/internal/rides")
            .as_(&caller)
            .json(&json!({"id": new_id(), "rider_id": rider.id, "quote_id": quote_id}))
            .send()
            .await
            .expect(403);
        stack
            .api
            .get(&format!("/v1/internal/rides/{}", new_id()))
            .as_(&caller)
            .send()
            .await
            .expect(403);
    }
    stack
        .api
        .get(&format!("/v1/internal/rides/{}", new_id()))
        .as_(&stack.client_app)
        .send()
        .await
        .expect(404);
}

#[tokio::test]
async fn opening_a_ride_while_contractual_is_down_is_a_503_and_writes_nothing() {
    let mut stack = Stack::start().await;
    let rider = stack.rider();
    let quote = stack.quote(&rider, Some(CENTRE), None).await;
    stack.contract.stop().await;
    let trip = new_id();
    let reply = stack
        .open(&trip, &rider, quote["id"].as_str().unwrap())
        .await
        .expect(503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    stack
        .api
        .get(&format!("/v1/internal/rides/{trip}"))
        .as_(&stack.client_app)
        .send()
        .await
        .expect(404);
}
