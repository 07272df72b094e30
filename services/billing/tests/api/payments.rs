//! `POST /v1/invoices/{id}/payments`: whole payments, once per invoice, under an
//! Idempotency-Key.

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use crate::support::Stack;

#[tokio::test]
async fn a_payment_pays_the_whole_invoice_once_and_posts_cash_against_the_rider() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let invoice = stack.ride(&rider, &driver, 5000).await;
    let id = invoice["id"].as_str().unwrap();

    let wrong = stack
        .pay_amount(&rider, id, 1249, "k-wrong")
        .await
        .expect(422);
    assert_eq!(wrong.fields(), ["amount_cents"]);
    assert_eq!(wrong.body["outstanding_cents"], 1250);

    let paid = stack.pay(&rider, &invoice, "k-1").await.expect(201);
    assert_eq!(paid.header("idempotency-replayed"), None);
    let payment = &paid.body;
    assert_eq!(
        (&payment["amount_cents"], &payment["method"]),
        (&json!(1250), &json!("card"))
    );
    assert_eq!(payment["reference"], "psp_k-1");
    assert_eq!(payment["invoice"]["status"], "paid");
    assert_eq!(payment["invoice"]["outstanding_cents"], 0);
    assert!(payment["invoice"]["paid_at"].is_string());

    // The same key and body: the first answer again, nothing more written.
    let replay = stack.pay(&rider, &invoice, "k-1").await.expect(201);
    assert_eq!(replay.header("idempotency-replayed"), Some("true"));
    assert_eq!(replay.body, paid.body);
    // Another key: the invoice is paid.
    let again = stack.pay(&rider, &invoice, "k-2").await.expect(409);
    assert_eq!(again.body["invoice_status"], "paid");
    // A missing key is refused before anything happens.
    stack
        .billing
        .post(&format!("/v1/invoices/{id}/payments"))
        .as_(&rider)
        .json(&json!({"amount_cents": 1250, "method": "cash", "reference": "r"}))
        .send()
        .await
        .expect(400);

    let got = stack
        .billing
        .get(&format!("/v1/invoices/{id}"))
        .as_(&rider)
        .send()
        .await
        .expect(200);
    assert_eq!(got.body["status"], "paid");
    let journal = stack.journal().await;
    let payment_tx = journal.iter().find(|t| t["kind"] == "payment").unwrap();
    assert_eq!(payment_tx["id"], payment["transaction_id"]);
    assert_eq!(
        payment_tx["postings"],
        json!([
            {"account": "platform:cash", "amount_cents": 1250},
            {"account": format!("rider:{}", rider.id), "amount_cents": -1250},
        ])
    );
    assert_eq!(journal.len(), 2);
    stack.assert_caches_match_entries().await;
}

/// Twenty payments of one invoice sent at once, with `key(i)` as their Idempotency-Key: the
/// statuses answered, and the number of payment transactions in the journal.
async fn race(stack: Arc<Stack>, key: fn(usize) -> String) -> (Vec<u16>, usize) {
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let invoice = Arc::new(stack.ride(&rider, &driver, 7000).await);
    let start = Arc::new(Barrier::new(20));
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (stack, rider, invoice, start) =
            (stack.clone(), rider.clone(), invoice.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            stack.pay(&rider, &invoice, &key(i)).await
        });
    }
    let mut statuses = Vec::new();
    while let Some(reply) = racers.join_next().await {
        statuses.push(reply.unwrap().status);
    }
    statuses.sort_unstable();
    let payments = stack
        .journal()
        .await
        .iter()
        .filter(|t| t["kind"] == "payment")
        .count();
    stack.assert_caches_match_entries().await;
    (statuses, payments)
}

#[tokio::test]
async fn twenty_concurrent_payments_with_one_key_make_one_payment() {
    let stack = Arc::new(Stack::start().await);
    let (statuses, payments) = race(stack, |_| "same-key".to_owned()).await;
    assert_eq!(payments, 1);
    // One ran; the others replayed its answer or were told it was still running.
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert!(statuses.contains(&201));
}

#[tokio::test]
async fn twenty_concurrent_payments_with_twenty_keys_make_one_payment_and_nineteen_409s() {
    let stack = Arc::new(Stack::start().await);
    let (statuses, payments) = race(stack, |i| format!("key-{i}")).await;
    assert_eq!(payments, 1);
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_void_invoice_cannot_be_paid_and_a_paid_one_cannot_be_voided() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let voided = stack.ride(&rider, &driver, 3000).await;
    let path = format!("/v1/invoices/{}/void", voided["id"].as_str().unwrap());
    stack
        .billing
        .post(&path)
        .as_(&stack.admin)
        .send()
        .await
        .expect(200);
    let reply = stack.pay(&rider, &voided, "k-void").await.expect(409);
    assert_eq!(reply.body["invoice_status"], "void");

    let paid = stack.ride(&rider, &driver, 3000).await;
    stack.pay(&rider, &paid, "k-paid").await.expect(201);
    let path = format!("/v1/invoices/{}/void", paid["id"].as_str().unwrap());
    let reply = stack
        .billing
        .post(&path)
        .as_(&stack.admin)
        .send()
        .await
        .expect(409);
    assert_eq!(reply.body["invoice_status"], "paid");
}
