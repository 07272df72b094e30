//! Demand near a pickup (DESIGN.md §5a): open requests × 10 000 / max(online drivers, 1), in
//! basis points; 10 000 is one open request per online driver. contractual picks the surge
//! step from it.

/// The highest demand contractual accepts from a service.
pub const MAX_DEMAND_BPS: i64 = 100_000_000;

/// Demand in bps from the supply near a pickup, rounded half up and capped at
/// [`MAX_DEMAND_BPS`]. Negative counts (never sent) count as zero.
pub fn demand_bps(open_requests: i64, online_drivers: i64) -> i64 {
    let open = open_requests.max(0);
    let drivers = online_drivers.max(1);
    let scaled = open.saturating_mul(10_000).saturating_add(drivers / 2);
    (scaled / drivers).min(MAX_DEMAND_BPS)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn demand_is_open_requests_per_online_driver() {
        assert_eq!(demand_bps(0, 0), 0);
        assert_eq!(demand_bps(0, 5), 0);
        assert_eq!(demand_bps(3, 2), 15_000);
        assert_eq!(demand_bps(2, 0), 20_000, "no driver counts as one");
        assert_eq!(demand_bps(1, 3), 3_333);
        assert_eq!(demand_bps(2, 3), 6_667, "half up");
        assert_eq!(demand_bps(i64::MAX, 1), MAX_DEMAND_BPS);
        assert_eq!(demand_bps(-4, -1), 0);
    }

    proptest! {
        #[test]
        fn demand_never_leaves_its_range_and_grows_with_open_requests(
            open in 0i64..1_000_000, drivers in 0i64..1_000_000,
        ) {
            let d = demand_bps(open, drivers);
            prop_assert!((0..=MAX_DEMAND_BPS).contains(&d));
            prop_assert!(demand_bps(open + 1, drivers) >= d);
        }
    }
}
