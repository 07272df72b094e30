//! The HTTP kit of odmu: the problem+json error type and extractors, the common middleware,
//! serving with graceful shutdown, and the base of outgoing service clients.

mod client;
mod extract;
mod fields;
pub mod integer;
mod layers;
pub mod page;
mod problem;
pub mod responses;
mod server;
pub mod text;

pub use client::{Bearer, BoxError, BoxFuture, ClientError, ServiceClient};
pub use extract::{Json, Path, Query};
pub use fields::Fields;
pub use layers::{
    BODY_LIMIT_BYTES, BodyError, DRAIN_LIMIT_BYTES, REQUEST_ID_MAX, current_request_id,
    is_safe_request_id, not_found, read_body, with_common_layers,
};
pub use odmu_telemetry::REQUEST_ID_HEADER;
pub use page::{Page, PageQuery, PageRequest};
pub use problem::{FieldError, PROBLEM_JSON, Problem};
pub use server::{ServerConfig, Shutdown, serve, signal};
