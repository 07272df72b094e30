//! `POST /client/v1/trips`: books a quote of the caller's (`Idempotency-Key` required).
//!
//! Safe against lost answers: the trip row (with its id) is written first, unique per rider
//! and quote, and only then is the ride opened at driver_api under the trip's id, which
//! driver_api is idempotent on. A retry finds the row and opens the ride again under the SAME
//! id, so an answer lost between the services never makes a second ride; driver_api being
//! unreachable is a 503 that leaves the row for the retry to complete.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use odmu_authn::{Auth, roles};
use odmu_http::{ClientError, Json, Problem, responses};
use odmu_idempotency::Idempotent;
use odmu_runtime::App as _;
use odmu_storage::now_millis;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{Trip, TripDetail, ride_of};
use crate::clients::contractual::Quote;
use crate::clients::driver_api::{DriverApi, Ride};
use crate::domain::quote::is_expired;
use crate::error::problem_of;
use crate::routes::object::Object;
use crate::store::trips::TripRow;
use crate::{AppState, ClientAppApi, Error, store};
use odmu_ids::{QuoteId, RideId, RiderId};

/// A trip whose ride was never opened is older than any request that could still be opening
/// it after this long (requests time out well before).
const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// A booking.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TripInput {
    /// The quote to book: one of the caller's, not expired, not booked yet.
    #[schema(format = "uuid")]
    pub quote_id: String,
}

