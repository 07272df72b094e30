//! What a driver's reported actuals may make a rider pay. The driver reports the distance and
//! duration of a ride at its end; nothing stops a dishonest driver from reporting 1000 km in
//! one second. So the price of a ride uses the actuals only as far as they could have
//! happened, and a price above the upfront one only on evidence:
//!
//! 1. **Tolerance.** A report within the tariff's tolerance of the quote: the upfront price
//!    ([`super::pricing::final_ride_price`]), what the rider agreed to; nothing else is asked.
//! 2. **Physics.** Otherwise the price is metered, from actuals that could have happened: the
//!    duration is at most the time that passed between the start and the completion by the
//!    platform's clock (`elapsed_s`); the distance at most what [`MAX_SPEED_KMH`] covers in
//!    that time, and at most the great-circle distance from pickup to drop-off times
//!    [`MAX_DETOUR_BPS`] plus [`DETOUR_ALLOWANCE_M`]. Reported values above a bound are cut
//!    to it, and the ride is flagged (`implausible_actuals`).
//! 3. **Evidence.** Metered below the upfront price: the rider pays less, nothing to prove.
//!    Metered above it: only if the distance of the driver's recorded positions during the
//!    ride (`evidence_distance_m`) covers the distance charged, within
//!    [`EVIDENCE_SLACK_BPS`]. Without it the rider pays the upfront price and the ride is
//!    flagged for review (`unverified_metered`).

use serde::Serialize;

use super::pricing::{self, Basis, Price, PricingError, Quoted};
use super::tariff::{BPS_SCALE, Tariff};

/// The fastest a ride is believed to go on average, in km/h (motorway speed).
pub const MAX_SPEED_KMH: i64 = 130;
/// The longest a route is believed to be, as a share of the great-circle distance (×2).
pub const MAX_DETOUR_BPS: i64 = 20_000;
/// Added to that bound, in metres: short trips with one-way streets and U-turns.
pub const DETOUR_ALLOWANCE_M: i64 = 2_000;
/// How far the distance charged may exceed the recorded positions' distance (10 %: GPS
/// points are sparse and cut corners).
pub const EVIDENCE_SLACK_BPS: i64 = 1_000;

/// What the platform knows about a ride besides the driver's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// Seconds from the start to the completion, by the platform's clock.
    pub elapsed_s: Option<i64>,
    /// Great-circle distance from pickup to drop-off, in metres.
    pub crow_fly_m: Option<i64>,
    /// Distance of the driver's recorded positions during the ride, in metres.
    pub evidence_distance_m: Option<i64>,
}

/// Why a ride's price did not follow the driver's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// The report was beyond what could have happened; it was cut to the bounds.
    ImplausibleActuals,
    /// The report priced above the upfront price without evidence; the upfront price holds.
    UnverifiedMetered,
}

impl ReviewReason {
    /// The `snake_case` name, as serialised and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ImplausibleActuals => "implausible_actuals",
            Self::UnverifiedMetered => "unverified_metered",
        }
    }
}

/// The actuals a price may use: the report cut to the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded {
    /// Distance, in metres.
    pub distance_m: i64,
    /// Duration, in seconds.
    pub duration_s: i64,
    /// Whether either reported value was above its bound.
    pub cut: bool,
}

/// The most distance `elapsed_s` allows at [`MAX_SPEED_KMH`], rounded down.
pub fn max_distance_in(elapsed_s: i64) -> i64 {
    let metres = i128::from(elapsed_s.max(0)) * i128::from(MAX_SPEED_KMH) * 1000 / 3600;
    i64::try_from(metres).unwrap_or(i64::MAX)
}

/// The longest route believed between two points `crow_fly_m` apart.
pub fn max_route_m(crow_fly_m: i64) -> i64 {
    let detour = i128::from(crow_fly_m.max(0)) * i128::from(MAX_DETOUR_BPS) / i128::from(BPS_SCALE);
    i64::try_from(detour)
        .unwrap_or(i64::MAX)
        .saturating_add(DETOUR_ALLOWANCE_M)
}

/// The report cut to what the facts allow (rule 1).
pub fn bound(distance_m: i64, duration_s: i64, facts: &Facts) -> Bounded {
    let mut max_distance = i64::MAX;
    let mut max_duration = i64::MAX;
    if let Some(elapsed) = facts.elapsed_s {
        max_duration = elapsed.max(0);
        max_distance = max_distance_in(elapsed);
    }
    if let Some(crow) = facts.crow_fly_m {
        max_distance = max_distance.min(max_route_m(crow));
    }
    let bounded = Bounded {
        distance_m: distance_m.min(max_distance),
        duration_s: duration_s.min(max_duration),
        cut: false,
    };
    Bounded {
        cut: bounded.distance_m != distance_m || bounded.duration_s != duration_s,
        ..bounded
    }
}

/// Whether the recorded positions cover `distance_m` (rule 3).
pub fn evidence_covers(distance_m: i64, evidence_distance_m: Option<i64>) -> bool {
    evidence_distance_m.is_some_and(|evidence| {
        let allowed = i128::from(evidence.max(0)) * i128::from(BPS_SCALE + EVIDENCE_SLACK_BPS)
            / i128::from(BPS_SCALE);
        i128::from(distance_m) <= allowed
    })
}

/// The final price of a ride under rules 1 to 3, and why it was flagged, if it was.
///
/// # Errors
/// As [`pricing::final_ride_price`].
pub fn bounded_ride_price(
    tariff: &Tariff,
    quoted: &Quoted,
    reported: (i64, i64),
    facts: &Facts,
) -> Result<(Basis, Price, Option<ReviewReason>), PricingError> {
    let as_reported = pricing::final_ride_price(tariff, quoted, reported.0, reported.1)?;
    if as_reported.0 == Basis::Upfront {
        return Ok((as_reported.0, as_reported.1, None));
    }
    let bounded = bound(reported.0, reported.1, facts);
    let mut review = bounded.cut.then_some(ReviewReason::ImplausibleActuals);
    let (basis, price) =
        pricing::final_ride_price(tariff, quoted, bounded.distance_m, bounded.duration_s)?;
    if basis == Basis::Metered
        && price.amount_cents > quoted.amount_cents
        && !evidence_covers(bounded.distance_m, facts.evidence_distance_m)
    {
        review = review.or(Some(ReviewReason::UnverifiedMetered));
        let (basis, upfront) =
            pricing::final_ride_price(tariff, quoted, quoted.distance_m, quoted.duration_s)?;
        return Ok((basis, upfront, review));
    }
    Ok((basis, price, review))
}

#[cfg(test)]
mod tests;
