//! What every odmu service promises (DESIGN.md §3, §8), checked over HTTP on real ports.

odmu_testkit::conformance_tests!(
    client_app_api::ClientAppApi,
    env!("CARGO_BIN_EXE_client_app_api")
);
