//! The relay: claims due messages under a lease, delivers them through the [`Handler`], and
//! records each outcome (delivered with the answer, retry later, or dead).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use odmu_runtime::Stop;
use odmu_storage::{StorageError, now_millis};
use serde_json::Value;
use tokio::task::{Id, JoinError, JoinSet};
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::{Failure, Handler, Message, Outbox, Stats, backoff, millis, store};

/// How often a relay deletes delivered messages past their retention.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// The longest pause between claims while the database fails.
const MAX_DB_PAUSE: Duration = Duration::from_secs(5);
/// The shortest period of the stats line, whatever the configuration says.
const MIN_REPORT_EVERY: Duration = Duration::from_millis(100);

/// A message leased to this relay, with the token of the claim that leased it.
struct Leased {
    message: Message,
    lease: String,
}

/// Runs the relay until `stop`, then finishes the deliveries under way (the runtime bounds
/// that wait by the drain; whatever it cuts off is leased and will be delivered again).
pub(crate) async fn run(outbox: Outbox, handler: Arc<dyn Handler>, stop: Stop) {
    let config = outbox.config().clone();
    let slots = config.concurrency.max(1);
    let relay_id = uuid::Uuid::new_v4().simple().to_string();
    let mut wake = outbox.inner.wake.subscribe();
    let mut in_flight = JoinSet::new();
    let mut leased: HashMap<Id, Leased> = HashMap::new();
    let mut claims = 0u64;
    let mut db_failures = 0u32;
    let mut report_at = Instant::now();
    let mut prune_at = Instant::now();
    tracing::debug!(relay = %relay_id, "outbox relay started");
    loop {
        if stop.is_cancelled() {
            break;
        }
        let now = Instant::now();
        if now >= report_at {
            report(&outbox).await;
            report_at = now + config.report_every.max(MIN_REPORT_EVERY);
        }
        if now >= prune_at {
            prune(&outbox).await;
            prune_at = now + PRUNE_EVERY;
        }
        // Claim only what can be sent at once: a lease then covers one call, not a queue.
        let free = slots.saturating_sub(in_flight.len());
        let mut idle = false;
        if free > 0 {
            // Seen before claiming: a notify that lands during the claim wakes the next wait.
            wake.borrow_and_update();
            claims += 1;
            let lease = format!("{relay_id}-{claims}");
            match claim(&outbox, &lease, free).await {
                Ok(messages) => {
                    db_failures = 0;
                    // Fewer than asked: nothing else is due, so wait for news.
                    idle = messages.len() < free;
                    for message in messages {
                        let task = attempt(
                            outbox.clone(),
                            handler.clone(),
                            message.clone(),
                            lease.clone(),
                        );
                        let handle = in_flight.spawn(task);
                        let lease = lease.clone();
                        leased.insert(handle.id(), Leased { message, lease });
                    }
                }
                Err(e) => {
                    db_failures = db_failures.saturating_add(1);
                    idle = true;
                    tracing::warn!(error = %e, "the outbox relay cannot claim messages");
                }
            }
        }
        let pause = if db_failures > 0 {
            backoff::ceiling(db_failures, config.poll, MAX_DB_PAUSE)
        } else {
            config.poll
        };
        tokio::select! {
            () = stop.cancelled() => break,
            Some(done) = in_flight.join_next_with_id() => {
                finished(&outbox, &mut leased, done).await;
            }
            Ok(()) = wake.changed(), if idle && db_failures == 0 => {}
            () = tokio::time::sleep(pause), if idle => {}
            () = tokio::time::sleep_until(report_at.min(prune_at)) => {}
        }
    }
    while let Some(done) = in_flight.join_next_with_id().await {
        finished(&outbox, &mut leased, done).await;
    }
    tracing::debug!(relay = %relay_id, "outbox relay stopped");
}

/// Leases up to `free` due messages to `lease`.
async fn claim(outbox: &Outbox, lease: &str, free: usize) -> Result<Vec<Message>, StorageError> {
    let now = now_millis();
    let until = now.saturating_add(millis(outbox.config().lease));
    let limit = i64::try_from(free).unwrap_or(i64::MAX);
    let rows = store::claim(&outbox.inner.db, lease, now, until, limit).await?;
    let mut messages = Vec::with_capacity(rows.len());
    for row in rows {
        let parsed = serde_json::from_str::<Value>(&row.payload);
        let message = Message {
            id: row.id,
            topic: row.topic,
            payload: Value::Null,
            attempt: u32::try_from(row.attempts).unwrap_or(u32::MAX),
            created_at_ms: row.created_at_ms,
        };
        match parsed {
            Ok(payload) => messages.push(Message { payload, ..message }),
            // Only a hand-edited row gets here; no consumer could accept it.
            Err(e) => {
                park(
                    outbox,
                    &message,
                    lease,
                    &format!("the payload is not JSON: {e}"),
                )
                .await
            }
        }
    }
    Ok(messages)
}

