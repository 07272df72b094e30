//! odmu_auth as its users meet it: over HTTP, on a fresh database (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL). One test binary; one module per feature.

mod accounts;
mod keys;
mod services;
mod support;
mod tokens;
