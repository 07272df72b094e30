//! odmu_contractual: the final price of a ride or cancellation (`POST
//! /contract/v1/internal/prices`, DESIGN.md §5), with this service's token.
//!
//! Pricing is a read, so a failed call may be repeated: a couple of quick retries with
//! backoff for transient failures (unreachable, timeout, 401 with a stale token, 408, 429,
//! 5xx); anything else is answered at once.

use std::time::Duration;

use axum::http::Method;
use backon::{ExponentialBuilder, Retryable as _};
use odmu_http::{ClientError, ServiceClient};
use odmu_ids::QuoteId;
use serde::{Deserialize, Serialize};

use crate::domain::invoice::ChargeKind;

/// The price path, under contractual's prefix.
const PRICES_PATH: &str = "/contract/v1/internal/prices";
/// Retries after the first attempt.
const RETRIES: usize = 2;

/// contractual's answer: what the rider pays and how it splits (only the fields billing uses;
/// others are ignored, so contractual may add more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FinalPrice {
    /// What the rider pays, in minor units.
    pub amount_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The platform's share.
    pub platform_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// `upfront`, `metered` or `cancellation`.
    #[serde(default)]
    pub basis: Option<String>,
    /// The tariff priced under.
    #[serde(default)]
    pub tariff_code: Option<String>,
    /// Its version.
    #[serde(default)]
    pub tariff_version: Option<i64>,
    /// Why the price did not follow the driver's report, if it did not.
    #[serde(default)]
    pub review: Option<FareReview>,
}

/// contractual's account of a ride priced otherwise than reported.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FareReview {
    /// `implausible_actuals` or `unverified_metered`.
    pub reason: String,
    /// The distance the driver reported, in metres.
    pub reported_distance_m: i64,
    /// The duration the driver reported, in seconds.
    pub reported_duration_s: i64,
}

/// What is known of a completed ride, for its price (all absent for a cancellation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Actuals {
    /// Reported distance, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<i64>,
    /// Reported duration, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Start to completion by the platform's clock, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<i64>,
    /// Distance of the recorded positions, in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_distance_m: Option<i64>,
}

#[derive(Debug, Serialize)]
struct PriceRequest<'a> {
    quote_id: String,
    kind: &'static str,
    #[serde(flatten)]
    actuals: &'a Actuals,
}

/// The client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Contractual {
    client: ServiceClient,
}

impl Contractual {
    /// Wraps the platform's client for contractual, bounding each call by `timeout`.
    pub fn new(client: ServiceClient, timeout: Duration) -> Self {
        Self {
            client: client.with_timeout(timeout),
        }
    }

    /// The final price of `quote_id` for a ride (with what is known of it) or a
    /// cancellation (whose actuals are not sent).
    ///
    /// # Errors
    /// contractual's error status (404 for an unknown quote, 422 for values it refuses), or
    /// unavailability once the retries are spent.
    pub async fn price(
        &self,
        quote_id: QuoteId,
        kind: ChargeKind,
        actuals: &Actuals,
    ) -> Result<FinalPrice, ClientError> {
        let none = Actuals::default();
        let body = PriceRequest {
            quote_id: quote_id.to_string(),
            kind: kind.as_str(),
            actuals: if kind == ChargeKind::Ride {
                actuals
            } else {
                &none
            },
        };
        let once = || async {
            let request = self.client.request(Method::POST, PRICES_PATH).json(&body);
            self.client.send_json::<FinalPrice>(request).await
        };
        once.retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(50))
                .with_max_delay(Duration::from_millis(400))
                .with_max_times(RETRIES)
                .with_jitter(),
        )
        .when(|e: &ClientError| {
            // A 401 means our cached token went stale: the client dropped it, a retry fetches
            // another.
            e.is_transient() || e.status() == Some(axum::http::StatusCode::UNAUTHORIZED)
        })
        .notify(|e, wait| tracing::warn!(error = %e, ?wait, "pricing failed; retrying"))
        .await
    }
}
