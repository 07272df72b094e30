//! The relay against a real database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`) and a
//! consumer on a real port: delivery, outages of each kind, dead messages, several relays,
//! a relay killed mid-delivery, the drain, and the stats.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    Charges, Consumer, Mode, charge_id, complete_ride, complete_ride_at, create_rides, eventually,
    quick, ride_invoice,
};
use odmu_outbox::{Handler, Outbox, OutboxConfig, State, Stats, enqueue};
use odmu_runtime::Stop;
use odmu_storage::{Db, TestDatabase, now_millis, sqlx};
use serde_json::json;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(15);

async fn setup(config: OutboxConfig) -> (TestDatabase, Db, Outbox) {
    let database = TestDatabase::new().await;
    let db = Db::connect(database.url(), 5).await.unwrap();
    create_rides(&db).await;
    let outbox = Outbox::install(db.clone(), config).await.unwrap();
    (database, db, outbox)
}

fn start_relay(outbox: &Outbox, handler: Arc<dyn Handler>) -> (Stop, JoinHandle<()>) {
    let stop = Stop::new();
    let task = tokio::spawn({
        let (outbox, stop) = (outbox.clone(), stop.clone());
        async move { outbox.run_relay(handler, stop).await }
    });
    (stop, task)
}

async fn pending(outbox: &Outbox) -> u64 {
    outbox.stats().await.unwrap().pending
}

