//! `POST /client/v1/quotes`: prices a ride between two points for the calling rider.

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{ClientError, Json, Problem, responses};
use serde::Deserialize;
use utoipa::ToSchema;

use super::PointInput;
use crate::clients::contractual::{Quote, QuotePoint, QuoteRequest};
use crate::domain::demand::demand_bps;
use crate::domain::route::{self, MAX_DISTANCE_M, Point, RouteError};
use crate::error::problem_of;
use crate::routes::object::{self, Object};
use crate::{AppState, Error};
use odmu_http::Fields;

/// A ride to price.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "pickup": {"lat": 48.8656, "lon": 2.3212},
    "dropoff": {"lat": 48.8532, "lon": 2.3692},
    "tariff_code": "standard"
}))]
pub struct QuoteInput {
    /// Where the rider is picked up.
    #[schema(value_type = PointInput, required = true)]
    #[serde(default, deserialize_with = "object::optional")]
    pub pickup: Option<PointInput>,
    /// Where the rider is going: at least a metre of route from the pickup, at most 1000 km.
    #[schema(value_type = PointInput, required = true)]
    #[serde(default, deserialize_with = "object::optional")]
    pub dropoff: Option<PointInput>,
    /// The tariff to price under; `standard` when absent. A code no tariff has is refused with
    /// 422 naming `tariff_code`.
    #[schema(
        min_length = 1,
        max_length = 32,
        pattern = "^[a-z0-9_-]{1,32}$",
        example = "standard"
    )]
    pub tariff_code: Option<String>,
}

/// Prices a ride: the route distance is the great-circle distance × `ROUTE_FACTOR` (1.3),
/// the demand is measured near the pickup at driver_api (0 when it cannot be measured right
/// now: the quote is then made without surge), and contractual makes the quote for the caller.
/// Book it with `POST /client/v1/trips` before its `expires_at`.
#[utoipa::path(
    post, path = "/v1/quotes", operation_id = "create_quote", tag = "quotes", security(("bearer" = [])),
    request_body = QuoteInput,
    responses(
        (status = 201, description = "The quote, as contractual made it", body = Quote),
        responses::Guarded,
        responses::JsonBody,
        (status = 422, description = "A field is missing, unknown, of the wrong type or out of range (`pickup.lat`, `dropoff.lon`, ...); the drop-off is the pickup or over 1000 km of route from it (`dropoff`); `tariff_code` names no tariff (each named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Rider>,
    Json(Object(input)): Json<Object<QuoteInput>>,
) -> Result<(StatusCode, Json<Quote>), Error> {
    let (pickup, dropoff) = check(&input)?;
    let distance_m = match route::distance_m(pickup, dropoff, state.config().route_factor) {
        Ok(m) => m,
        Err(RouteError::TooShort) => {
            return Err(Problem::unprocessable("There is no ride to price.")
                .with_field_error("dropoff", "is the pickup: it must be somewhere else")
                .into());
        }
        Err(RouteError::TooLong(m)) => {
            return Err(Problem::unprocessable("The ride is too long to price.")
                .with_field_error(
                    "dropoff",
                    format!("is {m} m of route from the pickup; at most {MAX_DISTANCE_M} m"),
                )
                .into());
        }
    };
    let contractual = state.contractual()?;
    let demand_bps = demand_near(&state, pickup).await;
    let request = QuoteRequest {
        tariff_code: input.tariff_code.as_deref(),
        distance_m,
        pickup: QuotePoint {
            lat: pickup.lat,
            lon: pickup.lon,
        },
        dropoff: QuotePoint {
            lat: dropoff.lat,
            lon: dropoff.lon,
        },
        demand_bps,
        rider_id: auth.rider(),
    };
    let quote = contractual.create_quote(&request).await.map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(quote)))
}

/// The two points, or a 422 naming every bad field.
fn check(input: &QuoteInput) -> Result<(Point, Point), Problem> {
    let mut fields = Fields::new("The ride to price is not valid.");
    let pickup = PointInput::check(input.pickup, "pickup", &mut fields);
    let dropoff = PointInput::check(input.dropoff, "dropoff", &mut fields);
    if let Some(code) = &input.tariff_code
        && !is_code(code)
    {
        fields.fail("tariff_code", "must be 1 to 32 of a-z, 0-9, '_' and '-'");
    }
    fields.finish()?;
    match (pickup, dropoff) {
        (Some(pickup), Some(dropoff)) => Ok((pickup, dropoff)),
        // `finish` has answered already when either is missing.
        _ => Err(Problem::unprocessable("The ride to price is not valid.")),
    }
}

/// Whether `code` has a tariff code's shape.
fn is_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Demand near the pickup from driver_api's supply. Supply only tunes the price, so when it
/// cannot be measured (driver_api down, slow or refusing) the quote is made at demand 0, no
/// surge, and a warning is logged: riders can still see prices during an outage, and booking
/// needs driver_api anyway.
async fn demand_near(state: &AppState, pickup: Point) -> i64 {
    let driver_api = match state.driver_api() {
        Ok(client) => client,
        Err(e) => {
            tracing::warn!(error = %e, "demand not measured: quoting without surge");
            return 0;
        }
    };
    match driver_api.supply(pickup.lat, pickup.lon).await {
        Ok(supply) => demand_bps(supply.open_requests, supply.online_drivers),
        Err(e) => {
            tracing::warn!(error = %e, "demand not measured: quoting without surge");
            0
        }
    }
}

/// contractual's answer to a quote request: its 422 about `tariff_code` is the rider's
/// mistake; anything else is a dependency failure (the rest of the request is ours, checked).
fn refusal(e: ClientError) -> Error {
    if e.status() == Some(StatusCode::UNPROCESSABLE_ENTITY)
        && let Some(problem) = problem_of(&e)
    {
        let tariff_errors: Vec<_> = problem
            .errors
            .iter()
            .filter(|f| f.field == "tariff_code")
            .cloned()
            .collect();
        if !tariff_errors.is_empty() {
            let mut answer = Problem::unprocessable("The tariff does not exist.");
            answer.errors = tariff_errors;
            return answer.into();
        }
    }
    e.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tariff_codes_have_a_shape() {
        assert!(is_code("standard"));
        assert!(is_code("xl_2-b"));
        assert!(!is_code(""));
        assert!(!is_code("Standard"));
        assert!(!is_code(&"a".repeat(33)));
    }

    #[test]
    fn every_bad_field_is_named_in_one_answer() {
        let Object(input): Object<QuoteInput> = serde_json::from_value(serde_json::json!({
            "pickup": {"lat": 91.0},
            "tariff_code": "No Such"
        }))
        .unwrap();
        let problem = check(&input).unwrap_err();
        let fields: Vec<_> = problem.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["pickup.lat", "pickup.lon", "dropoff", "tariff_code"]
        );
    }
}
