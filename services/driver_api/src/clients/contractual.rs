//! odmu_contractual: the quote a ride opens from, its tariff version's cancellation terms,
//! and whether a driver agreed to the current terms (DESIGN.md §5), with this service's token.
//!
//! Agreements are asked each time a driver goes online or looks for rides; a `current: true`
//! answer is kept [`AGREEMENT_CACHE`] (30 s) per driver in this task's memory, so a driver
//! polling for rides costs contractual one call per 30 s. Negative answers are not kept: a
//! driver who has just agreed can go online at once. A new version of the terms therefore
//! reaches drivers within 30 s.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use odmu_http::{ClientError, ServiceClient};
use odmu_ids::{DriverId, QuoteId, RiderId};
use serde::Deserialize;

use super::segment;

/// Each call to contractual is cut off after this long (the caller gets a 503).
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// How long a driver's `current: true` agreement is believed without asking again.
pub const AGREEMENT_CACHE: Duration = Duration::from_secs(30);
/// Above this many cached drivers, expired entries are swept before adding one.
const CACHE_SWEEP_ABOVE: usize = 10_000;

/// A point of a quote.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct QuotePoint {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// The fields of a quote that a ride keeps (others are ignored, so contractual may add more).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Quote {
    /// The quote's id.
    pub id: QuoteId,
    /// The rider it is for.
    pub rider_id: RiderId,
    /// The tariff it was priced under.
    pub tariff_code: String,
    /// That tariff's version.
    pub tariff_version: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What the rider pays.
    pub amount_cents: i64,
    /// The driver's share.
    pub driver_cents: i64,
    /// Pickup point, if the quote has one.
    #[serde(default)]
    pub pickup: Option<QuotePoint>,
    /// Drop-off point, if any.
    #[serde(default)]
    pub dropoff: Option<QuotePoint>,
    /// Distance priced, in metres.
    pub distance_m: i64,
    /// Duration priced, in seconds.
    pub duration_s: i64,
    /// Whether the platform priced it (from both points and the measured demand); absent
    /// reads as not bookable.
    #[serde(default)]
    pub bookable: bool,
}

/// The cancellation terms of a tariff version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct CancellationTerms {
    /// Seconds after acceptance during which cancelling is free.
    pub free_cancellation_s: i64,
    /// What a later cancellation costs.
    pub cancellation_fee_cents: i64,
}

#[derive(Debug, Deserialize)]
struct AgreementStatus {
    current: bool,
}

/// The client; cheap to clone (the agreement cache is shared).
#[derive(Debug, Clone)]
pub struct Contractual {
    client: ServiceClient,
    agreed: Arc<Mutex<HashMap<DriverId, Instant>>>,
}

impl Contractual {
    /// Wraps the platform's client for contractual, bounding each call by [`TIMEOUT`].
    pub fn new(client: ServiceClient) -> Self {
        Self {
            client: client.with_timeout(TIMEOUT),
            agreed: Arc::default(),
        }
    }

    /// The quote `id`; `None` when contractual knows no such quote.
    ///
    /// # Errors
    /// contractual unreachable, slow, or answering another error.
    pub async fn quote(&self, id: QuoteId) -> Result<Option<Quote>, ClientError> {
        let path = format!("/contract/v1/quotes/{id}");
        let request = self.client.request(Method::GET, &path);
        match self.client.send_json::<Quote>(request).await {
            Ok(quote) => Ok(Some(quote)),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The cancellation terms of version `version` of tariff `code`.
    ///
    /// # Errors
    /// contractual unreachable, slow, or answering an error (a 404 here means a quote names
    /// a version contractual does not have: its bug, answered 500 by our caller).
    pub async fn cancellation_terms(
        &self,
        code: &str,
        version: i64,
    ) -> Result<CancellationTerms, ClientError> {
        let path = format!("/contract/v1/tariffs/{}/versions/{version}", segment(code));
        let request = self.client.request(Method::GET, &path);
        self.client.send_json(request).await
    }

    /// Whether `driver_id` agreed to the current terms (cached when true, see the module).
    ///
    /// # Errors
    /// contractual unreachable, slow, or answering an error.
    pub async fn has_current_agreement(&self, driver_id: DriverId) -> Result<bool, ClientError> {
        if self.cached(driver_id) {
            return Ok(true);
        }
        let path = format!("/contract/v1/internal/agreements/{driver_id}");
        let request = self.client.request(Method::GET, &path);
        let status: AgreementStatus = self.client.send_json(request).await?;
        if status.current {
            self.remember(driver_id);
        }
        Ok(status.current)
    }

    fn cached(&self, driver_id: DriverId) -> bool {
        let Ok(agreed) = self.agreed.lock() else {
            return false;
        };
        agreed
            .get(&driver_id)
            .is_some_and(|at| at.elapsed() < AGREEMENT_CACHE)
    }

    fn remember(&self, driver_id: DriverId) {
        let Ok(mut agreed) = self.agreed.lock() else {
            return;
        };
        if agreed.len() >= CACHE_SWEEP_ABOVE {
            agreed.retain(|_, at| at.elapsed() < AGREEMENT_CACHE);
        }
        agreed.insert(driver_id, Instant::now());
    }
}
