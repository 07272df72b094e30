//! contractual down: a charge answers 503 and writes nothing; once it is back, the retry
//! charges once.

use odmu_contractual::Contractual;

use crate::support::{Stack, charge_body, new_id};

#[tokio::test]
async fn a_charge_while_contractual_is_down_is_503_writes_nothing_and_succeeds_once_later() {
    let mut stack = Stack::start().await;
    let (rider, driver) = (stack.billing.rider(), stack.billing.driver());
    let quote = stack.quote(&rider, 6000).await;
    let body = charge_body(
        &new_id(),
        "ride",
        &rider,
        &driver,
        quote["id"].as_str().unwrap(),
    );

    stack.contract.stop().await;
    for _ in 0..2 {
        let reply = stack.charge(&body).await.expect(503);
        assert_eq!(reply.header("retry-after"), Some("1"));
    }
    assert!(
        stack
            .all_pages(&stack.admin, "/v1/invoices")
            .await
            .is_empty(),
        "no invoice"
    );
    assert!(stack.journal().await.is_empty(), "no ledger transaction");
    let summary = stack.admin_get("/v1/ledger/summary").await;
    assert_eq!(
        (
            summary["postings"].as_i64(),
            summary["transactions"].as_i64()
        ),
        (Some(0), Some(0))
    );
    let audit = billing::store::ledger::audit(stack.billing.db())
        .await
        .unwrap();
    assert_eq!(audit.accounts, 0, "no entries");

    let Stack {
        identity,
        contract,
        billing,
        rides,
        admin,
    } = stack;
    let stack = Stack {
        contract: contract.resume::<Contractual>().await,
        identity,
        billing,
        rides,
        admin,
    };
    let first = stack.charge(&body).await.expect(201).body;
    assert_eq!(stack.charge(&body).await.expect(200).body, first);
    assert_eq!(stack.journal().await.len(), 1);
    stack.assert_caches_match_entries().await;
}
