//! Prices rides and cancellations under a validated [`Tariff`].
//!
//! Integers only, in the currency's minor unit. Every division rounds half
//! up and runs in `i128` with checked operations; results come back to `i64`
//! through [`PricingError::Overflow`], never by wrapping. Each breakdown
//! component is rounded on its own, so components are exact integers that
//! always sum to the amount.

use serde::{Deserialize, Serialize};

use super::currency::Currency;
use super::tariff::{
    BPS_SCALE, MAX_AVERAGE_SPEED_KMH, MIN_AVERAGE_SPEED_KMH, NEUTRAL_MULTIPLIER_BPS, SurgeStep,
    Tariff,
};

/// Shortest distance a quote accepts, in metres.
pub const MIN_DISTANCE_M: i64 = 1;
/// Shortest actual distance of a completed ride: 0, since a ride ended on the
/// spot (or lost GPS) must still be billable.
pub const MIN_ACTUAL_DISTANCE_M: i64 = 0;
/// Longest distance priced, in metres (1 000 km).
pub const MAX_DISTANCE_M: i64 = 1_000_000;
/// Longest duration priced, in seconds (48 h); also the ceiling of [`default_duration_s`].
pub const MAX_DURATION_S: i64 = 172_800;
/// Lowest demand; demand has no upper bound since it is only compared.
pub const MIN_DEMAND_BPS: i64 = 0;

/// Name of one line of a price breakdown (serialised in `snake_case`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    /// The tariff's base fare.
    BaseFare,
    /// Distance charge: `round(per_km_cents × distance_m / 1000)`.
    Distance,
    /// Time charge: `round(per_minute_cents × duration_s / 60)`.
    Time,
    /// Top-up to the minimum fare: `max(0, minimum − (base + distance + time))`.
    MinimumFareAdjustment,
    /// Surge on top of the fare: `surged − fare` (0 at ×1).
    Surge,
    /// The tariff's booking fee.
    BookingFee,
    /// The whole amount of a cancellation.
    CancellationFee,
}

impl ComponentKind {
    /// The `snake_case` name, as serialised.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::BaseFare => "base_fare",
            ComponentKind::Distance => "distance",
            ComponentKind::Time => "time",
            ComponentKind::MinimumFareAdjustment => "minimum_fare_adjustment",
            ComponentKind::Surge => "surge",
            ComponentKind::BookingFee => "booking_fee",
            ComponentKind::CancellationFee => "cancellation_fee",
        }
    }
}

/// One line of a price breakdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// What this line is.
    pub component: ComponentKind,
    /// Its amount in minor units.
    pub amount_cents: i64,
}

/// How a final price was reached (serialised lowercase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// The quoted price holds: the ride stayed within tolerance.
    Upfront,
    /// Recomputed from the actual distance and duration.
    Metered,
    /// A cancellation fee.
    Cancellation,
}

/// A price and how it splits between platform and driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// What the rider pays; the sum of `breakdown`.
    pub amount_cents: i64,
    /// Platform share: commission on the surged fare plus the booking fee.
    pub platform_cents: i64,
    /// Driver share: `amount_cents − platform_cents`.
    pub driver_cents: i64,
    /// Currency of every amount here.
    pub currency: Currency,
    /// Surge multiplier applied, in bps (10 000 = none).
    pub multiplier_bps: i64,
    /// Components in a fixed order, zeros included, summing to `amount_cents`.
    pub breakdown: Vec<Component>,
}

/// What was quoted for a ride, as stored with it, to settle its final price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quoted {
    /// Distance the quote was priced for, in metres.
    pub distance_m: i64,
    /// Duration the quote was priced for (given or defaulted), in seconds.
    pub duration_s: i64,
    /// Multiplier the quote applied, in bps.
    pub multiplier_bps: i64,
    /// Amount quoted to the rider, in minor units.
    pub amount_cents: i64,
}

impl Quoted {
    /// Records a quote priced for `distance_m` and `duration_s`.
    #[must_use]
    pub fn new(distance_m: i64, duration_s: i64, price: &Price) -> Self {
        Quoted {
            distance_m,
            duration_s,
            multiplier_bps: price.multiplier_bps,
            amount_cents: price.amount_cents,
        }
    }
}

