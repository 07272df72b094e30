//! The stack under test and the helpers every module shares: real odmu_contractual and billing
//! on ports of their own, driver_api calling them with real service tokens, all trusting one
//! test identity.

use std::future::Future;
use std::time::{Duration, Instant};

use driver_api::DriverApi;
use odmu_testkit::{Caller, Reply, TestApp, TestIdentity};

use crate::freezer::Freezer;
use serde_json::{Value, json};

/// The city centre every test drives around (Paris, Hôtel de Ville).
pub(crate) const CENTRE: (f64, f64) = (48.8566, 2.3522);

/// The point `north_m` north and `east_m` east of `from` (small offsets, flat-earth).
pub(crate) fn offset(from: (f64, f64), north_m: f64, east_m: f64) -> (f64, f64) {
    let lat = from.0 + north_m / 111_195.0;
    let lon = from.1 + east_m / (111_195.0 * from.0.to_radians().cos());
    (lat, lon)
}

/// contractual, billing and driver_api on fresh databases.
pub(crate) struct Stack {
    /// Hands out tokens all three accept.
    pub(crate) identity: TestIdentity,
    /// odmu_contractual.
    pub(crate) contract: TestApp,
    /// billing (`None` while a test holds it stopped).
    pub(crate) billing: Option<TestApp>,
    /// driver_api, the service under test.
    pub(crate) api: TestApp,
    /// client_app_api, as driver_api's internal caller.
    pub(crate) client_app: Caller,
    /// An admin of every service.
    pub(crate) admin: Caller,
}

impl Stack {
    /// The three services with default settings.
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// The three services, driver_api with extra variables (`RIDE_REQUEST_TTL_S`, ...).
    pub(crate) async fn start_with(vars: &[(&str, &str)]) -> Self {
        Self::build(vars, false).await.0
    }

    /// The three services, driver_api calling billing through a [`Freezer`].
    pub(crate) async fn start_with_freezer() -> (Self, Freezer) {
        let (stack, freezer) = Self::build(&[], true).await;
        (stack, freezer.expect("a freezer"))
    }

    async fn build(vars: &[(&str, &str)], freezer: bool) -> (Self, Option<Freezer>) {
        let identity = TestIdentity::start().await;
        let contract =
            TestApp::spawn_with::<odmu_contractual::Contractual>(&identity, &[], None).await;
        let billing = TestApp::spawn_with::<billing::Billing>(
            &identity,
            &[("CONTRACTUAL_URL", contract.base_url.as_str())],
            None,
        )
        .await;
        let freezer = match freezer {
            true => Some(Freezer::start(&billing.base_url).await),
            false => None,
        };
        let billing_url = freezer
            .as_ref()
            .map_or(billing.base_url.as_str(), |f| f.url.as_str());
        let mut all = vec![
            ("CONTRACTUAL_URL", contract.base_url.as_str()),
            ("BILLING_URL", billing_url),
        ];
        all.extend_from_slice(vars);
        let api = TestApp::spawn_with::<DriverApi>(&identity, &all, None).await;
        let stack = Self {
            client_app: identity.service("client_app_api"),
            admin: identity.admin(),
            identity,
            contract,
            billing: Some(billing),
            api,
        };
        (stack, freezer)
    }

    /// billing, running.
    pub(crate) fn billing(&self) -> &TestApp {
        self.billing.as_ref().expect("billing is running")
    }

    /// Stops billing (its port refuses calls) until [`Stack::resume_billing`].
    pub(crate) async fn stop_billing(&mut self) {
        if let Some(billing) = self.billing.as_mut() {
            billing.stop().await;
        }
    }

    /// Starts billing again on the same port and database.
    pub(crate) async fn resume_billing(&mut self) {
        if let Some(billing) = self.billing.take() {
            self.billing = Some(billing.resume::<billing::Billing>().await);
        }
    }

    /// A new rider.
    pub(crate) fn rider(&self) -> Caller {
        self.identity.rider()
    }

    /// Publishes a tariff at contractual: `standard` v1's terms with `changes`.
    pub(crate) async fn tariff(&self, code: &str, changes: &Value) {
        let mut body = json!({
            "code": code, "currency": "EUR", "base_fare_cents": 250, "booking_fee_cents": 150,
            "per_km_cents": 110, "per_minute_cents": 25, "minimum_fare_cents": 700,
            "commission_bps": 2000, "cancellation_fee_cents": 500, "free_cancellation_s": 120,
            "average_speed_kmh": 25, "upfront_tolerance_bps": 2000,
            "surge": [{"min_demand_bps": 0, "multiplier_bps": 10000}],
            "max_multiplier_bps": 25000
        });
        for (key, value) in changes.as_object().into_iter().flatten() {
            body[key] = value.clone();
        }
        self.contract
            .post("/v1/tariffs")
            .as_(&self.admin)
            .json(&body)
            .send()
            .await
            .expect(201);
    }

    /// A quote at contractual, made by client_app_api for `rider`; `pickup: None` leaves it
    /// out, `tariff: None` is `standard`.
    pub(crate) async fn quote(
        &self,
        rider: &Caller,
        pickup: Option<(f64, f64)>,
        tariff: Option<&str>,
    ) -> Value {
        let mut body = json!({"rider_id": rider.id, "distance_m": 4200, "duration_s": 900,
                              "dropoff": {"lat": CENTRE.0 + 0.03, "lon": CENTRE.1}});
        if let Some((lat, lon)) = pickup {
            body["pickup"] = json!({"lat": lat, "lon": lon});
        }
        if let Some(code) = tariff {
            body["tariff_code"] = json!(code);
        }
        self.contract
            .post("/v1/quotes")
            .as_(&self.client_app)
            .json(&body)
            .send()
            .await
            .expect(201)
            .body
    }

