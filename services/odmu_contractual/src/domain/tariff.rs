//! Tariff terms (the JSON a tariff version is stored and edited as) and their validation.
//!
//! The bounds below are far from real prices; they exist so that every
//! validated tariff prices any in-bound trip without overflow (worst case is
//! about 4·10¹⁰ cents, far below `i64::MAX`), and to catch typos such as a
//! few zeros too many.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::currency::Currency;

/// One whole in basis points: 10 000 bps = 100 % = ×1.
pub const BPS_SCALE: i64 = 10_000;
/// Multiplier meaning "no surge" (×1.00).
pub const NEUTRAL_MULTIPLIER_BPS: i64 = BPS_SCALE;
/// Longest tariff `code`, in characters.
pub const MAX_CODE_LEN: usize = 32;
/// Upper bound of the flat amounts: `base_fare_cents`, `booking_fee_cents`,
/// `minimum_fare_cents`, `cancellation_fee_cents` (100 000.00 in a 2-decimal currency).
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;
/// Upper bound of the rates `per_km_cents` and `per_minute_cents`.
pub const MAX_RATE_CENTS: i64 = 1_000_000;
/// Upper bound of `commission_bps` (the platform keeps everything).
pub const MAX_COMMISSION_BPS: i64 = BPS_SCALE;
/// Lowest `average_speed_kmh`; it divides the default duration, so never 0.
pub const MIN_AVERAGE_SPEED_KMH: i64 = 1;
/// Highest `average_speed_kmh`.
pub const MAX_AVERAGE_SPEED_KMH: i64 = 200;
/// Upper bound of `free_cancellation_s` (one day).
pub const MAX_FREE_CANCELLATION_S: i64 = 86_400;
/// Upper bound of `upfront_tolerance_bps` (±100 %).
pub const MAX_UPFRONT_TOLERANCE_BPS: i64 = BPS_SCALE;
/// Most steps a `surge` table may have.
pub const MAX_SURGE_STEPS: usize = 10;
/// Upper bound of a step's `min_demand_bps` (100 open requests per online driver).
pub const MAX_MIN_DEMAND_BPS: i64 = 1_000_000;
/// Highest value `max_multiplier_bps` may take (×10).
pub const MAX_MULTIPLIER_CAP_BPS: i64 = 100_000;

/// Code of the default tariff.
pub const STANDARD_CODE: &str = "standard";
/// Version of the default tariff returned by [`standard_v1`].
pub const STANDARD_VERSION: i32 = 1;

/// One surge step: from `min_demand_bps` on, fares are multiplied by `multiplier_bps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurgeStep {
    /// Demand (open requests × 10 000 / online drivers) from which this step applies.
    pub min_demand_bps: i64,
    /// Multiplier applied to the fare, in bps (12 000 = ×1.2).
    pub multiplier_bps: i64,
}

/// Tariff terms as received and stored, not yet validated.
///
/// Money fields are in the currency's minor unit. Signed integers so that a
/// negative value reaches [`TariffTerms::validate`] and is reported with the
/// other errors instead of failing deserialisation on the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TariffTerms {
    /// Tariff code, 1..=32 characters of `[a-z0-9_-]`.
    pub code: String,
    /// Active ISO 4217 alpha code, uppercase, e.g. `"EUR"`.
    pub currency: String,
    /// Flat amount every ride starts at.
    pub base_fare_cents: i64,
    /// Fee added after surge, kept entirely by the platform.
    pub booking_fee_cents: i64,
    /// Price per kilometre.
    pub per_km_cents: i64,
    /// Price per minute.
    pub per_minute_cents: i64,
    /// Lowest fare before surge and booking fee.
    pub minimum_fare_cents: i64,
    /// Platform share of the surged fare, in bps.
    pub commission_bps: i64,
    /// Fee charged when a cancellation is billable.
    pub cancellation_fee_cents: i64,
    /// Seconds after booking during which cancelling is free.
    pub free_cancellation_s: i64,
    /// Speed used to estimate a duration the caller did not give.
    pub average_speed_kmh: i64,
    /// How far, in bps of the quoted value, actual distance and duration may
    /// drift while the upfront price still holds.
    pub upfront_tolerance_bps: i64,
    /// Surge table, strictly ascending by `min_demand_bps`.
    pub surge: Vec<SurgeStep>,
    /// Cap on any surge multiplier, in bps.
    pub max_multiplier_bps: i64,
}

