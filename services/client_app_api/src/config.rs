//! client_app_api's own settings, beyond the runtime's shared ones.

use std::time::Duration;

use odmu_config::{ConfigError, Env};
use odmu_idempotency::IdempotencyConfig;

/// The variable of the route factor.
pub const ROUTE_FACTOR_VAR: &str = "ROUTE_FACTOR";
/// The variable bounding each call to contractual or driver_api.
pub const CALL_TIMEOUT_VAR: &str = "CLIENT_CALL_TIMEOUT_MS";

/// The route factor when unset: roads are about 30 % longer than the straight line.
pub const DEFAULT_ROUTE_FACTOR: f64 = 1.3;

/// Everything client_app_api reads from the environment beyond the runtime's settings.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// `ROUTE_FACTOR` (default 1.3, 1.0 to 3.0): the estimated route distance is the
    /// great-circle distance times this.
    pub route_factor: f64,
    /// `CLIENT_CALL_TIMEOUT_MS` (default 2000, 100 to 5000): one call to contractual or
    /// driver_api (connect, send, answer). A request makes at most three calls in a row, so the
    /// worst case stays under the 10 s request timeout.
    pub call_timeout: Duration,
    /// `IDEMPOTENCY_TTL_H` (default 24): how long Idempotency-Keys are remembered.
    pub idempotency: IdempotencyConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            route_factor: DEFAULT_ROUTE_FACTOR,
            call_timeout: Duration::from_millis(2000),
            idempotency: IdempotencyConfig::default(),
        }
    }
}

impl odmu_runtime::FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let route_factor: f64 = env.parse_or(ROUTE_FACTOR_VAR, DEFAULT_ROUTE_FACTOR)?;
        // `contains` is false for NaN too.
        if !(1.0..=3.0).contains(&route_factor) {
            return Err(ConfigError::invalid(
                ROUTE_FACTOR_VAR,
                "must be a number from 1.0 to 3.0",
            ));
        }
        let call_timeout = env.millis_or(CALL_TIMEOUT_VAR, Duration::from_millis(2000))?;
        if !(Duration::from_millis(100)..=Duration::from_millis(5000)).contains(&call_timeout) {
            return Err(ConfigError::invalid(
                CALL_TIMEOUT_VAR,
                "must be 100 to 5000 milliseconds",
            ));
        }
        Ok(Self {
            route_factor,
            call_timeout,
            idempotency: IdempotencyConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use odmu_runtime::FromEnv as _;

    use super::*;

    #[test]
    fn defaults_apply_and_values_within_bounds_are_read() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert!((config.route_factor - 1.3).abs() < f64::EPSILON);
        assert_eq!(config.call_timeout, Duration::from_millis(2000));
        assert_eq!(config.idempotency.ttl, Duration::from_secs(24 * 3600));
        for (value, expected) in [("1", 1.0), ("1.0", 1.0), ("2.25", 2.25), ("3.0", 3.0)] {
            let config = Config::from_env(&Env::from_pairs([(ROUTE_FACTOR_VAR, value)])).unwrap();
            assert!(
                (config.route_factor - expected).abs() < f64::EPSILON,
                "{value}"
            );
        }
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            (ROUTE_FACTOR_VAR, "0.99"),
            (ROUTE_FACTOR_VAR, "3.01"),
            (ROUTE_FACTOR_VAR, "NaN"),
            (ROUTE_FACTOR_VAR, "inf"),
            (ROUTE_FACTOR_VAR, "fast"),
            (CALL_TIMEOUT_VAR, "50"),
            (CALL_TIMEOUT_VAR, "6000"),
            ("IDEMPOTENCY_TTL_H", "0"),
        ] {
            let error = Config::from_env(&Env::from_pairs([(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(var), "{var}={value}: {error}");
        }
    }
}
