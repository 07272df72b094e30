//! The platform under test and the helpers every module shares: contractual, billing,
//! driver_api and client_app_api, each on port 0 with a fresh database, trusting one identity
//! and calling each other with real service tokens.

use odmu_testkit::{Caller, Reply, TestApp, TestIdentity};
use serde_json::{Value, json};

/// Paris, Place de la Concorde: the pickup of most tests.
pub(crate) const PICKUP: (f64, f64) = (48.8656, 2.3212);
/// Paris, Bastille: 4.5 km east of it.
pub(crate) const DROPOFF: (f64, f64) = (48.8532, 2.3692);

/// The four services a rider's booking goes through.
pub(crate) struct Platform {
    /// Hands out tokens all of them accept.
    pub(crate) identity: TestIdentity,
    /// odmu_contractual.
    pub(crate) contract: TestApp,
    /// billing.
    pub(crate) billing: TestApp,
    /// driver_api.
    pub(crate) driver: TestApp,
    /// client_app_api, the service under test.
    pub(crate) client: TestApp,
}

impl Platform {
    /// All four on fresh databases, with default settings.
    pub(crate) async fn start() -> Self {
        Self::start_with(&[], &[]).await
    }

    /// All four, with extra variables for contractual and for client_app_api.
    pub(crate) async fn start_with(
        contract_vars: &[(&str, &str)],
        client_vars: &[(&str, &str)],
    ) -> Self {
        let identity = TestIdentity::start().await;
        let contract =
            TestApp::spawn_with::<odmu_contractual::Contractual>(&identity, contract_vars, None)
                .await;
        let billing = TestApp::spawn_with::<billing::Billing>(
            &identity,
            &[("CONTRACTUAL_URL", &contract.base_url)],
            None,
        )
        .await;
        let driver = TestApp::spawn_with::<driver_api::DriverApi>(
            &identity,
            &[
                ("CONTRACTUAL_URL", &contract.base_url),
                ("BILLING_URL", &billing.base_url),
            ],
            None,
        )
        .await;
        let mut vars = vec![
            ("CONTRACTUAL_URL", contract.base_url.as_str()),
            ("DRIVER_API_URL", driver.base_url.as_str()),
            ("BILLING_URL", billing.base_url.as_str()),
        ];
        vars.extend_from_slice(client_vars);
        let client =
            TestApp::spawn_with::<client_app_api::ClientAppApi>(&identity, &vars, None).await;
        Self {
            identity,
            contract,
            billing,
            driver,
            client,
        }
    }

    /// A new rider.
    pub(crate) fn rider(&self) -> Caller {
        self.identity.rider()
    }

    /// `POST /client/v1/quotes` of `body` as `rider`.
    pub(crate) async fn quote_body(&self, rider: &Caller, body: &Value) -> Reply {
        self.client
            .post("/v1/quotes")
            .as_(rider)
            .json(body)
            .send()
            .await
    }

    /// A quote from [`PICKUP`] to [`DROPOFF`] for `rider`.
    pub(crate) async fn quote(&self, rider: &Caller) -> Value {
        self.quote_body(rider, &trip_body(PICKUP, DROPOFF))
            .await
            .expect(201)
            .body
    }

    /// `POST /client/v1/trips` of `quote_id` as `rider` under `key`.
    pub(crate) async fn book(&self, rider: &Caller, quote_id: &str, key: &str) -> Reply {
        self.client
            .post("/v1/trips")
            .as_(rider)
            .idempotency_key(key)
            .json(&json!({ "quote_id": quote_id }))
            .send()
            .await
    }

    /// A new rider's quote, booked: the rider and the trip.
    pub(crate) async fn booked(&self) -> (Caller, Value) {
        let rider = self.rider();
        let quote = self.quote(&rider).await;
        let trip = self
            .book(&rider, str_of(&quote, "id"), &new_key())
            .await
            .expect(201)
            .body;
        (rider, trip)
    }

    /// `GET /client/v1/trips/{id}` as `rider`.
    pub(crate) async fn trip(&self, rider: &Caller, id: &str) -> Reply {
        self.client
            .get(&format!("/v1/trips/{id}"))
            .as_(rider)
            .send()
            .await
    }

    /// `POST /client/v1/trips/{id}/cancel` as `rider`.
    pub(crate) async fn cancel(&self, rider: &Caller, id: &str) -> Reply {
        self.client
            .post(&format!("/v1/trips/{id}/cancel"))
            .as_(rider)
            .send()
            .await
    }

    /// A driver with a profile, agreed to the current terms, online at `(lat, lon)`.
    pub(crate) async fn online_driver(&self, at: (f64, f64)) -> Caller {
        let driver = self.identity.driver();
        self.driver
            .put("/v1/profile")
            .as_(&driver)
            .json(
                &json!({"name": "Dan", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"}),
            )
            .send()
            .await
            .expect(200);
        let terms = self
            .contract
            .get("/v1/terms/current")
            .as_(&driver)
            .send()
            .await
            .expect(200);
        self.contract
            .post("/v1/agreements")
            .as_(&driver)
            .json(&json!({"terms_version": terms.body["version"]}))
            .send()
            .await
            .expect(201);
        self.driver
            .put("/v1/availability")
            .as_(&driver)
            .json(&json!({"online": true, "lat": at.0, "lon": at.1}))
            .send()
            .await
            .expect(200);
        driver
    }

    /// `driver` accepts ride `id` and starts it with `start_code`.
    pub(crate) async fn accept_and_start(&self, driver: &Caller, id: &str, start_code: &str) {
        self.driver
            .post(&format!("/v1/rides/{id}/accept"))
            .as_(driver)
            .send()
            .await
            .expect(200);
        self.driver
            .post(&format!("/v1/rides/{id}/start"))
            .as_(driver)
            .json(&json!({ "start_code": start_code }))
            .send()
            .await
            .expect(200);
    }

    /// How many trips client_app_api holds.
    pub(crate) async fn trips(&self) -> i64 {
        count(&self.client, "trips").await
    }

    /// How many rides driver_api holds.
    pub(crate) async fn rides(&self) -> i64 {
        count(&self.driver, "rides").await
    }
}

async fn count(app: &TestApp, table: &str) -> i64 {
    odmu_storage::sqlx::query_scalar(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"))
        .fetch_one(app.db().pool())
        .await
        .expect("a count")
}

/// A quote body from `pickup` to `dropoff`.
pub(crate) fn trip_body(pickup: (f64, f64), dropoff: (f64, f64)) -> Value {
    json!({
        "pickup": {"lat": pickup.0, "lon": pickup.1},
        "dropoff": {"lat": dropoff.0, "lon": dropoff.1},
    })
}

/// A fresh Idempotency-Key.
pub(crate) fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The string member `key` of `value` (empty when missing, so the assertion that follows
/// shows the body).
pub(crate) fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

impl Platform {
    /// Starts the stopped driver_api again on its port and database.
    pub(crate) async fn resume_driver(self) -> Self {
        let Self {
            identity,
            contract,
            billing,
            driver,
            client,
        } = self;
        Self {
            driver: driver.resume::<driver_api::DriverApi>().await,
            identity,
            contract,
            billing,
            client,
        }
    }
}
