//! Login rate limits, per client address and per account (in memory, per task: with N tasks
//! behind the load balancer an address gets up to N times the limit).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::oauth::OAuthError;

/// The two limiters of the password grant.
pub(crate) struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<String>,
    per_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

fn quota(limit: u32, window: Duration) -> Quota {
    let burst = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
    // `limit` attempts at once, then one more every window/limit: a full window restores all.
    Quota::with_period(window / burst.get())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

impl LoginLimits {
    /// `per_address` and `per_account` attempts per `window`.
    pub(crate) fn new(per_address: u32, per_account: u32, window: Duration) -> Self {
        Self {
            per_address: RateLimiter::keyed(quota(per_address, window)),
            per_account: RateLimiter::keyed(quota(per_account, window)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one attempt; refuses it with 429 and the wait when either limit is reached.
    pub(crate) fn check(&self, address: &str, account: &str) -> Result<(), OAuthError> {
        let refuse = |not_until: governor::NotUntil<_>| {
            tracing::info!(security_event = "login_rate_limited", "login rate limited");
            OAuthError::slow_down(not_until.wait_time_from(self.clock.now()))
        };
        self.per_address
            .check_key(&address.to_owned())
            .map_err(refuse)?;
        self.per_account
            .check_key(&account.to_owned())
            .map_err(refuse)
    }

    /// Forgets keys whose limits are fully restored, so memory stays bounded.
    pub(crate) fn forget_idle(&self) {
        self.per_address.retain_recent();
        self.per_account.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_limited_across_addresses_and_an_address_across_accounts() {
        let limits = LoginLimits::new(3, 2, Duration::from_secs(60));
        assert!(limits.check("1.1.1.1", "ada@example.com").is_ok());
        assert!(limits.check("2.2.2.2", "ada@example.com").is_ok());
        assert!(limits.check("3.3.3.3", "ada@example.com").is_err());
        assert!(limits.check("1.1.1.1", "bob@example.com").is_ok());
        assert!(limits.check("1.1.1.1", "eve@example.com").is_ok());
        // 1.1.1.1 has now made 3 attempts.
        assert!(limits.check("1.1.1.1", "carl@example.com").is_err());
    }
}
