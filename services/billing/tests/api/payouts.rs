//! `POST /v1/payouts`: at most the driver's balance, once per Idempotency-Key, never
//! overdrawn by concurrent payouts.

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use crate::support::Stack;

#[tokio::test]
async fn a_payout_pays_at_most_the_balance_and_posts_driver_against_cash() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    stack.ride(&rider, &driver, 5000).await; // the driver earns 880

    let over = stack.payout(&driver.id, 881, "p-over").await.expect(409);
    assert_eq!(over.body["balance_cents"], 880);
    let payout = stack.payout(&driver.id, 500, "p-1").await.expect(201).body;
    assert_eq!(
        (&payout["amount_cents"], &payout["currency"]),
        (&json!(500), &json!("EUR"))
    );
    assert_eq!(payout["driver_id"], driver.id.as_str());
    let replay = stack.payout(&driver.id, 500, "p-1").await.expect(201);
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_eq!(replay.body, payout);
    let other_body = stack.payout(&driver.id, 400, "p-1").await.expect(422);
    assert_eq!(other_body.fields(), ["Idempotency-Key"]);
    stack.payout(&driver.id, 381, "p-2").await.expect(409);
    stack.payout(&driver.id, 380, "p-3").await.expect(201);
    stack.payout(&driver.id, 1, "p-4").await.expect(409);
    // A driver without entries has nothing to pay out; nor has anyone in another currency.
    stack
        .payout(&stack.billing.driver().id, 1, "p-5")
        .await
        .expect(409);
    let usd = stack
        .billing
        .post("/v1/payouts")
        .as_(&stack.admin)
        .idempotency_key("p-6")
        .json(&json!({"driver_id": driver.id, "amount_cents": 1, "currency": "USD"}))
        .send()
        .await
        .expect(409);
    assert_eq!(usd.body["balance_cents"], 0);

    let journal = stack.journal().await;
    let payout_tx = journal
        .iter()
        .find(|t| t["payout_id"] == payout["id"])
        .unwrap();
    assert_eq!(payout_tx["id"], payout["transaction_id"]);
    assert_eq!(
        payout_tx["postings"],
        json!([
            {"account": format!("driver:{}", driver.id), "amount_cents": 500},
            {"account": "platform:cash", "amount_cents": -500},
        ])
    );
    let earnings = stack
        .billing
        .get("/v1/earnings")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(earnings["balance_cents"], 0);
    stack.assert_caches_match_entries().await;
}

#[tokio::test]
async fn concurrent_payouts_never_overdraw_the_balance() {
    let stack = Arc::new(Stack::start().await);
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    stack.ride(&rider, &driver, 5000).await; // 880
    let start = Arc::new(Barrier::new(10));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..10 {
        let (stack, driver, start) = (stack.clone(), driver.id.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            stack
                .payout(&driver, 300, &format!("race-{i}"))
                .await
                .status
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = racers.join_next().await {
        statuses.push(status.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        8,
        "{statuses:?}"
    );
    let earnings = stack
        .billing
        .get("/v1/earnings")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(earnings["balance_cents"], 280);
    stack.assert_caches_match_entries().await;
}
