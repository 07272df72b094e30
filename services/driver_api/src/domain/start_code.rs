//! The 4-digit start code the rider shows and the driver types in before
//! starting a ride.
//!
//! Kept pure: the randomness comes in as a closure (in the service, one
//! backed by `ring::rand::SystemRandom`), so this module needs no RNG crate
//! and tests can drive it deterministically.

use std::fmt;
use std::hint::black_box;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Number of digits in a start code.
pub const START_CODE_LEN: usize = 4;

/// Wrong codes in a row after which a ride's code is not heard for [`LOCKOUT_MS`]. With 5
/// guesses a minute, finding one of 10 000 codes takes about 16 hours on average.
pub const MAX_FAILED_ATTEMPTS: i64 = 5;

/// How long a ride's code stays locked after [`MAX_FAILED_ATTEMPTS`] wrong ones, in ms.
pub const LOCKOUT_MS: i64 = 60_000;

/// Number of distinct codes, `10^START_CODE_LEN`.
const CODE_SPACE: u32 = 10_000;

/// Draws at or above this are rejected so that `draw % CODE_SPACE` is
/// exactly uniform: it is the largest multiple of [`CODE_SPACE`] not above
/// 2^32, i.e. 4_294_960_000 (2^32 mod 10000 = 7296 values are rejected).
const ACCEPT_BELOW: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;

/// Draws tried before [`StartCode::generate`] settles for a (negligibly)
/// biased code. A fair source is rejected with probability
/// 7296 / 2^32 ≈ 1.7e-6 per draw, so reaching this bound means the source
/// is broken (e.g. constant), not unlucky.
const MAX_DRAWS: usize = 32;

/// A start code: exactly [`START_CODE_LEN`] ASCII digits, `"0000"` to `"9999"`.
///
/// `Debug` redacts the digits so the code does not leak into logs; use
/// [`StartCode::as_str`] or `Display` where it must be shown (rider API).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StartCode(String);

/// Why a presented start code is malformed. The HTTP layer maps it to 422.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StartCodeError {
    /// Not exactly [`START_CODE_LEN`] characters long (length in bytes).
    #[error("start code must be exactly 4 digits, got {0} characters")]
    WrongLength(usize),
    /// Contains something other than ASCII `0`-`9`.
    #[error("start code must contain only the digits 0-9")]
    NotDigits,
}

impl StartCode {
    /// Maps one uniform random draw to a code, or `None` if the draw falls in
    /// the top 7296 values of `u32` that would bias `draw % 10000`
    /// (rejection sampling: every accepted code is exactly equally likely).
    #[must_use]
    pub fn from_random(draw: u32) -> Option<StartCode> {
        (draw < ACCEPT_BELOW).then(|| StartCode::from_index(draw % CODE_SPACE))
    }

    /// Draws from `next_u32` (a uniform source, e.g. 4 bytes from
    /// `ring::rand::SystemRandom`) until one maps to a code without bias.
    ///
    /// Errors from the source are passed through. After 32 rejected draws in
    /// a row (probability ≈ 1e-184 for a fair source) it returns
    /// `last_draw % 10000`, so a broken source cannot loop forever.
    ///
    /// In the service, with `ring` 0.17:
    ///
    /// ```text
    /// use ring::rand::{SecureRandom, SystemRandom};
    /// let rng = SystemRandom::new();
    /// let code = StartCode::generate(|| {
    ///     let mut bytes = [0u8; 4];
    ///     rng.fill(&mut bytes).map(|()| u32::from_le_bytes(bytes))
    /// })?; // Err(ring::error::Unspecified): answer 500
    /// ```
    pub fn generate<E>(mut next_u32: impl FnMut() -> Result<u32, E>) -> Result<StartCode, E> {
        let mut last = 0;
        for _ in 0..MAX_DRAWS {
            last = next_u32()?;
            if let Some(code) = StartCode::from_random(last) {
                return Ok(code);
            }
        }
        Ok(StartCode::from_index(last % CODE_SPACE))
    }

    /// Validates a code typed by a driver: exactly 4 ASCII digits, nothing
    /// else (no trimming, no full-width digits, no sign).
    pub fn parse(presented: &str) -> Result<StartCode, StartCodeError> {
        if presented.len() != START_CODE_LEN {
            return Err(StartCodeError::WrongLength(presented.len()));
        }
        if !presented.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StartCodeError::NotDigits);
        }
        Ok(StartCode(presented.to_owned()))
    }

    /// The 4 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Zero-padded decimal of `index`, which the callers keep below 10000.
    fn from_index(index: u32) -> StartCode {
        StartCode(format!("{:04}", index % CODE_SPACE))
    }
}

