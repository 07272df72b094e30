//! The outbox table, in the producing service's own database (the portable subset of
//! DESIGN.md §6). Every write goes through `Db::begin_write`, so on SQLite the relay's writes
//! queue with the service's other writers instead of spinning in the busy handler.

use odmu_storage::{Backend, Db, StorageError, WriteTx, sqlx};
use sqlx::Executor as _;

const DDL: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS outbox_messages (
        id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at_ms BIGINT NOT NULL,
        lease_owner TEXT,
        created_at_ms BIGINT NOT NULL,
        delivered_at_ms BIGINT,
        dead_at_ms BIGINT,
        last_error TEXT,
        answer TEXT
    )",
    // The claim's search (pending and due, in order of due time) and the stats' counts.
    "CREATE INDEX IF NOT EXISTS outbox_messages_due ON outbox_messages (state, next_attempt_at_ms)",
];

/// The PostgreSQL advisory lock key of the table's creation ("odmuoutb").
const DDL_LOCK: i64 = 0x6f64_6d75_6f75_7462;

/// Creates the table and its index if missing. On PostgreSQL two tasks racing on
/// `CREATE TABLE IF NOT EXISTS` can still collide in the catalogue, so they take turns under
/// an advisory lock.
pub(crate) async fn create_table(db: &Db) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT CAST(pg_advisory_xact_lock($1) AS TEXT)")
            .bind(DDL_LOCK)
            .fetch_optional(tx.conn())
            .await?;
    }
    for ddl in DDL {
        tx.conn().execute(ddl).await?;
    }
    tx.commit().await
}

/// Adds a pending message due at once; `false` when the id is already there.
pub(crate) async fn insert(
    tx: &mut WriteTx,
    topic: &str,
    id: &str,
    payload: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO outbox_messages \
         (id, topic, payload, state, attempts, next_attempt_at_ms, created_at_ms) \
         VALUES ($1, $2, $3, 'pending', 0, $4, $4) \
         ON CONFLICT (id) DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(topic)
    .bind(payload)
    .bind(now_ms)
    .fetch_optional(tx.conn())
    .await?;
    Ok(inserted.is_some())
}

/// A claimed message as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct ClaimedRow {
    pub(crate) id: String,
    pub(crate) topic: String,
    pub(crate) payload: String,
    pub(crate) attempts: i64,
    pub(crate) created_at_ms: i64,
}

/// Leases up to `limit` due pending messages to `owner` until `until_ms`, counting the attempt.
///
/// While leased, `next_attempt_at_ms` holds the lease's expiry: the message is not due for
/// anyone else until then, and becomes due again by itself if its relay dies.
pub(crate) async fn claim(
    db: &Db,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
    limit: i64,
) -> Result<Vec<ClaimedRow>, StorageError> {
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query_as(claim_sql(db.backend()))
        .bind(owner)
        .bind(until_ms)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The claim statement of each backend.
///
/// PostgreSQL: the due rows are picked and locked once, in a materialised CTE, skipping rows
/// another relay is claiming at this moment (`FOR UPDATE SKIP LOCKED`), so concurrent claims
/// take disjoint messages without waiting. (The shorter `UPDATE ... WHERE id IN (SELECT ...
/// LIMIT n FOR UPDATE SKIP LOCKED)` is wrong there: the planner may run the subquery again
/// and the statement then leases far more than `n` rows; a test holds the limit.)
///
/// SQLite: one writer at a time (the transaction is `BEGIN IMMEDIATE`), so the statement is
/// atomic as it stands; its uncorrelated `IN` subquery is evaluated once.
fn claim_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => {
            "WITH due AS MATERIALIZED (\
               SELECT id FROM outbox_messages \
               WHERE state = 'pending' AND next_attempt_at_ms <= $3 \
               ORDER BY next_attempt_at_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
             UPDATE outbox_messages AS m SET lease_owner = $1, next_attempt_at_ms = $2, \
             attempts = m.attempts + 1 \
             FROM due WHERE m.id = due.id \
             RETURNING m.id, m.topic, m.payload, m.attempts, m.created_at_ms"
        }
        Backend::Sqlite => {
            "UPDATE outbox_messages SET lease_owner = $1, next_attempt_at_ms = $2, \
             attempts = attempts + 1 \
             WHERE id IN (\
               SELECT id FROM outbox_messages \
               WHERE state = 'pending' AND next_attempt_at_ms <= $3 \
               ORDER BY next_attempt_at_ms, id LIMIT $4) \
             RETURNING id, topic, payload, attempts, created_at_ms"
        }
    }
}

