//! odmu_contractual's own settings.

use std::time::Duration;

use odmu_config::{ConfigError, Env};

/// The variable that sets how long a quote holds.
pub const QUOTE_TTL_VAR: &str = "CONTRACT_QUOTE_TTL_S";
/// How long a quote holds when the variable is unset: five minutes.
pub const DEFAULT_QUOTE_TTL_S: u64 = 300;
/// The longest lifetime a quote may be given: one day.
pub const MAX_QUOTE_TTL_S: u64 = 86_400;

/// Everything odmu_contractual reads from the environment beyond the shared runtime settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CONTRACT_QUOTE_TTL_S` (default 300, 1 to 86400): a quote expires this long after it
    /// was made.
    pub quote_ttl: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            quote_ttl: Duration::from_secs(DEFAULT_QUOTE_TTL_S),
        }
    }
}

impl odmu_runtime::FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let seconds: u64 = env.parse_or(QUOTE_TTL_VAR, DEFAULT_QUOTE_TTL_S)?;
        if !(1..=MAX_QUOTE_TTL_S).contains(&seconds) {
            return Err(ConfigError::invalid(
                QUOTE_TTL_VAR,
                format!("must be 1 to {MAX_QUOTE_TTL_S} seconds (got {seconds})"),
            ));
        }
        Ok(Self {
            quote_ttl: Duration::from_secs(seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use odmu_runtime::FromEnv as _;

    use super::*;

    fn read(value: &str) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs([(QUOTE_TTL_VAR, value)]))
    }

    #[test]
    fn the_quote_lifetime_defaults_to_five_minutes_and_can_be_set() {
        assert_eq!(Config::from_env(&Env::default()), Ok(Config::default()));
        assert_eq!(Config::default().quote_ttl, Duration::from_secs(300));
        assert_eq!(read("60").map(|c| c.quote_ttl), Ok(Duration::from_secs(60)));
    }

    #[test]
    fn a_bad_quote_lifetime_names_the_variable() {
        for bad in ["0", "-5", "five", "86401", "1.5"] {
            let error = read(bad).expect_err(bad).to_string();
            assert!(error.contains(QUOTE_TTL_VAR), "{bad}: {error}");
        }
    }
}
