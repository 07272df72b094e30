//! `POST /contract/v1/quotes`: prices a ride for a rider (the rider, or a service on the
//! rider's behalf).

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, Role, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Point, QuoteView};
use crate::domain::pricing::{
    self, ComponentKind, MAX_DISTANCE_M, MAX_DURATION_S, MIN_DISTANCE_M, Price,
};
use crate::domain::tariff::STANDARD_CODE;
use crate::routes::tariffs::is_code;
use crate::store::quotes::QuoteRow;
use crate::{AppState, Error, store};
use odmu_http::{Fields, integer};
use odmu_ids::{QuoteId, RiderId};

/// The highest `demand_bps` a service may send: 10 000 open requests per online driver, far
/// above any surge step a tariff may have (1 000 000).
pub const MAX_REQUEST_DEMAND_BPS: i64 = 100_000_000;

/// What a ride to price looks like.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    /// The tariff to price under (its current version); `standard` when absent. A code no
    /// tariff has is refused with 422 naming `tariff_code`.
    #[schema(min_length = 1, max_length = 32, pattern = "^[a-z0-9_-]{1,32}$")]
    pub tariff_code: Option<String>,
    /// Route distance in metres, 1 to 1 000 000.
    #[schema(minimum = 1, maximum = 1000000)]
    #[serde(deserialize_with = "integer::exact")]
    pub distance_m: i64,
    /// Expected duration in seconds, 0 to 172 800; when absent, the distance at the tariff's
    /// `average_speed_kmh`, rounded half up.
    #[schema(minimum = 0, maximum = 172800)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub duration_s: Option<i64>,
    /// Pickup point.
    pub pickup: Option<Point>,
    /// Drop-off point.
    pub dropoff: Option<Point>,
    /// Demand near the pickup (open requests × 10 000 per online driver), 0 to 100 000 000;
    /// it picks the surge step. Honoured from service tokens only: a rider cannot set their
    /// own surge, and a rider's request carrying this field is refused with 422 naming
    /// `demand_bps`. Absent: 0 (no surge).
    #[schema(minimum = 0, maximum = 100000000)]
    #[serde(default, deserialize_with = "integer::optional")]
    pub demand_bps: Option<i64>,
    /// The rider the quote is for (their account id, a UUID). Required from a service token
    /// (422 naming `rider_id` when absent); refused from a rider (422), whose quotes are
    /// always their own.
    #[schema(format = "uuid")]
    pub rider_id: Option<String>,
}

/// Prices a ride under the current version of a tariff and keeps the quote for
/// `CONTRACT_QUOTE_TTL_S` seconds.
#[utoipa::path(
    post, path = "/v1/quotes", operation_id = "create_quote", tag = "quotes", security(("bearer" = [])),
    request_body = QuoteInput,
    responses(
        (status = 201, description = "The quote", body = QuoteView),
        responses::Guarded,
        responses::JsonBody,
        (status = 422, description = "A field is missing, unknown, of the wrong type or out of range; `tariff_code` names no tariff; a rider sent `demand_bps` or `rider_id`; a service left out `rider_id` (each named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::RiderOrService>,
    Json(input): Json<QuoteInput>,
) -> Result<(StatusCode, Json<QuoteView>), Error> {
    let (rider_id, demand_bps) = check(&input, &auth)?;
    let code = input.tariff_code.as_deref().unwrap_or(STANDARD_CODE);
    let Some(stored) = store::tariffs::current(state.db(), code).await? else {
        return Err(Problem::unprocessable("The tariff does not exist.")
            .with_field_error("tariff_code", format!("no tariff has the code {code:?}"))
            .into());
    };
    let tariff = &stored.tariff;
    let duration_s = match input.duration_s {
        Some(duration_s) => duration_s,
        None => pricing::default_duration_s(input.distance_m, tariff.terms().average_speed_kmh)?,
    };
    let price = pricing::quote(tariff, input.distance_m, duration_s, demand_bps)?;
    let now = now_millis();
    let row = QuoteRow {
        id: QuoteId::generate(),
        rider_id,
        created_by: auth.claims.sub,
        tariff_code: code.to_owned(),
        tariff_version: stored.version,
        currency: price.currency.to_string(),
        distance_m: input.distance_m,
        duration_s,
        demand_bps,
        multiplier_bps: price.multiplier_bps,
        base_fare_cents: line(&price, ComponentKind::BaseFare),
        distance_cents: line(&price, ComponentKind::Distance),
        time_cents: line(&price, ComponentKind::Time),
        minimum_fare_adjustment_cents: line(&price, ComponentKind::MinimumFareAdjustment),
        surge_cents: line(&price, ComponentKind::Surge),
        booking_fee_cents: line(&price, ComponentKind::BookingFee),
        amount_cents: price.amount_cents,
        platform_cents: price.platform_cents,
        driver_cents: price.driver_cents,
        pickup_lat: input.pickup.map(|p| p.lat),
        pickup_lon: input.pickup.map(|p| p.lon),
        dropoff_lat: input.dropoff.map(|p| p.lat),
        dropoff_lon: input.dropoff.map(|p| p.lon),
        created_at_ms: now,
        expires_at_ms: now.saturating_add(state.quote_ttl_ms()),
    };
    store::quotes::insert(state.db(), &row).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Checks every field and the caller's rights over `rider_id` and `demand_bps`; answers the
/// rider the quote is for and the demand to price at.
fn check(input: &QuoteInput, auth: &Auth<roles::RiderOrService>) -> Result<(RiderId, i64), Error> {
    let mut fields = Fields::new("The quote request is not valid.");
    if let Some(code) = &input.tariff_code
        && !is_code(code)
    {
        fields.fail("tariff_code", "must be 1 to 32 of a-z, 0-9, '_' and '-'");
    }
    fields.range(
        "distance_m",
        input.distance_m,
        MIN_DISTANCE_M,
        MAX_DISTANCE_M,
    );
    fields.range_opt("duration_s", input.duration_s, 0, MAX_DURATION_S);
    if let Some(pickup) = &input.pickup {
        pickup.check("pickup", &mut fields);
    }
    if let Some(dropoff) = &input.dropoff {
        dropoff.check("dropoff", &mut fields);
    }
    // A person quotes for themself; a service names the rider.
    let mut rider_id: Option<RiderId> = auth.account();
    if auth.claims.role == Role::Service {
        fields.range_opt("demand_bps", input.demand_bps, 0, MAX_REQUEST_DEMAND_BPS);
        match input.rider_id.as_deref().map(RiderId::parse) {
            Some(Some(id)) => rider_id = Some(id),
            Some(None) => fields.fail("rider_id", "must be a UUID (the rider's account id)"),
            None => fields.fail("rider_id", "is required when a service quotes for a rider"),
        }
    } else {
        if input.demand_bps.is_some() {
            fields.fail(
                "demand_bps",
                "only a service may set the demand: leave it out (the platform measures it)",
            );
        }
        if input.rider_id.is_some() {
            fields.fail(
                "rider_id",
                "only a service may name the rider: leave it out (your quote is yours)",
            );
        }
    }
    fields.finish()?;
    let rider_id = rider_id.ok_or_else(|| Problem::forbidden("The token names no account."))?;
    Ok((rider_id, input.demand_bps.unwrap_or(0)))
}

/// The amount of one line of a ride's breakdown.
fn line(price: &Price, kind: ComponentKind) -> i64 {
    price
        .breakdown
        .iter()
        .find(|c| c.component == kind)
        .map_or(0, |c| c.amount_cents)
}
