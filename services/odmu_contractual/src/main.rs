//! The odmu_contractual binary; everything lives in the library.

odmu_runtime::service_main!(odmu_contractual::Contractual);
