//! What every odmu service promises (DESIGN.md §3, §8), checked over HTTP on real ports.

odmu_testkit::conformance_tests!(
    odmu_contractual::Contractual,
    env!("CARGO_BIN_EXE_odmu_contractual")
);