async fn min_attempts(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT CAST(MIN(attempts) AS BIGINT) FROM outbox_messages")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn committed_messages_are_delivered_once_on_notify_and_rolled_back_ones_never() {
    let consumer = Consumer::start().await;
    // A poll this long proves the deliveries below come from the notification.
    let config = OutboxConfig {
        poll: Duration::from_secs(30),
        ..quick()
    };
    let (_database, db, outbox) = setup(config).await;
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );
    tokio::time::sleep(Duration::from_millis(100)).await; // the relay is idle, waiting

    complete_ride(&db, &outbox, "rolled-back", false).await;
    let started = Instant::now();
    for n in 0..20 {
        complete_ride(&db, &outbox, &format!("r{n}"), true).await;
    }
    // Running the transition's enqueue again adds nothing.
    let mut tx = db.begin_write().await.unwrap();
    let again = enqueue(
        &mut tx,
        "charge",
        &charge_id("r0"),
        &json!({"x": 1}),
        now_millis(),
    )
    .await
    .unwrap();
    assert!(!again, "the id is taken: nothing new");
    tx.commit().await.unwrap();

    eventually("20 invoices", WAIT, || async {
        consumer.invoices().len() == 20 && pending(&outbox).await == 0
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "delivered on notify, not at the next poll: {:?}",
        started.elapsed()
    );
    let invoices = consumer.invoices();
    for n in 0..20 {
        let ride = format!("r{n}");
        let key = charge_id(&ride);
        assert_eq!(consumer.hits(&key), 1, "{key} delivered once");
        let body = consumer.body(&key).unwrap();
        assert_eq!(
            body,
            json!({"ride_id": ride, "kind": "ride", "amount_cents": 1234})
        );
        // The answer is on the ride and on the message.
        assert_eq!(ride_invoice(&db, &ride).await.as_ref(), invoices.get(&key));
        let record = outbox.find(&key).await.unwrap().unwrap();
        assert_eq!(record.state, State::Delivered);
        assert_eq!(record.attempts, 1);
        assert_eq!(record.answer.unwrap()["invoice_id"], json!(invoices[&key]));
        assert!(record.delivered_at_ms.is_some());
    }
    assert_eq!(consumer.hits(&charge_id("rolled-back")), 0);
    assert!(
        outbox
            .find(&charge_id("rolled-back"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(consumer.without_key(), 0);

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), relay)
        .await
        .expect("the relay stops promptly")
        .unwrap();
}

/// How the consumer is away.
#[derive(Debug, Clone, Copy)]
enum Outage {
    /// It answers 503.
    Unavailable,
    /// Nothing listens: connections are refused.
    Stopped,
    /// It accepts connections and never answers (until it thaws).
    Frozen,
}

/// Twenty rides complete while billing is away; the completions do not wait for it, the
/// charges wait with backoff, and all arrive once it is back: none lost, none twice.
async fn charges_survive(outage: Outage) {
    let mut consumer = Consumer::start().await;
    // Frozen: the handler's client would wait 10 s; the relay cuts the call off first
    // (three quarters of the lease).
    let (config, client_timeout) = match outage {
        Outage::Frozen => (
            OutboxConfig {
                lease: Duration::from_millis(600),
                ..quick()
            },
            Duration::from_secs(10),
        ),
        _ => (quick(), Duration::from_secs(2)),
    };
    let (_database, db, outbox) = setup(config).await;
    match outage {
        Outage::Unavailable => consumer.set_mode(Mode::Unavailable),
        Outage::Stopped => consumer.stop().await,
        Outage::Frozen => consumer.set_mode(Mode::Frozen),
    }
    let (stop, relay) = start_relay(&outbox, Charges::at(&consumer.url(), client_timeout));

    let started = Instant::now();
    for n in 0..20 {
        complete_ride(&db, &outbox, &format!("r{n}"), true).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "completing does not wait for billing: {:?}",
        started.elapsed()
    );

    // Every message fails at least twice and waits its turn.
    eventually("two failed attempts each", WAIT, || async {
        min_attempts(&db).await >= 2
    })
    .await;
    let stats = outbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (20, 0));
    assert!(stats.oldest_pending_age_ms > 0);
    let record = outbox.find(&charge_id("r0")).await.unwrap().unwrap();
    assert_eq!(record.state, State::Pending);
    let error = record.last_error.unwrap_or_default();
    let expected = match outage {
        Outage::Unavailable => "503",
        Outage::Stopped => "unavailable",
        Outage::Frozen => "no answer within 450 ms",
    };
    assert!(error.contains(expected), "{outage:?}: last error {error:?}");
    assert!(consumer.invoices().is_empty() || matches!(outage, Outage::Frozen));

    match outage {
        Outage::Unavailable | Outage::Frozen => consumer.set_mode(Mode::Accept),
        Outage::Stopped => consumer.restart().await,
    }
    eventually("20 invoices once billing is back", WAIT, || async {
        pending(&outbox).await == 0
    })
    .await;
    let invoices = consumer.invoices();
    assert_eq!(invoices.len(), 20, "one invoice per ride");
    let distinct: HashSet<_> = invoices.values().collect();
    assert_eq!(distinct.len(), 20);
    for n in 0..20 {
        let ride = format!("r{n}");
        assert_eq!(
            ride_invoice(&db, &ride).await.as_ref(),
            invoices.get(&charge_id(&ride)),
            "{ride}: the answer is recorded"
        );
    }
    if !matches!(outage, Outage::Stopped) {
        // The consumer saw each charge several times, always under the same key.
        assert!(consumer.all_hits().values().all(|&n| n >= 2));
    }
    assert_eq!(outbox.stats().await.unwrap().dead, 0);
    stop.cancel();
    relay.await.unwrap();
}

#[tokio::test]
async fn charges_wait_out_a_consumer_answering_503() {
    charges_survive(Outage::Unavailable).await;
}

#[tokio::test]
async fn charges_wait_out_a_stopped_consumer() {
    charges_survive(Outage::Stopped).await;
}

#[tokio::test]
async fn charges_wait_out_a_frozen_consumer() {
    charges_survive(Outage::Frozen).await;
}

