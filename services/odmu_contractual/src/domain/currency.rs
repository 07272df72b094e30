//! ISO 4217 currency codes accepted in tariffs and prices.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Active ISO 4217 tender currency codes, sorted so lookups can binary-search.
///
/// Written from ISO 4217 list one as of early 2026. Fund codes (BOV, CHE,
/// CHW, CLF, COU, MXV, USN, UYI, UYW), precious metals (XAU, XAG, XPD, XPT),
/// supranational units (XDR, XSU, XUA, XB*) and XTS/XXX are left out on
/// purpose: no ride is paid in them. Recent changes reflected: ANG → XCG
/// (2025), ZWL → ZWG (2024), SLL → SLE, HRK (2023) and BGN (2026) replaced by
/// EUR, CUC withdrawn.
pub const ACTIVE_ISO_4217_CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
    "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
    "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK",
    "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

/// An active ISO 4217 currency code such as `EUR`.
///
/// Only obtainable from [`ACTIVE_ISO_4217_CODES`], so holding one proves the
/// code is valid. Serialised as the bare code string. Amounts paired with it
/// are always in the currency's minor unit ("cents").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(&'static str);

/// Why a string is not an accepted currency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    /// Not exactly three ASCII uppercase letters.
    #[error("must be three uppercase letters (ISO 4217 alpha code), got {input:?}")]
    Malformed {
        /// The rejected input.
        input: String,
    },
    /// Well-formed, but not an active ISO 4217 tender currency.
    #[error("{input:?} is not an active ISO 4217 currency code")]
    Unknown {
        /// The rejected input.
        input: String,
    },
}

impl Currency {
    /// The euro, currency of the default tariff.
    pub const EUR: Currency = Currency("EUR");

    /// Parses an uppercase ISO 4217 alpha code; lowercase is refused, not fixed up,
    /// so stored tariffs have one spelling.
    ///
    /// # Errors
    /// [`CurrencyError`] when malformed or not an active code.
    pub fn parse(input: &str) -> Result<Self, CurrencyError> {
        if input.len() != 3 || !input.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(CurrencyError::Malformed {
                input: input.to_owned(),
            });
        }
        ACTIVE_ISO_4217_CODES
            .binary_search(&input)
            .ok()
            .and_then(|index| ACTIVE_ISO_4217_CODES.get(index))
            .map(|code| Currency(code))
            .ok_or_else(|| CurrencyError::Unknown {
                input: input.to_owned(),
            })
    }

    /// The three-letter code, e.g. `"EUR"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.0.to_owned()
    }
}

// Hand-written: derived impls would tie `'de` to the `'static` field.
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn list_is_sorted_unique_and_well_formed() {
        assert!(ACTIVE_ISO_4217_CODES.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ACTIVE_ISO_4217_CODES
                .iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        assert!(ACTIVE_ISO_4217_CODES.len() >= 150);
    }

    #[test]
    fn parses_active_codes_and_displays_them() {
        assert_eq!(Currency::parse("EUR"), Ok(Currency::EUR));
        assert_eq!(
            "USD".parse::<Currency>().map(|c| c.to_string()),
            Ok("USD".to_owned())
        );
        for code in ACTIVE_ISO_4217_CODES {
            assert_eq!(Currency::parse(code).map(Currency::as_str), Ok(*code));
        }
    }

    #[test]
    fn refuses_malformed_and_inactive_codes() {
        for bad in ["", "eur", "EU", "EURO", "E1R", "ÉUR", " EUR"] {
            assert!(
                matches!(Currency::parse(bad), Err(CurrencyError::Malformed { .. })),
                "{bad}"
            );
        }
        for unknown in ["ABC", "XXX", "XTS", "XAU", "HRK", "DEM", "ANG", "ZWL"] {
            assert!(
                matches!(Currency::parse(unknown), Err(CurrencyError::Unknown { .. })),
                "{unknown}"
            );
        }
    }

    #[test]
    fn serde_is_the_bare_code() {
        assert_eq!(
            serde_json::to_string(&Currency::EUR).ok(),
            Some("\"EUR\"".to_owned())
        );
        let back: Result<Currency, _> = serde_json::from_str("\"GBP\"");
        assert_eq!(back.ok().map(Currency::as_str), Some("GBP"));
        assert!(serde_json::from_str::<Currency>("\"gbp\"").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = Currency::parse(&input);
        }
    }
}
