//! Tariffs: admins publish versions of a code; every version is kept unchanged, and anyone
//! with a token may read them.

pub mod create;
pub mod current;
pub mod list;
pub mod version;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use crate::domain::currency::ACTIVE_ISO_4217_CODES;
use crate::domain::tariff::{SurgeStep, TariffTerms};
use crate::store::tariffs::StoredTariff;
use odmu_http::integer;

/// The document's pattern for a tariff code (the domain's rule: 1 to 32 of `a-z 0-9 _ -`).
pub const CODE_PATTERN: &str = "^[a-z0-9_-]{1,32}$";

/// Whether `code` could name a tariff (anything else cannot exist, so it is simply unknown).
pub fn is_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The currency as the document lists it: exactly the codes the domain accepts, so a
/// schema-valid currency is never refused.
fn currency_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Active ISO 4217 code, upper case (e.g. `EUR`); every amount is in its minor unit.",
        ))
        .enum_values(Some(ACTIVE_ISO_4217_CODES.iter().copied()))
        .build()
}

/// One step of a surge table: from `min_demand_bps` on, fares are multiplied by
/// `multiplier_bps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Demand from which the step applies: open requests × 10 000 per online driver near the
    /// pickup. 0 to 1 000 000; strictly greater than the previous step's.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub min_demand_bps: i64,
    /// Multiplier of the fare in bps (12 000 = ×1.2): 10 000 to `max_multiplier_bps`, and not
    /// lower than the previous step's.
    #[schema(minimum = 10000, maximum = 100000)]
    #[serde(deserialize_with = "integer::exact")]
    pub multiplier_bps: i64,
}

impl From<Step> for SurgeStep {
    fn from(s: Step) -> Self {
        Self {
            min_demand_bps: s.min_demand_bps,
            multiplier_bps: s.multiplier_bps,
        }
    }
}

impl From<&SurgeStep> for Step {
    fn from(s: &SurgeStep) -> Self {
        Self {
            min_demand_bps: s.min_demand_bps,
            multiplier_bps: s.multiplier_bps,
        }
    }
}

/// A new version of a tariff: its whole terms. Amounts are integers in the currency's minor
/// unit; `bps` are basis points (10 000 = 100 % = ×1).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TariffInput {
    /// The tariff's code: 1 to 32 of `a-z`, `0-9`, `_`, `-`. Publishing an existing code makes
    /// its next version.
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")]
    pub code: String,
    /// Active ISO 4217 code, upper case.
    #[schema(schema_with = currency_schema)]
    pub currency: String,
    /// Flat amount every ride starts at; 0 to 10 000 000.
    #[schema(minimum = 0, maximum = 10000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub base_fare_cents: i64,
    /// Added after surge, kept by the platform; 0 to 10 000 000.
    #[schema(minimum = 0, maximum = 10000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub booking_fee_cents: i64,
    /// Price per kilometre; 0 to 1 000 000.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub per_km_cents: i64,
    /// Price per minute; 0 to 1 000 000.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub per_minute_cents: i64,
    /// Lowest fare before surge and booking fee; 0 to 10 000 000.
    #[schema(minimum = 0, maximum = 10000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub minimum_fare_cents: i64,
    /// The platform's share of the surged fare, in bps; 0 to 10 000.
    #[schema(minimum = 0, maximum = 10000)]
    #[serde(deserialize_with = "integer::exact")]
    pub commission_bps: i64,
    /// What a billable cancellation costs; 0 to 10 000 000.
    #[schema(minimum = 0, maximum = 10000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub cancellation_fee_cents: i64,
    /// Seconds after acceptance during which cancelling is free; 0 to 86 400.
    #[schema(minimum = 0, maximum = 86400)]
    #[serde(deserialize_with = "integer::exact")]
    pub free_cancellation_s: i64,
    /// Speed that estimates a duration the caller does not give; 1 to 200.
    #[schema(minimum = 1, maximum = 200)]
    #[serde(deserialize_with = "integer::exact")]
    pub average_speed_kmh: i64,
    /// How far actual distance and duration may each drift from the quote's, in bps of the
    /// quoted value, with the quoted price still holding; 0 to 10 000.
    #[schema(minimum = 0, maximum = 10000)]
    #[serde(deserialize_with = "integer::exact")]
    pub upfront_tolerance_bps: i64,
    /// The surge table: at most 10 steps, `min_demand_bps` strictly ascending, multipliers
    /// non-decreasing and at most `max_multiplier_bps`. Empty means never any surge.
    #[schema(max_items = 10)]
    pub surge: Vec<Step>,
    /// Cap on any multiplier, in bps; 10 000 to 100 000.
    #[schema(minimum = 10000, maximum = 100000)]
    #[serde(deserialize_with = "integer::exact")]
    pub max_multiplier_bps: i64,
}

