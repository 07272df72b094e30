//! The client_app_api binary; everything lives in the library.

odmu_runtime::service_main!(client_app_api::ClientAppApi);
