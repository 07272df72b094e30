//! Billing down or frozen while 20 rides complete: every completion answers at once, and once
//! billing is back there are exactly 20 invoices, none twice, and the ledger balances.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use odmu_testkit::Caller;
use serde_json::json;

use crate::support::{CENTRE, Stack, offset};

const RIDES: usize = 20;

/// `n` rides in progress, each with its own driver.
pub(crate) async fn rides_in_progress(stack: &Stack, n: usize) -> Vec<(Caller, String)> {
    let mut rides = Vec::new();
    for i in 0..n {
        let at = offset(CENTRE, 100.0 * i as f64, 0.0);
        let driver = stack.online_driver(at).await;
        let ride = stack.ride(at).await;
        stack.accept_and_start(&driver, &ride).await;
        rides.push((driver, ride["id"].as_str().unwrap().to_owned()));
    }
    rides
}

/// Completes every ride at once; asserts each answered 200 within a second.
async fn complete_all(stack: &Arc<Stack>, rides: &[(Caller, String)]) {
    let mut completions = tokio::task::JoinSet::new();
    for (driver, id) in rides {
        let (stack, driver, id) = (stack.clone(), driver.clone(), id.clone());
        completions.spawn(async move {
            let asked = Instant::now();
            let body = json!({"distance_m": 4200, "duration_s": 900});
            stack.act(&driver, &id, "complete", &body).await.expect(200);
            asked.elapsed()
        });
    }
    while let Some(took) = completions.join_next().await {
        let took = took.unwrap();
        assert!(
            took < Duration::from_secs(1),
            "a completion waited {took:?}"
        );
    }
}

/// Every ride carries an invoice; billing holds exactly one per ride and balances.
async fn exactly_one_invoice_per_ride(stack: &Stack, rides: &[(Caller, String)], within: Duration) {
    for (_, id) in rides {
        stack.billed_ride(id, within).await;
    }
    // Give any late duplicate delivery a moment to (not) show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let invoices = stack.invoices().await;
    let charged: BTreeSet<&str> = invoices
        .iter()
        .filter_map(|i| i["ride_id"].as_str())
        .collect();
    let ours: BTreeSet<&str> = rides.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(invoices.len(), rides.len(), "one invoice per ride");
    assert_eq!(charged, ours, "none twice, none missing");
    for (_, id) in rides {
        let ride = stack.internal_ride(id).await;
        let invoice = invoices
            .iter()
            .find(|i| i["ride_id"] == id.as_str())
            .unwrap();
        assert_eq!(ride["invoice_id"], invoice["id"]);
    }
    let summary = stack.ledger_summary().await;
    assert_eq!(summary["balanced"], true, "{summary}");
    assert_eq!(summary["transactions"], rides.len());
    let outbox = stack.outbox().await;
    assert_eq!(
        (outbox["pending"].as_i64(), outbox["dead"].as_i64()),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn rides_complete_at_once_while_billing_is_down_and_are_charged_once_when_it_returns() {
    let mut stack = Stack::start().await;
    let rides = rides_in_progress(&stack, RIDES).await;
    stack.stop_billing().await;
    let stack_ref = Arc::new(stack);
    complete_all(&stack_ref, &rides).await;
    let mut stack = Arc::into_inner(stack_ref).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let outbox = stack.outbox().await;
    assert_eq!(outbox["pending"], RIDES, "{outbox}");

    stack.resume_billing().await;
    exactly_one_invoice_per_ride(&stack, &rides, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn rides_complete_at_once_while_billing_is_frozen_and_are_charged_once_when_it_thaws() {
    let (stack, freezer) = Stack::start_with_freezer().await;
    let rides = rides_in_progress(&stack, RIDES).await;
    freezer.freeze();
    let stack = Arc::new(stack);
    complete_all(&stack, &rides).await;
    // Long enough for the first calls to time out (5 s) and be tried again: billing will get
    // several calls for some rides once it thaws.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(stack.outbox().await["pending"], RIDES);
    freezer.thaw();
    exactly_one_invoice_per_ride(&stack, &rides, Duration::from_secs(30)).await;
}