/// Why a price could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// An input is outside its documented bounds.
    #[error("{field} must be between {min} and {max}, got {value}")]
    OutOfRange {
        /// Name of the input, e.g. `distance_m` or `quoted.multiplier_bps`.
        field: &'static str,
        /// The rejected value.
        value: i64,
        /// Lowest accepted value.
        min: i64,
        /// Highest accepted value.
        max: i64,
    },
    /// A result does not fit in `i64`; unreachable for validated tariffs and
    /// in-bound inputs, kept so arithmetic never wraps.
    #[error("arithmetic overflow while pricing")]
    Overflow,
    /// Re-pricing the quote gave another amount: most likely not the tariff
    /// version the quote was made under.
    #[error(
        "quoted amount {quoted_cents} differs from {recomputed_cents} recomputed from the quote's inputs"
    )]
    QuoteMismatch {
        /// Amount stored with the quote.
        quoted_cents: i64,
        /// Amount the given tariff yields for the quote's inputs.
        recomputed_cents: i64,
    },
}

/// Demand in bps: `round(open_requests × 10 000 / max(online_drivers, 1))`,
/// saturating at `i64::MAX`.
#[must_use]
pub fn demand_bps(open_requests: u64, online_drivers: u64) -> i64 {
    let drivers = u128::from(online_drivers.max(1));
    // Cannot overflow: below 2^79. Half up as every other division here.
    let demand = (u128::from(open_requests) * 20_000 + drivers) / (2 * drivers);
    i64::try_from(demand).unwrap_or(i64::MAX)
}

/// The highest `multiplier_bps` among steps with `min_demand_bps ≤ demand_bps`,
/// capped at `max_multiplier_bps`; [`NEUTRAL_MULTIPLIER_BPS`] when no step applies.
///
/// For a validated tariff steps never exceed the cap; the cap is kept as a
/// second line of defence.
#[must_use]
pub fn multiplier_for(surge: &[SurgeStep], max_multiplier_bps: i64, demand_bps: i64) -> i64 {
    surge
        .iter()
        .filter(|step| step.min_demand_bps <= demand_bps)
        .map(|step| step.multiplier_bps)
        .max()
        .map_or(NEUTRAL_MULTIPLIER_BPS, |multiplier| {
            multiplier.min(max_multiplier_bps)
        })
}

/// Estimated duration when the caller gives none:
/// `round(distance_m × 3600 / (average_speed_kmh × 1000))`, clamped to
/// [`MAX_DURATION_S`] so that an estimate is always quotable.
///
/// # Errors
/// [`PricingError::OutOfRange`] unless `distance_m` is in `0..=MAX_DISTANCE_M`
/// and the speed within the tariff bounds.
pub fn default_duration_s(distance_m: i64, average_speed_kmh: i64) -> Result<i64, PricingError> {
    check_range(
        "distance_m",
        distance_m,
        MIN_ACTUAL_DISTANCE_M,
        MAX_DISTANCE_M,
    )?;
    check_range(
        "average_speed_kmh",
        average_speed_kmh,
        MIN_AVERAGE_SPEED_KMH,
        MAX_AVERAGE_SPEED_KMH,
    )?;
    let seconds = div_half_up(
        mul(i128::from(distance_m), 3_600)?,
        mul(i128::from(average_speed_kmh), 1_000)?,
    )?;
    Ok(to_i64(seconds)?.min(MAX_DURATION_S))
}

/// Prices a ride request: the multiplier comes from `demand_bps` via the tariff's surge table.
///
/// Bounds: `distance_m` in `MIN_DISTANCE_M..=MAX_DISTANCE_M`, `duration_s` in
/// `0..=MAX_DURATION_S`, `demand_bps ≥ 0`.
///
/// # Errors
/// [`PricingError::OutOfRange`] outside those bounds; always `Ok` within them.
pub fn quote(
    tariff: &Tariff,
    distance_m: i64,
    duration_s: i64,
    demand_bps: i64,
) -> Result<Price, PricingError> {
    check_range("distance_m", distance_m, MIN_DISTANCE_M, MAX_DISTANCE_M)?;
    check_range("duration_s", duration_s, 0, MAX_DURATION_S)?;
    check_range("demand_bps", demand_bps, MIN_DEMAND_BPS, i64::MAX)?;
    let terms = tariff.terms();
    let multiplier_bps = multiplier_for(&terms.surge, terms.max_multiplier_bps, demand_bps);
    compute(tariff, distance_m, duration_s, multiplier_bps)
}

