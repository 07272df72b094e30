//! Ride lifecycle: statuses, the actions that move a ride between them, and
//! the pure money/time rules attached to those moves.
//!
//! The service performs every transition as ONE conditional SQL write
//! (`UPDATE rides SET status = $to ... WHERE id = $1 AND status = ANY($from)`),
//! so each [`Action`] exposes the statuses it accepts
//! ([`Action::from_statuses`]) and the status it produces
//! ([`Action::to_status`]). [`transition`] is the same table, checked in
//! memory, and is what the tests hold the table to.
//!
//! | action   | from                    | to          |
//! |----------|-------------------------|-------------|
//! | Accept   | requested               | accepted    |
//! | Release  | accepted                | requested   |
//! | Start    | accepted                | in_progress |
//! | Complete | in_progress             | completed   |
//! | Cancel   | requested, accepted     | cancelled   |
//! | Expire   | requested               | expired     |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Seconds a ride may stay `requested` without any driver accepting it
/// before it becomes `expired`.
pub const RIDE_REQUEST_TTL_S: i64 = 300;

/// Status of a ride, stored as its lowercase name (see [`Status::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for a driver to accept it.
    Requested,
    /// A driver holds the ride and is on the way to the pickup.
    Accepted,
    /// The rider is on board.
    InProgress,
    /// Terminal: the ride ended normally.
    Completed,
    /// Terminal: the rider cancelled before the trip started.
    Cancelled,
    /// Terminal: no driver accepted within [`RIDE_REQUEST_TTL_S`].
    Expired,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 6] = [
        Status::Requested,
        Status::Accepted,
        Status::InProgress,
        Status::Completed,
        Status::Cancelled,
        Status::Expired,
    ];

    /// The lowercase name used in the database and in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Accepted => "accepted",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    /// `accepted` or `in_progress`: the ride occupies its driver. A driver
    /// holds at most one active ride at a time.
    #[must_use]
    pub const fn is_active(self) -> bool {
        matches!(self, Status::Accepted | Status::InProgress)
    }

    /// `requested`: the ride is open for drivers to accept (this is what
    /// counts as an open request for [`demand_bps`]).
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, Status::Requested)
    }

    /// `completed`, `cancelled` or `expired`: no action applies any more.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Cancelled | Status::Expired
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Returned when a string is not one of the lowercase status names.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown ride status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    /// Parses the exact lowercase name (no trimming, no case folding: the
    /// database only ever holds the canonical spelling).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// Something that moves a ride from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A driver takes a `requested` ride.
    Accept,
    /// The driver gives an `accepted` ride back; it is `requested` again.
    Release,
    /// The driver picked the rider up (after checking the start code).
    Start,
    /// The trip ended.
    Complete,
    /// The ride is called off before the trip started.
    Cancel,
    /// The request timed out with no driver (see [`RIDE_REQUEST_TTL_S`]).
    Expire,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::Accept,
        Action::Release,
        Action::Start,
        Action::Complete,
        Action::Cancel,
        Action::Expire,
    ];

    /// The statuses this action may be applied to: the `WHERE status = ANY(..)`
    /// guard of the conditional write.
    #[must_use]
    pub const fn from_statuses(self) -> &'static [Status] {
        match self {
            Action::Accept | Action::Expire => &[Status::Requested],
            Action::Release | Action::Start => &[Status::Accepted],
            Action::Complete => &[Status::InProgress],
            Action::Cancel => &[Status::Requested, Status::Accepted],
        }
    }

    /// The status this action produces: the `SET status = ..` of the write.
    #[must_use]
    pub const fn to_status(self) -> Status {
        match self {
            Action::Accept => Status::Accepted,
            Action::Release => Status::Requested,
            Action::Start => Status::InProgress,
            Action::Complete => Status::Completed,
            Action::Cancel => Status::Cancelled,
            Action::Expire => Status::Expired,
        }
    }

    /// Lowercase name, for logs and events.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Release => "release",
            Action::Start => "start",
            Action::Complete => "complete",
            Action::Cancel => "cancel",
            Action::Expire => "expire",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused transition. The HTTP layer maps it to 409 Conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The action does not apply to the ride's current status.
    #[error("cannot {action} a ride that is {from}")]
    NotAllowed {
        /// The ride's current status.
        from: Status,
        /// The action that was refused.
        action: Action,
    },
}

