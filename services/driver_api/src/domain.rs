//! Pure domain logic of the driver API: no I/O, no clock, no randomness of
//! its own (time and random draws are passed in).

pub mod geo;
pub mod ride;
pub mod rider_limits;
pub mod start_code;
