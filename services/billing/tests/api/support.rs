//! The stack under test and the helpers every module shares.

use std::collections::BTreeMap;

use odmu_contractual::Contractual;
use odmu_testkit::{Caller, Reply, TestApp, TestIdentity};
use serde_json::{Value, json};
use uuid::Uuid;

/// contractual and billing, trusting one identity; billing prices through contractual.
pub(crate) struct Stack {
    /// Hands out tokens both accept.
    pub(crate) identity: TestIdentity,
    /// odmu_contractual.
    pub(crate) contract: TestApp,
    /// billing.
    pub(crate) billing: TestApp,
    /// The rides' service, as billing's charge caller.
    pub(crate) rides: Caller,
    /// An admin of both.
    pub(crate) admin: Caller,
}

impl Stack {
    /// Both services on fresh databases.
    pub(crate) async fn start() -> Self {
        let identity = TestIdentity::start().await;
        let contract = TestApp::spawn_with::<Contractual>(&identity, &[], None).await;
        let billing = TestApp::spawn_with::<billing::Billing>(
            &identity,
            &[("CONTRACTUAL_URL", contract.base_url.as_str())],
            None,
        )
        .await;
        Self {
            rides: identity.service("driver_api"),
            admin: identity.admin(),
            identity,
            contract,
            billing,
        }
    }

    /// A quote of `distance_m` under `tariff` for `rider`, made by the rider at contractual.
    pub(crate) async fn quote_with(&self, rider: &Caller, distance_m: i64, tariff: &str) -> Value {
        self.contract
            .post("/v1/quotes")
            .as_(rider)
            .json(&json!({"distance_m": distance_m, "tariff_code": tariff}))
            .send()
            .await
            .expect(201)
            .body
    }

    /// A quote of `distance_m` under `standard` for `rider`.
    pub(crate) async fn quote(&self, rider: &Caller, distance_m: i64) -> Value {
        self.quote_with(rider, distance_m, "standard").await
    }

    /// Publishes a tariff at contractual: `standard` v1's terms with `changes`.
    pub(crate) async fn tariff(&self, code: &str, changes: &Value) -> Value {
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
            .expect(201)
            .body
    }

    /// `POST /v1/internal/charges` as the rides' service.
    pub(crate) async fn charge(&self, body: &Value) -> Reply {
        self.billing
            .post("/v1/internal/charges")
            .as_(&self.rides)
            .json(body)
            .send()
            .await
    }

    /// Quotes and charges a new ride of `rider` with `driver`: the new invoice.
    pub(crate) async fn ride(&self, rider: &Caller, driver: &Caller, distance_m: i64) -> Value {
        let quote = self.quote(rider, distance_m).await;
        let body = charge_body(
            &new_id(),
            "ride",
            rider,
            driver,
            quote["id"].as_str().unwrap_or_default(),
        );
        self.charge(&body).await.expect(201).body
    }

    /// Pays `invoice` in full as `rider` under `key`.
    pub(crate) async fn pay(&self, rider: &Caller, invoice: &Value, key: &str) -> Reply {
        self.pay_amount(
            rider,
            invoice["id"].as_str().unwrap_or_default(),
            invoice["amount_cents"].as_i64().unwrap_or(0),
            key,
        )
        .await
    }

    /// Pays `amount` on invoice `id` as `rider` under `key`.
    pub(crate) async fn pay_amount(
        &self,
        rider: &Caller,
        id: &str,
        amount: i64,
        key: &str,
    ) -> Reply {
        self.billing
            .post(&format!("/v1/invoices/{id}/payments"))
            .as_(rider)
            .idempotency_key(key)
            .json(&json!({"amount_cents": amount, "method": "card", "reference": format!("psp_{key}")}))
            .send()
            .await
    }

    /// Pays `driver` out `amount` (EUR) under `key`.
    pub(crate) async fn payout(&self, driver: &str, amount: i64, key: &str) -> Reply {
        self.billing
            .post("/v1/payouts")
            .as_(&self.admin)
            .idempotency_key(key)
            .json(&json!({"driver_id": driver, "amount_cents": amount}))
            .send()
            .await
    }

    /// `GET path` on billing as the admin, expecting 200.
    pub(crate) async fn admin_get(&self, path: &str) -> Value {
        self.billing
            .get(path)
            .as_(&self.admin)
            .send()
            .await
            .expect(200)
            .body
    }

