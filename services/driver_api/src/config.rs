//! driver_api's own settings, beyond the runtime's shared ones.

use std::time::Duration;

use odmu_config::{ConfigError, Env};

use crate::domain::geo::MAX_SEARCH_RADIUS_M;
use crate::domain::ride::RIDE_REQUEST_TTL_S;
use crate::domain::rider_limits::{FREE_CANCELLATION_LIMIT, FREE_CANCELLATION_WINDOW_S};

/// The variable giving the dispatch radius.
pub const DISPATCH_RADIUS_VAR: &str = "DISPATCH_RADIUS_M";
/// The variable giving how long a ride waits for a driver.
pub const REQUEST_TTL_VAR: &str = "RIDE_REQUEST_TTL_S";

/// The variable giving how many free cancellations a rider may make within the window.
pub const CANCELLATION_LIMIT_VAR: &str = "RIDER_FREE_CANCELLATION_LIMIT";
/// The variable giving that window.
pub const CANCELLATION_WINDOW_VAR: &str = "RIDER_FREE_CANCELLATION_WINDOW_S";

/// The most a ride may wait for a driver: a day (a longer wait is a misconfiguration).
const MAX_REQUEST_TTL_S: u64 = 86_400;

/// Everything driver_api reads from the environment beyond the runtime's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// `DISPATCH_RADIUS_M` (default 3000, 100 to 50 000): how far from a driver open rides
    /// are shown, and the radius of `internal/supply`.
    pub dispatch_radius_m: f64,
    /// `RIDE_REQUEST_TTL_S` (default 300, 1 to 86 400): a ride no driver accepted within this
    /// long becomes `expired`.
    pub request_ttl: Duration,
    /// `RIDER_FREE_CANCELLATION_LIMIT` (default 3, 1 to 1000): free cancellations a rider may
    /// make within the window before booking waits.
    pub free_cancellation_limit: i64,
    /// `RIDER_FREE_CANCELLATION_WINDOW_S` (default 3600, 1 to 86 400): that sliding window.
    pub free_cancellation_window_s: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            dispatch_radius_m: 3000.0,
            request_ttl: Duration::from_secs(RIDE_REQUEST_TTL_S.unsigned_abs()),
            free_cancellation_limit: FREE_CANCELLATION_LIMIT,
            free_cancellation_window_s: FREE_CANCELLATION_WINDOW_S,
        }
    }
}

impl Config {
    /// The request TTL in milliseconds, as the rides table counts time.
    pub fn request_ttl_ms(&self) -> i64 {
        i64::try_from(self.request_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// How often the expiry sweep runs: a quarter of the TTL, between 250 ms and 5 s, so a
    /// ride expires at most that long after its TTL.
    pub fn expiry_period(&self) -> Duration {
        (self.request_ttl / 4).clamp(Duration::from_millis(250), Duration::from_secs(5))
    }
}

impl odmu_runtime::FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let radius: u32 = env.parse_or(DISPATCH_RADIUS_VAR, 3000)?;
        let radius = f64::from(radius);
        if !(100.0..=MAX_SEARCH_RADIUS_M).contains(&radius) {
            return Err(ConfigError::invalid(
                DISPATCH_RADIUS_VAR,
                "must be 100 to 50000 metres",
            ));
        }
        let ttl_s: u64 = env.parse_or(REQUEST_TTL_VAR, defaults.request_ttl.as_secs())?;
        if !(1..=MAX_REQUEST_TTL_S).contains(&ttl_s) {
            return Err(ConfigError::invalid(
                REQUEST_TTL_VAR,
                "must be 1 to 86400 seconds",
            ));
        }
        let limit: i64 = env.parse_or(CANCELLATION_LIMIT_VAR, defaults.free_cancellation_limit)?;
        if !(1..=1000).contains(&limit) {
            return Err(ConfigError::invalid(
                CANCELLATION_LIMIT_VAR,
                "must be 1 to 1000",
            ));
        }
        let window: i64 =
            env.parse_or(CANCELLATION_WINDOW_VAR, defaults.free_cancellation_window_s)?;
        if !(1..=86_400).contains(&window) {
            return Err(ConfigError::invalid(
                CANCELLATION_WINDOW_VAR,
                "must be 1 to 86400 seconds",
            ));
        }
        Ok(Self {
            dispatch_radius_m: radius,
            request_ttl: Duration::from_secs(ttl_s),
            free_cancellation_limit: limit,
            free_cancellation_window_s: window,
        })
    }
}

#[cfg(test)]
mod tests {
    use odmu_runtime::FromEnv as _;

    use super::*;

    #[test]
    fn defaults_and_bad_values_name_their_variable() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.dispatch_radius_m, 3000.0);
        assert_eq!(config.request_ttl, Duration::from_secs(300));
        assert_eq!(config.expiry_period(), Duration::from_secs(5));
        let quick = Config::from_env(&Env::from_pairs([(REQUEST_TTL_VAR, "1")])).unwrap();
        assert_eq!(quick.expiry_period(), Duration::from_millis(250));
        for (var, value) in [
            (DISPATCH_RADIUS_VAR, "far"),
            (DISPATCH_RADIUS_VAR, "-5"),
            (DISPATCH_RADIUS_VAR, "99"),
            (DISPATCH_RADIUS_VAR, "50001"),
            (REQUEST_TTL_VAR, "0"),
            (REQUEST_TTL_VAR, "1.5"),
            (REQUEST_TTL_VAR, "86401"),
            (CANCELLATION_LIMIT_VAR, "0"),
            (CANCELLATION_WINDOW_VAR, "86401"),
        ] {
            let error = Config::from_env(&Env::from_pairs([(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(var), "{var}={value}: {error}");
        }
    }
}
