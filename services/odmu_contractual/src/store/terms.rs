//! Driver terms: versions 1, 2, 3... without gaps; the highest is current.

use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// One published version of the terms.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TermsRow {
    /// Version number.
    pub version: i64,
    /// Title.
    pub title: String,
    /// Full text.
    pub body: String,
    /// When it was published, ms since the epoch.
    pub published_at_ms: i64,
}

const COLUMNS: &str = "version, title, body, published_at_ms";

/// Terms to publish.
#[derive(Debug)]
pub struct NewTerms<'a> {
    /// The version it must become.
    pub version: i64,
    /// Title.
    pub title: &'a str,
    /// Full text.
    pub body: &'a str,
    /// The admin's account id, or the service itself at start-up.
    pub published_by: &'a str,
    /// Now, ms since the epoch.
    pub now_ms: i64,
}

/// Publishes `terms` if its version is exactly the current one plus one (1 when there are
/// none) and returns it; `None` otherwise. One conditional insert: of two admins publishing
/// the same version at once, exactly one succeeds.
#[instrument(skip_all, fields(version = terms.version))]
pub async fn publish(db: &Db, terms: &NewTerms<'_>) -> Result<Option<TermsRow>, StorageError> {
    let (version, now_ms) = (terms.version, terms.now_ms);
    let (title, body, published_by) = (terms.title, terms.body, terms.published_by);
    let mut tx = db.begin_write().await?;
    let row = sqlx::query_as(&format!(
        "INSERT INTO terms (version, title, body, published_by, published_at_ms) \
         SELECT $1, $2, $3, $4, $5 \
         WHERE $1 = (SELECT COALESCE(MAX(version), 0) + 1 FROM terms) \
         ON CONFLICT (version) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(version)
    .bind(title)
    .bind(body)
    .bind(published_by)
    .bind(now_ms)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The current terms, if any were ever published.
#[instrument(skip_all)]
pub async fn current(db: &Db) -> Result<Option<TermsRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM terms ORDER BY version DESC LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await?)
}

/// The current version, if any terms were ever published.
#[instrument(skip_all)]
pub async fn current_version(db: &Db) -> Result<Option<i64>, StorageError> {
    Ok(
        sqlx::query_scalar("SELECT CAST(MAX(version) AS BIGINT) FROM terms")
            .fetch_one(db.pool())
            .await?,
    )
}
