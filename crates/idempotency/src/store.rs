//! The kit's table, in the service's own database (the portable subset of DESIGN.md §6).

use odmu_storage::{Db, StorageError, sqlx};
use sqlx::Executor as _;
use tracing::instrument;

/// A stored answer.
pub(crate) struct Answer {
    pub(crate) status: i64,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

/// A record as found.
pub(crate) struct Found {
    pub(crate) fingerprint: String,
    pub(crate) locked_at_ms: i64,
    pub(crate) expires_at_ms: i64,
    /// `None` while the first request runs.
    pub(crate) answer: Option<Answer>,
}

const DDL: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS idempotency_keys (
        scope TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'done')),
        status BIGINT,
        content_type TEXT,
        location TEXT,
        body TEXT,
        locked_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        PRIMARY KEY (scope, idem_key)
    )",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at_ms)",
];

/// Creates the table and its index if missing. On PostgreSQL two tasks racing on
/// `CREATE TABLE IF NOT EXISTS` can still collide in the catalogue, so they take turns under
/// an advisory lock.
pub(crate) async fn create_table(db: &Db) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    if let Some(lock) = crate::ddl_lock_key(db.backend()) {
        sqlx::query("SELECT CAST(pg_advisory_xact_lock($1) AS TEXT)")
            .bind(lock)
            .fetch_optional(tx.conn())
            .await?;
    }
    for ddl in DDL {
        tx.conn().execute(ddl).await?;
    }
    tx.commit().await
}

/// Claims `(scope, key)` for a new request; `false` when a record exists.
#[instrument(skip_all)]
pub(crate) async fn insert(
    db: &Db,
    scope: &str,
    key: &str,
    fingerprint: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> Result<bool, StorageError> {
    // Writes take the storage kit's write turn: on SQLite they queue in order instead of
    // spinning in the busy handler.
    let mut tx = db.begin_write().await?;
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys \
         (scope, idem_key, fingerprint, state, locked_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, 'running', $4, $5) \
         ON CONFLICT (scope, idem_key) DO NOTHING RETURNING idem_key",
    )
    .bind(scope)
    .bind(key)
    .bind(fingerprint)
    .bind(now_ms)
    .bind(expires_at_ms)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(inserted.is_some())
}

#[derive(sqlx::FromRow)]
struct Row {
    fingerprint: String,
    state: String,
    status: Option<i64>,
    content_type: Option<String>,
    location: Option<String>,
    body: Option<String>,
    locked_at_ms: i64,
    expires_at_ms: i64,
}

/// The record of `(scope, key)`.
#[instrument(skip_all)]
pub(crate) async fn get(db: &Db, scope: &str, key: &str) -> Result<Option<Found>, StorageError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT fingerprint, state, status, content_type, location, body, locked_at_ms, \
         expires_at_ms FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|r| Found {
        answer: (r.state == "done").then(|| Answer {
            status: r.status.unwrap_or(200),
            content_type: r.content_type,
            location: r.location,
            body: r.body.unwrap_or_default(),
        }),
        fingerprint: r.fingerprint,
        locked_at_ms: r.locked_at_ms,
        expires_at_ms: r.expires_at_ms,
    }))
}

/// Stores the answer of the request that holds the key.
#[instrument(skip_all)]
pub(crate) async fn finish(
    db: &Db,
    scope: &str,
    key: &str,
    answer: &Answer,
) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'done', status = $3, content_type = $4, \
         location = $5, body = $6 WHERE scope = $1 AND idem_key = $2 AND state = 'running'",
    )
    .bind(scope)
    .bind(key)
    .bind(answer.status)
    .bind(answer.content_type.as_deref())
    .bind(answer.location.as_deref())
    .bind(&answer.body)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// Frees a key whose request failed or never finished.
#[instrument(skip_all)]
pub(crate) async fn release(db: &Db, scope: &str, key: &str) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND state = 'running'",
    )
    .bind(scope)
    .bind(key)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// Takes over a record left running by a request that died; `true` for the one that wins.
#[instrument(skip_all)]
pub(crate) async fn take_over(
    db: &Db,
    scope: &str,
    key: &str,
    locked_at_ms: i64,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE idempotency_keys SET locked_at_ms = $4 WHERE scope = $1 AND idem_key = $2 \
         AND state = 'running' AND locked_at_ms = $3",
    )
    .bind(scope)
    .bind(key)
    .bind(locked_at_ms)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes `(scope, key)` if it expired.
pub(crate) async fn delete_expired(
    db: &Db,
    scope: &str,
    key: &str,
    now_ms: i64,
) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND expires_at_ms <= $3",
    )
    .bind(scope)
    .bind(key)
    .bind(now_ms)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// Deletes every expired record.
pub(crate) async fn prune(db: &Db, now_ms: i64) -> Result<u64, StorageError> {
    let mut tx = db.begin_write().await?;
    let deleted = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at_ms <= $1")
        .bind(now_ms)
        .execute(tx.conn())
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}
