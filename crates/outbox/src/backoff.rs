//! Capped exponential backoff with equal jitter, for the retries of one message.
//!
//! `ceiling(n) = min(cap, base × 2^(n−1))` for the n-th failed attempt, and the wait is drawn
//! uniformly from `[ceiling/2, ceiling]`. Equal jitter rather than full jitter: the random half
//! spreads the retries of many messages that failed together (billing down for a minute), and
//! the fixed half keeps a consumer that is down from being called again at once.

use std::time::Duration;

/// The largest wait before the retry that follows the `attempt`-th failure (1-based).
pub(crate) fn ceiling(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let doublings = attempt.saturating_sub(1).min(31);
    base.checked_mul(1u32 << doublings).unwrap_or(cap).min(cap)
}

/// The wait before the retry that follows the `attempt`-th failure, for a `unit` drawn from
/// `[0, 1)`: `ceiling/2 + unit × ceiling/2`.
pub(crate) fn delay_with(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let ceiling = ceiling(attempt, base, cap);
    let half = ceiling / 2;
    half + half.mul_f64(unit.clamp(0.0, 1.0))
}

/// The wait before the retry that follows the `attempt`-th failure, with fresh jitter.
pub(crate) fn delay(attempt: u32, base: Duration, cap: Duration) -> Duration {
    delay_with(attempt, base, cap, fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_millis(200);
    const CAP: Duration = Duration::from_secs(30);

    #[test]
    fn the_ceiling_doubles_from_the_base_up_to_the_cap() {
        let ms = |n| ceiling(n, BASE, CAP).as_millis();
        assert_eq!(ms(0), 200);
        assert_eq!(ms(1), 200);
        assert_eq!(ms(2), 400);
        assert_eq!(ms(3), 800);
        assert_eq!(ms(8), 25_600);
        assert_eq!(ms(9), 30_000);
        assert_eq!(
            ms(1000),
            30_000,
            "no overflow on a message retried for days"
        );
        assert_eq!(ceiling(u32::MAX, Duration::MAX, CAP), CAP);
    }

    #[test]
    fn the_wait_is_between_half_the_ceiling_and_the_ceiling() {
        for n in 1..20 {
            let c = ceiling(n, BASE, CAP);
            assert_eq!(delay_with(n, BASE, CAP, 0.0), c / 2);
            assert_eq!(delay_with(n, BASE, CAP, 1.0), c);
            let d = delay(n, BASE, CAP);
            assert!(d >= c / 2 && d <= c, "{d:?} outside [{:?}, {c:?}]", c / 2);
        }
    }

    #[test]
    fn jitter_spreads_the_retries() {
        let waits: std::collections::BTreeSet<_> = (0..50).map(|_| delay(5, BASE, CAP)).collect();
        assert!(waits.len() > 10, "waits should differ: {waits:?}");
    }
}