/// After an outage the backlog does not wait out its backoff: the first delivery that
/// succeeds again brings every waiting message forward.
#[tokio::test]
async fn the_backlog_drains_as_soon_as_the_consumer_answers_again() {
    let consumer = Consumer::start().await;
    // Backoffs long enough that waiting them out would take far longer than the check allows.
    let config = OutboxConfig {
        backoff_base: Duration::from_secs(20),
        backoff_cap: Duration::from_secs(60),
        ..quick()
    };
    let (_database, db, outbox) = setup(config).await;
    consumer.set_mode(Mode::Unavailable);
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );
    for n in 0..10 {
        complete_ride(&db, &outbox, &format!("b{n}"), true).await;
    }
    eventually("one failed attempt each", WAIT, || async {
        min_attempts(&db).await >= 1
    })
    .await;
    consumer.set_mode(Mode::Accept);
    // A new charge goes out at once, succeeds, and brings the backlog (due in 10-20 s) forward.
    let back = Instant::now();
    complete_ride(&db, &outbox, "fresh", true).await;
    eventually(
        "the whole backlog delivered",
        Duration::from_secs(5),
        || async { pending(&outbox).await == 0 },
    )
    .await;
    assert!(back.elapsed() < Duration::from_secs(5));
    assert_eq!(consumer.invoices().len(), 11);
    stop.cancel();
    relay.await.unwrap();
}

