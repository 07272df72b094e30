//! The request helpers every test uses: a JSON call as a caller, and its answer.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::Caller;

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The JSON body (`Null` when empty or not JSON).
    pub body: Value,
}

impl Reply {
    /// The field names of a problem's `errors`, in order.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's string member `key`.
    ///
    /// # Panics
    /// When it is missing: the test's expectation failed.
    pub fn str(&self, key: &str) -> &str {
        self.body[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {}", self.body))
    }

    /// Asserts the status, showing the body when it differs; returns self for chaining.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "answer: {}", self.body);
        if status >= 400 {
            assert_eq!(
                self.header("content-type"),
                Some(odmu_http::PROBLEM_JSON),
                "errors are problem+json: {}",
                self.body
            );
        }
        self
    }
}

/// One request to build: method, URL, caller, body, headers.
pub struct Call {
    request: reqwest::RequestBuilder,
}

impl Call {
    pub(crate) fn new(http: &reqwest::Client, method: Method, url: String) -> Self {
        Self {
            request: http.request(method, url),
        }
    }

    /// As this caller (its bearer token).
    pub fn as_(mut self, caller: &Caller) -> Self {
        self.request = self.request.bearer_auth(&caller.token);
        self
    }

    /// With this bearer token.
    pub fn token(mut self, token: &str) -> Self {
        self.request = self.request.bearer_auth(token);
        self
    }

    /// With this JSON body.
    pub fn json(mut self, body: &Value) -> Self {
        self.request = self.request.json(body);
        self
    }

    /// With this header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    /// With this `Idempotency-Key`.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("idempotency-key", key)
    }

    /// Sends it and reads the whole answer.
    ///
    /// # Panics
    /// When the service cannot be reached: the test cannot go on.
    pub async fn send(self) -> Reply {
        let res = self.request.send().await.expect("the service answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("a body");
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }
}
