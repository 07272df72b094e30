//! `POST /v1/internal/charges`: exactly one invoice and one ledger transaction per ride and
//! kind, however often and however concurrently the charge is delivered.

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use crate::support::{Stack, charge_body, new_id};

#[tokio::test]
async fn the_first_charge_is_201_a_repeat_200_with_the_same_invoice_and_one_transaction() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    // standard v1, 5 km in the default 720 s: fare 250 + 550 + 300 = 1100, + booking fee 150.
    let quote = stack.quote(&rider, 5000).await;
    assert_eq!(quote["amount_cents"], 1250);
    let ride = new_id();
    let body = charge_body(
        &ride,
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );

    let first = stack.charge(&body).await.expect(201).body;
    assert_eq!(first["ride_id"], ride.as_str());
    assert_eq!(first["kind"], "ride");
    assert_eq!(first["status"], "open");
    assert_eq!(first["currency"], "EUR");
    assert_eq!(
        (
            &first["amount_cents"],
            &first["platform_cents"],
            &first["driver_cents"]
        ),
        (&json!(1250), &json!(370), &json!(880)),
        "commission 20% of 1100, plus the booking fee, to the platform"
    );
    assert_eq!(first["outstanding_cents"], 1250);
    assert_eq!(first["basis"], "upfront");
    for _ in 0..3 {
        let again = stack.charge(&body).await.expect(200).body;
        assert_eq!(again, first, "a repeat answers the same invoice");
    }

    // A cancellation of the same ride is another charge (kind is part of the key).
    let cancel = charge_body(
        &ride,
        "cancellation",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    let fee = stack.charge(&cancel).await.expect(201).body;
    assert_ne!(fee["id"], first["id"]);
    assert_eq!(
        (
            &fee["amount_cents"],
            &fee["platform_cents"],
            &fee["driver_cents"]
        ),
        (&json!(500), &json!(100), &json!(400))
    );
    assert_eq!(fee["basis"], "cancellation");

    let journal = stack.journal().await;
    assert_eq!(journal.len(), 2, "one transaction per charge: {journal:?}");
    let charge = journal
        .iter()
        .find(|t| t["invoice_id"] == first["id"])
        .unwrap();
    assert_eq!(charge["kind"], "charge");
    assert_eq!(charge["id"], first["charge_transaction_id"]);
    assert_eq!(
        charge["postings"],
        json!([
            {"account": format!("rider:{}", rider.id), "amount_cents": 1250},
            {"account": format!("driver:{}", driver.id), "amount_cents": -880},
            {"account": "platform:revenue", "amount_cents": -370},
        ])
    );
    stack.assert_caches_match_entries().await;
}

#[tokio::test]
async fn fifty_concurrent_deliveries_of_one_charge_make_one_invoice_and_one_transaction() {
    let stack = Arc::new(Stack::start().await);
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 8000).await;
    let body = Arc::new(charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    ));
    let start = Arc::new(Barrier::new(50));
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (stack, body, start) = (stack.clone(), body.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            stack.charge(&body).await
        });
    }
    let (mut created, mut repeated) = (Vec::new(), Vec::new());
    while let Some(reply) = racers.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            201 => created.push(reply.body),
            200 => repeated.push(reply.body),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(created.len(), 1, "one 201");
    assert_eq!(repeated.len(), 49, "49 × 200");
    assert!(
        repeated.iter().all(|r| *r == created[0]),
        "all the same invoice"
    );

    let invoices = stack.all_pages(&stack.admin, "/v1/invoices").await;
    assert_eq!(invoices.len(), 1);
    let journal = stack.journal().await;
    assert_eq!(journal.len(), 1, "one ledger transaction");
    let summary = stack.admin_get("/v1/ledger/summary").await;
    assert_eq!(summary["transactions"], 1);
    assert_eq!(summary["postings"], 3);
    stack.assert_caches_match_entries().await;
}

