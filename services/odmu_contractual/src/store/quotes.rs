//! Quotes: written once when made, read when shown or priced.

use odmu_ids::{QuoteId, RiderId};
use odmu_storage::{Db, StorageError, sqlx};
use tracing::instrument;

/// A stored quote: everything that reproduces its price.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct QuoteRow {
    /// The quote's id.
    pub id: QuoteId,
    /// The rider it is for.
    pub rider_id: RiderId,
    /// The rider, or the service that quoted on the rider's behalf.
    pub created_by: String,
    /// Tariff code.
    pub tariff_code: String,
    /// The tariff version it was priced under.
    pub tariff_version: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// Distance priced, in metres.
    pub distance_m: i64,
    /// Duration priced (given or estimated), in seconds.
    pub duration_s: i64,
    /// Demand the multiplier came from (0 unless a service gave one).
    pub demand_bps: i64,
    /// Surge multiplier applied, in bps.
    pub multiplier_bps: i64,
    /// Breakdown line `base_fare`.
    pub base_fare_cents: i64,
    /// Breakdown line `distance`.
    pub distance_cents: i64,
    /// Breakdown line `time`.
    pub time_cents: i64,
    /// Breakdown line `minimum_fare_adjustment`.
    pub minimum_fare_adjustment_cents: i64,
    /// Breakdown line `surge`.
    pub surge_cents: i64,
    /// Breakdown line `booking_fee`.
    pub booking_fee_cents: i64,
    /// What the rider pays.
    pub amount_cents: i64,
    /// The platform's share.
    pub platform_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// Pickup latitude, if given.
    pub pickup_lat: Option<f64>,
    /// Pickup longitude, if given.
    pub pickup_lon: Option<f64>,
    /// Drop-off latitude, if given.
    pub dropoff_lat: Option<f64>,
    /// Drop-off longitude, if given.
    pub dropoff_lon: Option<f64>,
    /// When it was made, ms since the epoch.
    pub created_at_ms: i64,
    /// When it stops being bookable, ms since the epoch.
    pub expires_at_ms: i64,
}

impl QuoteRow {
    /// Whether a trip can be booked with it: a service priced it (a rider's quotes are made
    /// by the rider, `created_by` = `rider_id`) from both points. Such a quote's distance came
    /// from the route and its multiplier from the demand the platform measured; a rider's own
    /// quote carries the rider's numbers and is an estimate only.
    pub fn is_bookable(&self) -> bool {
        self.created_by != self.rider_id.to_string()
            && self.pickup_lat.is_some()
            && self.dropoff_lat.is_some()
    }
}

const COLUMNS: &str = "id, rider_id, created_by, tariff_code, tariff_version, currency, \
     distance_m, duration_s, demand_bps, multiplier_bps, base_fare_cents, distance_cents, \
     time_cents, minimum_fare_adjustment_cents, surge_cents, booking_fee_cents, amount_cents, \
     platform_cents, driver_cents, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon, \
     created_at_ms, expires_at_ms";

/// Stores a new quote.
#[instrument(skip_all)]
pub async fn insert(db: &Db, q: &QuoteRow) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "INSERT INTO quotes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(q.id)
    .bind(q.rider_id)
    .bind(q.created_by.as_str())
    .bind(q.tariff_code.as_str())
    .bind(q.tariff_version)
    .bind(q.currency.as_str())
    .bind(q.distance_m)
    .bind(q.duration_s)
    .bind(q.demand_bps)
    .bind(q.multiplier_bps)
    .bind(q.base_fare_cents)
    .bind(q.distance_cents)
    .bind(q.time_cents)
    .bind(q.minimum_fare_adjustment_cents)
    .bind(q.surge_cents)
    .bind(q.booking_fee_cents)
    .bind(q.amount_cents)
    .bind(q.platform_cents)
    .bind(q.driver_cents)
    .bind(q.pickup_lat)
    .bind(q.pickup_lon)
    .bind(q.dropoff_lat)
    .bind(q.dropoff_lon)
    .bind(q.created_at_ms)
    .bind(q.expires_at_ms)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// The quote `id`, if it exists (expired or not).
#[instrument(skip_all)]
pub async fn get(db: &Db, id: QuoteId) -> Result<Option<QuoteRow>, StorageError> {
    Ok(
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM quotes WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?,
    )
}