/// Applies `action` to a ride in `status`: the new status, or why not.
///
/// Agrees with [`Action::from_statuses`] / [`Action::to_status`] by
/// construction (it is implemented with them).
pub fn transition(status: Status, action: Action) -> Result<Status, TransitionError> {
    if action.from_statuses().contains(&status) {
        Ok(action.to_status())
    } else {
        Err(TransitionError::NotAllowed {
            from: status,
            action,
        })
    }
}

/// Whether a ride requested at `requested_at_ms` has outlived a request TTL of `ttl_ms`
/// (default [`RIDE_REQUEST_TTL_S`]) at `now_ms` (all Unix epoch milliseconds).
///
/// Strict: a driver may still accept at exactly the TTL; the ride expires after that. A
/// `requested_at_ms` in the future (clock skew) is not expired.
#[must_use]
pub const fn request_expired(requested_at_ms: i64, now_ms: i64, ttl_ms: i64) -> bool {
    requested_at_ms < expiry_cutoff_ms(now_ms, ttl_ms)
}

/// The expiry sweep's bound: rides still `requested` since before this instant are expired
/// (`WHERE requested_at_ms < cutoff`, the same rule as [`request_expired`]).
#[must_use]
pub const fn expiry_cutoff_ms(now_ms: i64, ttl_ms: i64) -> i64 {
    now_ms.saturating_sub(ttl_ms)
}

/// What a cancellation costs the rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOutcome {
    /// Fee to charge, in cents; `0` when free.
    pub fee_cents: i64,
    /// Whether a (non-zero) fee is charged.
    pub charged: bool,
}

impl CancelOutcome {
    /// No fee.
    pub const FREE: CancelOutcome = CancelOutcome {
        fee_cents: 0,
        charged: false,
    };
}

/// The fee for cancelling a ride in `status` at `now_ms`.
///
/// - `requested`: free.
/// - `accepted`: free while `now_ms - accepted_at_ms <= free_cancellation_s * 1000`
///   (inclusive: cancelling at exactly the limit is still free, the rider gets
///   the benefit of the boundary), `fee_cents` after that. A missing
///   `accepted_at_ms` (should not happen for an accepted ride) or one in the
///   future (clock skew) counts as "just accepted", i.e. free.
/// - `in_progress`, `completed`, `cancelled`, `expired`: refused with
///   [`TransitionError::NotAllowed`].
///
/// A negative `fee_cents` is treated as 0 (never pay the rider for
/// cancelling); a negative `free_cancellation_s` means no free window.
/// All arithmetic saturates, so no input panics.
pub fn cancellation_fee(
    status: Status,
    accepted_at_ms: Option<i64>,
    now_ms: i64,
    free_cancellation_s: i64,
    fee_cents: i64,
) -> Result<CancelOutcome, TransitionError> {
    // Same guard as the SQL write, so the fee is never computed for a ride
    // that the cancel would not apply to.
    transition(status, Action::Cancel)?;
    if status == Status::Requested {
        return Ok(CancelOutcome::FREE);
    }
    let Some(accepted_at_ms) = accepted_at_ms else {
        return Ok(CancelOutcome::FREE);
    };
    let elapsed_ms = now_ms.saturating_sub(accepted_at_ms);
    let free_ms = free_cancellation_s.saturating_mul(1000);
    let fee = fee_cents.max(0);
    if elapsed_ms <= free_ms || fee == 0 {
        Ok(CancelOutcome::FREE)
    } else {
        Ok(CancelOutcome {
            fee_cents: fee,
            charged: true,
        })
    }
}