/// Whether `presented` is the `expected` code.
///
/// Compares in time independent of where the digits differ (the length, 4,
/// is public so a wrong length returns early). A malformed `presented`
/// simply does not match; use [`StartCode::parse`] first to report 422.
#[must_use]
pub fn matches(expected: &StartCode, presented: &str) -> bool {
    let expected = expected.0.as_bytes();
    let presented = presented.as_bytes();
    if expected.len() != presented.len() {
        return false;
    }
    // OR of XORs: no data-dependent branch; black_box keeps the optimiser
    // from turning the fold back into an early-exit comparison.
    let diff = expected
        .iter()
        .zip(presented)
        .fold(0u8, |acc, (a, b)| black_box(acc | (a ^ b)));
    black_box(diff) == 0
}

impl fmt::Debug for StartCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StartCode(****)")
    }
}

impl fmt::Display for StartCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for StartCode {
    type Err = StartCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StartCode::parse(s)
    }
}

impl TryFrom<String> for StartCode {
    type Error = StartCodeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        StartCode::parse(&value)
    }
}

impl From<StartCode> for String {
    fn from(code: StartCode) -> String {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::convert::Infallible;

    #[test]
    fn rejection_threshold_is_the_largest_unbiased_prefix() {
        assert_eq!(ACCEPT_BELOW, 4_294_960_000);
        assert_eq!(ACCEPT_BELOW % CODE_SPACE, 0);
        assert!(u64::from(ACCEPT_BELOW) + u64::from(CODE_SPACE) > u64::from(u32::MAX));
        assert_eq!(
            StartCode::from_random(ACCEPT_BELOW - 1).map(String::from),
            Some("9999".into())
        );
        assert_eq!(StartCode::from_random(ACCEPT_BELOW), None);
        assert_eq!(StartCode::from_random(u32::MAX), None);
        assert_eq!(
            StartCode::from_random(0).map(String::from),
            Some("0000".into())
        );
        assert_eq!(
            StartCode::from_random(42).map(String::from),
            Some("0042".into())
        );
    }

    #[test]
    fn generate_retries_rejected_draws_and_passes_errors() {
        let mut draws = [u32::MAX, ACCEPT_BELOW, 1234].into_iter();
        let code = StartCode::generate(|| Ok::<_, Infallible>(draws.next().unwrap_or(0)));
        assert_eq!(code.map(String::from), Ok("1234".into()));

        let failed = StartCode::generate(|| Err::<u32, _>("rng down"));
        assert_eq!(failed, Err("rng down"));

        // A broken constant source terminates instead of spinning.
        let stuck = StartCode::generate(|| Ok::<_, Infallible>(u32::MAX));
        assert_eq!(stuck.map(String::from), Ok("7295".into()));
    }

    #[test]
    fn parse_shape() {
        assert_eq!(
            StartCode::parse("0420").map(String::from),
            Ok("0420".into())
        );
        assert_eq!(StartCode::parse("042"), Err(StartCodeError::WrongLength(3)));
        assert_eq!(
            StartCode::parse("04200"),
            Err(StartCodeError::WrongLength(5))
        );
        assert_eq!(StartCode::parse(""), Err(StartCodeError::WrongLength(0)));
        assert_eq!(StartCode::parse("12a4"), Err(StartCodeError::NotDigits));
        assert_eq!(StartCode::parse("-123"), Err(StartCodeError::NotDigits));
        assert_eq!(StartCode::parse(" 123"), Err(StartCodeError::NotDigits));
        // Full-width digit "１" is 3 bytes: refused on length, never a digit.
        assert!(StartCode::parse("１23").is_err());
        assert!(StartCode::parse("١٢٣٤").is_err());
    }

    #[test]
    fn debug_is_redacted_display_is_not() {
        let code = StartCode::parse("4711").unwrap();
        assert_eq!(format!("{code:?}"), "StartCode(****)");
        assert_eq!(code.to_string(), "4711");
    }

    #[test]
    fn string_conversions_validate() {
        let code = StartCode::parse("0007").unwrap();
        assert_eq!(String::from(code), "0007");
        assert_eq!(
            StartCode::try_from("99x9".to_owned()),
            Err(StartCodeError::NotDigits)
        );
        assert_eq!(
            "12".parse::<StartCode>(),
            Err(StartCodeError::WrongLength(2))
        );
    }

    proptest! {
        #[test]
        fn accepted_draws_are_four_digits(draw in any::<u32>()) {
            match StartCode::from_random(draw) {
                Some(code) => {
                    prop_assert_eq!(code.as_str().len(), 4);
                    prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
                    prop_assert_eq!(code.as_str().parse::<u32>().ok(), Some(draw % 10_000));
                    prop_assert!(matches(&code, code.as_str()));
                }
                None => prop_assert!(draw >= ACCEPT_BELOW),
            }
        }

        #[test]
        fn parse_and_matches_never_panic(s in "\\PC{0,8}", n in 0u32..10_000) {
            let expected = StartCode::from_random(n).unwrap();
            let parsed = StartCode::parse(&s);
            prop_assert_eq!(
                parsed.is_ok(),
                s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
            );
            prop_assert_eq!(matches(&expected, &s), expected.as_str() == s);
        }
    }
}
