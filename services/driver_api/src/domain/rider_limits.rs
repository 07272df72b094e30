//! What one rider may do to the rides around them. Demand near a pickup (and so the surge every
//! nearby rider pays) counts open rides, so a rider who could hold many open rides, or book
//! and cancel for free again and again, could raise everyone's price at no cost:
//! - one open ride per rider (`requested`, `accepted` or `in_progress`), held by the unique
//!   index `rides_one_open_per_rider`: a rider counts once in the demand, whatever they book;
//! - at most `limit` free cancellations by the rider within a sliding `window`; until the
//!   oldest of them leaves the window, booking waits (429 with `Retry-After`).

/// Free cancellations a rider may make within the window (`RIDER_FREE_CANCELLATION_LIMIT`).
pub const FREE_CANCELLATION_LIMIT: i64 = 3;

/// The sliding window of that limit, in seconds (`RIDER_FREE_CANCELLATION_WINDOW_S`).
pub const FREE_CANCELLATION_WINDOW_S: i64 = 3600;

/// Seconds the rider waits before booking again, or `None` when they may book now.
/// `recent_ms` are the times (ms since the epoch) of the rider's free cancellations within
/// `window_s` of `now_ms`, oldest first.
pub fn booking_wait_s(recent_ms: &[i64], now_ms: i64, limit: i64, window_s: i64) -> Option<i64> {
    let window_ms = window_s.saturating_mul(1000);
    let inside: Vec<i64> = recent_ms
        .iter()
        .copied()
        .filter(|t| *t > now_ms.saturating_sub(window_ms) && *t <= now_ms)
        .collect();
    let over = i64::try_from(inside.len()).unwrap_or(i64::MAX) - limit;
    if over < 0 {
        return None;
    }
    // Booking is allowed again once only `limit - 1` remain inside: when the one at index
    // `over` leaves, at its time + window (the window excludes its start).
    let leaves_ms = inside[usize::try_from(over).ok()?].saturating_add(window_ms);
    let wait_ms = leaves_ms.saturating_sub(now_ms).max(0);
    // Whole seconds, rounded up, at least one: Retry-After never says "now" too early.
    Some((wait_ms + 999).div_euclid(1000).max(1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const HOUR_MS: i64 = 3_600_000;

    #[test]
    fn the_fourth_free_cancellation_within_an_hour_makes_the_rider_wait() {
        let now = 10 * HOUR_MS;
        assert_eq!(booking_wait_s(&[], now, 3, 3600), None);
        assert_eq!(booking_wait_s(&[now - 10, now - 5], now, 3, 3600), None);
        // Three within the hour: wait until the oldest is an hour old.
        let three = [now - 600_000, now - 300_000, now - 1000];
        assert_eq!(booking_wait_s(&three, now, 3, 3600), Some(3000));
        // An old one does not count.
        assert_eq!(
            booking_wait_s(&[now - HOUR_MS, now - 2, now - 1], now, 3, 3600),
            None
        );
    }

    proptest! {
        #[test]
        fn after_the_wait_the_rider_may_book_and_a_second_before_not(
            mut times in prop::collection::vec(0i64..7_200_000, 0..10),
            limit in 1i64..5,
        ) {
            times.sort_unstable();
            let now = 7_200_000;
            match booking_wait_s(&times, now, limit, 3600) {
                None => {
                    let inside = times.iter().filter(|t| **t > now - HOUR_MS).count();
                    prop_assert!((inside as i64) < limit);
                }
                Some(wait) => {
                    prop_assert!(wait >= 1);
                    let later = now + wait * 1000;
                    prop_assert_eq!(booking_wait_s(&times, later, limit, 3600), None);
                    if wait > 1 {
                        let earlier = now + (wait - 1) * 1000 - 999;
                        prop_assert!(booking_wait_s(&times, earlier, limit, 3600).is_some());
                    }
                }
            }
        }
    }
}
