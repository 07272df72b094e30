//! The transactional outbox for must-deliver calls (DESIGN.md §5a): a ride completed or
//! cancelled with a fee must become exactly one billing charge, even when billing is down, slow
//! or restarting, and when the producing task is killed.
//!
//! # How a service uses it
//!
//! 1. At start-up, `Outbox::install(db, OutboxConfig::default())` creates the
//!    `outbox_messages` table (idempotent, safe when several tasks start at once).
//! 2. In the same write transaction as the state change, [`enqueue`] a message; after the
//!    commit, call [`Outbox::notify`] so this task's relay delivers it within milliseconds
//!    (other tasks' relays find it at their next poll). A rolled-back transaction leaves no
//!    message; enqueueing an id twice keeps the first (re-running a transition sends nothing
//!    more).
//! 3. Implement [`Handler`]: [`Handler::deliver`] calls the consumer (with a service token,
//!    sending the message id as its idempotency key) and maps errors with
//!    [`Failure::from_client_error`]; [`Handler::delivered`] records the consumer's answer on
//!    the producing row, in the transaction that marks the message delivered.
//! 4. Return [`Outbox::relay`] from `App::workers`; the runtime starts and drains it.
//!
//! # Delivery guarantees
//!
//! At least once, never lost: a message leaves the `pending` state only when the consumer
//! answered 2xx (and that answer is committed with [`Handler::delivered`]) or when it can never
//! succeed. Every attempt carries the same message id, so an idempotent consumer turns
//! at-least-once into exactly-once. Each claim leases the message to one relay for
//! [`OutboxConfig::lease`]; a relay killed mid-delivery leaves a lease that expires, then any
//! relay delivers it again. Several relays (tasks) share one table safely: PostgreSQL claims
//! with `FOR UPDATE SKIP LOCKED`, SQLite has one writer at a time.
//!
//! Transient failures (unreachable, timeout, 401, 408, 409, 429, 5xx) are retried with capped
//! exponential backoff and equal jitter, for as long as it takes. A permanent failure (any other
//! 4xx, an unparseable 2xx) parks the message as `dead`: logged at ERROR, counted in
//! [`Stats::dead`], listed by [`Outbox::dead_messages`], put back by [`Outbox::retry_dead`], and
//! never in the way of the others. Delivered messages are deleted after
//! [`OutboxConfig::retention`]; dead ones stay until an admin acts.
//!
//! # What operators see
//!
//! Every [`OutboxConfig::report_every`] (10 s) each relay logs one line at INFO while anything
//! is pending or dead (at DEBUG otherwise). With `LOG_FORMAT=json` it reads:
//!
//! ```json
//! {"timestamp":"2025-11-24T16:00:00.123456Z","level":"INFO","message":"outbox",
//!  "outbox_pending":3,"outbox_dead":0,"outbox_lag_ms":1520,"target":"odmu_outbox::relay"}
//! ```
//!
//! - `outbox_pending`: messages not yet delivered (waiting, leased or backing off);
//! - `outbox_dead`: messages parked as dead;
//! - `outbox_lag_ms`: age of the oldest pending message, 0 when none.
//!
//! A CloudWatch metric filter `{ $.message = "outbox" }` with value `$.outbox_lag_ms` (and one
//! for `$.outbox_dead`) gives the lag and dead metrics; alarm on the Maximum (each task
//! reports the same table) and treat missing data as 0 (nothing is logged at INFO when idle).
//! A message parked as dead logs `message = "outbox message parked as dead"` at ERROR with
//! `outbox_message_id`, `topic`, `attempts` and `error`.

mod backoff;
mod handler;
mod record;
mod relay;
mod store;

pub use handler::{BoxFuture, Failure, Handler, Message};
pub use record::{Record, State, Stats};

use std::sync::Arc;
use std::time::Duration;

use odmu_runtime::{Stop, Worker};
use odmu_storage::{Db, StorageError, WriteTx, now_millis};
use serde_json::Value;

/// The outbox's settings. The defaults suit production; tests shrink the times.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Deliveries one relay runs at once (default 8). A relay claims only as many messages as
    /// it has free slots, so every claimed message is sent at once and a slow consumer answer
    /// holds up one slot, not a batch.
    pub concurrency: usize,
    /// How long a claim keeps a message from other relays (default 30 s). One delivery is cut
    /// off after three quarters of it (a transient failure), so a live relay always finishes
    /// within its lease; keep it above the handler's own client timeout (10 s by default).
    pub lease: Duration,
    /// How often an idle relay looks for due messages when nothing notified it (default
    /// 250 ms); also the precision of retry times.
    pub poll: Duration,
    /// The first retry waits between half of this and this (default 200 ms).
    pub backoff_base: Duration,
    /// No retry waits longer than this (default 30 s).
    pub backoff_cap: Duration,
    /// How often each relay logs the stats line (default 10 s).
    pub report_every: Duration,
    /// How long delivered messages are kept before deletion (default 7 days).
    pub retention: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            concurrency: 8,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(250),
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(30),
            report_every: Duration::from_secs(10),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The outbox on one service's database. Cheap to clone; keep it in the state.
