//! `POST /contract/v1/internal/prices`: the final price of a quoted ride, or of its
//! cancellation (service tokens only).

use axum::extract::State;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::fare_bounds::{self, Facts, ReviewReason};
use crate::domain::pricing::{
    self, Basis, MAX_DISTANCE_M, MAX_DURATION_S, MIN_ACTUAL_DISTANCE_M, Price, Quoted,
};
use crate::routes::quotes::Line;
use crate::store::quotes::QuoteRow;
use crate::{AppState, Error, store};
use odmu_http::{Fields, integer};
use odmu_ids::QuoteId;

/// What is being priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A completed ride.
    Ride,
    /// A billable cancellation (whether one is owed is the caller's decision).
    Cancellation,
}

/// A quote to settle.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    /// The quote the ride was booked with.
    #[schema(format = "uuid")]
    pub quote_id: String,
    /// A ride or a cancellation.
    pub kind: Kind,
    /// Actual distance in metres, 0 to 1 000 000 (a ride ended on the spot is 0). Rides
    /// only; ignored for a cancellation. Absent: the quoted distance.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub distance_m: Option<i64>,
    /// Actual duration in seconds, 0 to 172 800. Rides only; ignored for a cancellation.
    /// Absent: the quoted duration.
    #[schema(minimum = 0, maximum = 172800)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub duration_s: Option<i64>,
    /// Seconds from the ride's start to its completion by the platform's clock, 0 to
    /// 172 800: the duration charged is at most this, the distance at most 130 km/h of it.
    /// Rides only.
    #[schema(minimum = 0, maximum = 172800)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub elapsed_s: Option<i64>,
    /// Distance of the driver's recorded positions during the ride, in metres, 0 to
    /// 1 000 000: the evidence a price above the upfront one needs. Rides only.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub evidence_distance_m: Option<i64>,
}

/// How the final price was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BasisName {
    /// The quoted price: the actuals were within the tariff's tolerance of the quote.
    Upfront,
    /// Recomputed from the actuals, under the quote's tariff version and multiplier.
    Metered,
    /// The cancellation fee of the quote's tariff version.
    Cancellation,
}

impl From<Basis> for BasisName {
    fn from(b: Basis) -> Self {
        match b {
            Basis::Upfront => Self::Upfront,
            Basis::Metered => Self::Metered,
            Basis::Cancellation => Self::Cancellation,
        }
    }
}

/// A final price and its split.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FinalPrice {
    /// The quote it settles.
    pub quote_id: QuoteId,
    /// The tariff of the quote.
    pub tariff_code: String,
    /// The tariff version of the quote (always that one, even if the tariff changed since).
    pub tariff_version: i64,
    /// ISO 4217 code of every amount.
    pub currency: String,
    /// What the rider owes: the sum of `breakdown`.
    pub amount_cents: i64,
    /// The platform's share.
    pub platform_cents: i64,
    /// The driver's share: `amount_cents - platform_cents`.
    pub driver_cents: i64,
    /// `upfront`, `metered` or `cancellation`.
    pub basis: BasisName,
    /// Surge multiplier applied, in bps (the quote's; 10 000 for a cancellation).
    pub surge_multiplier_bps: i64,
    /// The lines of the price, summing to `amount_cents`.
    pub breakdown: Vec<Line>,
    /// Set when the driver's report was not what the rider paid for: cut to what could have
    /// happened (`implausible_actuals`), or priced above the quote without evidence
    /// (`unverified_metered`, the upfront price then holds). An admin reviews these.
    pub review: Option<FareReview>,
}

/// Why a ride's price did not follow the driver's report, and what was reported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FareReview {
    /// `implausible_actuals` or `unverified_metered`.
    #[schema(value_type = String, example = "unverified_metered")]
    pub reason: ReviewReason,
    /// The distance the driver reported, in metres.
    pub reported_distance_m: i64,
    /// The duration the driver reported, in seconds.
    pub reported_duration_s: i64,
}

