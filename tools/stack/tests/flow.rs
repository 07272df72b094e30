//! The whole ride flow through the gateway of the real local stack (`odmu`, five service
//! processes on SQLite): a rider and a driver sign up; the driver puts a profile, agrees to the
//! current terms and goes online near the pickup; the rider quotes and books; the driver sees
//! the ride, accepts it, starts it with the rider's code and completes it; the rider's trip
//! shows the final price and an invoice within a second; billing's ledger is balanced.
//!
//! Drop-in for `tools/stack/tests/flow.rs` (dev-dependencies already there: odmu-testkit,
//! odmu-authn, nix, tokio, reqwest, serde_json, tempfile).

mod common;

use std::time::{Duration, Instant};

use common::LocalStack;
use odmu_authn::Role;
use odmu_testkit::Caller;
use odmu_testkit::accounts::{log_in, sign_up_and_log_in};
use serde_json::json;

/// Paris, Place de la Concorde, and Bastille, 4.9 km of route east.
const PICKUP: (f64, f64) = (48.8656, 2.3212);
const DROPOFF: (f64, f64) = (48.8532, 2.3692);

#[tokio::test]
async fn a_rider_books_a_driver_carries_and_billing_invoices_through_the_gateway() {
    let stack = LocalStack::start(21000).await;
    let gw = stack.gateway();

    // Accounts at odmu_auth, through the gateway.
    let rider = sign_up_and_log_in(&gw.http, &gw.base, "rider@flow.test", Role::Rider).await;
    let driver = sign_up_and_log_in(&gw.http, &gw.base, "driver@flow.test", Role::Driver).await;

    // The driver: a profile, the current terms agreed, online near the pickup.
    let profile = json!({"name": "Dan", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"});
    let (status, body) = gw.put("/driver/v1/profile", &driver, profile).await;
    assert_eq!(status, 200, "{body}");
    let (status, terms) = gw.get("/contract/v1/terms/current", &driver).await;
    assert_eq!(status, 200, "{terms}");
    let agree = json!({"terms_version": terms["version"]});
    let (status, body) = gw
        .post("/contract/v1/agreements", &driver, Some(agree))
        .await;
    assert_eq!(status, 201, "{body}");
    let online = json!({"online": true, "lat": PICKUP.0 + 0.002, "lon": PICKUP.1});
    let (status, body) = gw.put("/driver/v1/availability", &driver, online).await;
    assert_eq!(status, 200, "{body}");

    // The rider quotes and books.
    let ride_to = json!({
        "pickup": {"lat": PICKUP.0, "lon": PICKUP.1},
        "dropoff": {"lat": DROPOFF.0, "lon": DROPOFF.1},
    });
    let (status, quote) = gw.post("/client/v1/quotes", &rider, Some(ride_to)).await;
    assert_eq!(status, 201, "{quote}");
    let booking = json!({"quote_id": quote["id"]});
    let (status, trip) = gw
        .call(
            reqwest::Method::POST,
            "/client/v1/trips",
            &rider,
            Some(booking),
            Some("flow-1"),
        )
        .await;
    assert_eq!(status, 201, "{trip}");
    assert_eq!(trip["status"], "requested");
    let id = trip["id"].as_str().unwrap().to_owned();
    let start_code = trip["start_code"].as_str().unwrap().to_owned();

    // The driver sees it among the open rides, accepts, starts with the code, completes.
    let (status, open) = gw.get("/driver/v1/rides/open", &driver).await;
    assert_eq!(status, 200, "{open}");
    let listed = open["items"].as_array().unwrap();
    assert!(listed.iter().any(|r| r["id"] == id.as_str()), "{open}");
    let ride = |action: &str| format!("/driver/v1/rides/{id}/{action}");
    let (status, body) = gw.post(&ride("accept"), &driver, None).await;
    assert_eq!(status, 200, "{body}");
    let (_, seen) = gw.get(&format!("/client/v1/trips/{id}"), &rider).await;
    assert_eq!(seen["status"], "accepted", "{seen}");
    assert_eq!(seen["driver"]["name"], "Dan");
    let code = json!({"start_code": start_code});
    let (status, body) = gw.post(&ride("start"), &driver, Some(code)).await;
    assert_eq!(status, 200, "{body}");
    let actuals = json!({"distance_m": quote["distance_m"], "duration_s": quote["duration_s"]});
    let (status, body) = gw.post(&ride("complete"), &driver, Some(actuals)).await;
    assert_eq!(status, 200, "{body}");

    // Within a second, the rider's trip shows the final price and the invoice.
    let begun = Instant::now();
    let billed = loop {
        let (status, trip) = gw.get(&format!("/client/v1/trips/{id}"), &rider).await;
        assert_eq!(status, 200, "{trip}");
        if trip["invoice_id"].is_string() {
            break trip;
        }
        assert!(
            begun.elapsed() < Duration::from_secs(1),
            "not billed in 1 s: {trip}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(billed["status"], "completed");
    // Driven as quoted: the upfront price holds.
    assert_eq!(
        billed["final_amount_cents"], quote["amount_cents"],
        "{billed}"
    );
    let invoice_path = format!(
        "/billing/v1/invoices/{}",
        billed["invoice_id"].as_str().unwrap()
    );
    let (status, invoice) = gw.get(&invoice_path, &rider).await;
    assert_eq!(status, 200, "{invoice}");
    assert_eq!(invoice["amount_cents"], quote["amount_cents"]);

    // The books balance, as the dev admin sees them.
    let admin = Caller {
        id: String::new(),
        role: Role::Admin,
        token: log_in(
            &gw.http,
            &gw.base,
            "admin@odmu.local",
            &stack.secret("ADMIN_PASSWORD"),
        )
        .await,
    };
    let (status, summary) = gw.get("/billing/v1/ledger/summary", &admin).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["balanced"], true, "{summary}");
    assert!(summary["transactions"].as_i64().unwrap() >= 1, "{summary}");
    for currency in summary["currencies"].as_array().unwrap() {
        assert_eq!(
            currency["debits_cents"], currency["credits_cents"],
            "{summary}"
        );
    }

    stack.stop().await;
}
