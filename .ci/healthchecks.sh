#!/usr/bin/env bash
# Each release binary's `healthcheck` argument: 1 while nothing answers, 0 once the service is
# up, 1 again after it stops. Binaries and ports come from the service table via the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
for service in odmu_auth odmu_contractual billing driver_api client_app_api; do
  bin="target/release/$service"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  export PORT="$port" HOST=127.0.0.1 ODMU_DATA_DIR="$data" RUST_LOG=warn \
    DATABASE_URL="sqlite://$data/$service.db" AUTH_URL="http://127.0.0.1:9"
  if timeout 5 "$bin" healthcheck 2>/dev/null; then echo "$service: healthy before it started"; exit 1; fi
  "$bin" & pid=$!
  ok=""
  for _ in $(seq 1 100); do
    if timeout 5 "$bin" healthcheck 2>/dev/null; then ok=1; break; fi
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "$service: healthcheck never passed"; kill "$pid"; exit 1; }
  kill -TERM "$pid"; wait "$pid"
  if timeout 5 "$bin" healthcheck 2>/dev/null; then echo "$service: healthy after it stopped"; exit 1; fi
  echo "$service: healthcheck 1 -> 0 -> 1 as expected ($(stat -c %s "$bin") bytes)"
done
