//! `application/problem+json` (RFC 9457): the one error format of every odmu endpoint.

use std::fmt;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Where the problem is: a dotted path into the body (`pickup.lat`), or a parameter name.
    pub field: String,
    /// What is wrong, for a developer to read.
    pub message: String,
}

/// An error answer in RFC 9457 form. 5xx answers never carry internals: build them with
/// [`Problem::internal`], which logs the cause and returns a generic detail.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path the problem is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field-level problems of the request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extension members (RFC 9457 §3.2).
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with this status, titled by its reason phrase.
    pub fn new(status: StatusCode) -> Self {
        Self {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
            extensions: serde_json::Map::new(),
            headers: Vec::new(),
        }
    }

    /// Sets the human-readable detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the problem type URI.
    pub fn with_type(mut self, kind: impl Into<String>) -> Self {
        self.kind = kind.into();
        self
    }

    /// Sets the instance (the request path).
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds one field-level problem.
    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// Adds an extension member. Its name must not be one of the problem's own members
    /// (`type`, `title`, `status`, `detail`, `instance`, `errors`): the JSON would hold the key
    /// twice.
    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Self {
        debug_assert!(
            !["type", "title", "status", "detail", "instance", "errors"].contains(&key),
            "{key} is a member of every problem; name the extension otherwise"
        );
        self.extensions.insert(key.to_owned(), value);
        self
    }

    /// Adds a response header (`Retry-After`, `WWW-Authenticate`, ...).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status as a `StatusCode`.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 400 with a detail.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND).with_detail(detail)
    }

    /// 409 with a detail.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT).with_detail(detail)
    }

    /// 422 with a detail; add field errors with [`Problem::with_field_error`].
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY).with_detail(detail)
    }

    /// 401 with the `WWW-Authenticate: Bearer` challenge (RFC 6750).
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED)
            .with_detail(detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403 with a detail.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN).with_detail(detail)
    }

    /// 503 with a detail that is safe to show.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE).with_detail(detail)
    }

    /// 500: logs the cause at ERROR (in the request's span) and answers without it.
    pub fn internal(cause: impl fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR)
            .with_detail("The server could not complete the request; it has been logged.")
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON))],
            body,
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                // Name the offending field: serde_path_to_error sits under axum's error.
                let mut source = None;
                let mut next = std::error::Error::source(&e);
                while let Some(err) = next {
                    source = err.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>();
                    if source.is_some() {
                        break;
                    }
                    next = err.source();
                }
                let problem =
                    Self::unprocessable("The JSON body does not match the expected shape.");
                match source {
                    Some(err) => problem.with_field_error(field_of(err), err.inner().to_string()),
                    None => problem.with_field_error("(body)", e.body_text()),
                }
            }
            JsonRejection::JsonSyntaxError(e) => {
                Self::bad_request(format!("The body is not valid JSON: {}", source_text(&e)))
            }
            JsonRejection::MissingJsonContentType(_) => {
                Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                    .with_detail("Send the body as JSON with `Content-Type: application/json`.")
            }
            JsonRejection::BytesRejection(e) => body_problem(e.status(), e.body_text()),
            other => body_problem(other.status(), other.body_text()),
        }
    }
}

/// The dotted path of the member a deserialisation error is about. serde names a missing or
/// unknown member only in its message, so the path stops at its parent.
fn field_of(err: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let message = err.inner().to_string();
    match err.path().to_string() {
        p if p == "." => named_field(&message).unwrap_or("(body)").to_owned(),
        p => match named_field(&message) {
            Some(name) if !p.ends_with(name) => format!("{p}.{name}"),
            _ => p,
        },
    }
}

/// The member a serde message names: "missing field `lat`" -> `lat`.
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split('`').next().filter(|name| !name.is_empty())
}

pub(crate) fn body_problem(status: StatusCode, text: String) -> Problem {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(status).with_detail(format!(
            "The body is larger than the limit of {} bytes.",
            crate::BODY_LIMIT_BYTES
        ))
    } else {
        Problem::new(status).with_detail(text)
    }
}

fn source_text(e: &dyn std::error::Error) -> String {
    // The innermost error is serde_json's, with line and column; the outer ones repeat it.
    let mut current: &dyn std::error::Error = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(format!(
            "Invalid path parameter: {}",
            source_text(&rejection)
        ))
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(format!("Invalid query string: {}", source_text(&rejection)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serialises_rfc9457_members_and_extensions() {
        let p = Problem::unprocessable("bad")
            .with_field_error("pickup.lat", "out of range")
            .with_extension("balance", serde_json::json!(3));
        let response = p.into_response();
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "about:blank");
        assert_eq!(v["title"], "Unprocessable Entity");
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["field"], "pickup.lat");
        assert_eq!(v["balance"], 3);
        assert!(v.get("instance").is_none());
    }

    #[test]
    fn missing_and_unknown_members_are_named_as_fields() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Point {
            lat: f64,
            lon: f64,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Trip {
            pickup: Point,
            note: String,
        }
        let field = |body: &str| {
            let de = &mut serde_json::Deserializer::from_str(body);
            let err = serde_path_to_error::deserialize::<_, Trip>(de).unwrap_err();
            field_of(&err)
        };
        assert_eq!(field(r#"{"pickup":{"lat":1,"lon":2}}"#), "note");
        assert_eq!(field(r#"{"pickup":{"lat":1},"note":""}"#), "pickup.lon");
        assert_eq!(
            field(r#"{"pickup":{"lat":1,"lon":2},"note":"","x":1}"#),
            "x"
        );
        assert_eq!(
            field(r#"{"pickup":{"lat":"NaN","lon":2},"note":""}"#),
            "pickup.lat"
        );
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let p = Problem::internal("password authentication failed for user billing");
        assert_eq!(p.status, 500);
        assert!(!p.detail.unwrap().contains("password"));
    }

    #[test]
    fn unauthorized_carries_the_bearer_challenge() {
        let r = Problem::unauthorized("no token").into_response();
        assert_eq!(r.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
