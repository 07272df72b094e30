//! Shared parsing support for the domain's closed string enums
//! (`TxKind`, `InvoiceStatus`, `PaymentMethod`, `ChargeKind`).

/// Longest slice of a rejected input kept in an error, so a hostile request
/// body cannot blow up log lines or error responses.
const MAX_ECHO_CHARS: usize = 64;

/// A string did not name any value of a closed set (e.g. `"refund"` as a
/// transaction kind).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{input}`")]
pub struct UnknownValue {
    /// Which set was being parsed, e.g. `"invoice status"`.
    pub what: &'static str,
    /// The rejected input (truncated to 64 characters).
    pub input: String,
}

impl UnknownValue {
    /// Builds the error, truncating `input` to a bounded length.
    pub fn new(what: &'static str, input: &str) -> Self {
        Self {
            what,
            input: input.chars().take(MAX_ECHO_CHARS).collect(),
        }
    }
}

/// Implements `ALL`, `as_str`, `Display`, `FromStr` and string serde for a
/// fieldless enum, from one table, so the stored, serialised and displayed
/// spellings can never drift apart.
///
/// The generated code names `super::parse::UnknownValue`, so it must be
/// invoked from a sibling module of `parse` (i.e. inside `domain`).
macro_rules! str_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The canonical lowercase spelling, as stored and serialised.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = super::parse::UnknownValue;

            /// Parses the exact canonical spelling (case-sensitive).
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err(super::parse::UnknownValue::new($what, s)),
                }
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

pub(crate) use str_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_value_truncates_long_input() {
        let long = "x".repeat(1000);
        let err = UnknownValue::new("thing", &long);
        assert_eq!(err.input.len(), MAX_ECHO_CHARS);
        assert_eq!(err.what, "thing");
    }
}
