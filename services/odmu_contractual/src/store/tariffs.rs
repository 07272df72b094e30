//! Tariff versions: rows are only ever inserted, one per version.

use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

use crate::domain::tariff::{SurgeStep, Tariff, TariffTerms};

/// One stored version of a tariff.
#[derive(Debug, Clone)]
pub struct StoredTariff {
    /// Its version: 1, 2, 3... per code.
    pub version: i64,
    /// When it was published, ms since the epoch.
    pub created_at_ms: i64,
    /// Its terms, validated again on the way out of the database.
    pub tariff: Tariff,
}

#[derive(Debug, sqlx::FromRow)]
struct TariffRow {
    code: String,
    version: i64,
    currency: String,
    base_fare_cents: i64,
    booking_fee_cents: i64,
    per_km_cents: i64,
    per_minute_cents: i64,
    minimum_fare_cents: i64,
    commission_bps: i64,
    cancellation_fee_cents: i64,
    free_cancellation_s: i64,
    average_speed_kmh: i64,
    upfront_tolerance_bps: i64,
    surge_steps: String,
    max_multiplier_bps: i64,
    created_at_ms: i64,
}

impl TariffRow {
    fn into_stored(self) -> Result<StoredTariff, StorageError> {
        let surge: Vec<SurgeStep> =
            serde_json::from_str(&self.surge_steps).map_err(super::undecodable)?;
        let tariff = Tariff::new(TariffTerms {
            code: self.code,
            currency: self.currency,
            base_fare_cents: self.base_fare_cents,
            booking_fee_cents: self.booking_fee_cents,
            per_km_cents: self.per_km_cents,
            per_minute_cents: self.per_minute_cents,
            minimum_fare_cents: self.minimum_fare_cents,
            commission_bps: self.commission_bps,
            cancellation_fee_cents: self.cancellation_fee_cents,
            free_cancellation_s: self.free_cancellation_s,
            average_speed_kmh: self.average_speed_kmh,
            upfront_tolerance_bps: self.upfront_tolerance_bps,
            surge,
            max_multiplier_bps: self.max_multiplier_bps,
        })
        .map_err(super::undecodable)?;
        Ok(StoredTariff {
            version: self.version,
            created_at_ms: self.created_at_ms,
            tariff,
        })
    }
}

const COLUMNS: &str = "code, version, currency, base_fare_cents, booking_fee_cents, \
     per_km_cents, per_minute_cents, minimum_fare_cents, commission_bps, \
     cancellation_fee_cents, free_cancellation_s, average_speed_kmh, upfront_tolerance_bps, \
     surge_steps, max_multiplier_bps, created_at_ms";

const INSERT_COLUMNS: &str = "code, version, currency, base_fare_cents, booking_fee_cents, \
     per_km_cents, per_minute_cents, minimum_fare_cents, commission_bps, \
     cancellation_fee_cents, free_cancellation_s, average_speed_kmh, upfront_tolerance_bps, \
     surge_steps, max_multiplier_bps, published_by, created_at_ms";

/// The values after `code, version`, in [`INSERT_COLUMNS`] order (see [`insert_returning`]).
const VALUES_AFTER_VERSION: &str =
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16";

/// How many times a publication retries after another publication of the same code took the
/// version it computed. Each lost race means another version was published, so this bounds
/// only how many admins may publish one code in the same instant.
const PUBLISH_ATTEMPTS: usize = 20;

