//! The outbox inside a real service: a route completes a ride and enqueues its charge in one
//! transaction, the runtime runs the relay as a worker, and the charges reach a billing
//! stand-in with the service's token. Billing frozen while 20 rides complete: every completion
//! answers at once, and after billing returns there are exactly 20 invoices.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use common::{Charges, Consumer, Mode, charge_id, eventually, quick, ride_invoice};
use odmu_http::{Json, Problem};
use odmu_outbox::{Outbox, OutboxConfig, enqueue};
use odmu_runtime::{App, BoxError, OpenApiRouter, Platform, Worker, routes};
use odmu_storage::{Migrations, now_millis, sqlx};
use odmu_testkit::{TestApp, TestIdentity};
use serde_json::{Value, json};

/// A driver_api-like service whose one route completes a ride.
struct Rides;

#[derive(Clone)]
struct RidesState {
    platform: Platform,
    outbox: Outbox,
    charges: Arc<Charges>,
}

/// The ride's row and its charge, in one transaction; `fail` rolls both back.
async fn finish_ride(state: &RidesState, id: &str, fail: bool) -> Result<Json<Value>, Problem> {
    let mut tx = state
        .platform
        .db
        .begin_write()
        .await
        .map_err(Problem::internal)?;
    sqlx::query("INSERT INTO rides (id, status) VALUES ($1, 'completed')")
        .bind(id)
        .execute(tx.conn())
        .await
        .map_err(Problem::internal)?;
    let payload = json!({"ride_id": id, "kind": "ride", "amount_cents": 1234});
    enqueue(&mut tx, "charge", &charge_id(id), &payload, now_millis())
        .await
        .map_err(Problem::internal)?;
    if fail {
        return Err(Problem::internal("the test fails after enqueueing"));
    }
    tx.commit().await.map_err(Problem::internal)?;
    state.outbox.notify();
    Ok(Json(json!({"id": id, "status": "completed"})))
}

#[utoipa::path(post, path = "/v1/rides/{id}/complete",
    params(("id" = String, Path, description = "The ride.")),
    responses((status = 200, description = "Completed.")))]
async fn complete(
    State(state): State<RidesState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    finish_ride(&state, &id, false).await
}

#[utoipa::path(post, path = "/v1/rides/{id}/complete-then-fail",
    params(("id" = String, Path, description = "The ride.")),
    responses((status = 500, description = "Always.")))]
async fn complete_then_fail(
    State(state): State<RidesState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    finish_ride(&state, &id, true).await
}

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("tests/migrations/sqlite"),
    postgres: sqlx::migrate!("tests/migrations/postgres"),
};

impl App for Rides {
    const SERVICE: &'static odmu_topology::Service = &odmu_topology::DRIVER_API;
    const DESCRIPTION: &'static str = "A test service that completes rides and charges them.";
    type Config = ();
    type State = RidesState;

    fn migrations() -> &'static Migrations {
        &MIGRATIONS
    }

    async fn state(_: (), platform: Platform) -> Result<RidesState, BoxError> {
        let outbox = Outbox::install(platform.db.clone(), quick()).await?;
        let billing = platform
            .client(&odmu_topology::BILLING)?
            .with_timeout(Duration::from_millis(300));
        Ok(RidesState {
            charges: Charges::new(billing),
            outbox,
            platform,
        })
    }

    fn routes() -> OpenApiRouter<RidesState> {
        OpenApiRouter::new()
            .routes(routes!(complete))
            .routes(routes!(complete_then_fail))
    }

    fn workers(state: &RidesState) -> Vec<Worker> {
        vec![state.outbox.relay(state.charges.clone())]
    }
}

#[tokio::test]
async fn rides_complete_at_once_while_billing_is_frozen_and_are_charged_once_when_it_returns() {
    let consumer = Consumer::start().await;
    consumer.set_mode(Mode::Frozen);
    let identity = TestIdentity::start().await;
    let app = Arc::new(
        TestApp::spawn_with::<Rides>(&identity, &[("BILLING_URL", &consumer.url())], None).await,
    );

    let mut completions = tokio::task::JoinSet::new();
    for n in 0..20 {
        let app = app.clone();
        completions.spawn(async move {
            let started = Instant::now();
            app.post(&format!("/v1/rides/r{n}/complete"))
                .send()
                .await
                .expect(200);
            started.elapsed()
        });
    }
    while let Some(took) = completions.join_next().await {
        let took = took.unwrap();
        assert!(
            took < Duration::from_secs(2),
            "a completion waited {took:?}"
        );
    }
    app.post("/v1/rides/lost/complete-then-fail")
        .send()
        .await
        .expect(500);

    let outbox = Outbox::install(app.db().clone(), OutboxConfig::default())
        .await
        .unwrap();
    eventually(
        "every charge tried and timed out",
        Duration::from_secs(15),
        || async {
            let tried: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox_messages WHERE last_error IS NOT NULL",
            )
            .fetch_one(app.db().pool())
            .await
            .unwrap();
            tried == 20
        },
    )
    .await;
    assert_eq!(outbox.stats().await.unwrap().pending, 20);
    assert!(consumer.total_hits() >= 20);

    consumer.set_mode(Mode::Accept);
    eventually("all charged", Duration::from_secs(15), || async {
        outbox.stats().await.unwrap().pending == 0
    })
    .await;
    let invoices = consumer.invoices();
    assert_eq!(invoices.len(), 20, "exactly one invoice per ride");
    for n in 0..20 {
        let ride = format!("r{n}");
        assert_eq!(
            ride_invoice(app.db(), &ride).await.as_ref(),
            invoices.get(&charge_id(&ride))
        );
    }
    assert_eq!(
        consumer.hits(&charge_id("lost")),
        0,
        "rolled back: never sent"
    );
    assert_eq!(
        consumer.with_bearer(),
        consumer.total_hits(),
        "every call carries the service's token"
    );
    assert_eq!(outbox.stats().await.unwrap().dead, 0);

    let app = Arc::into_inner(app).unwrap();
    tokio::time::timeout(Duration::from_secs(10), app.shutdown())
        .await
        .expect("the relay stops with the drain");
}