#[tokio::test]
async fn a_metered_ride_is_priced_from_its_actuals() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 5000).await;
    let mut body = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    // Twice the distance and duration: outside the 20% tolerance, so metered:
    // 250 + 1100 + 600 = 1950, + 150 = 2100; platform 390 + 150.
    body["distance_m"] = json!(10_000);
    // (1440.0 is an integer to JSON Schema, so billing takes it as one.)
    body["duration_s"] = json!(1440.0);
    // Above the quote, so only with evidence: the driver's positions covered the distance.
    body["evidence_distance_m"] = json!(10_000);
    let invoice = stack.charge(&body).await.expect(201).body;
    assert_eq!(invoice["basis"], "metered");
    assert_eq!(
        (&invoice["amount_cents"], &invoice["platform_cents"]),
        (&json!(2100), &json!(540))
    );
    assert_eq!(invoice["review"], json!(null));
}

/// A ride priced otherwise than its driver reported (contractual's `review`) is kept on its
/// invoice, for an admin's `?review=true` list.
#[tokio::test]
async fn a_ride_its_driver_overstated_is_listed_for_review() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 5000).await;
    let mut body = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    body["distance_m"] = json!(10_000);
    body["duration_s"] = json!(1440);
    body["elapsed_s"] = json!(1450);
    let invoice = stack.charge(&body).await.expect(201).body;
    assert_eq!(
        invoice["amount_cents"], quote["amount_cents"],
        "the quote holds"
    );
    assert_eq!(
        invoice["review"],
        json!({"reason": "unverified_metered", "reported_distance_m": 10_000,
               "reported_duration_s": 1440})
    );
    let honest = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    stack.charge(&honest).await.expect(201);
    let listed = stack
        .billing
        .get("/v1/invoices?review=true")
        .as_(&stack.billing.admin())
        .send()
        .await
        .expect(200)
        .body;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], invoice["id"]);
}

#[tokio::test]
async fn a_price_of_zero_makes_one_paid_invoice_of_zero_with_no_postings() {
    let stack = Stack::start().await;
    stack
        .tariff("nofee", &json!({"cancellation_fee_cents": 0}))
        .await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote_with(&rider, 3000, "nofee").await;
    let body = charge_body(
        &new_id(),
        "cancellation",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    let invoice = stack.charge(&body).await.expect(201).body;
    assert_eq!(
        (&invoice["amount_cents"], &invoice["status"]),
        (&json!(0), &json!("paid"))
    );
    assert_eq!(invoice["outstanding_cents"], 0);
    assert_eq!(invoice["paid_at"], invoice["created_at"]);
    assert!(invoice["charge_transaction_id"].is_null());
    assert_eq!(
        stack.charge(&body).await.expect(200).body,
        invoice,
        "still exactly one"
    );
    assert!(
        stack.journal().await.is_empty(),
        "the ledger holds no zero postings"
    );
    // Nothing to pay, nothing to void.
    stack
        .pay_amount(&rider, invoice["id"].as_str().unwrap(), 1, "k")
        .await
        .expect(409);
    let void = format!("/v1/invoices/{}/void", invoice["id"].as_str().unwrap());
    stack
        .billing
        .post(&void)
        .as_(&stack.admin)
        .send()
        .await
        .expect(409);
}

#[tokio::test]
async fn an_unknown_quote_is_404_and_a_repeat_with_other_parties_422_naming_the_field() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let unknown = charge_body(&new_id(), "ride", &rider, &driver, &new_id());
    let reply = stack.charge(&unknown).await.expect(404);
    assert_eq!(reply.fields(), ["quote_id"]);

    let quote = stack.quote(&rider, 4000).await;
    let ride = new_id();
    let body = charge_body(
        &ride,
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    stack.charge(&body).await.expect(201);
    let other_driver = stack.billing.driver();
    let conflicting = charge_body(
        &ride,
        "ride",
        &rider,
        &other_driver,
        quote["id"].as_str().unwrap(),
    );
    let reply = stack.charge(&conflicting).await.expect(422);
    assert_eq!(reply.fields(), ["driver_id"]);
    assert_eq!(stack.journal().await.len(), 1);
}

#[tokio::test]
async fn ids_in_another_uuid_spelling_are_the_same_ride() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 4000).await;
    let ride = new_id();
    let body = charge_body(
        &ride,
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );
    let first = stack.charge(&body).await.expect(201).body;
    let mut shouting = body.clone();
    shouting["ride_id"] = json!(ride.to_uppercase());
    shouting["rider_id"] = json!(rider.id.to_uppercase());
    assert_eq!(stack.charge(&shouting).await.expect(200).body, first);
}
