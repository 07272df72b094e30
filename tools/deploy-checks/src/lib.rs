//! Nothing to link: this package holds the tests (`tests/`) that hold compose.yaml, the
//! Dockerfile's build, the database init and Terraform to the one service table
//! (`odmu_topology`). `cargo test -p odmu-deploy-checks` runs them.
