//! The driver_api binary; everything lives in the library.

odmu_runtime::service_main!(driver_api::DriverApi);