/// How long one delivery may take: three quarters of the lease, so a live relay records its
/// outcome before any other relay may claim the message.
fn delivery_limit(lease: Duration) -> Duration {
    (lease / 4 * 3).max(Duration::from_millis(1))
}

/// One delivery attempt and its outcome.
async fn attempt(outbox: Outbox, handler: Arc<dyn Handler>, message: Message, lease: String) {
    let span = tracing::info_span!(
        "outbox_delivery",
        outbox_message_id = %message.id,
        topic = %message.topic,
        attempt = message.attempt,
    );
    async move {
        let limit = delivery_limit(outbox.config().lease);
        let outcome = tokio::time::timeout(limit, handler.deliver(&message))
            .await
            .unwrap_or_else(|_| {
                Err(Failure::Transient(format!(
                    "no answer within {} ms",
                    limit.as_millis()
                )))
            });
        match outcome {
            Ok(answer) => {
                if let Err(e) = record_delivered(&outbox, handler.as_ref(), &message, &answer).await
                {
                    // The consumer has it; delivering again gets the same answer (idempotent).
                    let reason = format!("the answer could not be recorded: {e}");
                    retry(&outbox, &message, &lease, &reason).await;
                } else if outbox.inner.failing.swap(false, Ordering::AcqRel) {
                    recovered(&outbox).await;
                }
            }
            Err(Failure::Transient(reason)) => {
                outbox.inner.failing.store(true, Ordering::Release);
                retry(&outbox, &message, &lease, &reason).await;
            }
            Err(Failure::Permanent(reason)) => park(&outbox, &message, &lease, &reason).await,
        }
    }
    .instrument(span)
    .await;
}

/// Marks the message delivered and lets the handler record the answer, in one transaction.
async fn record_delivered(
    outbox: &Outbox,
    handler: &dyn Handler,
    message: &Message,
    answer: &Value,
) -> Result<(), StorageError> {
    let mut tx = outbox.inner.db.begin_write().await?;
    if !store::mark_delivered(&mut tx, &message.id, &answer.to_string(), now_millis()).await? {
        // Another relay (which took over an expired lease) recorded it first.
        tracing::debug!(outbox_message_id = %message.id, "outbox message already recorded");
        return Ok(());
    }
    handler.delivered(&mut tx, message, answer).await?;
    tx.commit().await?;
    tracing::debug!(
        outbox_message_id = %message.id,
        topic = %message.topic,
        attempt = message.attempt,
        "outbox message delivered"
    );
    Ok(())
}

/// The consumer answers again after failures: the messages backing off become due now.
async fn recovered(outbox: &Outbox) {
    match store::wake_backed_off(&outbox.inner.db, now_millis()).await {
        Ok(0) => {}
        Ok(woken) => {
            tracing::info!(
                woken,
                "outbox consumer answers again; retrying the backlog now"
            );
            outbox.notify();
        }
        Err(e) => tracing::warn!(error = %e, "outbox: cannot bring the backlog forward"),
    }
}

/// Releases the lease and sets the next attempt after the backoff.
async fn retry(outbox: &Outbox, message: &Message, lease: &str, reason: &str) {
    let config = outbox.config();
    let wait = backoff::delay(message.attempt, config.backoff_base, config.backoff_cap);
    let next = now_millis().saturating_add(millis(wait));
    match store::schedule_retry(&outbox.inner.db, &message.id, lease, next, reason).await {
        // Warn on attempts 1, 2, 4, 8...: a long outage does not flood the logs, and the
        // stats line carries the totals meanwhile.
        Ok(true) if message.attempt.is_power_of_two() => tracing::warn!(
            outbox_message_id = %message.id,
            topic = %message.topic,
            attempt = message.attempt,
            retry_in_ms = millis(wait),
            error = reason,
            "outbox delivery failed; retrying later"
        ),
        Ok(true) => tracing::debug!(
            outbox_message_id = %message.id,
            attempt = message.attempt,
            retry_in_ms = millis(wait),
            error = reason,
            "outbox delivery failed; retrying later"
        ),
        Ok(false) => tracing::debug!(
            outbox_message_id = %message.id,
            "outbox lease lost; another relay has the message"
        ),
        Err(e) => tracing::warn!(
            outbox_message_id = %message.id,
            error = %e,
            "cannot schedule the outbox retry; it follows when the lease expires"
        ),
    }
}