/// Prices a ride at a given multiplier (e.g. the one a quote fixed).
///
/// Bounds: `distance_m` in `MIN_ACTUAL_DISTANCE_M..=MAX_DISTANCE_M`,
/// `duration_s` in `0..=MAX_DURATION_S`, `multiplier_bps` in
/// `NEUTRAL_MULTIPLIER_BPS..=max_multiplier_bps` of the tariff.
///
/// # Errors
/// [`PricingError::OutOfRange`] outside those bounds; always `Ok` within them.
pub fn price_at_multiplier(
    tariff: &Tariff,
    distance_m: i64,
    duration_s: i64,
    multiplier_bps: i64,
) -> Result<Price, PricingError> {
    check_range(
        "distance_m",
        distance_m,
        MIN_ACTUAL_DISTANCE_M,
        MAX_DISTANCE_M,
    )?;
    check_range("duration_s", duration_s, 0, MAX_DURATION_S)?;
    let max_multiplier_bps = tariff.terms().max_multiplier_bps;
    check_range(
        "multiplier_bps",
        multiplier_bps,
        NEUTRAL_MULTIPLIER_BPS,
        max_multiplier_bps,
    )?;
    compute(tariff, distance_m, duration_s, multiplier_bps)
}

/// Whether `actual` is within `tolerance_bps` of `quoted`:
/// `|actual − quoted| × 10 000 ≤ quoted × tolerance_bps`.
///
/// The boundary itself is within. With `quoted = 0` only `actual = 0` is
/// within: no relative drift can be measured from nothing.
#[must_use]
pub fn within_tolerance(quoted: i64, actual: i64, tolerance_bps: i64) -> bool {
    // In i128 the products of i64 values cannot overflow.
    let drift = (i128::from(actual) - i128::from(quoted)).abs() * i128::from(BPS_SCALE);
    drift <= i128::from(quoted) * i128::from(tolerance_bps)
}

/// Final price of a completed ride.
///
/// Upfront (the quote, same breakdown) when both actual distance and actual
/// duration are [`within_tolerance`] of the quoted ones; otherwise metered:
/// re-priced from the actuals at the quote's multiplier. `tariff` must be the
/// version the quote was made under: the quote is re-priced and compared with
/// `quoted.amount_cents`.
///
/// # Errors
/// [`PricingError::OutOfRange`] when a quoted value is outside the quote bounds
/// or an actual one outside the ride bounds (actual distance may be 0);
/// [`PricingError::QuoteMismatch`] when the tariff does not reproduce the quote.
pub fn final_ride_price(
    tariff: &Tariff,
    quoted: &Quoted,
    actual_distance_m: i64,
    actual_duration_s: i64,
) -> Result<(Basis, Price), PricingError> {
    let terms = tariff.terms();
    check_range(
        "quoted.distance_m",
        quoted.distance_m,
        MIN_DISTANCE_M,
        MAX_DISTANCE_M,
    )?;
    check_range("quoted.duration_s", quoted.duration_s, 0, MAX_DURATION_S)?;
    check_range(
        "quoted.multiplier_bps",
        quoted.multiplier_bps,
        NEUTRAL_MULTIPLIER_BPS,
        terms.max_multiplier_bps,
    )?;
    check_range(
        "actual_distance_m",
        actual_distance_m,
        MIN_ACTUAL_DISTANCE_M,
        MAX_DISTANCE_M,
    )?;
    check_range("actual_duration_s", actual_duration_s, 0, MAX_DURATION_S)?;

    let upfront = compute(
        tariff,
        quoted.distance_m,
        quoted.duration_s,
        quoted.multiplier_bps,
    )?;
    if upfront.amount_cents != quoted.amount_cents {
        return Err(PricingError::QuoteMismatch {
            quoted_cents: quoted.amount_cents,
            recomputed_cents: upfront.amount_cents,
        });
    }
    let tolerance = terms.upfront_tolerance_bps;
    if within_tolerance(quoted.distance_m, actual_distance_m, tolerance)
        && within_tolerance(quoted.duration_s, actual_duration_s, tolerance)
    {
        return Ok((Basis::Upfront, upfront));
    }
    let metered = compute(
        tariff,
        actual_distance_m,
        actual_duration_s,
        quoted.multiplier_bps,
    )?;
    Ok((Basis::Metered, metered))
}

