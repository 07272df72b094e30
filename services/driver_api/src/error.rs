//! driver_api's one error type: every handler answers with it, as problem+json.
//!
//! Refusals that a client acts on carry a `reason` word (and the problem `type`
//! `urn:odmu:problem:<reason>`), so client_app_api and the driver's app can tell `ride_taken`
//! from `driver_busy` without reading the detail.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use odmu_http::{ClientError, Problem};
use odmu_storage::StorageError;
use serde_json::json;

use crate::domain::ride::{Action, Status};

/// Everything a driver_api request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The driver has no profile yet (`GET /v1/profile`).
    #[error("no profile yet")]
    NoProfile,
    /// No ride with this id that the caller may see (another driver's answers the same).
    #[error("no such ride")]
    RideNotFound,
    /// A refusal the caller can act on: 409 with its reason.
    #[error("refused: {0:?}")]
    Conflict(Conflict),
    /// Too many wrong start codes for this ride: 429 until `retry_after_s` have passed.
    #[error("start code locked")]
    StartCodeLocked {
        /// Seconds until the next attempt is heard.
        retry_after_s: i64,
    },
    /// The rider cancelled too many rides for free lately: 429 until `retry_after_s` passed.
    #[error("cancellation limit")]
    CancellationLimit {
        /// Seconds until the rider may book again.
        retry_after_s: i64,
    },
    /// This service has no credentials to call `service` (a deployment mistake): 503.
    #[error("no client for {0}")]
    NoClient(&'static str),
    /// A client mistake or refusal, already in the project's format.
    #[error(transparent)]
    Problem(#[from] Problem),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A service this one calls failed.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Why a request is refused with 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Going online, or anything that needs it, without a profile.
    NoProfile,
    /// Going online, or seeing rides, without an agreement to the current terms.
    NoCurrentAgreement,
    /// Something only an online driver may do.
    Offline,
    /// Another driver accepted the ride first.
    RideTaken,
    /// The driver already holds an active ride.
    DriverBusy,
    /// The ride is no longer open (cancelled, expired or completed).
    RideNotOpen(Status),
    /// The action does not apply to the ride's status.
    InvalidTransition {
        /// The ride's status.
        status: Status,
        /// What was asked.
        action: Action,
    },
    /// A ride with this id exists for another rider or quote.
    IdTaken,
    /// The ride kept changing under a cancellation; the caller may retry.
    Contended,
    /// The rider already has an open ride (its id, when it could be read).
    RiderHasOpenRide(Option<odmu_ids::RideId>),
    /// The pickup is beyond the dispatch radius of the driver's position.
    TooFar {
        /// How far, in metres.
        distance_m: i64,
        /// The radius, in metres.
        radius_m: i64,
    },
}

impl Conflict {
    /// The word clients match on.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NoProfile => "no_profile",
            Self::NoCurrentAgreement => "no_current_agreement",
            Self::Offline => "offline",
            Self::RideTaken => "ride_taken",
            Self::DriverBusy => "driver_busy",
            Self::RideNotOpen(_) => "ride_not_open",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::IdTaken => "id_taken",
            Self::Contended => "contended",
            Self::RiderHasOpenRide(_) => "rider_has_open_ride",
            Self::TooFar { .. } => "too_far",
        }
    }

    fn detail(self) -> String {
        match self {
            Self::NoProfile => {
                "The driver has no profile: PUT /driver/v1/profile first.".to_owned()
            }
            Self::NoCurrentAgreement => "The driver has not agreed to the current terms: \
                 read GET /contract/v1/terms/current and POST /contract/v1/agreements first."
                .to_owned(),
            Self::Offline => {
                "The driver is offline: PUT /driver/v1/availability with online true first."
                    .to_owned()
            }
            Self::RideTaken => "Another driver accepted this ride first.".to_owned(),
            Self::DriverBusy => {
                "The driver already has an active ride: complete or release it first.".to_owned()
            }
            Self::RideNotOpen(status) => format!("The ride is {status}: no longer open."),
            Self::InvalidTransition { status, action } => {
                format!("Cannot {action} a ride that is {status}.")
            }
            Self::IdTaken => "A ride with this id exists for another rider or quote.".to_owned(),
            Self::Contended => "The ride changed while it was being cancelled; retry.".to_owned(),
            Self::RiderHasOpenRide(_) => "The rider already has an open ride: a rider books one \
                 ride at a time (cancel or finish it first)."
                .to_owned(),
            Self::TooFar {
                distance_m,
                radius_m,
            } => format!(
                "The pickup is {distance_m} m from the driver's position; drivers take rides \
                 within {radius_m} m."
            ),
        }
    }

    /// The problem it answers.
    pub fn problem(self) -> Problem {
        let reason = self.reason();
        let mut problem = Problem::conflict(self.detail())
            .with_type(format!("urn:odmu:problem:{reason}"))
            .with_extension("reason", json!(reason));
        if let Self::RideNotOpen(status) | Self::InvalidTransition { status, .. } = self {
            problem = problem.with_extension("ride_status", json!(status.as_str()));
        }
        if let Self::RiderHasOpenRide(Some(id)) = self {
            problem = problem.with_extension("ride_id", json!(id));
        }
        problem
    }
}

impl From<Conflict> for Error {
    fn from(c: Conflict) -> Self {
        Self::Conflict(c)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::NoProfile => Problem::not_found("No profile yet: PUT one first."),
            Self::RideNotFound => Problem::not_found("No ride with this id (or it is not yours)."),
            Self::Conflict(c) => c.problem(),
            Self::StartCodeLocked { retry_after_s } => too_many(
                retry_after_s,
                "start_code_locked",
                "Too many wrong start codes for this ride",
            ),
            Self::CancellationLimit { retry_after_s } => too_many(
                retry_after_s,
                "cancellation_limit",
                "The rider cancelled too many rides for free lately",
            ),
            Self::NoClient(service) => {
                tracing::error!(service, "no credentials to call a dependency");
                Problem::unavailable(format!(
                    "{service} cannot be called from here; retry later."
                ))
            }
            Self::Problem(p) => p,
            Self::Storage(e) => odmu_runtime::storage_problem(&e),
            Self::Client(e) => Problem::from(e),
        }
        .into_response()
    }
}

/// 429 with `Retry-After` and its `reason`.
fn too_many(retry_after_s: i64, reason: &str, what: &str) -> Problem {
    let wait = retry_after_s.max(1).to_string();
    let mut problem = Problem::new(axum::http::StatusCode::TOO_MANY_REQUESTS)
        .with_detail(format!("{what}; try again in {wait} s."))
        .with_type(format!("urn:odmu:problem:{reason}"))
        .with_extension("reason", json!(reason))
        .with_extension("retry_after_s", json!(retry_after_s.max(1)));
    if let Ok(value) = HeaderValue::from_str(&wait) {
        problem = problem.with_header(header::RETRY_AFTER, value);
    }
    problem
}