    /// `POST /v1/internal/rides` as client_app_api.
    pub(crate) async fn open(&self, id: &str, rider: &Caller, quote_id: &str) -> Reply {
        self.api
            .post("/v1/internal/rides")
            .as_(&self.client_app)
            .json(&json!({"id": id, "rider_id": rider.id, "quote_id": quote_id}))
            .send()
            .await
    }

    /// A new ride of a new rider, picked up at `pickup` under `tariff`: the ride (with its
    /// start code).
    pub(crate) async fn ride_with(&self, pickup: (f64, f64), tariff: Option<&str>) -> Value {
        let rider = self.rider();
        let quote = self.quote(&rider, Some(pickup), tariff).await;
        self.open(&new_id(), &rider, quote["id"].as_str().unwrap_or_default())
            .await
            .expect(201)
            .body
    }

    /// A new ride picked up at `pickup` under `standard`.
    pub(crate) async fn ride(&self, pickup: (f64, f64)) -> Value {
        self.ride_with(pickup, None).await
    }

    /// A driver with a profile (not online, no agreement).
    pub(crate) async fn driver_with_profile(&self) -> Caller {
        let driver = self.identity.driver();
        self.api
            .put("/v1/profile")
            .as_(&driver)
            .json(
                &json!({"name": "Dana", "vehicle_plate": "AB-123-CD", "vehicle_class": "standard"}),
            )
            .send()
            .await
            .expect(200);
        driver
    }

    /// `driver` agrees at contractual to the current terms, as read there.
    pub(crate) async fn agree(&self, driver: &Caller) {
        let terms = self
            .contract
            .get("/v1/terms/current")
            .as_(driver)
            .send()
            .await
            .expect(200)
            .body;
        self.contract
            .post("/v1/agreements")
            .as_(driver)
            .json(&json!({"terms_version": terms["version"]}))
            .send()
            .await
            .expect(201);
    }

    /// `PUT /v1/availability` as `driver`.
    pub(crate) async fn set_online(&self, driver: &Caller, online: bool, at: (f64, f64)) -> Reply {
        self.api
            .put("/v1/availability")
            .as_(driver)
            .json(&json!({"online": online, "lat": at.0, "lon": at.1}))
            .send()
            .await
    }

    /// A new driver with a profile and an agreement, online at `at`.
    pub(crate) async fn online_driver(&self, at: (f64, f64)) -> Caller {
        let driver = self.driver_with_profile().await;
        self.agree(&driver).await;
        self.set_online(&driver, true, at).await.expect(200);
        driver
    }

    /// `POST /v1/rides/{id}/{action}` as `driver` with `body`.
    pub(crate) async fn act(&self, driver: &Caller, id: &str, action: &str, body: &Value) -> Reply {
        self.api
            .post(&format!("/v1/rides/{id}/{action}"))
            .as_(driver)
            .json(body)
            .send()
            .await
    }

    /// Takes `ride` to `in_progress` with `driver` (accept, then start with its code).
    pub(crate) async fn accept_and_start(&self, driver: &Caller, ride: &Value) {
        let id = ride["id"].as_str().unwrap_or_default();
        self.act(driver, id, "accept", &json!({})).await.expect(200);
        let code = json!({"start_code": ride["start_code"]});
        self.act(driver, id, "start", &code).await.expect(200);
    }

    /// The ride as client_app_api sees it.
    pub(crate) async fn internal_ride(&self, id: &str) -> Value {
        self.api
            .get(&format!("/v1/internal/rides/{id}"))
            .as_(&self.client_app)
            .send()
            .await
            .expect(200)
            .body
    }

    /// The ride once billing's invoice is recorded on it (polled), or a failure after
    /// `within`.
    pub(crate) async fn billed_ride(&self, id: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let ride = self.internal_ride(id).await;
            if ride["invoice_id"].is_string() {
                return ride;
            }
            assert!(
                Instant::now() < deadline,
                "no invoice on {id} within {within:?}: {ride}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every invoice at billing (as its admin).
    pub(crate) async fn invoices(&self) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("/v1/invoices?limit=200&cursor={c}"),
                None => "/v1/invoices?limit=200".to_owned(),
            };
            let page = self
                .billing()
                .get(&url)
                .as_(&self.admin)
                .send()
                .await
                .expect(200)
                .body;
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    /// billing's trial balance.
    pub(crate) async fn ledger_summary(&self) -> Value {
        self.billing()
            .get("/v1/ledger/summary")
            .as_(&self.admin)
            .send()
            .await
            .expect(200)
            .body
    }

    /// driver_api's outbox, as its admin.
    pub(crate) async fn outbox(&self) -> Value {
        self.api
            .get("/v1/outbox")
            .as_(&self.admin)
            .send()
            .await
            .expect(200)
            .body
    }
}

/// A new id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Polls `check` every 50 ms until it holds; fails the test after `within`.
pub(crate) async fn eventually<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
