//! client_app_api over HTTP on real ports, against the real contractual, billing and
//! driver_api (each in-process on port 0 with a fresh database, one test identity): quotes,
//! bookings and their replays, reading and listing trips, cancellation, a dependency that is
//! down, and the document.

mod abuse;
mod booking;
mod cancel;
mod outage;
mod quotes;
mod reading;
mod support;
mod validation;
