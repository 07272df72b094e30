//! driver_api's internal endpoints (`/driver/v1/internal/...`, service tokens only): the supply
//! near a pickup, and the ride behind each trip (opened idempotently under the trip's id, read,
//! cancelled for the rider).

use std::time::Duration;

use axum::http::Method;
use odmu_http::{ClientError, ServiceClient};
use odmu_ids::{QuoteId, RideId, RiderId};
use serde::{Deserialize, Serialize};

use super::retried;
use crate::domain::trip::TripStatus;

const RIDES_PATH: &str = "/driver/v1/internal/rides";
const SUPPLY_PATH: &str = "/driver/v1/internal/supply";
/// The supply call only tunes the price: it gets less time than the others, so a slow
/// driver_api delays a quote by at most this much.
const SUPPLY_TIMEOUT: Duration = Duration::from_millis(1000);

/// Drivers and open requests near a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Supply {
    /// Online drivers within the dispatch radius.
    pub online_drivers: i64,
    /// Rides waiting for a driver within the radius.
    pub open_requests: i64,
}

/// The driver of a ride, as driver_api shows it to the rider's side.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RideDriver {
    /// Name shown to riders.
    pub name: String,
    /// Licence plate.
    pub vehicle_plate: String,
    /// Vehicle class.
    pub vehicle_class: String,
}

/// A ride, as driver_api's internal view answers it (only the fields this service uses;
/// others are ignored, so driver_api may add more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Ride {
    /// The ride's id: the trip's id.
    pub id: String,
    /// Where it stands.
    pub status: TripStatus,
    /// The 4-digit code the rider gives the driver at pickup.
    pub start_code: String,
    /// The driver, once one accepted.
    #[serde(default)]
    pub driver: Option<RideDriver>,
    /// ISO 4217 code of the quoted amount.
    pub currency: String,
    /// The quoted price, in minor units.
    pub amount_cents: i64,
    /// What billing invoiced (the ride's final price, or the cancellation fee), once billed.
    #[serde(default)]
    pub final_amount_cents: Option<i64>,
    /// Its currency.
    #[serde(default)]
    pub final_currency: Option<String>,
    /// The rider's invoice at billing, once billed.
    #[serde(default)]
    pub invoice_id: Option<String>,
    /// What the cancellation cost: 0 unless cancelled after the free window.
    #[serde(default)]
    pub cancellation_fee_cents: i64,
}

#[derive(Debug, Serialize)]
struct OpenRide {
    id: RideId,
    rider_id: RiderId,
    quote_id: QuoteId,
}

#[derive(Debug, Serialize)]
struct Cancel {
    by: &'static str,
}

/// The client; cheap to clone.
#[derive(Debug, Clone)]
pub struct DriverApi {
    client: ServiceClient,
    supply_client: ServiceClient,
}

impl DriverApi {
    /// Wraps the platform's client for driver_api, bounding each call by `timeout` (supply
    /// calls by at most one second).
    pub fn new(client: ServiceClient, timeout: Duration) -> Self {
        Self {
            supply_client: client.clone().with_timeout(timeout.min(SUPPLY_TIMEOUT)),
            client: client.with_timeout(timeout),
        }
    }

    /// Drivers and open requests near (`lat`, `lon`). One attempt: the quote goes on without
    /// it rather than wait.
    ///
    /// # Errors
    /// driver_api's error status, or unavailability.
    pub async fn supply(&self, lat: f64, lon: f64) -> Result<Supply, ClientError> {
        let request = self
            .supply_client
            .request(Method::GET, SUPPLY_PATH)
            .query(&[("lat", lat), ("lon", lon)]);
        self.supply_client.send_json(request).await
    }

    /// Opens the ride of trip `id` for `quote_id`, or answers the ride already opened under
    /// that id: driver_api is idempotent on it, so this is retried, and repeating it after a
    /// lost answer never makes a second ride.
    ///
    /// # Errors
    /// driver_api's refusal (the quote unknown, expired or already booked), or unavailability
    /// once the retry is spent.
    pub async fn open_ride(
        &self,
        id: RideId,
        rider_id: RiderId,
        quote_id: QuoteId,
    ) -> Result<Ride, ClientError> {
        let body = OpenRide {
            id,
            rider_id,
            quote_id,
        };
        retried("driver_api open ride", || async {
            let request = self.client.request(Method::POST, RIDES_PATH).json(&body);
            self.client.send_json(request).await
        })
        .await
    }

    /// The ride `id`.
    ///
    /// # Errors
    /// 404 when driver_api has no such ride, or unavailability once the retry is spent.
    pub async fn ride(&self, id: RideId) -> Result<Ride, ClientError> {
        let path = format!("{RIDES_PATH}/{id}");
        retried("driver_api ride", || async {
            let request = self.client.request(Method::GET, &path);
            self.client.send_json(request).await
        })
        .await
    }

    /// Cancels the ride `id` for its rider; the ride with its `cancellation_fee_cents`.
    /// driver_api answers a cancelled ride again with the same ride, so this is retried.
    ///
    /// # Errors
    /// 409 once the ride can no longer be cancelled, 404 for an unknown ride, or
    /// unavailability once the retry is spent.
    pub async fn cancel(&self, id: RideId) -> Result<Ride, ClientError> {
        let path = format!("{RIDES_PATH}/{id}/cancel");
        retried("driver_api cancel ride", || async {
            let request = self
                .client
                .request(Method::POST, &path)
                .json(&Cancel { by: "rider" });
            self.client.send_json(request).await
        })
        .await
    }
}