impl From<TariffInput> for TariffTerms {
    fn from(t: TariffInput) -> Self {
        Self {
            code: t.code,
            currency: t.currency,
            base_fare_cents: t.base_fare_cents,
            booking_fee_cents: t.booking_fee_cents,
            per_km_cents: t.per_km_cents,
            per_minute_cents: t.per_minute_cents,
            minimum_fare_cents: t.minimum_fare_cents,
            commission_bps: t.commission_bps,
            cancellation_fee_cents: t.cancellation_fee_cents,
            free_cancellation_s: t.free_cancellation_s,
            average_speed_kmh: t.average_speed_kmh,
            upfront_tolerance_bps: t.upfront_tolerance_bps,
            surge: t.surge.into_iter().map(SurgeStep::from).collect(),
            max_multiplier_bps: t.max_multiplier_bps,
        }
    }
}

/// One version of a tariff, as published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TariffView {
    /// The tariff's code.
    pub code: String,
    /// This version's number (1, 2, 3... per code).
    pub version: i64,
    /// Active ISO 4217 code.
    #[schema(schema_with = currency_schema)]
    pub currency: String,
    /// Flat amount every ride starts at.
    pub base_fare_cents: i64,
    /// Added after surge, kept by the platform.
    pub booking_fee_cents: i64,
    /// Price per kilometre.
    pub per_km_cents: i64,
    /// Price per minute.
    pub per_minute_cents: i64,
    /// Lowest fare before surge and booking fee.
    pub minimum_fare_cents: i64,
    /// The platform's share of the surged fare, in bps.
    pub commission_bps: i64,
    /// What a billable cancellation costs.
    pub cancellation_fee_cents: i64,
    /// Seconds after acceptance during which cancelling is free.
    pub free_cancellation_s: i64,
    /// Speed that estimates a missing duration.
    pub average_speed_kmh: i64,
    /// Drift of the actuals within which the quoted price holds, in bps.
    pub upfront_tolerance_bps: i64,
    /// The surge table.
    pub surge: Vec<Step>,
    /// Cap on any multiplier, in bps.
    pub max_multiplier_bps: i64,
    /// When this version was published (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<StoredTariff> for TariffView {
    fn from(stored: StoredTariff) -> Self {
        let t = stored.tariff.into_terms();
        Self {
            surge: t.surge.iter().map(Step::from).collect(),
            code: t.code,
            version: stored.version,
            currency: t.currency,
            base_fare_cents: t.base_fare_cents,
            booking_fee_cents: t.booking_fee_cents,
            per_km_cents: t.per_km_cents,
            per_minute_cents: t.per_minute_cents,
            minimum_fare_cents: t.minimum_fare_cents,
            commission_bps: t.commission_bps,
            cancellation_fee_cents: t.cancellation_fee_cents,
            free_cancellation_s: t.free_cancellation_s,
            average_speed_kmh: t.average_speed_kmh,
            upfront_tolerance_bps: t.upfront_tolerance_bps,
            max_multiplier_bps: t.max_multiplier_bps,
            created_at: odmu_storage::rfc3339(stored.created_at_ms),
        }
    }
}
