//! The whole ride flow through the gateway of the real local stack (`odmu`, five service
//! processes on SQLite): a rider and a driver sign up; the driver puts a profile, agrees to the
//! current terms and goes online near the pickup; the rider quotes and books; the driver sees
//! the ride, accepts it, starts it with the rider's code and completes it; the rider's trip
//! shows the final price and an invoice within a second; billing's ledger is balanced.
//!
//! Drop-in for `tools/stack/tests/flow.rs` (dev-dependencies already there: odmu-testkit,
//! odmu-authn, nix, tokio, reqwest, serde_json, tempfile).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use odmu_authn::Role;
use odmu_testkit::Caller;
use odmu_testkit::accounts::{log_in, sign_up_and_log_in};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// Paris, Place de la Concorde, and Bastille, 4.9 km of route east.
const PICKUP: (f64, f64) = (48.8656, 2.3212);
const DROPOFF: (f64, f64) = (48.8532, 2.3692);

/// The stack, started on a fresh data folder; stopped with SIGTERM when dropped.
struct Stack {
    child: Child,
    gateway: String,
    data: tempfile::TempDir,
}

impl Stack {
    async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let offset = common::free_offset(21000);
        let gateway_port = odmu_topology::GATEWAY_PORT + offset;
        let mut child = Command::new(env!("CARGO_BIN_EXE_odmu"))
            .arg("--data-dir")
            .arg(data.path())
            .env("ODMU_PORT_OFFSET", offset.to_string())
            .env("ODMU_GATEWAY_PORT", gateway_port.to_string())
            .env("RUST_LOG", "warn")
            .env_remove("LOG_FORMAT")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let up = tokio::time::timeout(Duration::from_secs(90), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("odmu is up") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(up, Ok(true), "the stack comes up");
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            gateway: format!("http://127.0.0.1:{gateway_port}"),
            data,
        }
    }

    /// A value of the stack's `dev-secrets.env`.
    fn secret(&self, key: &str) -> String {
        let text = std::fs::read_to_string(self.data.path().join("dev-secrets.env")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in dev-secrets.env"))
            .to_owned()
    }

    async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        assert!(
            matches!(status, Ok(Ok(s)) if s.success()),
            "a clean stop: {status:?}"
        );
    }
}

/// JSON calls through the gateway; each answers (status, body).
struct Gateway {
    http: reqwest::Client,
    base: String,
}

impl Gateway {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Caller,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, who: &Caller) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, who, None, None).await
    }

    async fn put(&self, path: &str, who: &Caller, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, who, Some(body), None)
            .await
    }

    async fn post(&self, path: &str, who: &Caller, body: Option<Value>) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, who, body, None)
            .await
    }
}

#[tokio::test]
async fn a_rider_books_a_driver_carries_and_billing_invoices_through_the_gateway() {
    let stack = Stack::start().await;
    let gw = Gateway {
        http: reqwest::Client::new(),
        base: stack.gateway.clone(),
    };

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
