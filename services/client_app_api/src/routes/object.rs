//! JSON objects only. serde's derived `Deserialize` also reads a struct from an array of its
//! members in order (`[48.85, 2.35]` as a point); the documents promise objects, so arrays are
//! refused as the wrong type, naming the field like any other.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A request body that must be a JSON object: take `Json<Object<T>>`.
#[derive(Debug, Clone)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = T;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }

        d.deserialize_map(Only(PhantomData)).map(Object)
    }
}

/// For `#[serde(default, deserialize_with = "optional")]` on an `Option<T>` member that must be
/// an object when present: `null` is `None`.
pub fn optional<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Object<T>>::deserialize(d)?.map(|Object(t)| t))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Point {
        lat: f64,
        lon: f64,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ride {
        #[serde(default, deserialize_with = "optional")]
        pickup: Option<Point>,
    }

    #[test]
    fn objects_read_and_arrays_do_not() {
        let read = |v| serde_json::from_value::<Object<Point>>(v).map(|Object(p)| p);
        assert_eq!(
            read(json!({"lat": 1.0, "lon": 2.0})).unwrap(),
            Point { lat: 1.0, lon: 2.0 }
        );
        assert!(read(json!([1.0, 2.0])).is_err());
        assert!(read(json!({"lat": 1.0, "lon": 2.0, "alt": 3})).is_err());
        let ride = |v| serde_json::from_value::<Object<Ride>>(v).map(|Object(r)| r);
        assert_eq!(ride(json!({})).unwrap(), Ride { pickup: None });
        assert_eq!(
            ride(json!({"pickup": null})).unwrap(),
            Ride { pickup: None }
        );
        assert!(ride(json!({"pickup": [1.0, 2.0]})).is_err());
        assert!(ride(json!([{"lat": 1.0, "lon": 2.0}])).is_err());
    }
}
