//! The ledger: the summary (from totals kept in the same transactions) equals a
//! recomputation from the journal and from the entries; entries are append-only.

use odmu_storage::sqlx;
use serde_json::json;

use crate::support::{Recomputed, Stack, charge_body, new_id};

#[tokio::test]
async fn the_summary_and_the_caches_equal_sums_over_the_entries_in_every_currency() {
    let stack = Stack::start().await;
    stack
        .tariff(
            "dollars",
            &json!({"currency": "USD", "commission_bps": 2500}),
        )
        .await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let empty = stack.admin_get("/v1/ledger/summary").await;
    assert_eq!(
        empty,
        json!({"currencies": [], "balanced": true, "postings": 0, "transactions": 0})
    );

    let a = stack.ride(&rider, &driver, 5000).await;
    let b = stack.ride(&rider, &driver, 9000).await;
    stack.ride(&rider, &driver, 2000).await;
    let quote = stack.quote_with(&rider, 5000, "dollars").await;
    let usd = stack
        .charge(&charge_body(
            &new_id(),
            "ride",
            &rider,
            &driver,
            quote["id"].as_str().unwrap(),
        ))
        .await
        .expect(201)
        .body;
    stack.pay(&rider, &a, "pay-a").await.expect(201);
    stack.pay(&rider, &usd, "pay-usd").await.expect(201);
    let void = format!("/v1/invoices/{}/void", b["id"].as_str().unwrap());
    stack
        .billing
        .post(&void)
        .as_(&stack.admin)
        .send()
        .await
        .expect(200);
    stack.payout(&driver.id, 700, "payout").await.expect(201);

    let journal = stack.journal().await;
    assert_eq!(journal.len(), 4 + 2 + 1 + 1);
    let books = Recomputed::from_journal(&journal);
    let summary = stack.admin_get("/v1/ledger/summary").await;
    books.assert_summary(&summary);
    assert_eq!(summary["currencies"][0]["currency"], "EUR");
    assert_eq!(summary["currencies"][1]["currency"], "USD");
    stack.assert_caches_match_entries().await;

    // The rider owes exactly the open invoice; cash holds both payments less the payout.
    let open = stack.all_pages(&rider, "/v1/invoices?status=open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(
        books.balance(&format!("rider:{}", rider.id), "EUR"),
        open[0]["amount_cents"].as_i64().unwrap()
    );
    assert_eq!(
        books.balance("platform:cash", "EUR"),
        a["amount_cents"].as_i64().unwrap() - 700
    );
    assert_eq!(
        books.balance("platform:cash", "USD"),
        usd["amount_cents"].as_i64().unwrap()
    );
}

#[tokio::test]
async fn entries_and_transactions_cannot_be_updated_or_deleted() {
    let stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    stack.ride(&rider, &driver, 5000).await;
    for statement in [
        "UPDATE ledger_entries SET amount_cents = 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET kind = 'payment'",
        "DELETE FROM ledger_transactions",
    ] {
        let refused = sqlx::query(statement)
            .execute(stack.billing.db().pool())
            .await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
    assert_eq!(stack.journal().await.len(), 1);
    stack.assert_caches_match_entries().await;
}

#[test]
fn no_code_updates_or_deletes_ledger_rows() {
    fn scan(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
                for table in ["ledger_entries", "ledger_transactions"] {
                    for verb in [format!("update {table}"), format!("delete from {table}")] {
                        if text.contains(&verb) {
                            found.push(format!("{}: {verb}", path.display()));
                        }
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    scan(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(found.is_empty(), "{found:?}");
}
