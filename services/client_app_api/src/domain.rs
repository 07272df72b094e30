//! The rules of client_app_api as pure functions (no axum, no sqlx): the route distance of a
//! quote, the demand near a pickup, and the trip a rider sees from the ride's state.

pub mod demand;
pub mod quote;
pub mod route;
pub mod trip;
