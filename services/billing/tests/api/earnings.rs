//! `GET /v1/earnings`: a driver's own balance and entries, per currency.

use serde_json::json;

use crate::support::{Stack, charge_body, new_id};

#[tokio::test]
async fn a_driver_sees_their_own_earnings_newest_first_in_each_currency() {
    let stack = Stack::start().await;
    let (rider, driver, other) = (
        stack.billing.rider(),
        stack.billing.driver(),
        stack.billing.driver(),
    );
    let first = stack.ride(&rider, &driver, 5000).await; // driver 880
    let second = stack.ride(&rider, &driver, 10_000).await;
    stack.ride(&rider, &other, 5000).await;
    stack.payout(&driver.id, 300, "payout-1").await.expect(201);

    let expected = 880 + second["driver_cents"].as_i64().unwrap() - 300;
    let earnings = stack
        .billing
        .get("/v1/earnings")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(earnings["driver_id"], driver.id.as_str());
    assert_eq!(
        (&earnings["currency"], &earnings["balance_cents"]),
        (&json!("EUR"), &json!(expected))
    );
    let entries = earnings["entries"].as_array().unwrap();
    let amounts: Vec<i64> = entries
        .iter()
        .map(|e| e["amount_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(
        amounts,
        [-300, second["driver_cents"].as_i64().unwrap(), 880],
        "newest first"
    );
    assert_eq!(entries[0]["kind"], "payout");
    assert_eq!(entries[2]["invoice_id"], first["id"]);
    assert_eq!(
        earnings["balances"],
        json!([{"currency": "EUR", "balance_cents": expected}])
    );

    // Pages of one.
    let page = stack
        .billing
        .get("/v1/earnings?limit=1")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(page["entries"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = stack
        .billing
        .get(&format!("/v1/earnings?limit=1&cursor={cursor}"))
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(next["entries"][0]["amount_cents"], amounts[1]);

    // The other driver sees only theirs; a driver with nothing sees zero.
    let theirs = stack
        .billing
        .get("/v1/earnings")
        .as_(&other)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(theirs["balance_cents"], 880);
    assert_eq!(theirs["entries"].as_array().unwrap().len(), 1);
    let nobody = stack
        .billing
        .get("/v1/earnings")
        .as_(&stack.billing.driver())
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&nobody["balance_cents"], &nobody["entries"]),
        (&json!(0), &json!([]))
    );

    // Another currency: its own balance, listed beside EUR.
    stack.tariff("dollars", &json!({"currency": "USD"})).await;
    let quote = stack.quote_with(&rider, 5000, "dollars").await;
    let body = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    stack.charge(&body).await.expect(201);
    let usd = stack
        .billing
        .get("/v1/earnings?currency=USD")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&usd["currency"], &usd["balance_cents"]),
        (&json!("USD"), &json!(880))
    );
    assert_eq!(
        usd["balances"],
        json!([{"currency": "EUR", "balance_cents": expected}, {"currency": "USD", "balance_cents": 880}])
    );
    let gbp = stack
        .billing
        .get("/v1/earnings?currency=GBP")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(gbp["balance_cents"], 0);
}
