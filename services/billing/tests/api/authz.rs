//! Who may do what: riders see and pay only their own invoices (another's is 404), drivers
//! see only their own earnings, internal endpoints take service tokens only.

use serde_json::json;

use crate::support::{Stack, charge_body, new_id};

#[tokio::test]
async fn a_rider_cannot_read_or_pay_another_riders_invoice() {
    let stack = Stack::start().await;
    let (alice, mallory, driver) = (
        stack.billing.rider(),
        stack.billing.rider(),
        stack.billing.driver(),
    );
    let invoice = stack.ride(&alice, &driver, 4000).await;
    let id = invoice["id"].as_str().unwrap();
    let path = format!("/v1/invoices/{id}");
    stack
        .billing
        .get(&path)
        .as_(&mallory)
        .send()
        .await
        .expect(404);
    stack.pay(&mallory, &invoice, "steal").await.expect(404);
    assert!(stack.all_pages(&mallory, "/v1/invoices").await.is_empty());
    // Still open, and payable by its rider.
    stack.pay(&alice, &invoice, "mine").await.expect(201);
    // Admins cannot pay for riders; riders and drivers cannot void.
    stack.pay(&stack.admin, &invoice, "admin").await.expect(403);
    let void = format!("{path}/void");
    stack
        .billing
        .post(&void)
        .as_(&alice)
        .send()
        .await
        .expect(403);
    stack
        .billing
        .post(&void)
        .as_(&driver)
        .send()
        .await
        .expect(403);
    stack
        .billing
        .get(&path)
        .as_(&driver)
        .send()
        .await
        .expect(403);
    stack.billing.get(&path).send().await.expect(401);
}

#[tokio::test]
async fn earnings_are_the_drivers_own_and_admin_endpoints_refuse_everyone_else() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    stack.ride(&rider, &driver, 4000).await;
    let other = stack.billing.driver();
    let theirs = stack
        .billing
        .get("/v1/earnings")
        .as_(&other)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&theirs["balance_cents"], &theirs["entries"]),
        (&json!(0), &json!([]))
    );
    for caller in [&rider, &stack.admin] {
        stack
            .billing
            .get("/v1/earnings")
            .as_(caller)
            .send()
            .await
            .expect(403);
    }
    for path in ["/v1/ledger/summary", "/v1/ledger/transactions"] {
        for caller in [&rider, &driver, &stack.rides] {
            stack.billing.get(path).as_(caller).send().await.expect(403);
        }
        stack.billing.get(path).send().await.expect(401);
    }
    stack.payout(&driver.id, 1, "p").await.expect(201);
    for caller in [&rider, &driver] {
        stack
            .billing
            .post("/v1/payouts")
            .as_(caller)
            .idempotency_key("p-x")
            .json(&json!({"driver_id": driver.id, "amount_cents": 1}))
            .send()
            .await
            .expect(403);
    }
}

#[tokio::test]
async fn internal_charges_refuse_user_tokens() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 4000).await;
    let body = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    for caller in [&rider, &driver, &stack.admin] {
        stack
            .billing
            .post("/v1/internal/charges")
            .as_(caller)
            .json(&body)
            .send()
            .await
            .expect(403);
    }
    stack
        .billing
        .post("/v1/internal/charges")
        .json(&body)
        .send()
        .await
        .expect(401);
    assert!(stack.journal().await.is_empty());
}
