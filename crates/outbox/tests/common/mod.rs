//! What the outbox tests share: a consumer that behaves like billing's charge endpoint (on a
//! real port, idempotent by key, and able to fail in each way billing can), the producer's
//! handler, and the producer's write.
// Each test crate uses a part of this module.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use odmu_http::{Problem, ServiceClient};
use odmu_outbox::{BoxFuture, Failure, Handler, Message, Outbox, OutboxConfig, enqueue};
use odmu_storage::{Db, StorageError, WriteTx, now_millis, sqlx};
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// The consumer's path (billing's charge endpoint).
pub(crate) const CHARGES: &str = "/billing/v1/internal/charges";

/// How the consumer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// 201 with a new invoice, 200 with the same one for a key seen before.
    Accept,
    /// 503, as billing does when its database or contractual is away.
    Unavailable,
    /// No answer until the mode changes (a frozen process): then it carries on as `Accept`.
    Frozen,
}

#[derive(Default)]
struct Books {
    refused: HashSet<String>,
    hits: HashMap<String, u32>,
    in_flight: HashMap<String, u32>,
    /// Requests that arrived while another with the same key was being served.
    overlaps: u32,
    invoices: HashMap<String, String>,
    bodies: HashMap<String, Value>,
    without_key: u32,
    with_bearer: u32,
}

#[derive(Clone)]
struct Shared {
    books: Arc<Mutex<Books>>,
    mode: watch::Sender<Mode>,
    delay: Arc<Mutex<Duration>>,
}

/// A stand-in for billing on a real port.
pub(crate) struct Consumer {
    addr: SocketAddr,
    shared: Shared,
    server: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Consumer {
    /// Starts on a free port, accepting.
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shared = Shared {
            books: Arc::default(),
            mode: watch::Sender::new(Mode::Accept),
            delay: Arc::default(),
        };
        let mut consumer = Self {
            addr: listener.local_addr().unwrap(),
            shared,
            server: None,
        };
        consumer.serve(listener);
        consumer
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route(CHARGES, post(charge))
            .with_state(self.shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        self.server = Some((stop, server));
    }

    /// Its base URL.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops listening and closes its connections: calls are refused.
    pub(crate) async fn stop(&mut self) {
        if let Some((stop, server)) = self.server.take() {
            let _ = stop.send(());
            server.await.unwrap();
        }
    }

    /// Listens again on the same port, with the same books.
    pub(crate) async fn restart(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }

    pub(crate) fn set_mode(&self, mode: Mode) {
        self.shared.mode.send_replace(mode);
    }

    /// Every accepted call waits this long before answering.
    pub(crate) fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().unwrap() = delay;
    }

    /// Answers 422 for this key (a charge billing can never accept).
    pub(crate) fn refuse(&self, key: &str) {
        self.shared.books.lock().unwrap().refused.insert(key.into());
    }

    /// Stops refusing this key.
    pub(crate) fn accept(&self, key: &str) {
        self.shared.books.lock().unwrap().refused.remove(key);
    }

    /// Calls received with this key, whatever was answered.
    pub(crate) fn hits(&self, key: &str) -> u32 {
        let books = self.shared.books.lock().unwrap();
        books.hits.get(key).copied().unwrap_or(0)
    }

    /// Calls received in all.
    pub(crate) fn total_hits(&self) -> u32 {
        self.shared.books.lock().unwrap().hits.values().sum()
    }

    /// Every key's hit count.
    pub(crate) fn all_hits(&self) -> HashMap<String, u32> {
        self.shared.books.lock().unwrap().hits.clone()
    }

    /// The invoices, by key.
    pub(crate) fn invoices(&self) -> HashMap<String, String> {
        self.shared.books.lock().unwrap().invoices.clone()
    }

    /// The body received with a key.
    pub(crate) fn body(&self, key: &str) -> Option<Value> {
        self.shared.books.lock().unwrap().bodies.get(key).cloned()
    }

    /// Calls that arrived while one with the same key was still being served.
    pub(crate) fn overlaps(&self) -> u32 {
        self.shared.books.lock().unwrap().overlaps
    }

    /// Calls without an idempotency key.
    pub(crate) fn without_key(&self) -> u32 {
        self.shared.books.lock().unwrap().without_key
    }

    /// Calls that carried a bearer token.
    pub(crate) fn with_bearer(&self) -> u32 {
        self.shared.books.lock().unwrap().with_bearer
    }
}

/// Takes a key off the in-flight books when its call ends, answered or cancelled.
struct Serving(Shared, String);

impl Drop for Serving {
    fn drop(&mut self) {
        let mut books = self.0.books.lock().unwrap();
        if let Some(n) = books.in_flight.get_mut(&self.1) {
            *n = n.saturating_sub(1);
        }
    }
}

