//! The kit on its own, behind a test route of a real service on a real port and database:
//! replays, conflicts, refusals, expiry, and 20 concurrent requests with one key.

use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use odmu_authn::{Auth, Verifier, roles};
use odmu_http::{Json, Problem};
use odmu_idempotency::{Idempotency, IdempotencyConfig, Idempotent};
use odmu_runtime::{App, BoxError, OpenApiRouter, Platform, Worker, routes};
use odmu_storage::{Db, Migrations, sqlx};
use odmu_testkit::{Caller, TestApp};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A service with one creating route under the kit.
struct Writer;

#[derive(Clone)]
struct WriterState {
    platform: Platform,
    idempotency: Idempotency,
}

impl FromRef<WriterState> for Verifier {
    fn from_ref(s: &WriterState) -> Self {
        s.platform.verifier.clone()
    }
}

impl FromRef<WriterState> for Idempotency {
    fn from_ref(s: &WriterState) -> Self {
        s.idempotency.clone()
    }
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewWrite {
    amount: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Written {
    id: String,
    amount: i64,
}

/// Writes one row per execution; `amount: 0` fails with a 500 after writing nothing.
#[utoipa::path(post, path = "/v1/writes", responses((status = 201, body = Written)))]
async fn create(
    State(state): State<WriterState>,
    auth: Auth<roles::Rider>,
    request: Idempotent<NewWrite>,
) -> axum::response::Response {
    request
        .run(|body: NewWrite| async move {
            if body.amount == 0 {
                return Err(Problem::internal("the test asked for a failure"));
            }
            // Widen the window in which concurrent requests overlap.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let id = uuid::Uuid::new_v4().to_string();
            sqlx::query("INSERT INTO writes (id, caller, amount) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(&auth.claims.sub)
                .bind(body.amount)
                .execute(state.platform.db.pool())
                .await
                .map_err(Problem::internal)?;
            Ok((
                StatusCode::CREATED,
                Json(Written {
                    id,
                    amount: body.amount,
                }),
            ))
        })
        .await
}

/// The same write under a resource named in the path (as `/invoices/{id}/payments`).
#[utoipa::path(post, path = "/v1/accounts/{id}/writes",
    params(("id" = String, Path)), responses((status = 201, body = Written)))]
async fn create_in(
    state: State<WriterState>,
    auth: Auth<roles::Rider>,
    request: Idempotent<NewWrite>,
) -> axum::response::Response {
    create(state, auth, request).await
}

static MIGRATIONS: Migrations = Migrations {
    sqlite: sqlx::migrate!("tests/migrations/sqlite"),
    postgres: sqlx::migrate!("tests/migrations/postgres"),
};

impl App for Writer {
    const SERVICE: &'static odmu_topology::Service = &odmu_topology::BILLING;
    const DESCRIPTION: &'static str = "A test service with one idempotent route.";
    type Config = ();
    type State = WriterState;

    fn migrations() -> &'static Migrations {
        &MIGRATIONS
    }

    async fn state(_: (), platform: Platform) -> Result<WriterState, BoxError> {
        let idempotency = Idempotency::install(
            platform.db.clone(),
            platform.verifier.clone(),
            IdempotencyConfig::default(),
        )
        .await?;
        Ok(WriterState {
            platform,
            idempotency,
        })
    }

    fn routes() -> OpenApiRouter<WriterState> {
        OpenApiRouter::new()
            .routes(routes!(create))
            .routes(routes!(create_in))
    }

    fn workers(state: &WriterState) -> Vec<Worker> {
        vec![state.idempotency.pruner()]
    }
}

