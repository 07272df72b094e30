//! Whether a quote can still be booked.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Whether a quote that expires at `expires_at` (RFC 3339) has expired at `now_ms` (ms since
/// the epoch): at its expiry instant it no longer books. `None` when the time does not parse.
pub fn is_expired(expires_at: &str, now_ms: i64) -> Option<bool> {
    let expires = OffsetDateTime::parse(expires_at, &Rfc3339).ok()?;
    let expires_ms = i64::try_from(expires.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some(now_ms >= expires_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_books_until_its_expiry_instant() {
        let at = "2025-11-24T16:00:00.123Z";
        let ms = 1_764_000_000_123;
        assert_eq!(is_expired(at, ms - 1), Some(false));
        assert_eq!(is_expired(at, ms), Some(true));
        assert_eq!(is_expired("2025-11-24T16:00:00Z", ms - 123), Some(true));
        assert_eq!(
            is_expired("2025-11-24T17:00:00+01:00", ms - 124),
            Some(false)
        );
        assert_eq!(is_expired("tomorrow", ms), None);
    }
}