/// Books a quote of the caller's: one trip per quote. The same `Idempotency-Key` and body
/// again answers the first answer (`Idempotency-Replayed: true`); after a 503 it completes the
/// same booking. Another key for a quote already booked is 409 (with the `trip_id`), unless
/// that booking never reached dispatch, which this request then completes. An expired quote is
/// 410, unless this very booking reached dispatch before it expired.
#[utoipa::path(
    post, path = "/v1/trips", operation_id = "create_trip", tag = "trips", security(("bearer" = [])),
    request_body = TripInput,
    params(
        ("Idempotency-Key" = String, Header, min_length = 1, max_length = 255,
          pattern = "^[!-~]+$", description = "A unique value per booking (a UUID), sent \
          again unchanged when the request is retried: the same key and body replay the first \
          answer; 1 to 255 visible ASCII characters"),
    ),
    responses(
        (status = 201, description = "The trip, `requested`, with its start code and quote", body = TripDetail,
         headers(("Location" = String, description = "The trip's URL: `/client/v1/trips/{id}`"))),
        responses::Guarded,
        responses::JsonBody,
        (status = 400, description = "The body is not valid JSON, or the `Idempotency-Key` header is missing or not valid", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No quote with this id among the caller's (another rider's quote answers the same)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The quote is already booked (`trip_id` names the trip); the rider has another open trip: one at a time (`reason` `rider_has_open_ride`, `trip_id` names it); or a request with this `Idempotency-Key` is still running (retry after `Retry-After`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The rider cancelled too many trips for free lately (3 within an hour by default): book again after `Retry-After` seconds (`reason` `cancellation_limit`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The quote has expired: ask for a new one", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing, unknown or not valid (`quote_id` must be a UUID of a bookable quote: one from `POST /client/v1/quotes`, not a rider's own estimate), or this `Idempotency-Key` was used with another body", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn handler(
    State(state): State<AppState>,
    auth: Auth<roles::Rider>,
    headers: HeaderMap,
    request: Idempotent<Object<TripInput>>,
) -> Response {
    // The kit has checked the key by now: present once, 1 to 255 visible characters.
    let key = headers
        .get(odmu_idempotency::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_owned();
    request
        .run(|Object(input)| async move {
            book(&state, auth.rider(), &key, &input).await.map(|trip| {
                let location =
                    format!("{}/v1/trips/{}", ClientAppApi::SERVICE.prefix, trip.trip.id);
                (
                    StatusCode::CREATED,
                    [(header::LOCATION, location)],
                    Json(trip),
                )
            })
        })
        .await
}

async fn book(
    state: &AppState,
    rider_id: RiderId,
    key: &str,
    input: &TripInput,
) -> Result<TripDetail, Error> {
    let Some(quote_id) = QuoteId::parse(&input.quote_id) else {
        return Err(Problem::unprocessable("The booking is not valid.")
            .with_field_error("quote_id", "must be a UUID (a quote's id)")
            .into());
    };
    let contractual = state.contractual()?;
    let driver_api = state.driver_api()?;
    let quote = match contractual.quote(quote_id).await {
        Ok(quote) if quote.rider_id == rider_id => quote,
        // Another rider's quote reads as no quote at all: its id tells the caller nothing.
        Ok(_) => return Err(Error::QuoteNotFound),
        Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => return Err(Error::QuoteNotFound),
        Err(e) => return Err(e.into()),
    };
    if quote.pickup.is_none() {
        return Err(Problem::unprocessable("The quote cannot be booked.")
            .with_field_error(
                "quote_id",
                "has no pickup: ask for the quote with POST /client/v1/quotes",
            )
            .into());
    }
    if !quote.bookable {
        return Err(Problem::unprocessable("The quote cannot be booked.")
            .with_field_error(
                "quote_id",
                "is an estimate the rider priced: book a quote from POST /client/v1/quotes, \
                 priced by the platform from the route and the demand",
            )
            .into());
    }
    let booking = Booking {
        state,
        driver_api,
        rider_id,
        key,
        quote: &quote,
        expired: expired(&quote)?,
    };
    let (row, ride) = booking.trip_row().await?;
    let ride = match ride {
        Some(ride) => ride,
        None => booking.open(&row).await?,
    };
    Ok(TripDetail {
        trip: Trip::merge(row, Some(ride)),
        quote,
    })
}

/// Whether the quote can no longer be booked.
fn expired(quote: &Quote) -> Result<bool, Error> {
    is_expired(&quote.expires_at, now_millis()).ok_or_else(|| {
        Problem::internal(format!(
            "contractual's expires_at {:?} does not parse",
            quote.expires_at
        ))
        .into()
    })
}

/// One booking of a quote under one key.
struct Booking<'a> {
    state: &'a AppState,
    driver_api: &'a DriverApi,
    rider_id: RiderId,
    key: &'a str,
    quote: &'a Quote,
    expired: bool,
}

impl Booking<'_> {
    /// The trip row this booking completes (a new one, or the rider's existing one for the
    /// quote), and its ride when driver_api has it already and the quote expired (so it
    /// must not be opened again).
    async fn trip_row(&self) -> Result<(TripRow, Option<Ride>), Error> {
        let db = self.state.db();
        if let Some(row) = store::trips::by_quote(db, self.rider_id, self.quote.id).await? {
            return self.existing(row).await;
        }
        if self.expired {
            return Err(self.gone());
        }
        let new = TripRow {
            id: RideId::generate(),
            rider_id: self.rider_id,
            quote_id: self.quote.id,
            idempotency_key: self.key.to_owned(),
            created_at_ms: now_millis(),
        };
        if let Some(row) = store::trips::insert(db, &new).await? {
            return Ok((row, None));
        }
        // A booking of the same quote under another key got there first.
        match store::trips::by_quote(db, self.rider_id, self.quote.id).await? {
            Some(row) => self.existing(row).await,
            // ... and was refused and removed meanwhile: let the rider retry.
            None => Err(
                Problem::conflict("This quote is being booked by another request; retry.").into(),
            ),
        }
    }

    /// The rider's existing trip for the quote. The same booking (same key) retried completes
    /// it; another key completes it only if it never reached dispatch, else the quote is
    /// booked. Once the quote expired, a trip that never reached dispatch is not opened.
    async fn existing(&self, row: TripRow) -> Result<(TripRow, Option<Ride>), Error> {
        let same = row.idempotency_key == self.key;
        if same && !self.expired {
            return Ok((row, None));
        }
        match ride_of(self.driver_api, row.id).await? {
            Some(ride) if same => Ok((row, Some(ride))),
            Some(_) => Err(Error::QuoteBooked { trip_id: row.id }),
            None if self.expired => {
                self.forget_if_abandoned(&row).await?;
                Err(self.gone())
            }
            None => Ok((row, None)),
        }
    }

    /// Opens the ride of `row` at driver_api, idempotent on the trip's id.
    async fn open(&self, row: &TripRow) -> Result<Ride, Error> {
        match self
            .driver_api
            .open_ride(row.id, self.rider_id, self.quote.id)
            .await
        {
            Ok(ride) => Ok(ride),
            Err(e) if is_refusal(&e) => {
                // driver_api refused for good, so no ride holds this id: free the quote's slot.
                store::trips::delete(self.state.db(), self.rider_id, row.id).await?;
                Err(refusal(e))
            }
            // Unreachable or failing: the row stays, and a retry completes this booking.
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes a trip that never reached dispatch and whose quote expired, once no request
    /// that wrote it can still be opening its ride (older than [`ABANDONED_AFTER`]).
    async fn forget_if_abandoned(&self, row: &TripRow) -> Result<(), Error> {
        let age_ms = now_millis().saturating_sub(row.created_at_ms);
        if age_ms > i64::try_from(ABANDONED_AFTER.as_millis()).unwrap_or(i64::MAX) {
            store::trips::delete(self.state.db(), self.rider_id, row.id).await?;
        }
        Ok(())
    }

    fn gone(&self) -> Error {
        Error::QuoteExpired {
            expires_at: self.quote.expires_at.clone(),
        }
    }
}

/// driver_api's answers that open no ride: the quote unknown, the id taken, the rider with
/// another open ride, the quote refused, the rider waiting out the cancellation limit.
fn is_refusal(e: &ClientError) -> bool {
    matches!(
        e.status(),
        Some(
            StatusCode::NOT_FOUND
                | StatusCode::CONFLICT
                | StatusCode::UNPROCESSABLE_ENTITY
                | StatusCode::TOO_MANY_REQUESTS
        )
    )
}

fn refusal(e: ClientError) -> Error {
    let detail = problem_of(&e)
        .and_then(|p| p.detail.clone())
        .unwrap_or_else(|| "The quote cannot be booked.".to_owned());
    match e.status() {
        Some(StatusCode::NOT_FOUND) => Error::QuoteNotFound,
        // The rider's own limits (another open ride, too many free cancellations): driver_api's
        // problem as it is, with its `reason`, and the wait as Retry-After.
        Some(StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS)
            if problem_of(&e).is_some_and(|p| p.extensions.contains_key("reason")) =>
        {
            let mut problem = problem_of(&e)
                .cloned()
                .unwrap_or_else(|| Problem::conflict(detail));
            problem.instance = None;
            // A ride is the rider's trip: the same id, under the rider's name for it.
            if let Some(id) = problem.extensions.remove("ride_id") {
                problem.extensions.insert("trip_id".to_owned(), id);
            }
            if let Some(wait) = problem
                .extensions
                .get("retry_after_s")
                .and_then(|v| v.as_i64())
                && let Ok(value) = axum::http::HeaderValue::from_str(&wait.to_string())
            {
                problem = problem.with_header(header::RETRY_AFTER, value);
            }
            problem.into()
        }
        Some(StatusCode::UNPROCESSABLE_ENTITY) => {
            let mut problem = Problem::unprocessable(detail);
            problem.errors = problem_of(&e).map(|p| p.errors.clone()).unwrap_or_default();
            problem.into()
        }
        _ => Problem::conflict(detail).into(),
    }
}
