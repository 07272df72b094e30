//! Typed configuration from the environment (12-factor).
//!
//! Each crate owns its own config struct and reads it through an [`Env`]; every error names the
//! variable and what is wrong with its value, and secrets are a [`Secret`] that never prints.
//! Reading goes through `Env` rather than `std::env` so tests can build a configuration from a
//! list of pairs without touching the process environment.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A configuration value that is wrong or missing. The message always names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set (or is empty).
    #[error("{var} is required but not set")]
    Missing {
        /// The environment variable.
        var: String,
    },
    /// A variable is set to something unusable.
    #[error("{var} is invalid: {problem}")]
    Invalid {
        /// The environment variable.
        var: String,
        /// What is wrong with the value; never the value itself when it is a secret.
        problem: String,
    },
}

impl ConfigError {
    /// An invalid-value error for `var`.
    pub fn invalid(var: &str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            var: var.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A snapshot of environment variables to read configuration from.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment (variables that are not valid UTF-8 are ignored).
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment made of these pairs only.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The raw value, treating an empty string as unset (compose and ECS often pass `VAR=`).
    pub fn raw(&self, var: &str) -> Option<&str> {
        self.vars
            .get(var)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A string value or the default.
    pub fn string_or(&self, var: &str, default: &str) -> String {
        self.raw(var).unwrap_or(default).to_owned()
    }

    /// An optional parsed value: unset is `None`, unparseable is an error naming the variable.
    pub fn optional<T>(&self, var: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.raw(var)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| ConfigError::invalid(var, format!("{e} (got {v:?})")))
            })
            .transpose()
    }

    /// A parsed value, or the default when unset.
    pub fn parse_or<T>(&self, var: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        Ok(self.optional(var)?.unwrap_or(default))
    }

    /// A required parsed value.
    pub fn required<T>(&self, var: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.optional(var)?.ok_or_else(|| ConfigError::Missing {
            var: var.to_owned(),
        })
    }

    /// A TCP port (0 lets the system choose one).
    pub fn port_or(&self, var: &str, default: u16) -> Result<u16, ConfigError> {
        self.raw(var)
            .map(|v| {
                v.parse::<u16>().map_err(|_| {
                    ConfigError::invalid(var, format!("must be a port number 0-65535 (got {v:?})"))
                })
            })
            .unwrap_or(Ok(default))
    }

    /// A duration given in whole milliseconds.
    pub fn millis_or(&self, var: &str, default: Duration) -> Result<Duration, ConfigError> {
        self.raw(var)
            .map(|v| {
                v.parse::<u64>().map(Duration::from_millis).map_err(|_| {
                    ConfigError::invalid(
                        var,
                        format!("must be a whole number of milliseconds (got {v:?})"),
                    )
                })
            })
            .unwrap_or(Ok(default))
    }

    /// An `http://` or `https://` base URL, returned without a trailing slash.
    pub fn http_url_or(&self, var: &str, default: &str) -> Result<String, ConfigError> {
        let v = self.raw(var).unwrap_or(default);
        let rest = v
            .strip_prefix("http://")
            .or_else(|| v.strip_prefix("https://"));
        match rest {
            Some(host) if !host.is_empty() && !host.starts_with('/') => {
                Ok(v.trim_end_matches('/').to_owned())
            }
            _ => Err(ConfigError::invalid(
                var,
                format!("must be an http:// or https:// URL with a host (got {v:?})"),
            )),
        }
    }

    /// A secret; its value never appears in an error or a log.
    pub fn secret(&self, var: &str) -> Option<Secret> {
        self.raw(var).map(|v| Secret::new(v.to_owned()))
    }

    /// One of a fixed set of words, case-insensitive.
    pub fn one_of<T: Copy>(
        &self,
        var: &str,
        default: T,
        choices: &[(&str, T)],
    ) -> Result<T, ConfigError> {
        let Some(v) = self.raw(var) else {
            return Ok(default);
        };
        choices
            .iter()
            .find(|(word, _)| word.eq_ignore_ascii_case(v))
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let words: Vec<_> = choices.iter().map(|(w, _)| *w).collect();
                ConfigError::invalid(
                    var,
                    format!("must be one of {} (got {v:?})", words.join(", ")),
                )
            })
    }
}

/// A secret string: `Debug` and `Display` print `[redacted]`, so it is safe inside any struct
/// that gets logged. Read it with [`Secret::expose`] at the one place that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself. Call it where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn bad_port_names_the_variable_and_the_problem() {
        let err = env(&[("PORT", "80a")]).port_or("PORT", 3000).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("PORT is invalid"), "{msg}");
        assert!(msg.contains("port number"), "{msg}");
        assert!(msg.contains("\"80a\""), "{msg}");
        assert!(env(&[("PORT", "70000")]).port_or("PORT", 1).is_err());
    }

    #[test]
    fn unset_and_empty_fall_back_to_the_default() {
        assert_eq!(env(&[]).port_or("PORT", 3001), Ok(3001));
        assert_eq!(env(&[("PORT", "  ")]).port_or("PORT", 3001), Ok(3001));
        assert_eq!(env(&[("PORT", "0")]).port_or("PORT", 3001), Ok(0));
    }

    #[test]
    fn required_reports_missing_by_name() {
        let err = env(&[]).required::<u32>("WORKERS").unwrap_err();
        assert_eq!(err.to_string(), "WORKERS is required but not set");
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        let e = env(&[
            ("AUTH_URL", "ftp://x"),
            ("B", "http://"),
            ("C", "https://h:1/"),
        ]);
        assert!(e.http_url_or("AUTH_URL", "http://d").is_err());
        assert!(e.http_url_or("B", "http://d").is_err());
        assert_eq!(e.http_url_or("C", "http://d").unwrap(), "https://h:1");
        assert_eq!(e.http_url_or("UNSET", "http://d/").unwrap(), "http://d");
    }

    #[test]
    fn one_of_lists_the_choices() {
        let e = env(&[("LOG_FORMAT", "xml"), ("OK", "JSON")]);
        let choices = [("json", 1), ("pretty", 2)];
        let msg = e.one_of("LOG_FORMAT", 2, &choices).unwrap_err().to_string();
        assert!(
            msg.contains("LOG_FORMAT") && msg.contains("json, pretty"),
            "{msg}"
        );
        assert_eq!(e.one_of("OK", 2, &choices), Ok(1));
    }

    #[test]
    fn secrets_never_print() {
        let s = env(&[("SERVICE_CLIENT_SECRET", "hunter2-hunter2")])
            .secret("SERVICE_CLIENT_SECRET")
            .unwrap();
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-hunter2");
    }

    #[test]
    fn durations_are_milliseconds() {
        let e = env(&[("T", "250"), ("BAD", "1s")]);
        assert_eq!(
            e.millis_or("T", Duration::ZERO).unwrap(),
            Duration::from_millis(250)
        );
        assert!(
            e.millis_or("BAD", Duration::ZERO)
                .unwrap_err()
                .to_string()
                .contains("BAD")
        );
    }
}
