//! Drivers' agreements to versions of the terms.

use odmu_ids::DriverId;
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// One agreement of one driver to one version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgreementRow {
    /// The driver's account id.
    pub driver_id: DriverId,
    /// The version agreed to.
    pub terms_version: i64,
    /// When, ms since the epoch.
    pub agreed_at_ms: i64,
}

const COLUMNS: &str = "driver_id, terms_version, agreed_at_ms";

/// Records that `driver_id` agrees to `terms_version` if that version is the current one
/// and the driver has not agreed to it yet; returns the new agreement, or `None` when
/// nothing was written (not current, or already agreed).
#[instrument(skip_all)]
pub async fn agree(
    db: &Db,
    driver_id: DriverId,
    terms_version: i64,
    now_ms: i64,
) -> Result<Option<AgreementRow>, StorageError> {
    let mut tx = db.begin_write().await?;
    let row = sqlx::query_as(&format!(
        "INSERT INTO agreements ({COLUMNS}) SELECT $1, $2, $3 \
         WHERE $2 = (SELECT MAX(version) FROM terms) \
         ON CONFLICT (driver_id, terms_version) DO NOTHING RETURNING {COLUMNS}"
    ))
    .bind(driver_id)
    .bind(terms_version)
    .bind(now_ms)
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The driver's agreement to `terms_version`, if any.
#[instrument(skip_all)]
pub async fn get(
    db: &Db,
    driver_id: DriverId,
    terms_version: i64,
) -> Result<Option<AgreementRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agreements WHERE driver_id = $1 AND terms_version = $2"
    ))
    .bind(driver_id)
    .bind(terms_version)
    .fetch_optional(db.pool())
    .await?)
}

/// The driver's agreement to the highest version they agreed to, if any.
#[instrument(skip_all)]
pub async fn latest(db: &Db, driver_id: DriverId) -> Result<Option<AgreementRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM agreements WHERE driver_id = $1 \
         ORDER BY terms_version DESC LIMIT 1"
    ))
    .bind(driver_id)
    .fetch_optional(db.pool())
    .await?)
}
