//! The billing binary; everything lives in the library.

odmu_runtime::service_main!(billing::Billing);
