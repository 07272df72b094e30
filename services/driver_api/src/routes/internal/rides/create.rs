//! `POST /driver/v1/internal/rides`: client_app_api opens the ride a rider booked.

use axum::extract::State;
use axum::http::StatusCode;
use odmu_authn::{Auth, roles};
use odmu_http::{Json, Problem, responses};
use odmu_storage::now_millis;
use ring::rand::{SecureRandom as _, SystemRandom};
use serde::Deserialize;
use utoipa::ToSchema;

use super::Ride;
use crate::AppState;
use crate::clients::contractual::Quote;
use crate::domain::geo::{self, LatLon};
use crate::domain::rider_limits;
use crate::domain::start_code::StartCode;
use crate::error::{Conflict, Error};
use crate::store::rides::{self, NewRide, Opened, RideRow};
use odmu_http::Fields;
use odmu_ids::{QuoteId, RideId, RiderId};

/// The ride to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRideInput {
    /// The ride's id: the caller's trip id. Opening the same id again answers the same ride.
    #[schema(format = "uuid")]
    pub id: String,
    /// The rider (their account id).
    #[schema(format = "uuid")]
    pub rider_id: String,
    /// The rider's quote, with a pickup; the ride takes its price, places and tariff.
    #[schema(format = "uuid")]
    pub quote_id: String,
}

/// Opens the ride described by the quote, for drivers near its pickup to accept, with a new
/// start code (in the answer: only the rider's app may show it). Idempotent on `id`: the same
/// id, rider and quote again answers 200 with the same ride; another rider or quote under an
/// existing id is a 409 `id_taken`.
#[utoipa::path(
    post, path = "/v1/internal/rides", operation_id = "open_ride", tag = "internal", security(("bearer" = [])),
    request_body = CreateRideInput,
    responses(
        (status = 201, description = "Opened: the ride, with its start code", body = Ride),
        (status = 200, description = "Already opened with this id: the same ride", body = Ride),
        (status = 404, description = "contractual knows no such `quote_id` (or asked through the public load balancer, which does not serve internal paths)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken by a ride of another rider or quote (`reason` `id_taken`), or the rider has another open ride (`reason` `rider_has_open_ride`, its `ride_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The rider cancelled `RIDER_FREE_CANCELLATION_LIMIT` rides for free within the window: books again after `Retry-After` seconds (`reason` `cancellation_limit`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid, the quote is another rider's, or it has no pickup (named in `errors`)", body = Problem, content_type = "application/problem+json"),
        responses::Guarded,
        responses::JsonBody,
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    _auth: Auth<roles::ServiceCaller>,
    Json(input): Json<CreateRideInput>,
) -> Result<(StatusCode, Json<Ride>), Error> {
    let mut fields = Fields::new("The ride is not valid.");
    let id: RideId = fields.id("id", &input.id);
    let rider_id: RiderId = fields.id("rider_id", &input.rider_id);
    let quote_id: QuoteId = fields.id("quote_id", &input.quote_id);
    fields.finish()?;

    if let Some(existing) = rides::get(state.db(), id).await? {
        return repeat(&state, existing, rider_id, quote_id).await;
    }
    let now_ms = now_millis();
    let config = state.config();
    let window_s = config.free_cancellation_window_s;
    let recent =
        rides::free_cancellations_since(state.db(), rider_id, now_ms - window_s * 1000).await?;
    if let Some(retry_after_s) =
        rider_limits::booking_wait_s(&recent, now_ms, config.free_cancellation_limit, window_s)
    {
        return Err(Error::CancellationLimit { retry_after_s });
    }
    let contractual = state.contractual()?;
    let quote = contractual.quote(quote_id).await?.ok_or_else(|| {
        Problem::not_found("contractual knows no such quote.")
            .with_field_error("quote_id", "is not a quote contractual knows")
    })?;
    let pickup = check_quote(&quote, rider_id)?;
    let terms = contractual
        .cancellation_terms(&quote.tariff_code, quote.tariff_version)
        .await?;
    let start_code = new_start_code()?;
    let new = NewRide {
        id,
        rider_id,
        quote_id,
        start_code: start_code.as_str(),
        pickup: (pickup.lat(), pickup.lon()),
        pickup_cell: geo::cell_of_i64(pickup),
        dropoff: quote.dropoff.map(|p| (p.lat, p.lon)),
        tariff_code: &quote.tariff_code,
        tariff_version: quote.tariff_version,
        currency: &quote.currency,
        amount_cents: quote.amount_cents,
        driver_cents: quote.driver_cents,
        distance_m: quote.distance_m,
        duration_s: quote.duration_s,
        free_cancellation_s: terms.free_cancellation_s,
        cancellation_fee_cents: terms.cancellation_fee_cents,
        now_ms,
    };
    match rides::insert(state.db(), &new).await? {
        Opened::Opened => {}
        // Another request opened this id between our read and our insert.
        Opened::IdExists => {
            let ride = rides::get(state.db(), id)
                .await?
                .ok_or_else(|| Problem::internal("the ride vanished"))?;
            return repeat(&state, ride, rider_id, quote_id).await;
        }
        Opened::RiderBusy => {
            let open = rides::open_of_rider(state.db(), rider_id).await?;
            return Err(Conflict::RiderHasOpenRide(open).into());
        }
    }
    let ride = rides::get(state.db(), id)
        .await?
        .ok_or_else(|| Problem::internal("the opened ride vanished"))?;
    tracing::info!(ride_id = %id, quote_id = %quote_id, "ride opened");
    Ok((StatusCode::CREATED, Json(Ride::load(&state, ride).await?)))
}

/// The answer to an id that exists: the same ride (200), unless it is another rider's or
/// quote's (409).
async fn repeat(
    state: &AppState,
    existing: RideRow,
    rider_id: RiderId,
    quote_id: QuoteId,
) -> Result<(StatusCode, Json<Ride>), Error> {
    if existing.rider_id != rider_id || existing.quote_id != quote_id {
        return Err(Conflict::IdTaken.into());
    }
    Ok((StatusCode::OK, Json(Ride::load(state, existing).await?)))
}

/// The quote's pickup, if the quote is `rider_id`'s and has a valid one; 422 naming
/// `quote_id` otherwise.
fn check_quote(quote: &Quote, rider_id: RiderId) -> Result<LatLon, Error> {
    let refuse = |message: &str| {
        Error::from(
            Problem::unprocessable("The quote cannot open a ride.")
                .with_field_error("quote_id", message),
        )
    };
    if quote.rider_id != rider_id {
        return Err(refuse("is another rider's quote"));
    }
    let pickup = quote
        .pickup
        .ok_or_else(|| refuse("has no pickup: quote with a pickup point"))?;
    if !quote.bookable {
        return Err(refuse(
            "is an estimate, not a quote the platform priced: book one from POST /client/v1/quotes",
        ));
    }
    LatLon::new(pickup.lat, pickup.lon).map_err(|e| refuse(&format!("has a bad pickup: {e}")))
}

/// A fresh, unbiased start code from the system's secure random source.
fn new_start_code() -> Result<StartCode, Error> {
    let rng = SystemRandom::new();
    StartCode::generate(|| {
        let mut bytes = [0u8; 4];
        rng.fill(&mut bytes).map(|()| u32::from_le_bytes(bytes))
    })
    .map_err(|_| Problem::internal("the system's random source failed").into())
}
