//! The platform's ids: one type per kind of thing, so a ride's id cannot be passed where a
//! driver's is expected, and a function taking both cannot have them swapped.
//!
//! Each is a UUID, written everywhere (JSON, URLs, the databases' TEXT columns) in the form the
//! documents promise with `format: uuid`: 36 characters, hyphenated; read in either case and
//! written in lower case. Inputs are read as text and turned into an id with `parse`, so a bad
//! one is answered in the handler's own words (a 404 for a path, a 422 naming the field).

use std::fmt;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
        #[schema(value_type = String, format = "uuid")]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new random (version 4) id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            /// `text` as an id, if it is a UUID in the 36-character hyphenated form.
            pub fn parse(text: &str) -> Option<Self> {
                parse(text).map(Self)
            }

            /// The UUID inside.
            pub fn uuid(self) -> uuid::Uuid {
                self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl std::str::FromStr for $name {
            type Err = ParseIdError;

            fn from_str(text: &str) -> Result<Self, ParseIdError> {
                Self::parse(text).ok_or(ParseIdError)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0.hyphenated())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| serde::de::Error::custom(ParseIdError))
            }
        }

        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(self.to_string(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: <sqlx::Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(text.parse::<Self>()?)
            }
        }
    )*};
}

ids! {
    /// A rider's account (the subject of a rider's token).
    RiderId;
    /// A driver's account (the subject of a driver's token).
    DriverId;
    /// A ride: the rider's trip in client_app_api and the ride in driver_api share it.
    RideId;
    /// An upfront price quoted by odmu_contractual.
    QuoteId;
}

/// The text was not a UUID in the 36-character hyphenated form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseIdError;

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must be a UUID (36 characters, hyphenated)")
    }
}

impl std::error::Error for ParseIdError {}

/// `text` as a UUID, if it is in the 36-character hyphenated form (either case).
pub fn parse(text: &str) -> Option<uuid::Uuid> {
    // `Uuid::try_parse` also takes the simple, braced and URN forms, which are not
    // `format: uuid`.
    (text.len() == 36)
        .then(|| uuid::Uuid::try_parse(text).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_the_hyphenated_form_is_read_and_it_is_written_in_lower_case() {
        let id = RideId::parse("6F9619FF-8B86-D011-B42D-00C04FC964FF").unwrap();
        assert_eq!(id.to_string(), "6f9619ff-8b86-d011-b42d-00c04fc964ff");
        for other in [
            "6f9619ff8b86d011b42d00c04fc964ff",
            "{6f9619ff-8b86-d011-b42d-00c04fc964ff}",
            "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "6f9619ff-8b86-d011-b42d-00c04fc964fg",
            "",
        ] {
            assert_eq!(RideId::parse(other), None, "{other}");
        }
    }

    #[test]
    fn json_is_the_canonical_string_and_bad_text_is_refused() {
        let id = DriverId::generate();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<DriverId>(&json).unwrap(), id);
        let err = serde_json::from_str::<DriverId>("\"driver-7\"").unwrap_err();
        assert!(err.to_string().contains("must be a UUID"), "{err}");
        assert!(serde_json::from_str::<DriverId>("7").is_err());
    }

    proptest! {
        #[test]
        fn every_uuid_survives_text_and_json(bytes in any::<[u8; 16]>()) {
            let id = QuoteId::from(uuid::Uuid::from_bytes(bytes));
            prop_assert_eq!(id.to_string().parse::<QuoteId>(), Ok(id));
            prop_assert_eq!(RiderId::parse(&id.to_string().to_uppercase()).map(RiderId::uuid), Some(id.uuid()));
            let json = serde_json::to_string(&id).unwrap();
            prop_assert_eq!(serde_json::from_str::<QuoteId>(&json).unwrap(), id);
        }
    }
}
