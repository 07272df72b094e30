//! billing's own settings, beyond the runtime's shared ones.

use std::time::Duration;

use odmu_config::{ConfigError, Env};
use odmu_idempotency::IdempotencyConfig;

use crate::domain::money::Currency;

/// The variable bounding each call to contractual.
pub const PRICE_TIMEOUT_VAR: &str = "BILLING_PRICE_TIMEOUT_MS";
/// The variable naming the currency of earnings and payouts when the caller names none.
pub const DEFAULT_CURRENCY_VAR: &str = "BILLING_DEFAULT_CURRENCY";

/// Everything billing reads from the environment beyond the runtime's settings.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// `BILLING_PRICE_TIMEOUT_MS` (default 1500, 100 to 5000): one price call to contractual.
    /// With two retries the default's worst case (about 4.7 s) stays under the 5 s the rides'
    /// outbox waits for a charge, and under the 10 s request timeout.
    pub price_timeout: Duration,
    /// `BILLING_DEFAULT_CURRENCY` (default `EUR`): earnings and payouts that name no currency.
    pub default_currency: Currency,
    /// `IDEMPOTENCY_TTL_H`: how long Idempotency-Keys are remembered.
    pub idempotency: IdempotencyConfig,
}

impl odmu_runtime::FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let price_timeout = env.millis_or(PRICE_TIMEOUT_VAR, Duration::from_millis(1500))?;
        if !(Duration::from_millis(100)..=Duration::from_millis(5000)).contains(&price_timeout) {
            return Err(ConfigError::invalid(
                PRICE_TIMEOUT_VAR,
                "must be 100 to 5000 milliseconds",
            ));
        }
        let default_currency =
            Currency::new(&env.string_or(DEFAULT_CURRENCY_VAR, "EUR")).map_err(|_| {
                ConfigError::invalid(
                    DEFAULT_CURRENCY_VAR,
                    "must be three uppercase letters (ISO 4217)",
                )
            })?;
        Ok(Self {
            price_timeout,
            default_currency,
            idempotency: IdempotencyConfig::from_env(env)?,
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
        assert_eq!(config.price_timeout, Duration::from_millis(1500));
        assert_eq!(config.default_currency.as_str(), "EUR");
        for (var, value) in [
            (PRICE_TIMEOUT_VAR, "50"),
            (PRICE_TIMEOUT_VAR, "soon"),
            (DEFAULT_CURRENCY_VAR, "eur"),
            ("IDEMPOTENCY_TTL_H", "0"),
        ] {
            let error = Config::from_env(&Env::from_pairs([(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(var), "{var}={value}: {error}");
        }
    }
}
