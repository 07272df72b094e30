//! Money primitives.
//!
//! Amounts are plain `i64` counts of the currency's minor unit ("cents")
//! and always travel with a [`Currency`]; there is no floating point
//! anywhere in billing. Every sum in the domain uses checked arithmetic and
//! reports overflow as an error value instead of wrapping or panicking.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An ISO 4217 alphabetic currency code: exactly three ASCII uppercase
/// letters, e.g. `EUR`.
///
/// Only the shape is validated, not membership in the ISO list: the list
/// changes over time, and which currencies the platform accepts is
/// configuration rather than domain logic. Lowercase input is refused rather
/// than normalised so that one currency has exactly one stored spelling.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// A string that is not three ASCII uppercase letters was given as a currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid currency `{input}`: expected three uppercase letters (ISO 4217)")]
pub struct CurrencyError {
    /// The rejected input (truncated to 16 characters).
    pub input: String,
}

impl Currency {
    /// Validates `code` as three ASCII uppercase letters.
    pub fn new(code: &str) -> Result<Self, CurrencyError> {
        match *code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(CurrencyError {
                input: code.chars().take(16).collect(),
            }),
        }
    }

    /// The code as a string slice, e.g. `"EUR"`.
    pub fn as_str(&self) -> &str {
        // `new` only admits ASCII letters, so this cannot fail; the fallback
        // exists only to keep the function free of panic paths.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(&value)
    }
}

impl TryFrom<&str> for Currency {
    type Error = CurrencyError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_three_uppercase_letters_and_round_trips() {
        for code in ["EUR", "USD", "XOF", "AAA", "ZZZ"] {
            let c = Currency::new(code).unwrap();
            assert_eq!(c.as_str(), code);
            assert_eq!(c.to_string(), code);
            assert_eq!(code.parse::<Currency>().unwrap(), c);
            assert_eq!(String::from(c), code);
        }
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "", "EU", "EURO", "eur", "Eur", "E1R", "EU ", " EUR", "ÉUR", "€", "EUR\0",
        ] {
            assert!(Currency::new(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn error_echo_is_bounded() {
        let err = Currency::new(&"Q".repeat(10_000)).unwrap_err();
        assert_eq!(err.input.len(), 16);
    }
}