    /// Every item of a paginated list of billing, following `next_cursor`.
    pub(crate) async fn all_pages(&self, caller: &Caller, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
                None => format!("{path}{sep}limit=200"),
            };
            let page = self
                .billing
                .get(&url)
                .as_(caller)
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

    /// The whole journal, newest first.
    pub(crate) async fn journal(&self) -> Vec<Value> {
        self.all_pages(&self.admin, "/v1/ledger/transactions").await
    }

    /// The caches agree with the entries (a full recomputation in the database).
    pub(crate) async fn assert_caches_match_entries(&self) {
        let audit = billing::store::ledger::audit(self.billing.db())
            .await
            .unwrap();
        assert!(audit.mismatches.is_empty(), "{:#?}", audit.mismatches);
    }
}

/// A new id.
pub(crate) fn new_id() -> String {
    Uuid::new_v4().to_string()
}

/// A charge body.
pub(crate) fn charge_body(
    ride: &str,
    kind: &str,
    rider: &Caller,
    driver: &Caller,
    quote: &str,
) -> Value {
    json!({"ride_id": ride, "kind": kind, "rider_id": rider.id, "driver_id": driver.id, "quote_id": quote})
}

/// Books recomputed from the journal over HTTP: per `(account, currency)` balances and per
/// currency `(debits, credits, postings, transactions)`; asserts every transaction balances.
#[derive(Debug, Default)]
pub(crate) struct Recomputed {
    /// Raw balances (debit positive).
    pub(crate) balances: BTreeMap<(String, String), i64>,
    /// Per currency: debits, credits, postings, transactions.
    pub(crate) totals: BTreeMap<String, (i64, i64, i64, i64)>,
}

impl Recomputed {
    /// From the journal.
    pub(crate) fn from_journal(journal: &[Value]) -> Self {
        let mut books = Self::default();
        for tx in journal {
            let currency = tx["currency"].as_str().unwrap().to_owned();
            let postings = tx["postings"].as_array().unwrap();
            assert!(!postings.is_empty(), "{tx}");
            let sum: i64 = postings
                .iter()
                .map(|p| p["amount_cents"].as_i64().unwrap())
                .sum();
            assert_eq!(sum, 0, "every transaction sums to zero: {tx}");
            let totals = books.totals.entry(currency.clone()).or_default();
            totals.3 += 1;
            for p in postings {
                let amount = p["amount_cents"].as_i64().unwrap();
                assert_ne!(amount, 0, "no zero postings: {tx}");
                if amount > 0 {
                    totals.0 += amount;
                } else {
                    totals.1 -= amount;
                }
                totals.2 += 1;
                let account = p["account"].as_str().unwrap().to_owned();
                *books
                    .balances
                    .entry((account, currency.clone()))
                    .or_default() += amount;
            }
        }
        books
    }

    /// The raw balance of `account` in `currency`.
    pub(crate) fn balance(&self, account: &str, currency: &str) -> i64 {
        self.balances
            .get(&(account.to_owned(), currency.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Asserts all accounts of each currency sum to zero, and that `summary` (the answer of
    /// `GET /v1/ledger/summary`) says balanced with exactly these totals.
    pub(crate) fn assert_summary(&self, summary: &Value) {
        let mut per_currency: BTreeMap<&str, i64> = BTreeMap::new();
        for ((_, currency), balance) in &self.balances {
            *per_currency.entry(currency).or_default() += balance;
        }
        assert!(
            per_currency.values().all(|sum| *sum == 0),
            "accounts sum to zero: {per_currency:?}"
        );
        assert_eq!(summary["balanced"], true, "{summary}");
        let lines = summary["currencies"].as_array().unwrap();
        assert_eq!(lines.len(), self.totals.len(), "{summary}");
        for line in lines {
            let currency = line["currency"].as_str().unwrap();
            let (debits, credits, postings, transactions) = self.totals[currency];
            assert_eq!(line["balanced"], true, "{line}");
            assert_eq!(line["debits_cents"].as_i64(), Some(debits), "{line}");
            assert_eq!(line["credits_cents"].as_i64(), Some(credits), "{line}");
            assert_eq!(line["postings"].as_i64(), Some(postings), "{line}");
            assert_eq!(line["transactions"].as_i64(), Some(transactions), "{line}");
        }
        let postings: i64 = self.totals.values().map(|t| t.2).sum();
        let transactions: i64 = self.totals.values().map(|t| t.3).sum();
        assert_eq!(summary["postings"].as_i64(), Some(postings));
        assert_eq!(summary["transactions"].as_i64(), Some(transactions));
    }
}