#[derive(Debug, Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    db: Db,
    config: OutboxConfig,
    /// Bumped by [`Outbox::notify`]; every relay of this process watches it. A watch channel
    /// rather than a `Notify`: a bump while a relay is busy claiming is still seen afterwards,
    /// and every relay wakes, not one.
    wake: tokio::sync::watch::Sender<u64>,
    /// A delivery failed transiently since the last success: the consumer may be down, and
    /// messages are backing off. The next success brings them all due at once, so that an
    /// outage's backlog drains seconds after the consumer returns rather than one backoff
    /// cap later.
    failing: std::sync::atomic::AtomicBool,
}

impl Outbox {
    /// Creates the `outbox_messages` table and its index if missing (safe when several tasks
    /// start at once).
    pub async fn install(db: Db, config: OutboxConfig) -> Result<Self, StorageError> {
        store::create_table(&db).await?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                config,
                wake: tokio::sync::watch::Sender::new(0),
                failing: std::sync::atomic::AtomicBool::new(false),
            }),
        })
    }

    /// The settings it runs with.
    pub fn config(&self) -> &OutboxConfig {
        &self.inner.config
    }

    /// Wakes this process's relays: call it after committing a transaction that enqueued.
    pub fn notify(&self) {
        self.inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The relay worker, for `App::workers`: delivers due messages through `handler` until the
    /// runtime stops it. Several tasks each running one is the intended set-up.
    pub fn relay(&self, handler: Arc<dyn Handler>) -> Worker {
        let outbox = self.clone();
        Worker::new("outbox-relay", move |stop: Stop| {
            relay::run(outbox.clone(), handler.clone(), stop)
        })
    }

    /// The relay's loop itself, until `stop` is cancelled; then it finishes the deliveries
    /// under way and returns. [`Outbox::relay`] wraps it for the runtime; tests and tools drive
    /// it directly.
    pub async fn run_relay(&self, handler: Arc<dyn Handler>, stop: Stop) {
        relay::run(self.clone(), handler, stop).await;
    }

    /// Pending and dead counts and the lag, in one query.
    pub async fn stats(&self) -> Result<Stats, StorageError> {
        let row = store::stats(&self.inner.db).await?;
        let age = row
            .oldest_pending_ms
            .map_or(0, |oldest| now_millis().saturating_sub(oldest).max(0));
        Ok(Stats {
            pending: u64::try_from(row.pending).unwrap_or(0),
            dead: u64::try_from(row.dead).unwrap_or(0),
            oldest_pending_age_ms: u64::try_from(age).unwrap_or(0),
        })
    }

    /// Up to `limit` dead messages, the most recently parked first (for an admin endpoint).
    pub async fn dead_messages(&self, limit: u32) -> Result<Vec<Record>, StorageError> {
        let rows = store::dead(&self.inner.db, i64::from(limit)).await?;
        Ok(rows.into_iter().map(Record::from).collect())
    }

    /// One message by id, in whatever state (for an admin endpoint and tests).
    pub async fn find(&self, id: &str) -> Result<Option<Record>, StorageError> {
        Ok(store::find(&self.inner.db, id).await?.map(Record::from))
    }

    /// Puts a dead message back in the queue, due at once with a fresh backoff (an admin fixed
    /// what made the consumer refuse it); `false` when no dead message has this id.
    pub async fn retry_dead(&self, id: &str) -> Result<bool, StorageError> {
        let requeued = store::requeue_dead(&self.inner.db, id, now_millis()).await?;
        if requeued {
            tracing::info!(outbox_message_id = id, "dead outbox message requeued");
            self.notify();
        }
        Ok(requeued)
    }

    /// Deletes messages delivered more than [`OutboxConfig::retention`] before `now_ms` (the
    /// relays do it every ten minutes; exposed for tests that move time).
    pub async fn prune(&self, now_ms: i64) -> Result<u64, StorageError> {
        let keep = millis(self.inner.config.retention);
        store::prune(&self.inner.db, now_ms.saturating_sub(keep)).await
    }
}

/// Writes a message in the producer's transaction, to be delivered once it commits.
///
/// `id` is the message's identity and the consumer's idempotency key on every attempt: derive
/// it from the state change (`charge:ride:<ride id>`), so that running the transition again
/// enqueues nothing new. `payload` is the body for the consumer. Answers `false` when a message
/// with this id already exists (it is left as it was). Call [`Outbox::notify`] after the
/// commit.
pub async fn enqueue(
    tx: &mut WriteTx,
    topic: &str,
    id: &str,
    payload: &Value,
    now_ms: i64,
) -> Result<bool, StorageError> {
    store::insert(tx, topic, id, &payload.to_string(), now_ms).await
}

/// A duration as stored milliseconds.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