#[tokio::test]
async fn a_refused_message_goes_dead_without_blocking_the_others_and_can_be_requeued() {
    let consumer = Consumer::start().await;
    // One delivery at a time: a message stuck at the head would block everything behind it.
    let config = OutboxConfig {
        concurrency: 1,
        ..quick()
    };
    let (_database, db, outbox) = setup(config).await;
    let poison = charge_id("poison");
    consumer.refuse(&poison);
    complete_ride_at(&db, &outbox, "poison", true, now_millis() - 1000).await;
    let mut tx = db.begin_write().await.unwrap();
    enqueue(&mut tx, "unknown", "odd-1", &json!({}), now_millis() - 500)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for n in 0..5 {
        complete_ride(&db, &outbox, &format!("r{n}"), true).await;
    }
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );

    eventually("5 invoices and 2 dead", WAIT, || async {
        outbox.stats().await.unwrap()
            == Stats {
                pending: 0,
                dead: 2,
                oldest_pending_age_ms: 0,
            }
    })
    .await;
    assert_eq!(consumer.invoices().len(), 5);
    // Never retried.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(consumer.hits(&poison), 1);
    assert_eq!(
        consumer.hits("odd-1"),
        0,
        "unknown topics never reach the consumer"
    );
    assert_eq!(ride_invoice(&db, "poison").await, None);

    let dead = outbox.dead_messages(10).await.unwrap();
    let ids: HashSet<_> = dead.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, HashSet::from([poison.as_str(), "odd-1"]));
    let parked = dead.iter().find(|m| m.id == poison).unwrap();
    assert_eq!(parked.state, State::Dead);
    assert_eq!(parked.attempts, 1);
    assert!(parked.dead_at_ms.is_some());
    assert!(
        parked
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("422"),
        "{:?}",
        parked.last_error
    );
    assert_eq!(parked.payload["ride_id"], "poison");
    assert_eq!(outbox.dead_messages(1).await.unwrap().len(), 1);

    // An admin fixes the cause and requeues it: it is delivered like any other.
    consumer.accept(&poison);
    assert!(outbox.retry_dead(&poison).await.unwrap());
    assert!(!outbox.retry_dead(&poison).await.unwrap(), "no longer dead");
    assert!(!outbox.retry_dead("r0").await.unwrap(), "not dead");
    eventually("the requeued charge is delivered", WAIT, || async {
        ride_invoice(&db, "poison").await.is_some()
    })
    .await;
    assert_eq!(consumer.hits(&poison), 2);
    assert_eq!(
        outbox.stats().await.unwrap().dead,
        1,
        "the unknown topic stays"
    );
    stop.cancel();
    relay.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_relays_on_one_database_deliver_each_message_once() {
    let consumer = Consumer::start().await;
    consumer.set_delay(Duration::from_millis(10));
    let database = TestDatabase::new().await;
    let producer = Db::connect(database.url(), 5).await.unwrap();
    create_rides(&producer).await;
    // Three tasks of the service: each its own pool and outbox, installing at the same time.
    let mut outboxes = Vec::new();
    let mut installs = tokio::task::JoinSet::new();
    for _ in 0..3 {
        let url = database.url().to_owned();
        installs.spawn(async move {
            let db = Db::connect(&url, 5).await.unwrap();
            Outbox::install(db, quick()).await.unwrap()
        });
    }
    while let Some(outbox) = installs.join_next().await {
        outboxes.push(outbox.unwrap());
    }
    for n in 0..150 {
        complete_ride(&producer, &outboxes[0], &format!("r{n}"), true).await;
    }
    let handlers: Vec<Arc<Charges>> = (0..3)
        .map(|_| Charges::at(&consumer.url(), Duration::from_secs(2)))
        .collect();
    let relays: Vec<_> = outboxes
        .iter()
        .zip(&handlers)
        .map(|(outbox, handler)| start_relay(outbox, handler.clone()))
        .collect();

    eventually("150 invoices", Duration::from_secs(60), || async {
        pending(&outboxes[0]).await == 0
    })
    .await;
    assert_eq!(consumer.invoices().len(), 150);
    let hits = consumer.all_hits();
    assert_eq!(hits.len(), 150);
    assert!(
        hits.values().all(|&n| n == 1),
        "each message was claimed by one relay: {:?}",
        hits.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    assert_eq!(consumer.overlaps(), 0);
    let calls: Vec<u32> = handlers.iter().map(|h| h.calls()).collect();
    assert_eq!(calls.iter().sum::<u32>(), 150);
    assert!(
        calls.iter().filter(|&&n| n > 0).count() >= 2,
        "the relays shared the work: {calls:?}"
    );
    let missing: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM rides WHERE invoice_id IS NULL")
            .fetch_one(producer.pool())
            .await
            .unwrap();
    assert_eq!(missing, 0);
    for (stop, relay) in relays {
        stop.cancel();
        relay.await.unwrap();
    }
}

#[tokio::test]
async fn a_relay_killed_mid_delivery_leaves_a_lease_that_expires_then_another_delivers() {
    let consumer = Consumer::start().await;
    consumer.set_mode(Mode::Frozen);
    let config = OutboxConfig {
        lease: Duration::from_secs(2),
        ..quick()
    };
    let (_database, db, outbox) = setup(config).await;
    complete_ride(&db, &outbox, "r1", true).await;
    let key = charge_id("r1");

    let (_stop_a, relay_a) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(10)),
    );
    eventually("the consumer holds the call", WAIT, || async {
        consumer.hits(&key) == 1
    })
    .await;
    // Killed like `kill -9`: no clean-up runs.
    relay_a.abort();
    assert!(relay_a.await.unwrap_err().is_cancelled());
    let leased = outbox.find(&key).await.unwrap().unwrap();
    assert_eq!(leased.state, State::Pending);
    assert_eq!(leased.attempts, 1);
    let lease_expiry = leased.next_attempt_at_ms;
    assert!(lease_expiry > now_millis(), "still leased");

    consumer.set_mode(Mode::Accept);
    let (stop_b, relay_b) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );
    // B leaves the message alone while A's lease holds...
    let until = lease_expiry - now_millis() - 700;
    tokio::time::sleep(Duration::from_millis(u64::try_from(until.max(0)).unwrap())).await;
    assert_eq!(
        consumer.hits(&key),
        1,
        "no second delivery during the lease"
    );
    assert_eq!(ride_invoice(&db, "r1").await, None);
    // ...and delivers it once the lease has expired, under the same key.
    eventually("delivered by the second relay", WAIT, || async {
        ride_invoice(&db, "r1").await.is_some()
    })
    .await;
    let record = outbox.find(&key).await.unwrap().unwrap();
    assert_eq!(record.state, State::Delivered);
    assert_eq!(record.attempts, 2);
    assert!(consumer.hits(&key) >= 2);
    assert_eq!(
        consumer.invoices().len(),
        1,
        "one invoice: the consumer is idempotent"
    );
    stop_b.cancel();
    relay_b.await.unwrap();
}