/// Parks a message that can never be delivered.
async fn park(outbox: &Outbox, message: &Message, lease: &str, reason: &str) {
    match store::park_dead(&outbox.inner.db, &message.id, lease, now_millis(), reason).await {
        Ok(true) => tracing::error!(
            outbox_message_id = %message.id,
            topic = %message.topic,
            attempts = message.attempt,
            error = reason,
            "outbox message parked as dead"
        ),
        Ok(false) => tracing::debug!(
            outbox_message_id = %message.id,
            "outbox lease lost; another relay has the message"
        ),
        Err(e) => tracing::warn!(
            outbox_message_id = %message.id,
            error = %e,
            "cannot park the outbox message; it is tried again when the lease expires"
        ),
    }
}

/// Accounts for a finished delivery task; a handler that panicked counts as a transient
/// failure (retried with backoff, not at every lease expiry).
async fn finished(
    outbox: &Outbox,
    leased: &mut HashMap<Id, Leased>,
    done: Result<(Id, ()), JoinError>,
) {
    let error = match done {
        Ok((id, ())) => {
            leased.remove(&id);
            return;
        }
        Err(e) => e,
    };
    let Some(Leased { message, lease }) = leased.remove(&error.id()) else {
        return;
    };
    if error.is_panic() {
        tracing::error!(outbox_message_id = %message.id, "the outbox handler panicked");
        retry(outbox, &message, &lease, "the handler panicked").await;
    }
}

/// Logs the stats line (see the crate docs for its fields).
async fn report(outbox: &Outbox) {
    match outbox.stats().await {
        Ok(stats) => log_stats(&stats),
        Err(e) => tracing::warn!(error = %e, "cannot read the outbox stats"),
    }
}

/// The stats line: INFO when there is something to say, DEBUG otherwise.
fn log_stats(stats: &Stats) {
    if stats.pending > 0 || stats.dead > 0 {
        tracing::info!(
            outbox_pending = stats.pending,
            outbox_dead = stats.dead,
            outbox_lag_ms = stats.oldest_pending_age_ms,
            "outbox"
        );
    } else {
        tracing::debug!(
            outbox_pending = stats.pending,
            outbox_dead = stats.dead,
            outbox_lag_ms = stats.oldest_pending_age_ms,
            "outbox"
        );
    }
}

/// Deletes delivered messages past their retention.
async fn prune(outbox: &Outbox) {
    match outbox.prune(now_millis()).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(deleted = n, "delivered outbox messages pruned"),
        Err(e) => tracing::warn!(error = %e, "cannot prune the outbox"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Collects what the JSON formatter writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn json_lines(level: tracing::Level, emit: impl FnOnce()) -> Vec<serde_json::Value> {
        let captured = Captured::default();
        let writer = captured.clone();
        // The formatter crates/telemetry installs for LOG_FORMAT=json.
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(true)
            .with_max_level(level)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn the_stats_line_has_the_documented_json_shape() {
        let busy = Stats {
            pending: 3,
            dead: 1,
            oldest_pending_age_ms: 1520,
        };
        let lines = json_lines(tracing::Level::INFO, || log_stats(&busy));
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["message"], "outbox");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "odmu_outbox::relay");
        assert_eq!(line["outbox_pending"], 3);
        assert_eq!(line["outbox_dead"], 1);
        assert_eq!(line["outbox_lag_ms"], 1520);

        let idle = Stats {
            pending: 0,
            dead: 0,
            oldest_pending_age_ms: 0,
        };
        assert!(
            json_lines(tracing::Level::INFO, || log_stats(&idle)).is_empty(),
            "nothing at INFO when there is nothing to say"
        );
        let debug = json_lines(tracing::Level::DEBUG, || log_stats(&idle));
        assert_eq!(debug[0]["level"], "DEBUG");
        assert_eq!(debug[0]["outbox_lag_ms"], 0);
    }

    #[test]
    fn a_delivery_ends_well_inside_its_lease() {
        assert_eq!(
            delivery_limit(Duration::from_secs(30)),
            Duration::from_millis(22_500)
        );
        assert_eq!(delivery_limit(Duration::ZERO), Duration::from_millis(1));
    }
}
