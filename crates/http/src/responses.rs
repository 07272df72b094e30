//! Reusable sets of documented error answers, so every route's OpenAPI document lists each
//! status the common layers and extractors can give it:
//! `responses((status = 200, body = T), odmu_http::responses::Guarded, odmu_http::responses::JsonBody)`.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema as _};

use crate::{PROBLEM_JSON, Problem};

/// A problem+json answer with this description.
pub fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(Problem::name())))
                    .build(),
            )
            .build(),
    )
}

fn set(entries: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    entries
        .iter()
        .map(|(status, description)| ((*status).to_owned(), problem(description)))
        .collect()
}

const UNAVAILABLE: &str =
    "Not available right now (a dependency, the signing keys, or the request timed out); retry.";

/// Any route: it can time out (503).
pub struct Always;

impl IntoResponses for Always {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[("503", UNAVAILABLE)])
    }
}

/// A route that needs a token of certain roles: 401 without a valid one, 403 for another
/// role, 503 when it cannot be checked.
pub struct Guarded;

impl IntoResponses for Guarded {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            ("401", "No valid bearer token."),
            ("403", "The token's role may not do this."),
            ("503", UNAVAILABLE),
        ])
    }
}

/// A route that takes a JSON body: 400 not JSON, 413 over 64 KiB, 415 not
/// `application/json`, 422 a field is missing, of the wrong type, unknown or out of range.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            ("400", "The body is not valid JSON."),
            ("413", "The body is larger than 64 KiB."),
            ("415", "The body is not sent as `application/json`."),
            (
                "422",
                "A field is missing, of the wrong type, unknown or out of range (named in `errors`).",
            ),
        ])
    }
}

/// A route with path or query parameters: 400 when one does not parse.
pub struct Params;

impl IntoResponses for Params {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[("400", "A path or query parameter does not parse.")])
    }
}

/// A list: 400 for a parameter that does not parse, 422 for a limit out of range or a cursor
/// this list did not hand out.
pub struct List;

impl IntoResponses for List {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set(&[
            ("400", "A query parameter does not parse."),
            (
                "422",
                "`limit` is out of range or `cursor` is not one this list handed out.",
            ),
        ])
    }
}