#[tokio::test]
async fn a_relay_leases_no_more_messages_than_it_can_send_at_once() {
    let consumer = Consumer::start().await;
    consumer.set_mode(Mode::Frozen);
    let config = OutboxConfig {
        concurrency: 3,
        lease: Duration::from_secs(10),
        ..quick()
    };
    let (_database, db, outbox) = setup(config).await;
    for n in 0..10 {
        complete_ride(&db, &outbox, &format!("r{n}"), true).await;
    }
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(10)),
    );
    eventually("three calls under way", WAIT, || async {
        consumer.total_hits() >= 3
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let leased: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox_messages WHERE attempts > 0",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        leased, 3,
        "one claim per free slot; the other 7 stay free for other relays"
    );
    assert_eq!(consumer.total_hits(), 3);
    consumer.set_mode(Mode::Accept);
    eventually("all delivered", WAIT, || async {
        pending(&outbox).await == 0
    })
    .await;
    assert_eq!(consumer.invoices().len(), 10);
    stop.cancel();
    relay.await.unwrap();
}

#[tokio::test]
async fn a_stopped_relay_finishes_the_delivery_under_way() {
    let consumer = Consumer::start().await;
    consumer.set_delay(Duration::from_millis(400));
    let (_database, db, outbox) = setup(quick()).await;
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );
    complete_ride(&db, &outbox, "r1", true).await;
    eventually("the call is under way", WAIT, || async {
        consumer.total_hits() == 1
    })
    .await;
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(3), relay)
        .await
        .expect("the relay stops within the call's time")
        .unwrap();
    assert!(
        ride_invoice(&db, "r1").await.is_some(),
        "the answer was recorded"
    );
    assert_eq!(pending(&outbox).await, 0);
}

#[tokio::test]
async fn stats_report_pending_dead_and_lag_and_delivered_messages_are_pruned() {
    let consumer = Consumer::start().await;
    let (_database, db, outbox) = setup(quick()).await;
    assert_eq!(
        outbox.stats().await.unwrap(),
        Stats {
            pending: 0,
            dead: 0,
            oldest_pending_age_ms: 0
        }
    );
    let five_s_ago = now_millis() - 5000;
    for n in 0..3 {
        complete_ride_at(&db, &outbox, &format!("r{n}"), true, five_s_ago + n).await;
    }
    let stats = outbox.stats().await.unwrap();
    assert_eq!((stats.pending, stats.dead), (3, 0));
    assert!(
        (5000..60_000).contains(&stats.oldest_pending_age_ms),
        "lag {}",
        stats.oldest_pending_age_ms
    );

    consumer.refuse(&charge_id("r2"));
    let (stop, relay) = start_relay(
        &outbox,
        Charges::at(&consumer.url(), Duration::from_secs(2)),
    );
    eventually("two delivered, one dead", WAIT, || async {
        outbox.stats().await.unwrap()
            == Stats {
                pending: 0,
                dead: 1,
                oldest_pending_age_ms: 0,
            }
    })
    .await;
    stop.cancel();
    relay.await.unwrap();

    // Delivered messages go after the retention; dead ones stay.
    assert_eq!(outbox.prune(now_millis()).await.unwrap(), 0);
    let later = now_millis() + 8 * 24 * 3600 * 1000;
    assert_eq!(outbox.prune(later).await.unwrap(), 2);
    assert!(outbox.find(&charge_id("r0")).await.unwrap().is_none());
    assert_eq!(outbox.stats().await.unwrap().dead, 1);
}
