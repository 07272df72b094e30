//! The odmu_auth binary; everything lives in the library.

odmu_runtime::service_main!(odmu_auth::OdmuAuth);
