//! client_app_api's queries, SQL next to the function that runs it (DESIGN.md §6 portable
//! subset).

pub mod trips;
