//! Rate limits of the password grant and of sign-up, in memory, per task (with N tasks behind
//! the load balancer an address gets up to N times a limit).
//!
//! Logins are limited per client address, and per account *from one address*: a stranger's
//! wrong passwords lock the stranger's address out of that account, never the owner, who logs
//! in from elsewhere (OWASP's authentication guidance on lock-outs that an attacker can use).
//! Sign-ups are limited per address: each costs an Argon2id hash, and each tells whether an
//! email has an account.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::oauth::OAuthError;

/// The limiters.
pub(crate) struct Limits {
    login_per_address: DefaultKeyedRateLimiter<String>,
    login_per_account_address: DefaultKeyedRateLimiter<(String, String)>,
    signup_per_address: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

/// How many attempts, per how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate {
    /// Attempts allowed in a window.
    pub(crate) limit: u32,
    /// The window.
    pub(crate) window: Duration,
}

fn quota(rate: Rate) -> Quota {
    let burst = NonZeroU32::new(rate.limit).unwrap_or(NonZeroU32::MIN);
    // `limit` attempts at once, then one more every window/limit: a full window restores all.
    Quota::with_period(rate.window / burst.get())
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst)
}

impl Limits {
    /// Logins per address and per account from one address; sign-ups per address.
    pub(crate) fn new(login_per_address: Rate, login_per_account: Rate, signup: Rate) -> Self {
        Self {
            login_per_address: RateLimiter::keyed(quota(login_per_address)),
            login_per_account_address: RateLimiter::keyed(quota(login_per_account)),
            signup_per_address: RateLimiter::keyed(quota(signup)),
            clock: DefaultClock::default(),
        }
    }

    fn refuse(
        &self,
        event: &str,
        not_until: governor::NotUntil<governor::clock::QuantaInstant>,
    ) -> Duration {
        tracing::info!(security_event = event, "rate limited");
        not_until.wait_time_from(self.clock.now())
    }

    /// Counts one login attempt; refuses it with 429 and the wait when a limit is reached.
    pub(crate) fn check_login(&self, address: &str, account: &str) -> Result<(), OAuthError> {
        let refuse = |n| OAuthError::slow_down(self.refuse("login_rate_limited", n));
        self.login_per_address
            .check_key(&address.to_owned())
            .map_err(refuse)?;
        self.login_per_account_address
            .check_key(&(account.to_owned(), address.to_owned()))
            .map_err(refuse)
    }

    /// Counts one sign-up from `address`; `Err(wait)` when the limit is reached.
    pub(crate) fn check_signup(&self, address: &str) -> Result<(), Duration> {
        self.signup_per_address
            .check_key(&address.to_owned())
            .map_err(|n| self.refuse("signup_rate_limited", n))
    }

    /// Forgets keys whose limits are fully restored, so memory stays bounded.
    pub(crate) fn forget_idle(&self) {
        self.login_per_address.retain_recent();
        self.login_per_account_address.retain_recent();
        self.signup_per_address.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(limit: u32) -> Rate {
        Rate {
            limit,
            window: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_strangers_guesses_lock_the_stranger_out_of_the_account_not_the_owner() {
        let limits = Limits::new(rate(100), rate(2), rate(5));
        assert!(limits.check_login("6.6.6.6", "ada@example.com").is_ok());
        assert!(limits.check_login("6.6.6.6", "ada@example.com").is_ok());
        assert!(limits.check_login("6.6.6.6", "ada@example.com").is_err());
        // Ada, from her own address, is not locked out.
        assert!(limits.check_login("1.1.1.1", "ada@example.com").is_ok());
    }

    #[test]
    fn an_address_is_limited_across_accounts_and_sign_ups_per_address() {
        let limits = Limits::new(rate(3), rate(10), rate(2));
        for account in ["a@x.io", "b@x.io", "c@x.io"] {
            assert!(limits.check_login("1.1.1.1", account).is_ok());
        }
        assert!(limits.check_login("1.1.1.1", "d@x.io").is_err());
        assert!(limits.check_signup("2.2.2.2").is_ok());
        assert!(limits.check_signup("2.2.2.2").is_ok());
        assert!(limits.check_signup("2.2.2.2").is_err());
        assert!(limits.check_signup("3.3.3.3").is_ok());
    }
}
