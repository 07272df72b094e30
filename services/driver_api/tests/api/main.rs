//! driver_api over HTTP, on real ports, beside a real odmu_contractual (quotes, tariffs,
//! agreements) and a real billing (charges, ledger): all trust one test identity and call
//! each other with real service tokens. One module per feature; SQLite by default,
//! PostgreSQL with `TEST_DATABASE_URL`.

mod abuse;
mod accept;
mod availability;
mod billing_down;
mod cancellation;
mod crash;
mod dispatch;
mod expiry;
mod freezer;
mod internal;
mod lifecycle;
mod outbox;
mod profile;
mod support;
mod validation;