/// Demand pressure in basis points: `open_requests * 10000 / max(online_drivers, 1)`.
///
/// 10000 means one open request per online driver. Saturates at `i64::MAX`;
/// negative inputs count as 0, so the result is never negative.
#[must_use]
pub const fn demand_bps(open_requests: i64, online_drivers: i64) -> i64 {
    let open = if open_requests > 0 { open_requests } else { 0 };
    let online = if online_drivers > 1 {
        online_drivers
    } else {
        1
    };
    open.saturating_mul(10_000) / online
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(status.to_string(), status.as_str());
        }
        assert_eq!(
            "Requested".parse::<Status>(),
            Err(UnknownStatus("Requested".into()))
        );
        assert!("".parse::<Status>().is_err());
        assert!(" requested".parse::<Status>().is_err());
    }

    #[test]
    fn serde_uses_the_same_names() {
        use serde::de::value::{Error, StrDeserializer};
        for status in Status::ALL {
            let de = StrDeserializer::<Error>::new(status.as_str());
            assert_eq!(Status::deserialize(de), Ok(status));
        }
        for action in Action::ALL {
            let de = StrDeserializer::<Error>::new(action.as_str());
            assert_eq!(Action::deserialize(de), Ok(action));
        }
        let de = StrDeserializer::<Error>::new("InProgress");
        assert!(Status::deserialize(de).is_err());
    }

    #[test]
    fn the_graph_is_the_contract() {
        use Action::*;
        use Status::*;
        let allowed = [
            (Requested, Accept, Accepted),
            (Accepted, Release, Requested),
            (Accepted, Start, InProgress),
            (InProgress, Complete, Completed),
            (Requested, Cancel, Cancelled),
            (Accepted, Cancel, Cancelled),
            (Requested, Expire, Expired),
        ];
        for from in Status::ALL {
            for action in Action::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(transition(from, action), Ok(to)),
                    None => assert_eq!(
                        transition(from, action),
                        Err(TransitionError::NotAllowed { from, action })
                    ),
                }
            }
        }
    }

    #[test]
    fn active_open_terminal() {
        use Status::*;
        let active: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_active()).collect();
        assert_eq!(active, [Accepted, InProgress]);
        let open: Vec<_> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [Requested]);
        let terminal: Vec<_> = Status::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [Completed, Cancelled, Expired]);
    }

    #[test]
    fn error_message_reads_well() {
        let err = transition(Status::Completed, Action::Cancel).unwrap_err();
        assert_eq!(err.to_string(), "cannot cancel a ride that is completed");
    }

    #[test]
    fn expiry_boundary() {
        let ttl = RIDE_REQUEST_TTL_S * 1000;
        assert!(!request_expired(0, 300_000, ttl));
        assert!(request_expired(0, 300_001, ttl));
        assert!(!request_expired(10_000, 0, ttl));
        assert!(request_expired(i64::MIN + 1, i64::MAX, ttl));
        assert!(!request_expired(i64::MAX, i64::MIN, ttl));
        assert!(request_expired(0, 1_001, 1_000));
        assert_eq!(expiry_cutoff_ms(300_001, ttl), 1);
    }

    #[test]
    fn cancellation_rules() {
        let t0 = 1_700_000_000_000;
        let fee = |status, at, now| cancellation_fee(status, at, now, 120, 500);
        assert_eq!(fee(Status::Requested, None, t0), Ok(CancelOutcome::FREE));
        // Inclusive boundary: exactly 120 s after acceptance is still free.
        assert_eq!(
            fee(Status::Accepted, Some(t0), t0 + 120_000),
            Ok(CancelOutcome::FREE)
        );
        assert_eq!(
            fee(Status::Accepted, Some(t0), t0 + 120_001),
            Ok(CancelOutcome {
                fee_cents: 500,
                charged: true
            })
        );
        // Clock skew and missing timestamp favour the rider.
        assert_eq!(
            fee(Status::Accepted, Some(t0), t0 - 5_000),
            Ok(CancelOutcome::FREE)
        );
        assert_eq!(fee(Status::Accepted, None, t0), Ok(CancelOutcome::FREE));
        for status in [
            Status::InProgress,
            Status::Completed,
            Status::Cancelled,
            Status::Expired,
        ] {
            assert_eq!(
                fee(status, Some(t0), t0),
                Err(TransitionError::NotAllowed {
                    from: status,
                    action: Action::Cancel
                })
            );
        }
        // Negative or zero fee never charges.
        assert_eq!(
            cancellation_fee(Status::Accepted, Some(0), i64::MAX, 0, -7),
            Ok(CancelOutcome::FREE)
        );
    }

    #[test]
    fn demand_examples() {
        assert_eq!(demand_bps(0, 0), 0);
        assert_eq!(demand_bps(3, 0), 30_000);
        assert_eq!(demand_bps(1, 4), 2_500);
        assert_eq!(demand_bps(-5, 2), 0);
        assert_eq!(demand_bps(i64::MAX, 1), i64::MAX);
        assert_eq!(demand_bps(i64::MAX, -1), i64::MAX);
    }

    fn any_status() -> impl Strategy<Value = Status> {
        proptest::sample::select(Status::ALL.to_vec())
    }

    fn any_action() -> impl Strategy<Value = Action> {
        proptest::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn random_walks_stay_in_the_graph(actions in proptest::collection::vec(any_action(), 0..64)) {
            let mut status = Status::Requested;
            let mut terminal_at: Option<Status> = None;
            for action in actions {
                match transition(status, action) {
                    Ok(next) => {
                        // A terminal status never moves again.
                        prop_assert!(terminal_at.is_none());
                        prop_assert!(action.from_statuses().contains(&status));
                        prop_assert_eq!(next, action.to_status());
                        status = next;
                    }
                    Err(TransitionError::NotAllowed { from, action: refused }) => {
                        prop_assert_eq!(from, status);
                        prop_assert_eq!(refused, action);
                    }
                }
                prop_assert!(Status::ALL.contains(&status));
                if status.is_terminal() {
                    prop_assert!(terminal_at.is_none_or(|t| t == status));
                    terminal_at = Some(status);
                }
            }
        }

        #[test]
        fn terminal_statuses_accept_nothing(status in any_status(), action in any_action()) {
            if status.is_terminal() {
                prop_assert!(transition(status, action).is_err());
            }
        }

        #[test]
        fn transition_agrees_with_the_sql_table(status in any_status(), action in any_action()) {
            let allowed = action.from_statuses().contains(&status);
            prop_assert_eq!(transition(status, action).is_ok(), allowed);
            if let Ok(next) = transition(status, action) {
                prop_assert_eq!(next, action.to_status());
            }
        }

        #[test]
        fn cancellation_never_panics_and_is_consistent(
            status in any_status(),
            accepted_at in proptest::option::of(any::<i64>()),
            now in any::<i64>(),
            free_s in any::<i64>(),
            fee in any::<i64>(),
        ) {
            match cancellation_fee(status, accepted_at, now, free_s, fee) {
                Ok(outcome) => {
                    prop_assert!(matches!(status, Status::Requested | Status::Accepted));
                    prop_assert!(outcome.fee_cents >= 0);
                    prop_assert_eq!(outcome.charged, outcome.fee_cents > 0);
                    if status == Status::Requested {
                        prop_assert_eq!(outcome, CancelOutcome::FREE);
                    }
                }
                Err(_) => prop_assert!(!matches!(status, Status::Requested | Status::Accepted)),
            }
        }

        #[test]
        fn demand_never_negative(open in any::<i64>(), online in any::<i64>()) {
            let bps = demand_bps(open, online);
            prop_assert!(bps >= 0);
            if (0..1_000_000).contains(&open) && (1..1_000_000).contains(&online) {
                prop_assert_eq!(bps, open * 10_000 / online);
            }
        }
    }
}
