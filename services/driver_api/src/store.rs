//! driver_api's queries, SQL next to the function that runs it (DESIGN.md §6 portable subset).

pub mod dispatch;
pub mod drivers;
pub mod profiles;
pub mod rides;
pub mod transitions;
