//! Ledger accounts and their canonical string form.
//!
//! | account            | string form          | nature                          |
//! |--------------------|----------------------|---------------------------------|
//! | `Rider(id)`        | `rider:<uuid>`       | receivable (rider owes us)      |
//! | `Driver(id)`       | `driver:<uuid>`      | payable (we owe the driver)     |
//! | `PlatformRevenue`  | `platform:revenue`   | income                          |
//! | `PlatformCash`     | `platform:cash`      | asset (money actually received) |
//!
//! UUIDs are written in lowercase hyphenated form, and parsing accepts only
//! that form: the string is what the database stores and groups by, so two
//! spellings of one account would silently split its balance.

use std::fmt;
use std::str::FromStr;

use odmu_ids::{DriverId, RiderId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A ledger account. Balances are never stored on it; they are derived from
/// postings (see `Books`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Account {
    /// Receivable from one rider: `rider:<uuid>`.
    Rider(RiderId),
    /// Payable to one driver: `driver:<uuid>`.
    Driver(DriverId),
    /// The platform's fee income: `platform:revenue`.
    PlatformRevenue,
    /// Money the platform has actually received or paid out: `platform:cash`.
    PlatformCash,
}

/// A string that is not a canonical account name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid account `{input}`: {reason}")]
pub struct AccountParseError {
    /// The rejected input (truncated to 80 characters).
    pub input: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl AccountParseError {
    fn new(input: &str, reason: &'static str) -> Self {
        Self {
            input: input.chars().take(80).collect(),
            reason,
        }
    }
}

const REVENUE: &str = "platform:revenue";
const CASH: &str = "platform:cash";

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Rider(id) => write!(f, "rider:{id}"),
            Account::Driver(id) => write!(f, "driver:{id}"),
            Account::PlatformRevenue => f.write_str(REVENUE),
            Account::PlatformCash => f.write_str(CASH),
        }
    }
}

impl FromStr for Account {
    type Err = AccountParseError;

    /// Parses exactly the form produced by `Display`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            REVENUE => return Ok(Account::PlatformRevenue),
            CASH => return Ok(Account::PlatformCash),
            _ => {}
        }
        let (prefix, id) = s
            .split_once(':')
            .ok_or_else(|| AccountParseError::new(s, "expected `<kind>:<id>`"))?;
        let make: fn(Uuid) -> Account = match prefix {
            "rider" => |id| Account::Rider(id.into()),
            "driver" => |id| Account::Driver(id.into()),
            _ => return Err(AccountParseError::new(s, "unknown account kind")),
        };
        let uuid = Uuid::try_parse(id).map_err(|_| AccountParseError::new(s, "malformed uuid"))?;
        // `try_parse` also accepts braced, urn, simple and uppercase forms;
        // only the canonical spelling may name an account (see module docs).
        let mut buf = Uuid::encode_buffer();
        if uuid.hyphenated().encode_lower(&mut buf) != id {
            return Err(AccountParseError::new(
                s,
                "uuid must be lowercase hyphenated",
            ));
        }
        Ok(make(uuid))
    }
}

impl Serialize for Account {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let id = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            Account::Rider(id.into()).to_string(),
            "rider:67e55044-10b1-426f-9247-bb680e5fe0c8"
        );
        assert_eq!(
            Account::Driver(id.into()).to_string(),
            "driver:67e55044-10b1-426f-9247-bb680e5fe0c8"
        );
        assert_eq!(Account::PlatformRevenue.to_string(), "platform:revenue");
        assert_eq!(Account::PlatformCash.to_string(), "platform:cash");
    }

    #[test]
    fn round_trips() {
        for _ in 0..32 {
            for account in [
                Account::Rider(RiderId::generate()),
                Account::Driver(DriverId::generate()),
                Account::Rider(Uuid::nil().into()),
                Account::Driver(Uuid::max().into()),
                Account::PlatformRevenue,
                Account::PlatformCash,
            ] {
                assert_eq!(account.to_string().parse::<Account>().unwrap(), account);
            }
        }
    }

    #[test]
    fn refuses_non_canonical_or_unknown() {
        for bad in [
            "",
            "rider",
            "rider:",
            "rider:not-a-uuid",
            "rider:67E55044-10B1-426F-9247-BB680E5FE0C8",
            "rider:67e5504410b1426f9247bb680e5fe0c8",
            "rider:{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            "rider:urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
            " rider:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "Rider:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "passenger:67e55044-10b1-426f-9247-bb680e5fe0c8",
            "platform:fees",
            "platform:Cash",
            "platform:cash ",
        ] {
            assert!(bad.parse::<Account>().is_err(), "{bad:?} accepted");
        }
    }
}
