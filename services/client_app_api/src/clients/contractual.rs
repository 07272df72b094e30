//! odmu_contractual: quotes made on a rider's behalf (`POST /contract/v1/quotes` with
//! `rider_id` and the measured `demand_bps`, which only a service may send) and read back
//! (`GET /contract/v1/quotes/{id}`), with this service's token.

use axum::http::Method;
use odmu_http::{ClientError, ServiceClient};
use odmu_ids::{QuoteId, RiderId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::retried;

const QUOTES_PATH: &str = "/contract/v1/quotes";

/// A point on the map (WGS 84 degrees), as contractual answers it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuotePoint {
    /// Latitude, -90 to 90.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

/// One line of a price breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QuoteLine {
    /// What the line is: `base_fare`, `distance`, `time`, `minimum_fare_adjustment`, `surge`
    /// or `booking_fee`.
    #[schema(example = "distance")]
    pub component: String,
    /// Its amount in the currency's minor unit.
    pub amount_cents: i64,
}

/// A quote: the price of a ride under one tariff version, fixed until `expires_at`
/// (odmu_contractual's answer, passed on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    /// The quote's id: book it with `POST /client/v1/trips`.
    pub id: QuoteId,
    /// The rider it is for (the caller).
    pub rider_id: RiderId,
    /// The tariff it was priced under.
    pub tariff_code: String,
    /// The tariff version it was priced under.
    pub tariff_version: i64,
    /// ISO 4217 code of every amount.
    #[schema(example = "EUR")]
    pub currency: String,
    /// What the rider pays, in minor units: the sum of `breakdown`.
    pub amount_cents: i64,
    /// The platform's share of `amount_cents`.
    pub platform_cents: i64,
    /// The driver's share of `amount_cents`.
    pub driver_cents: i64,
    /// Surge multiplier applied, in basis points (10 000 = no surge).
    pub surge_multiplier_bps: i64,
    /// The lines of the price, summing to `amount_cents`.
    pub breakdown: Vec<QuoteLine>,
    /// Pickup point.
    pub pickup: Option<QuotePoint>,
    /// Drop-off point.
    pub dropoff: Option<QuotePoint>,
    /// Estimated route distance priced, in metres.
    pub distance_m: i64,
    /// Estimated duration priced, in seconds.
    pub duration_s: i64,
    /// Demand near the pickup the surge came from, in basis points.
    #[serde(default)]
    pub demand_bps: i64,
    /// Whether it can be booked: quotes from `POST /client/v1/quotes` can; a rider's own
    /// estimate at `POST /contract/v1/quotes` cannot.
    #[serde(default)]
    pub bookable: bool,
    /// When it was made (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it stops being bookable (RFC 3339 UTC).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// What client_app_api asks contractual to price.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteRequest<'a> {
    /// The tariff; contractual's default when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tariff_code: Option<&'a str>,
    /// Estimated route distance, metres.
    pub distance_m: i64,
    /// Pickup point.
    pub pickup: QuotePoint,
    /// Drop-off point.
    pub dropoff: QuotePoint,
    /// Demand near the pickup, bps.
    pub demand_bps: i64,
    /// The rider the quote is for.
    pub rider_id: RiderId,
}

/// The client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Contractual {
    client: ServiceClient,
}

impl Contractual {
    /// Wraps the platform's client for contractual, bounding each call by `timeout`.
    pub fn new(client: ServiceClient, timeout: std::time::Duration) -> Self {
        Self {
            client: client.with_timeout(timeout),
        }
    }

    /// Prices a ride for a rider. Not retried: a retry after a lost answer would leave an
    /// unused quote behind, and the rider's app asks again anyway.
    ///
    /// # Errors
    /// contractual's error status (422 naming `tariff_code` for an unknown tariff), or
    /// unavailability.
    pub async fn create_quote(&self, body: &QuoteRequest<'_>) -> Result<Quote, ClientError> {
        let request = self.client.request(Method::POST, QUOTES_PATH).json(body);
        self.client.send_json(request).await
    }

    /// The quote `id` (expired or not).
    ///
    /// # Errors
    /// 404 for an unknown quote, or unavailability once the retry is spent.
    pub async fn quote(&self, id: QuoteId) -> Result<Quote, ClientError> {
        let path = format!("{QUOTES_PATH}/{id}");
        retried("contractual quote", || async {
            let request = self.client.request(Method::GET, &path);
            self.client.send_json(request).await
        })
        .await
    }
}
