//! Endpoints for other services (service tokens only; the load balancer keeps
//! `/driver/v1/internal/*` private).

pub mod rides;
pub mod supply;