/// The final price of the ride booked with a quote, or of its cancellation, always under the
/// quote's tariff version and multiplier. The reported actuals count only as far as they could
/// have happened (`elapsed_s`, 130 km/h, twice the straight line plus 2 km). A ride within
/// the tariff's tolerance of the quote (or given no actuals) costs the quoted price; otherwise
/// it is metered from the actuals, but above the quoted price only on evidence
/// (`evidence_distance_m`): without it the quoted price holds and `review` says why.
/// An expired quote still prices its ride: the ride started before it expired.
#[utoipa::path(
    post, path = "/v1/internal/prices", operation_id = "price_quote", tag = "prices", security(("bearer" = [])),
    request_body = PriceInput,
    responses(
        (status = 200, description = "The final price", body = FinalPrice),
        (status = 404, description = "No such quote (or asked through the public load balancer, which does not serve internal paths)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Json(input): Json<PriceInput>,
) -> Result<Json<FinalPrice>, Error> {
    let mut fields = Fields::new("The price request is not valid.");
    let quote_id = QuoteId::parse(&input.quote_id);
    if quote_id.is_none() {
        fields.fail("quote_id", "must be a UUID");
    }
    // Checked for a cancellation too (where they are ignored): the document bounds them.
    fields.range_opt(
        "distance_m",
        input.distance_m,
        MIN_ACTUAL_DISTANCE_M,
        MAX_DISTANCE_M,
    );
    fields.range_opt("duration_s", input.duration_s, 0, MAX_DURATION_S);
    fields.range_opt("elapsed_s", input.elapsed_s, 0, MAX_DURATION_S);
    fields.range_opt(
        "evidence_distance_m",
        input.evidence_distance_m,
        0,
        MAX_DISTANCE_M,
    );
    fields.finish()?;
    let quote = match quote_id {
        Some(id) => store::quotes::get(state.db(), id).await?,
        None => None,
    }
    .ok_or_else(|| Problem::not_found("No such quote."))?;
    let stored = store::tariffs::version(state.db(), &quote.tariff_code, quote.tariff_version)
        .await?
        .ok_or_else(|| Problem::internal("a quote's tariff version is missing"))?;
    let mut review = None;
    let (basis, price): (Basis, Price) = match input.kind {
        Kind::Ride => {
            let quoted = Quoted {
                distance_m: quote.distance_m,
                duration_s: quote.duration_s,
                multiplier_bps: quote.multiplier_bps,
                amount_cents: quote.amount_cents,
            };
            let reported = (
                input.distance_m.unwrap_or(quote.distance_m),
                input.duration_s.unwrap_or(quote.duration_s),
            );
            let facts = Facts {
                elapsed_s: input.elapsed_s,
                crow_fly_m: crow_fly_m(&quote),
                evidence_distance_m: input.evidence_distance_m,
            };
            let (basis, price, reason) =
                fare_bounds::bounded_ride_price(&stored.tariff, &quoted, reported, &facts)?;
            if let Some(reason) = reason {
                tracing::warn!(
                    security_event = "fare_review",
                    reason = reason.as_str(),
                    quote_id = %quote.id,
                    reported_distance_m = reported.0,
                    reported_duration_s = reported.1,
                    elapsed_s = ?input.elapsed_s,
                    "a ride's reported actuals were not priced as reported"
                );
                review = Some(FareReview {
                    reason,
                    reported_distance_m: reported.0,
                    reported_duration_s: reported.1,
                });
            }
            (basis, price)
        }
        Kind::Cancellation => (
            Basis::Cancellation,
            pricing::cancellation_price(&stored.tariff)?,
        ),
    };
    Ok(Json(FinalPrice {
        quote_id: quote.id,
        tariff_code: quote.tariff_code,
        tariff_version: quote.tariff_version,
        currency: price.currency.to_string(),
        amount_cents: price.amount_cents,
        platform_cents: price.platform_cents,
        driver_cents: price.driver_cents,
        basis: basis.into(),
        surge_multiplier_bps: price.multiplier_bps,
        breakdown: price.breakdown.iter().map(Line::from).collect(),
        review,
    }))
}

/// The great-circle distance from the quote's pickup to its drop-off, when it has both.
fn crow_fly_m(quote: &QuoteRow) -> Option<i64> {
    use geo::{Distance as _, Haversine};
    let (Some(plat), Some(plon), Some(dlat), Some(dlon)) = (
        quote.pickup_lat,
        quote.pickup_lon,
        quote.dropoff_lat,
        quote.dropoff_lon,
    ) else {
        return None;
    };
    let metres = Haversine.distance(geo::Point::new(plon, plat), geo::Point::new(dlon, dlat));
    // Metres on Earth fit an i64; rounded down, the bound errs toward the rider.
    Some(metres as i64)
}
