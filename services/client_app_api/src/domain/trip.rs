//! A trip as its rider sees it: the rider's own record (which quote, when) merged with the
//! ride driver_api keeps under the same id. What shows when:
//! - `pending`: the trip is recorded but driver_api has not confirmed its ride yet (it was
//!   unreachable); repeating the booking with the same `Idempotency-Key` completes it;
//! - the start code only while it is still useful: `requested` and `accepted`;
//! - the driver once one accepted (driver_api sends it from then on), except on a ride that
//!   never reached the rider (`expired`);
//! - the final price and invoice once billed, the cancellation fee once cancelled.

use serde::{Deserialize, Serialize};

/// Where a trip stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TripStatus {
    /// Recorded here, not yet confirmed by dispatch: book again with the same
    /// `Idempotency-Key` to complete it.
    Pending,
    /// Waiting for a driver.
    Requested,
    /// A driver accepted and is on the way.
    Accepted,
    /// The rider is on board.
    InProgress,
    /// Arrived; the final price follows once billed.
    Completed,
    /// Cancelled before the trip started.
    Cancelled,
    /// No driver accepted in time.
    Expired,
}

impl TripStatus {
    /// The lowercase name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Requested => "requested",
            Self::Accepted => "accepted",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// Whether the rider still needs the start code (to give it to the driver at pickup).
    pub const fn shows_start_code(self) -> bool {
        matches!(self, Self::Requested | Self::Accepted)
    }

    /// Whether a driver may be shown: one accepted the ride at some point.
    pub const fn may_show_driver(self) -> bool {
        matches!(
            self,
            Self::Accepted | Self::InProgress | Self::Completed | Self::Cancelled
        )
    }
}

impl std::fmt::Display for TripStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the rider sees of a ride's facts, after the rules above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visible<D> {
    /// The trip's status.
    pub status: TripStatus,
    /// The start code, while useful.
    pub start_code: Option<String>,
    /// The driver, once one accepted.
    pub driver: Option<D>,
}

/// Applies the visibility rules to a ride's status, start code and driver; `None` for a trip
/// whose ride driver_api does not have yet (`pending`).
pub fn visible<D>(ride: Option<(TripStatus, Option<String>, Option<D>)>) -> Visible<D> {
    match ride {
        None => Visible {
            status: TripStatus::Pending,
            start_code: None,
            driver: None,
        },
        Some((status, start_code, driver)) => Visible {
            status,
            start_code: start_code.filter(|_| status.shows_start_code()),
            driver: driver.filter(|_| status.may_show_driver()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [TripStatus; 7] = [
        TripStatus::Pending,
        TripStatus::Requested,
        TripStatus::Accepted,
        TripStatus::InProgress,
        TripStatus::Completed,
        TripStatus::Cancelled,
        TripStatus::Expired,
    ];

    #[test]
    fn statuses_read_and_write_driver_apis_names() {
        for status in ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(serde_json::from_str::<TripStatus>(&json).unwrap(), status);
        }
        assert!(serde_json::from_str::<TripStatus>("\"teleported\"").is_err());
    }

    #[test]
    fn a_trip_without_its_ride_is_pending_and_shows_nothing() {
        let v = visible::<&str>(None);
        assert_eq!(v.status, TripStatus::Pending);
        assert_eq!((v.start_code, v.driver), (None, None));
    }

    #[test]
    fn the_start_code_shows_until_the_trip_starts_and_the_driver_once_one_accepted() {
        for status in ALL.into_iter().skip(1) {
            let v = visible(Some((status, Some("1234".to_owned()), Some("Dan"))));
            assert_eq!(v.status, status);
            assert_eq!(
                v.start_code.is_some(),
                matches!(status, TripStatus::Requested | TripStatus::Accepted),
                "{status}"
            );
            assert_eq!(
                v.driver.is_some(),
                !matches!(status, TripStatus::Requested | TripStatus::Expired),
                "{status}"
            );
        }
        let v = visible::<&str>(Some((TripStatus::Accepted, None, None)));
        assert_eq!((v.start_code, v.driver), (None, None));
    }
}