/// Price of a billable cancellation (whether one is owed is decided elsewhere):
/// the tariff's fee, platform `round(fee × commission_bps / 10 000)`, driver the rest.
///
/// Basis [`Basis::Cancellation`].
///
/// # Errors
/// None for a validated tariff; the `Result` keeps the arithmetic checked.
pub fn cancellation_price(tariff: &Tariff) -> Result<Price, PricingError> {
    let terms = tariff.terms();
    let fee = i128::from(terms.cancellation_fee_cents);
    let platform = div_half_up(
        mul(fee, i128::from(terms.commission_bps))?,
        i128::from(BPS_SCALE),
    )?;
    Ok(Price {
        amount_cents: to_i64(fee)?,
        platform_cents: to_i64(platform)?,
        driver_cents: to_i64(sub(fee, platform)?)?,
        currency: tariff.currency(),
        multiplier_bps: NEUTRAL_MULTIPLIER_BPS,
        breakdown: vec![component(ComponentKind::CancellationFee, fee)?],
    })
}

/// The pricing formula itself; callers have checked the input bounds.
fn compute(
    tariff: &Tariff,
    distance_m: i64,
    duration_s: i64,
    multiplier_bps: i64,
) -> Result<Price, PricingError> {
    let terms = tariff.terms();
    let bps = i128::from(BPS_SCALE);
    let base = i128::from(terms.base_fare_cents);
    let distance = div_half_up(
        mul(i128::from(terms.per_km_cents), i128::from(distance_m))?,
        1_000,
    )?;
    let time = div_half_up(
        mul(i128::from(terms.per_minute_cents), i128::from(duration_s))?,
        60,
    )?;
    let subtotal = add(add(base, distance)?, time)?;
    let fare = subtotal.max(i128::from(terms.minimum_fare_cents));
    let surged = div_half_up(mul(fare, i128::from(multiplier_bps))?, bps)?;
    let booking_fee = i128::from(terms.booking_fee_cents);
    let amount = add(surged, booking_fee)?;
    // The booking fee is the platform's alone; commission applies to the surged fare.
    let platform = add(
        div_half_up(mul(surged, i128::from(terms.commission_bps))?, bps)?,
        booking_fee,
    )?;
    Ok(Price {
        amount_cents: to_i64(amount)?,
        platform_cents: to_i64(platform)?,
        driver_cents: to_i64(sub(amount, platform)?)?,
        currency: tariff.currency(),
        multiplier_bps,
        breakdown: vec![
            component(ComponentKind::BaseFare, base)?,
            component(ComponentKind::Distance, distance)?,
            component(ComponentKind::Time, time)?,
            component(ComponentKind::MinimumFareAdjustment, sub(fare, subtotal)?)?,
            component(ComponentKind::Surge, sub(surged, fare)?)?,
            component(ComponentKind::BookingFee, booking_fee)?,
        ],
    })
}

fn check_range(field: &'static str, value: i64, min: i64, max: i64) -> Result<i64, PricingError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(PricingError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

/// `numerator / denominator` rounded half up, for non-negative operands:
/// `floor((2n + d) / 2d)`, exact for odd denominators too.
fn div_half_up(numerator: i128, denominator: i128) -> Result<i128, PricingError> {
    let doubled = mul(numerator, 2)?;
    add(doubled, denominator)?
        .checked_div(mul(denominator, 2)?)
        .ok_or(PricingError::Overflow)
}

fn mul(a: i128, b: i128) -> Result<i128, PricingError> {
    a.checked_mul(b).ok_or(PricingError::Overflow)
}

fn add(a: i128, b: i128) -> Result<i128, PricingError> {
    a.checked_add(b).ok_or(PricingError::Overflow)
}

fn sub(a: i128, b: i128) -> Result<i128, PricingError> {
    a.checked_sub(b).ok_or(PricingError::Overflow)
}

fn to_i64(value: i128) -> Result<i64, PricingError> {
    i64::try_from(value).map_err(|_| PricingError::Overflow)
}

fn component(kind: ComponentKind, amount: i128) -> Result<Component, PricingError> {
    Ok(Component {
        component: kind,
        amount_cents: to_i64(amount)?,
    })
}

#[cfg(test)]
mod tests;
