//! The outbox admin endpoint: a charge billing refuses for good is parked as dead, listed,
//! and put back in the queue on request.

use std::time::Duration;

use serde_json::json;

use crate::support::{CENTRE, Stack, eventually, new_id};

#[tokio::test]
async fn a_charge_billing_refuses_is_dead_listed_and_can_be_retried() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;
    let ride = stack.ride(CENTRE).await;
    let id = ride["id"].as_str().unwrap();
    stack.accept_and_start(&driver, &ride).await;
    // A quote contractual does not know: billing answers 404, which no retry changes.
    odmu_storage::sqlx::query("UPDATE rides SET quote_id = $2 WHERE id = $1")
        .bind(id)
        .bind(new_id())
        .execute(stack.api.db().pool())
        .await
        .unwrap();
    stack
        .act(
            &driver,
            id,
            "complete",
            &json!({"distance_m": 4200, "duration_s": 900}),
        )
        .await
        .expect(200);

    let message_id = format!("{id}:ride");
    eventually(
        "the charge is parked as dead",
        Duration::from_secs(10),
        || async { stack.outbox().await["dead"] == 1 },
    )
    .await;
    let outbox = stack.outbox().await;
    assert_eq!(outbox["pending"], 0);
    let dead = &outbox["dead_messages"][0];
    assert_eq!(dead["id"], message_id.as_str());
    assert_eq!(dead["topic"], "billing.charge");
    assert_eq!(dead["state"], "dead");
    assert_eq!(dead["payload"]["ride_id"], id);
    assert_eq!(dead["payload"]["kind"], "ride");
    assert!(
        dead["last_error"].as_str().unwrap().contains("404"),
        "{dead}"
    );
    assert_eq!(stack.internal_ride(id).await["invoice_id"], json!(null));

    let retried = stack
        .api
        .post(&format!("/v1/outbox/{message_id}/retry"))
        .as_(&stack.admin)
        .json(&json!({}))
        .send()
        .await
        .expect(200);
    assert_eq!(retried.body["state"], "pending");
    eventually("dead again", Duration::from_secs(10), || async {
        stack.outbox().await["dead"] == 1
    })
    .await;
    stack
        .api
        .post("/v1/outbox/nothing:ride/retry")
        .as_(&stack.admin)
        .send()
        .await
        .expect(404);
    stack
        .api
        .get("/v1/outbox")
        .as_(&driver)
        .send()
        .await
        .expect(403);
    stack
        .api
        .get("/v1/outbox")
        .as_(&stack.client_app)
        .send()
        .await
        .expect(403);
}