async fn writes(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM writes")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

async fn write(
    app: &TestApp,
    caller: &Caller,
    key: Option<&str>,
    amount: i64,
) -> odmu_testkit::Reply {
    let mut call = app
        .post("/v1/writes")
        .as_(caller)
        .json(&json!({ "amount": amount }));
    if let Some(key) = key {
        call = call.idempotency_key(key);
    }
    call.send().await
}

/// Finding: the scope was the raw path, so the same resource spelled with an upper-case id was
/// a new scope, and the same key executed twice.
#[tokio::test]
async fn a_key_is_scoped_to_the_resource_however_its_id_is_spelled() {
    let app = TestApp::spawn::<Writer>().await;
    let rider = app.rider();
    let id = "5f0c3a1e-7d2b-4c8e-9a6f-1b2c3d4e5f60";
    let at = |id: &str| format!("/v1/accounts/{id}/writes");
    let first = app
        .post(&at(&id.to_uppercase()))
        .as_(&rider)
        .json(&json!({"amount": 7}))
        .idempotency_key("k-case")
        .send()
        .await
        .expect(201);
    let again = app
        .post(&at(id))
        .as_(&rider)
        .json(&json!({"amount": 7}))
        .idempotency_key("k-case")
        .send()
        .await
        .expect(201);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(writes(app.db()).await, 1);
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer_and_writes_once() {
    let app = TestApp::spawn::<Writer>().await;
    let rider = app.rider();
    let first = write(&app, &rider, Some("k-1"), 500).await.expect(201);
    assert_eq!(first.header("idempotency-replayed"), None);
    let again = write(&app, &rider, Some("k-1"), 500).await.expect(201);
    assert_eq!(again.header("idempotency-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(writes(app.db()).await, 1);

    // Keys are the caller's own: another rider's identical key is another operation.
    write(&app, &app.rider(), Some("k-1"), 500)
        .await
        .expect(201);
    assert_eq!(writes(app.db()).await, 2);
}

#[tokio::test]
async fn another_body_is_422_a_missing_or_bad_key_400_and_a_bad_body_uses_no_key() {
    let app = TestApp::spawn::<Writer>().await;
    let rider = app.rider();
    write(&app, &rider, Some("k-2"), 500).await.expect(201);
    let other = write(&app, &rider, Some("k-2"), 501).await.expect(422);
    assert_eq!(other.fields(), ["Idempotency-Key"]);

    let missing = write(&app, &rider, None, 500).await.expect(400);
    assert_eq!(missing.fields(), ["Idempotency-Key"]);
    write(&app, &rider, Some(&"k".repeat(300)), 500)
        .await
        .expect(400);
    write(&app, &rider, Some("two words"), 500)
        .await
        .expect(400);

    // An invalid body is refused before the key is used: fixed, it runs under that key.
    app.post("/v1/writes")
        .as_(&rider)
        .idempotency_key("k-3")
        .json(&json!({"amount": "five"}))
        .send()
        .await
        .expect(422);
    write(&app, &rider, Some("k-3"), 5).await.expect(201);
    // And the caller must be who the route wants.
    app.post("/v1/writes")
        .idempotency_key("k-4")
        .json(&json!({"amount": 1}))
        .send()
        .await
        .expect(401);
    assert_eq!(writes(app.db()).await, 2);
}

#[tokio::test]
async fn a_failed_request_frees_its_key_for_the_retry() {
    let app = TestApp::spawn::<Writer>().await;
    let rider = app.rider();
    write(&app, &rider, Some("k-5"), 0).await.expect(500);
    // Same key, same body: the failure was not stored; the retry runs (and fails) again.
    write(&app, &rider, Some("k-5"), 0).await.expect(500);
    assert_eq!(writes(app.db()).await, 0);
}

#[tokio::test]
async fn twenty_concurrent_requests_with_one_key_execute_once() {
    let app = std::sync::Arc::new(TestApp::spawn::<Writer>().await);
    let rider = app.rider();
    let mut racers = tokio::task::JoinSet::new();
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    for _ in 0..20 {
        let (app, rider, start) = (app.clone(), rider.clone(), start.clone());
        racers.spawn(async move {
            start.wait().await;
            write(&app, &rider, Some("race"), 700).await
        });
    }
    let mut created = Vec::new();
    let mut replays = 0;
    let mut in_flight = 0;
    while let Some(reply) = racers.join_next().await {
        let reply = reply.unwrap();
        match (reply.status, reply.header("idempotency-replayed")) {
            (201, None) => created.push(reply.body),
            (201, Some("true")) => replays += 1,
            (409, _) => in_flight += 1,
            other => panic!("unexpected answer {other:?}: {}", reply.body),
        }
    }
    assert_eq!(created.len(), 1, "one execution");
    assert_eq!(replays + in_flight, 19);
    assert_eq!(writes(app.db()).await, 1, "never two writes");
    // Once it finished, the key replays that one answer.
    let after = write(&app, &rider, Some("race"), 700).await.expect(201);
    assert_eq!(after.body, created[0]);
}

#[tokio::test]
async fn expired_keys_are_forgotten_and_pruned() {
    let app = TestApp::spawn::<Writer>().await;
    let rider = app.rider();
    write(&app, &rider, Some("k-6"), 1).await.expect(201);
    write(&app, &rider, Some("k-7"), 1).await.expect(201);
    sqlx::query("UPDATE idempotency_keys SET expires_at_ms = 0 WHERE idem_key = 'k-6'")
        .execute(app.db().pool())
        .await
        .unwrap();
    // Expired: the key is free again, even for another body.
    write(&app, &rider, Some("k-6"), 2).await.expect(201);
    assert_eq!(writes(app.db()).await, 3);

    let verifier =
        Verifier::new(odmu_authn::AuthConfig::from_env(&odmu_config::Env::default()).unwrap());
    let kit = Idempotency::install(app.db().clone(), verifier, IdempotencyConfig::default())
        .await
        .unwrap();
    let far_future = odmu_storage::now_millis() + 25 * 3600 * 1000;
    assert_eq!(kit.prune(far_future).await.unwrap(), 2);
    let left: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM idempotency_keys")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}