/// Runs an insert of `terms` (`$1` code, `$2`... the other columns) and returns the row if
/// one was inserted.
async fn insert_returning(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    terms: &TariffTerms,
    published_by: &str,
    now_ms: i64,
) -> Result<Option<StoredTariff>, StorageError> {
    let surge = serde_json::to_string(&terms.surge)
        .map_err(|e| StorageError::Sqlx(sqlx::Error::Encode(Box::new(e))))?;
    let row: Option<TariffRow> = sqlx::query_as(sql)
        .bind(terms.code.as_str())
        .bind(terms.currency.as_str())
        .bind(terms.base_fare_cents)
        .bind(terms.booking_fee_cents)
        .bind(terms.per_km_cents)
        .bind(terms.per_minute_cents)
        .bind(terms.minimum_fare_cents)
        .bind(terms.commission_bps)
        .bind(terms.cancellation_fee_cents)
        .bind(terms.free_cancellation_s)
        .bind(terms.average_speed_kmh)
        .bind(terms.upfront_tolerance_bps)
        .bind(surge)
        .bind(terms.max_multiplier_bps)
        .bind(published_by)
        .bind(now_ms)
        .fetch_optional(conn)
        .await?;
    row.map(TariffRow::into_stored).transpose()
}

/// Publishes `terms` as the next version of its code (1 for a new code) and returns it;
/// `None` only if other publications of the same code kept winning the race.
///
/// The version is computed inside the insert, and the (code, version) key decides between
/// two publications that computed the same one: the loser inserts nothing and tries again
/// with the new maximum. No read-then-write window exists on either database.
#[instrument(skip_all, fields(code = %terms.code))]
pub async fn publish(
    db: &Db,
    terms: &TariffTerms,
    published_by: &str,
    now_ms: i64,
) -> Result<Option<StoredTariff>, StorageError> {
    let sql = format!(
        "INSERT INTO tariffs ({INSERT_COLUMNS}) VALUES ($1, \
         (SELECT COALESCE(MAX(version), 0) + 1 FROM tariffs WHERE code = $1), \
         {VALUES_AFTER_VERSION}) \
         ON CONFLICT (code, version) DO NOTHING RETURNING {COLUMNS}"
    );
    for _ in 0..PUBLISH_ATTEMPTS {
        let mut tx = db.begin_write().await?;
        let stored = insert_returning(tx.conn(), &sql, terms, published_by, now_ms).await?;
        tx.commit().await?;
        if stored.is_some() {
            return Ok(stored);
        }
    }
    Ok(None)
}

/// Creates version 1 of `terms`' code unless it exists; true when this call created it.
#[instrument(skip_all, fields(code = %terms.code))]
pub async fn create_first(
    db: &Db,
    terms: &TariffTerms,
    published_by: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let sql = format!(
        "INSERT INTO tariffs ({INSERT_COLUMNS}) VALUES ($1, 1, {VALUES_AFTER_VERSION}) \
         ON CONFLICT (code, version) DO NOTHING RETURNING {COLUMNS}"
    );
    let mut tx = db.begin_write().await?;
    let created = insert_returning(tx.conn(), &sql, terms, published_by, now_ms).await?;
    tx.commit().await?;
    Ok(created.is_some())
}

/// The current (highest) version of `code`, if the code exists.
#[instrument(skip_all)]
pub async fn current(db: &Db, code: &str) -> Result<Option<StoredTariff>, StorageError> {
    let row: Option<TariffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tariffs WHERE code = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.map(TariffRow::into_stored).transpose()
}

/// Version `version` of `code`, if both exist.
#[instrument(skip_all)]
pub async fn version(
    db: &Db,
    code: &str,
    version: i64,
) -> Result<Option<StoredTariff>, StorageError> {
    let row: Option<TariffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tariffs WHERE code = $1 AND version = $2"
    ))
    .bind(code)
    .bind(version)
    .fetch_optional(db.pool())
    .await?;
    row.map(TariffRow::into_stored).transpose()
}

/// The current version of each code after `after_code` (`""` for the first page), ordered
/// by code, at most `limit` of them.
#[instrument(skip_all)]
pub async fn list_current(
    db: &Db,
    after_code: &str,
    limit: i64,
) -> Result<Vec<StoredTariff>, StorageError> {
    let rows: Vec<TariffRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tariffs t WHERE t.code > $1 \
         AND t.version = (SELECT MAX(v.version) FROM tariffs v WHERE v.code = t.code) \
         ORDER BY t.code LIMIT $2"
    ))
    .bind(after_code)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(TariffRow::into_stored).collect()
}
