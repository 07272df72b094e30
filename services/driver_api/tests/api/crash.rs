//! The real driver_api binary killed with SIGKILL while its relay's calls hang on a frozen
//! billing, restarted on the same database, then billing thawed: exactly one invoice per ride
//! (the dead task's leases expire and the new task delivers; billing is idempotent).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use odmu_storage::TestDatabase;
use odmu_testkit::{Caller, SERVICE_SECRET, ServiceProcess, TestApp, TestIdentity};
use serde_json::{Value, json};

use crate::freezer::Freezer;
use crate::support::{CENTRE, new_id, offset};

const RIDES: usize = 5;

/// driver_api as a process, and a JSON client for it.
struct Remote {
    http: reqwest::Client,
    base: String,
}

impl Remote {
    fn new(process: &ServiceProcess) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("{}/driver", process.base_url),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Caller,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("driver_api answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Caller,
        body: Option<Value>,
    ) -> Value {
        let (status, body) = self.call(method, path, who, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {body}");
        body
    }
}

async fn start(
    database: &TestDatabase,
    identity: &TestIdentity,
    contract: &TestApp,
    billing: &str,
) -> ServiceProcess {
    ServiceProcess::start(
        env!("CARGO_BIN_EXE_driver_api"),
        &[
            ("DATABASE_URL", database.url()),
            ("AUTH_URL", identity.url.as_str()),
            ("SERVICE_CLIENT_ID", "driver_api"),
            ("SERVICE_CLIENT_SECRET", SERVICE_SECRET),
            ("CONTRACTUAL_URL", contract.base_url.as_str()),
            ("BILLING_URL", billing),
        ],
    )
    .await
}

#[tokio::test]
async fn a_task_killed_mid_delivery_leaves_exactly_one_invoice_per_ride() {
    let identity = TestIdentity::start().await;
    let contract = TestApp::spawn_with::<odmu_contractual::Contractual>(&identity, &[], None).await;
    let billing = TestApp::spawn_with::<billing::Billing>(
        &identity,
        &[("CONTRACTUAL_URL", contract.base_url.as_str())],
        None,
    )
    .await;
    let freezer = Freezer::start(&billing.base_url).await;
    let database = TestDatabase::new().await;
    let process = start(&database, &identity, &contract, &freezer.url).await;
    let api = Remote::new(&process);
    let client_app = identity.service("client_app_api");
    let admin = identity.admin();
    let terms = contract
        .get("/v1/terms/current")
        .as_(&admin)
        .send()
        .await
        .expect(200)
        .body;

    let mut rides = Vec::new();
    for i in 0..RIDES {
        let at = offset(CENTRE, 150.0 * i as f64, 0.0);
        let driver = identity.driver();
        let profile = json!({"name": "Dana", "vehicle_plate": "AB-1", "vehicle_class": "standard"});
        api.ok(reqwest::Method::PUT, "/v1/profile", &driver, Some(profile))
            .await;
        contract
            .post("/v1/agreements")
            .as_(&driver)
            .json(&json!({"terms_version": terms["version"]}))
            .send()
            .await
            .expect(201);
        let online = json!({"online": true, "lat": at.0, "lon": at.1});
        api.ok(
            reqwest::Method::PUT,
            "/v1/availability",
            &driver,
            Some(online),
        )
        .await;
        let rider = identity.rider();
        let quote = contract
            .post("/v1/quotes")
            .as_(&client_app)
            .json(&json!({"rider_id": rider.id, "distance_m": 3000, "pickup": {"lat": at.0, "lon": at.1},
                          "dropoff": {"lat": at.0 + 0.02, "lon": at.1}}))
            .send()
            .await
            .expect(201)
            .body;
        let id = new_id();
        let open = json!({"id": id, "rider_id": rider.id, "quote_id": quote["id"]});
        let ride = api
            .ok(
                reqwest::Method::POST,
                "/v1/internal/rides",
                &client_app,
                Some(open),
            )
            .await;
        api.ok(
            reqwest::Method::POST,
            &format!("/v1/rides/{id}/accept"),
            &driver,
            Some(json!({})),
        )
        .await;
        let code = json!({"start_code": ride["start_code"]});
        api.ok(
            reqwest::Method::POST,
            &format!("/v1/rides/{id}/start"),
            &driver,
            Some(code),
        )
        .await;
        rides.push((driver, id));
    }

    freezer.freeze();
    for (driver, id) in &rides {
        let actuals = json!({"distance_m": 3000, "duration_s": 600});
        api.ok(
            reqwest::Method::POST,
            &format!("/v1/rides/{id}/complete"),
            driver,
            Some(actuals),
        )
        .await;
    }
    // The relay has claimed the charges and its calls hang on the frozen billing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    drop(process); // SIGKILL (kill_on_drop): no drain, no answer recorded.

    let process = start(&database, &identity, &contract, &freezer.url).await;
    let api = Remote::new(&process);
    freezer.thaw();
    // The dead task's leases (30 s) expire; the new task's relay delivers again.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (_, id) in &rides {
        loop {
            let ride = api
                .ok(
                    reqwest::Method::GET,
                    &format!("/v1/internal/rides/{id}"),
                    &client_app,
                    None,
                )
                .await;
            if ride["invoice_id"].is_string() {
                break;
            }
            assert!(Instant::now() < deadline, "no invoice on {id}: {ride}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let invoices = billing
        .get("/v1/invoices?limit=200")
        .as_(&admin)
        .send()
        .await
        .expect(200)
        .body;
    let items = invoices["items"].as_array().unwrap();
    let charged: BTreeSet<&str> = items.iter().filter_map(|i| i["ride_id"].as_str()).collect();
    assert_eq!(items.len(), RIDES, "exactly one invoice per ride");
    assert_eq!(charged.len(), RIDES);
    let summary = billing
        .get("/v1/ledger/summary")
        .as_(&admin)
        .send()
        .await
        .expect(200)
        .body;
    assert_eq!(summary["balanced"], true);
    drop(process);
}