async fn charge(
    State(shared): State<Shared>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        shared.books.lock().unwrap().without_key += 1;
        return Problem::bad_request("no idempotency key").into_response();
    };
    {
        let mut books = shared.books.lock().unwrap();
        *books.hits.entry(key.clone()).or_default() += 1;
        let serving = books.in_flight.entry(key.clone()).or_default();
        *serving += 1;
        if *serving > 1 {
            books.overlaps += 1;
        }
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer ") && v.len() > 20);
        if bearer {
            books.with_bearer += 1;
        }
        books.bodies.insert(key.clone(), body.clone());
    }
    let _serving = Serving(shared.clone(), key.clone());
    let mut mode = shared.mode.subscribe();
    if *mode.borrow_and_update() == Mode::Frozen {
        let _ = mode.wait_for(|m| *m != Mode::Frozen).await;
    }
    if *mode.borrow() == Mode::Unavailable {
        return Problem::unavailable("billing is down").into_response();
    }
    let delay = *shared.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    let mut books = shared.books.lock().unwrap();
    if books.refused.contains(&key) {
        return Problem::unprocessable("this charge can never be accepted").into_response();
    }
    let count = books.invoices.len();
    let (status, invoice) = match books.invoices.get(&key) {
        Some(invoice) => (StatusCode::OK, invoice.clone()),
        None => {
            let invoice = format!("inv-{count}");
            books.invoices.insert(key, invoice.clone());
            (StatusCode::CREATED, invoice)
        }
    };
    let answer = json!({"invoice_id": invoice, "amount_cents": body["amount_cents"]});
    (status, axum::Json(answer)).into_response()
}

/// The producer's handler: sends charges to the consumer, records the invoice on the ride.
pub(crate) struct Charges {
    client: ServiceClient,
    calls: std::sync::atomic::AtomicU32,
}

impl Charges {
    pub(crate) fn new(client: ServiceClient) -> Arc<Self> {
        Arc::new(Self {
            client,
            calls: Default::default(),
        })
    }

    /// For the consumer at `url`, cutting calls off after `timeout`.
    pub(crate) fn at(url: &str, timeout: Duration) -> Arc<Self> {
        Self::new(ServiceClient::new("billing", url).with_timeout(timeout))
    }

    /// Deliveries this handler attempted.
    pub(crate) fn calls(&self) -> u32 {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Handler for Charges {
    fn deliver<'a>(&'a self, message: &'a Message) -> BoxFuture<'a, Result<Value, Failure>> {
        Box::pin(async move {
            if message.topic != "charge" {
                return Err(Failure::Permanent(format!(
                    "unknown topic {}",
                    message.topic
                )));
            }
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let request = self
                .client
                .request(reqwest::Method::POST, CHARGES)
                .header("idempotency-key", &message.id)
                .json(&message.payload);
            self.client
                .send_json::<Value>(request)
                .await
                .map_err(|e| Failure::from_client_error(&e))
        })
    }

    fn delivered<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        message: &'a Message,
        answer: &'a Value,
    ) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            sqlx::query("UPDATE rides SET invoice_id = $1 WHERE id = $2")
                .bind(answer["invoice_id"].as_str())
                .bind(message.payload["ride_id"].as_str())
                .execute(tx.conn())
                .await?;
            Ok(())
        })
    }
}

/// The rides table of the direct tests (the service test has it as a migration).
pub(crate) async fn create_rides(db: &Db) {
    sqlx::query("CREATE TABLE rides (id TEXT PRIMARY KEY, status TEXT NOT NULL, invoice_id TEXT)")
        .execute(db.pool())
        .await
        .unwrap();
}

/// The message id of a ride's charge.
pub(crate) fn charge_id(ride: &str) -> String {
    format!("charge:ride:{ride}")
}

/// Completes a ride: the row and its charge in one transaction, committed or rolled back.
pub(crate) async fn complete_ride(db: &Db, outbox: &Outbox, ride: &str, commit: bool) {
    complete_ride_at(db, outbox, ride, commit, now_millis()).await;
}

/// [`complete_ride`] at a given time.
pub(crate) async fn complete_ride_at(
    db: &Db,
    outbox: &Outbox,
    ride: &str,
    commit: bool,
    now_ms: i64,
) {
    let mut tx = db.begin_write().await.unwrap();
    sqlx::query("INSERT INTO rides (id, status) VALUES ($1, 'completed')")
        .bind(ride)
        .execute(tx.conn())
        .await
        .unwrap();
    let payload = json!({"ride_id": ride, "kind": "ride", "amount_cents": 1234});
    assert!(
        enqueue(&mut tx, "charge", &charge_id(ride), &payload, now_ms)
            .await
            .unwrap()
    );
    if commit {
        tx.commit().await.unwrap();
        outbox.notify();
    }
}

/// The invoice recorded on a ride.
pub(crate) async fn ride_invoice(db: &Db, ride: &str) -> Option<String> {
    sqlx::query_scalar("SELECT invoice_id FROM rides WHERE id = $1")
        .bind(ride)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Settings with times small enough for tests.
pub(crate) fn quick() -> OutboxConfig {
    OutboxConfig {
        concurrency: 4,
        lease: Duration::from_secs(2),
        poll: Duration::from_millis(50),
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        report_every: Duration::from_millis(500),
        ..OutboxConfig::default()
    }
}

/// Waits until `check` holds, polling; fails the test after `limit`.
pub(crate) async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