/// Marks a pending message delivered with the consumer's answer, inside the caller's
/// transaction; `false` when it is no longer pending (another relay recorded it first).
///
/// No lease condition: the consumer accepted the message, whoever holds the lease now.
pub(crate) async fn mark_delivered(
    tx: &mut WriteTx,
    id: &str,
    answer: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE outbox_messages SET state = 'delivered', answer = $2, delivered_at_ms = $3, \
         lease_owner = NULL, last_error = NULL WHERE id = $1 AND state = 'pending'",
    )
    .bind(id)
    .bind(answer)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes every message that is backing off (pending, not leased, due later) due at `now_ms`;
/// answers how many.
pub(crate) async fn wake_backed_off(db: &Db, now_ms: i64) -> Result<u64, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE outbox_messages SET next_attempt_at_ms = $1 \
         WHERE state = 'pending' AND lease_owner IS NULL AND next_attempt_at_ms > $1",
    )
    .bind(now_ms)
    .execute(&mut *tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Releases the lease of a failed attempt and makes the message due at `next_at_ms`; `false`
/// when `owner` no longer holds the lease (it expired and another relay took the message).
pub(crate) async fn schedule_retry(
    db: &Db,
    id: &str,
    owner: &str,
    next_at_ms: i64,
    error: &str,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE outbox_messages SET next_attempt_at_ms = $3, lease_owner = NULL, last_error = $4 \
         WHERE id = $1 AND lease_owner = $2 AND state = 'pending'",
    )
    .bind(id)
    .bind(owner)
    .bind(next_at_ms)
    .bind(error)
    .execute(&mut *tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Parks a message that can never be delivered; `false` when `owner` no longer holds it.
pub(crate) async fn park_dead(
    db: &Db,
    id: &str,
    owner: &str,
    now_ms: i64,
    error: &str,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE outbox_messages SET state = 'dead', dead_at_ms = $3, lease_owner = NULL, \
         last_error = $4 WHERE id = $1 AND lease_owner = $2 AND state = 'pending'",
    )
    .bind(id)
    .bind(owner)
    .bind(now_ms)
    .bind(error)
    .execute(&mut *tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a dead message back in the queue, due at once with a fresh backoff; `false` when it
/// is not dead.
pub(crate) async fn requeue_dead(db: &Db, id: &str, now_ms: i64) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE outbox_messages SET state = 'pending', next_attempt_at_ms = $2, attempts = 0, \
         dead_at_ms = NULL, lease_owner = NULL WHERE id = $1 AND state = 'dead'",
    )
    .bind(id)
    .bind(now_ms)
    .execute(&mut *tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// The counts and the oldest pending message, in one query over the index.
#[derive(sqlx::FromRow)]
pub(crate) struct StatsRow {
    pub(crate) pending: i64,
    pub(crate) dead: i64,
    pub(crate) oldest_pending_ms: Option<i64>,
}

/// Pending and dead counts and the creation time of the oldest pending message.
pub(crate) async fn stats(db: &Db) -> Result<StatsRow, StorageError> {
    Ok(sqlx::query_as(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) \
           AS pending, \
         CAST(COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS BIGINT) AS dead, \
         CAST(MIN(CASE WHEN state = 'pending' THEN created_at_ms END) AS BIGINT) \
           AS oldest_pending_ms \
         FROM outbox_messages WHERE state IN ('pending', 'dead')",
    )
    .fetch_one(db.pool())
    .await?)
}

/// A message as stored, for inspection.
#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub(crate) id: String,
    pub(crate) topic: String,
    pub(crate) payload: String,
    pub(crate) state: String,
    pub(crate) attempts: i64,
    pub(crate) next_attempt_at_ms: i64,
    pub(crate) created_at_ms: i64,
    pub(crate) delivered_at_ms: Option<i64>,
    pub(crate) dead_at_ms: Option<i64>,
    pub(crate) last_error: Option<String>,
    pub(crate) answer: Option<String>,
}

const COLUMNS: &str = "id, topic, payload, state, attempts, next_attempt_at_ms, created_at_ms, \
                       delivered_at_ms, dead_at_ms, last_error, answer";

/// The dead messages, the most recently parked first.
pub(crate) async fn dead(db: &Db, limit: i64) -> Result<Vec<MessageRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox_messages WHERE state = 'dead' \
         ORDER BY dead_at_ms DESC, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// One message by id.
pub(crate) async fn find(db: &Db, id: &str) -> Result<Option<MessageRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM outbox_messages WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?)
}

/// Deletes messages delivered before `before_ms`. Dead ones stay until an admin acts.
pub(crate) async fn prune(db: &Db, before_ms: i64) -> Result<u64, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "DELETE FROM outbox_messages WHERE state = 'delivered' AND delivered_at_ms < $1",
    )
    .bind(before_ms)
    .execute(&mut *tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
