//! Reading invoices (a rider their own, an admin all; newest first; by status) and voiding
//! them (the exact reverse, once).

use serde_json::{Value, json};

use crate::support::Stack;

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn riders_list_their_own_invoices_newest_first_admins_all_and_by_status() {
    let stack = Stack::start().await;
    let (alice, bob, driver) = (
        stack.billing.rider(),
        stack.billing.rider(),
        stack.billing.driver(),
    );
    let mut alices = Vec::new();
    for km in 1..=5 {
        alices.push(stack.ride(&alice, &driver, km * 1000).await);
    }
    let bobs = stack.ride(&bob, &driver, 2000).await;
    stack.pay(&alice, &alices[1], "pay-1").await.expect(201);

    // Pages of two, newest first, with no repeats or gaps.
    let first = stack
        .billing
        .get("/v1/invoices?limit=2")
        .as_(&alice)
        .send()
        .await
        .expect(200)
        .body;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = stack
        .billing
        .get(&format!("/v1/invoices?limit=2&cursor={cursor}"))
        .as_(&alice)
        .send()
        .await
        .expect(200)
        .body;
    let all = stack.all_pages(&alice, "/v1/invoices").await;
    let newest_first: Vec<&str> = alices
        .iter()
        .rev()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids(&all), newest_first);
    let paged: Vec<Value> = [&first, &second]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .collect();
    assert_eq!(ids(&paged), newest_first[..4]);

    let paid = stack.all_pages(&alice, "/v1/invoices?status=paid").await;
    assert_eq!(ids(&paid), [alices[1]["id"].as_str().unwrap()]);
    assert_eq!(
        stack
            .all_pages(&alice, "/v1/invoices?status=open")
            .await
            .len(),
        4
    );
    assert!(
        stack
            .all_pages(&alice, "/v1/invoices?status=void")
            .await
            .is_empty()
    );

    let everyone = stack.all_pages(&stack.admin, "/v1/invoices").await;
    assert_eq!(everyone.len(), 6);
    assert_eq!(everyone[0]["id"], bobs["id"]);
    let bob_sees = stack.all_pages(&bob, "/v1/invoices").await;
    assert_eq!(ids(&bob_sees), [bobs["id"].as_str().unwrap()]);

    // One invoice: its rider and admins.
    let path = format!("/v1/invoices/{}", alices[0]["id"].as_str().unwrap());
    let got = stack
        .billing
        .get(&path)
        .as_(&alice)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(got, alices[0]);
    stack
        .billing
        .get(&path)
        .as_(&stack.admin)
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn a_void_posts_the_exact_reverse_once_and_never_deletes() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let invoice = stack.ride(&rider, &driver, 5000).await;
    let path = format!("/v1/invoices/{}/void", invoice["id"].as_str().unwrap());

    let voided = stack
        .billing
        .post(&path)
        .as_(&stack.admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(voided["status"], "void");
    assert_eq!(voided["outstanding_cents"], 0);
    assert!(voided["voided_at"].is_string());
    let again = stack
        .billing
        .post(&path)
        .as_(&stack.admin)
        .send()
        .await
        .expect(409);
    assert_eq!(again.body["invoice_status"], "void");

    let journal = stack.journal().await;
    assert_eq!(journal.len(), 2, "the charge stays; its reverse is added");
    let void = journal.iter().find(|t| t["kind"] == "void").unwrap();
    let charge = journal.iter().find(|t| t["kind"] == "charge").unwrap();
    assert_eq!(void["id"], voided["void_transaction_id"]);
    assert_eq!(void["invoice_id"], invoice["id"]);
    let reversed: Vec<Value> = charge["postings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| json!({"account": p["account"], "amount_cents": -p["amount_cents"].as_i64().unwrap()}))
        .collect();
    assert_eq!(void["postings"], json!(reversed));

    // The rider owes nothing, the driver is owed nothing.
    let earnings = stack
        .billing
        .get("/v1/earnings")
        .as_(&driver)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(earnings["balance_cents"], 0);
    assert!(
        stack
            .all_pages(&rider, "/v1/invoices?status=open")
            .await
            .is_empty()
    );

    let missing = format!("/v1/invoices/{}/void", crate::support::new_id());
    stack
        .billing
        .post(&missing)
        .as_(&stack.admin)
        .send()
        .await
        .expect(404);
    stack
        .billing
        .post("/v1/invoices/not-a-uuid/void")
        .as_(&stack.admin)
        .send()
        .await
        .expect(404);
    stack.assert_caches_match_entries().await;
}
