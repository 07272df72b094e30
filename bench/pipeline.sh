#!/usr/bin/env bash
# What the pipeline's jobs cost for a one-service change, measured on this machine (run it on a
# 2-core machine, the runners' size). Only the parts that run here are timed: the cargo work of the
# verify jobs and of the image's builder stage. Runner start, cache transfer, the push and ECS are
# not (no runner, registry or AWS here); .gitlab/README.md adds them as estimates.
#
#   bash bench/pipeline.sh            (about 15 minutes; leaves the tree as it found it)
#
# 1. verify, warm: target/ as the Cargo.lock-keyed cache restores it, then one service's file
#    changes: clippy, and the SQLite test job (build + run).
# 2. build, warm: the cargo-chef layer (dependencies) is cached, the workspace's own crates are
#    not (chef cooks them as empty skeletons): docker/build-release.sh with no argument (six
#    binaries: compose's shared builder) against `docker/build-release.sh billing` (what a
#    pipeline build job runs: --build-arg PACKAGES=$SERVICE).
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
TOUCHED=services/billing/src/lib.rs
WORKSPACE_CRATES=(odmu-topology odmu-config odmu-telemetry odmu-http odmu-health odmu-storage odmu-authn
  odmu-runtime odmu_auth odmu_contractual billing driver_api client_app_api odmu-stack)

seconds() { local t0=$SECONDS; "$@" >/dev/null 2>&1; echo $((SECONDS - t0)); }
one_service_change() { touch "$TOUCHED"; }
clean_workspace_release() {
  local args=(); for c in "${WORKSPACE_CRATES[@]}"; do args+=(-p "$c"); done
  cargo clean --release "${args[@]}" >/dev/null 2>&1
}

echo "warming target/ (debug: clippy and tests; release: the image's dependencies)"
cargo clippy --workspace --all-targets --locked >/dev/null 2>&1
cargo test --workspace --locked --no-run >/dev/null 2>&1
./docker/build-release.sh >/dev/null 2>&1

one_service_change; fmt=$(seconds cargo fmt --all -- --check)
one_service_change; clippy=$(seconds cargo clippy --workspace --all-targets --locked -- -D warnings)
one_service_change; tests=$(seconds cargo test --workspace --locked)
clean_workspace_release; all_bins=$(seconds ./docker/build-release.sh)
clean_workspace_release; one_bin=$(seconds ./docker/build-release.sh billing)

printf '\n%-62s %6s\n' "job step (one service changed, warm caches, $(nproc) cores)" "seconds"
printf '%-62s %6s\n' "verify: fmt" "$fmt"
printf '%-62s %6s\n' "verify: clippy -D warnings" "$clippy"
printf '%-62s %6s\n' "verify: tests on SQLite (build + run)" "$tests"
printf '%-62s %6s\n' "build: builder stage, six binaries (compose)" "$all_bins"
printf '%-62s %6s\n' "build: builder stage, PACKAGES=billing (a pipeline build job)" "$one_bin"