/// One invalid field of a tariff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// JSON name of the field, e.g. `surge[1].multiplier_bps`.
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

/// Every field error of a rejected tariff (never empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct ValidationErrors {
    /// The field errors, in field order.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid tariff")?;
        for (index, error) in self.errors.iter().enumerate() {
            f.write_str(if index == 0 { ": " } else { "; " })?;
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// A tariff whose terms passed validation; the only input pricing accepts.
///
/// (De)serialises as [`TariffTerms`]; deserialising validates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TariffTerms", into = "TariffTerms")]
pub struct Tariff {
    terms: TariffTerms,
    currency: Currency,
}

impl Tariff {
    /// Validates `terms`.
    ///
    /// # Errors
    /// [`ValidationErrors`] holding every field error at once.
    pub fn new(terms: TariffTerms) -> Result<Self, ValidationErrors> {
        match terms.check() {
            (Some(currency), errors) if errors.is_empty() => Ok(Tariff { terms, currency }),
            (_, errors) => Err(ValidationErrors { errors }),
        }
    }

    /// The validated terms.
    #[must_use]
    pub fn terms(&self) -> &TariffTerms {
        &self.terms
    }

    /// The parsed currency of the terms.
    #[must_use]
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Gives back the terms, e.g. to edit them into a new version.
    #[must_use]
    pub fn into_terms(self) -> TariffTerms {
        self.terms
    }
}

impl TryFrom<TariffTerms> for Tariff {
    type Error = ValidationErrors;

    fn try_from(terms: TariffTerms) -> Result<Self, Self::Error> {
        Tariff::new(terms)
    }
}

impl From<Tariff> for TariffTerms {
    fn from(tariff: Tariff) -> Self {
        tariff.terms
    }
}

impl TariffTerms {
    /// Checks every field and returns all errors (empty when valid).
    #[must_use]
    pub fn validate(&self) -> Vec<FieldError> {
        self.check().1
    }

    fn check(&self) -> (Option<Currency>, Vec<FieldError>) {
        let mut errors = Errors(Vec::new());

        let code_len = self.code.chars().count();
        if !(1..=MAX_CODE_LEN).contains(&code_len) {
            errors.push("code", format!("must be 1 to {MAX_CODE_LEN} characters"));
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if !self.code.chars().all(allowed) {
            errors.push("code", "may only contain a-z, 0-9, '_' and '-'".to_owned());
        }

        let currency = match Currency::parse(&self.currency) {
            Ok(currency) => Some(currency),
            Err(error) => {
                errors.push("currency", error.to_string());
                None
            }
        };

        errors.range("base_fare_cents", self.base_fare_cents, 0, MAX_AMOUNT_CENTS);
        errors.range(
            "booking_fee_cents",
            self.booking_fee_cents,
            0,
            MAX_AMOUNT_CENTS,
        );
        errors.range("per_km_cents", self.per_km_cents, 0, MAX_RATE_CENTS);
        errors.range("per_minute_cents", self.per_minute_cents, 0, MAX_RATE_CENTS);
        errors.range(
            "minimum_fare_cents",
            self.minimum_fare_cents,
            0,
            MAX_AMOUNT_CENTS,
        );
        errors.range("commission_bps", self.commission_bps, 0, MAX_COMMISSION_BPS);
        errors.range(
            "cancellation_fee_cents",
            self.cancellation_fee_cents,
            0,
            MAX_AMOUNT_CENTS,
        );
        errors.range(
            "free_cancellation_s",
            self.free_cancellation_s,
            0,
            MAX_FREE_CANCELLATION_S,
        );
        errors.range(
            "average_speed_kmh",
            self.average_speed_kmh,
            MIN_AVERAGE_SPEED_KMH,
            MAX_AVERAGE_SPEED_KMH,
        );
        errors.range(
            "upfront_tolerance_bps",
            self.upfront_tolerance_bps,
            0,
            MAX_UPFRONT_TOLERANCE_BPS,
        );
        errors.range(
            "max_multiplier_bps",
            self.max_multiplier_bps,
            NEUTRAL_MULTIPLIER_BPS,
            MAX_MULTIPLIER_CAP_BPS,
        );
        self.check_surge(&mut errors);

        (currency, errors.0)
    }

    fn check_surge(&self, errors: &mut Errors) {
        if self.surge.len() > MAX_SURGE_STEPS {
            errors.push(
                "surge",
                format!("must have at most {MAX_SURGE_STEPS} steps"),
            );
        }
        // With an invalid cap, still bound steps by the absolute limit to report useful errors.
        let cap = if (NEUTRAL_MULTIPLIER_BPS..=MAX_MULTIPLIER_CAP_BPS)
            .contains(&self.max_multiplier_bps)
        {
            self.max_multiplier_bps
        } else {
            MAX_MULTIPLIER_CAP_BPS
        };
        let mut previous: Option<&SurgeStep> = None;
        for (index, step) in self.surge.iter().enumerate() {
            let demand_field = format!("surge[{index}].min_demand_bps");
            let multiplier_field = format!("surge[{index}].multiplier_bps");
            errors.range(&demand_field, step.min_demand_bps, 0, MAX_MIN_DEMAND_BPS);
            if !(NEUTRAL_MULTIPLIER_BPS..=cap).contains(&step.multiplier_bps) {
                errors.push(
                    &multiplier_field,
                    format!(
                        "must be between {NEUTRAL_MULTIPLIER_BPS} and max_multiplier_bps ({cap}), got {}",
                        step.multiplier_bps
                    ),
                );
            }
            if let Some(previous) = previous {
                let before = index.saturating_sub(1);
                if step.min_demand_bps <= previous.min_demand_bps {
                    errors.push(
                        &demand_field,
                        format!("must be greater than surge[{before}].min_demand_bps"),
                    );
                }
                // Non-decreasing so that more demand never lowers the price.
                if step.multiplier_bps < previous.multiplier_bps {
                    errors.push(
                        &multiplier_field,
                        format!("must not be lower than surge[{before}].multiplier_bps"),
                    );
                }
            }
            previous = Some(step);
        }
    }
}

/// Accumulates field errors so that validation reports all of them.
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, field: &str, message: String) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message,
        });
    }

    fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < 0 && min == 0 {
            self.push(field, format!("must not be negative, got {value}"));
        } else if !(min..=max).contains(&value) {
            self.push(
                field,
                format!("must be between {min} and {max}, got {value}"),
            );
        }
    }
}

