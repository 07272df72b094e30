//! Cancellation: free from `requested` and within the free window after acceptance, charged
//! after it (one invoice of kind `cancellation` at billing), refused once `in_progress`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{CENTRE, Stack};

async fn cancel(stack: &Stack, id: &str) -> odmu_testkit::Reply {
    stack
        .api
        .post(&format!("/v1/internal/rides/{id}/cancel"))
        .as_(&stack.client_app)
        .json(&json!({"by": "rider"}))
        .send()
        .await
}

fn id(ride: &Value) -> &str {
    ride["id"].as_str().unwrap()
}

#[tokio::test]
async fn cancelling_is_free_while_requested_and_within_the_window_and_refused_once_started() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;

    let waiting = stack.ride(CENTRE).await;
    let cancelled = cancel(&stack, id(&waiting)).await.expect(200);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancellation_fee_cents"], 0);
    assert_eq!(cancelled.body["cancelled_by"], "rider");
    // Again: the same ride.
    let again = cancel(&stack, id(&waiting)).await.expect(200);
    assert_eq!(again.body["cancelled_at"], cancelled.body["cancelled_at"]);
    // A cancelled ride can no longer be accepted.
    let refused = stack
        .act(&driver, id(&waiting), "accept", &json!({}))
        .await
        .expect(409);
    assert_eq!(
        (
            refused.body["reason"].as_str(),
            refused.body["ride_status"].as_str()
        ),
        (Some("ride_not_open"), Some("cancelled"))
    );

    // Accepted a moment ago: inside `standard`'s 120 s.
    let accepted = stack.ride(CENTRE).await;
    stack
        .act(&driver, id(&accepted), "accept", &json!({}))
        .await
        .expect(200);
    let free = cancel(&stack, id(&accepted)).await.expect(200);
    assert_eq!(free.body["cancellation_fee_cents"], 0);
    // The driver is free again, and sees the ride cancelled.
    let mine = stack
        .api
        .get(&format!("/v1/rides/{}", id(&accepted)))
        .as_(&driver)
        .send()
        .await;
    assert_eq!(mine.expect(200).body["status"], "cancelled");

    let started = stack.ride(CENTRE).await;
    stack.accept_and_start(&driver, &started).await;
    let refused = cancel(&stack, id(&started)).await.expect(409);
    assert_eq!(refused.body["reason"], "invalid_transition");
    assert_eq!(refused.body["ride_status"], "in_progress");
    assert_eq!(
        refused.body["status"], 409,
        "the problem's own status is not shadowed"
    );

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stack.invoices().await.is_empty(), "nothing charged");
    let unknown = cancel(&stack, &crate::support::new_id()).await;
    unknown.expect(404);
}

#[tokio::test]
async fn cancelling_after_the_free_window_charges_the_fee_once_through_billing() {
    let stack = Stack::start().await;
    // A tariff without a free window: any cancellation after acceptance is charged.
    stack
        .tariff(
            "strict",
            &json!({"free_cancellation_s": 0, "cancellation_fee_cents": 700}),
        )
        .await;
    let driver = stack.online_driver(CENTRE).await;
    let ride = stack.ride_with(CENTRE, Some("strict")).await;
    assert_eq!(ride["free_cancellation_s"], 0);
    assert_eq!(ride["late_cancellation_fee_cents"], 700);
    stack
        .act(&driver, id(&ride), "accept", &json!({}))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(20)).await;

    let cancelled = cancel(&stack, id(&ride)).await.expect(200);
    assert_eq!(cancelled.body["cancellation_fee_cents"], 700);
    let billed = stack.billed_ride(id(&ride), Duration::from_secs(5)).await;
    assert_eq!(billed["final_amount_cents"], 700);
    assert_eq!(billed["cancellation_fee_cents"], 700);
    cancel(&stack, id(&ride)).await.expect(200);

    tokio::time::sleep(Duration::from_millis(300)).await;
    let invoices = stack.invoices().await;
    assert_eq!(invoices.len(), 1, "{invoices:?}");
    assert_eq!(invoices[0]["kind"], "cancellation");
    assert_eq!(invoices[0]["amount_cents"], 700);
    assert_eq!(invoices[0]["id"], billed["invoice_id"]);
    assert_eq!(stack.ledger_summary().await["balanced"], true);
}

#[tokio::test]
async fn the_window_counts_from_the_acceptance() {
    let stack = Stack::start().await;
    let driver = stack.online_driver(CENTRE).await;
    let ride = stack.ride(CENTRE).await;
    stack
        .act(&driver, id(&ride), "accept", &json!({}))
        .await
        .expect(200);
    // Accepted 121 s ago under `standard` (120 s free): move the acceptance back in time.
    odmu_storage::sqlx::query(
        "UPDATE rides SET accepted_at_ms = accepted_at_ms - 121000 WHERE id = $1",
    )
    .bind(id(&ride))
    .execute(stack.api.db().pool())
    .await
    .unwrap();
    let cancelled = cancel(&stack, id(&ride)).await.expect(200);
    assert_eq!(cancelled.body["cancellation_fee_cents"], 500);
    let billed = stack.billed_ride(id(&ride), Duration::from_secs(5)).await;
    assert_eq!(billed["final_amount_cents"], 500);
}
