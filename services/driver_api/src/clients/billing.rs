//! billing: the charge of a completed ride or a cancellation fee (`POST
//! /billing/v1/internal/charges`, DESIGN.md §5), sent only by the outbox relay
//! ([`crate::charges`]), never on a request path.

use std::time::Duration;

use axum::http::Method;
use odmu_http::{ClientError, ServiceClient};
use odmu_ids::{DriverId, QuoteId, RideId, RiderId};
use serde::{Deserialize, Serialize};

/// Each charge call is cut off after this long: well below the outbox lease (30 s), so a
/// live relay always finishes a delivery within its lease.
pub const TIMEOUT: Duration = Duration::from_secs(5);

const CHARGES_PATH: &str = "/billing/v1/internal/charges";

/// What billing is asked to charge: the body of the outbox message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    /// The ride (the rider's trip id).
    pub ride_id: RideId,
    /// `ride` or `cancellation`.
    pub kind: String,
    /// Who pays.
    pub rider_id: RiderId,
    /// Who earns: the driver who held the ride (a charge is only made for one that had one).
    pub driver_id: Option<DriverId>,
    /// The quote the ride was booked on.
    pub quote_id: QuoteId,
    /// Actual distance of a completed ride, in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<i64>,
    /// Actual duration of a completed ride, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<i64>,
    /// Seconds from the start to the completion of a completed ride, by this service's clock:
    /// what bounds the actuals the driver reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_s: Option<i64>,
}

/// The fields of billing's invoice that the ride records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The invoice id.
    pub id: String,
    /// What the rider pays: the final price.
    pub amount_cents: i64,
    /// The driver's share of it.
    pub driver_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// The client; cheap to clone.
#[derive(Debug, Clone)]
pub struct Billing {
    client: ServiceClient,
}

impl Billing {
    /// Wraps the platform's client for billing, bounding each call by [`TIMEOUT`].
    pub fn new(client: ServiceClient) -> Self {
        Self {
            client: client.with_timeout(TIMEOUT),
        }
    }

    /// Charges `charge` once; `key` (the outbox message id) goes as the `Idempotency-Key`.
    /// billing is idempotent per `(ride_id, kind)` anyway: a repeat answers the same invoice.
    ///
    /// # Errors
    /// billing unreachable, slow, or refusing.
    pub async fn charge(&self, charge: &ChargeRequest, key: &str) -> Result<Invoice, ClientError> {
        let request = self
            .client
            .request(Method::POST, CHARGES_PATH)
            .header("idempotency-key", key)
            .json(charge);
        self.client.send_json(request).await
    }
}