/// Terms of the default tariff `standard` v1, for a mid-sized European city in EUR.
///
/// A 5 km / 15 min ride costs 13.25 € (see the pricing tests). The surge
/// table tops out at ×2.0; the ×2.5 cap leaves room for a later step without
/// raising the cap. Two free minutes to cancel, then 5.00 €.
#[must_use]
pub fn standard_v1_terms() -> TariffTerms {
    TariffTerms {
        code: STANDARD_CODE.to_owned(),
        currency: Currency::EUR.to_string(),
        base_fare_cents: 250,
        booking_fee_cents: 150,
        per_km_cents: 110,
        per_minute_cents: 25,
        minimum_fare_cents: 700,
        commission_bps: 2_000,
        cancellation_fee_cents: 500,
        free_cancellation_s: 120,
        average_speed_kmh: 25,
        upfront_tolerance_bps: 2_000,
        surge: vec![
            SurgeStep {
                min_demand_bps: 0,
                multiplier_bps: 10_000,
            },
            SurgeStep {
                min_demand_bps: 15_000,
                multiplier_bps: 12_000,
            },
            SurgeStep {
                min_demand_bps: 20_000,
                multiplier_bps: 15_000,
            },
            SurgeStep {
                min_demand_bps: 30_000,
                multiplier_bps: 20_000,
            },
        ],
        max_multiplier_bps: 25_000,
    }
}

/// The default tariff `standard` v1 (see [`standard_v1_terms`]).
#[must_use]
pub fn standard_v1() -> Tariff {
    // Built directly: the terms are constant and a test proves they validate.
    Tariff {
        terms: standard_v1_terms(),
        currency: Currency::EUR,
    }
}

#[cfg(test)]
pub(crate) mod strategies;

#[cfg(test)]
mod tests;
