//! The rules, as pure functions and types (no axum, no sqlx): currencies, tariffs and their
//! validation, pricing (DESIGN.md §5a), coordinates and text checks.

pub mod currency;
pub mod fare_bounds;
pub mod geo;
pub mod pricing;
pub mod tariff;
pub mod text;
