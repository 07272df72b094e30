#!/usr/bin/env bash
# Fuzz every service's OpenAPI document through the local stack's gateway with schemathesis,
# all checks on, as each role in turn (rider, driver, admin, service) and without a token. A
# bounded number of examples per operation keeps it to a few minutes. Exit 1 on any failure.
#
#   bash .ci/schemathesis.sh [path/to/odmu]      # default target/debug/odmu (built by cargo test)
set -euo pipefail
cd "$(dirname "$0")/.."
ODMU="$(realpath "${1:-target/debug/odmu}")"
EXAMPLES="${ST_MAX_EXAMPLES:-20}"
ST="${ST:-st}"
CONFIG="$PWD/.ci/schemathesis.toml"
WORK="$(mktemp -d)"
OFFSET=$((20000 + RANDOM % 20000))
GW_PORT=$((OFFSET + 8080))
GW="http://127.0.0.1:${GW_PORT}"

"$ODMU" --data-dir "$WORK/data" --port-offset "$OFFSET" --gateway-port "$GW_PORT" >"$WORK/stack.log" 2>&1 &
STACK=$!
trap 'kill -TERM $STACK 2>/dev/null; wait $STACK 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do
  grep -q "odmu is up" "$WORK/stack.log" && break
  kill -0 $STACK 2>/dev/null || { cat "$WORK/stack.log"; echo "!! the stack stopped" >&2; exit 1; }
  sleep 0.1
done
grep -q "odmu is up" "$WORK/stack.log" || { cat "$WORK/stack.log"; echo "!! the stack is not up" >&2; exit 1; }

secret() { sed -n "s/^$1=//p" "$WORK/data/dev-secrets.env"; }
token() { curl -sf -X POST "$GW/auth/v1/token" "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
user_token() {
  curl -sf -o /dev/null -X POST "$GW/auth/v1/users" -H 'content-type: application/json' \
    -d "{\"email\":\"$1@fuzz.test\",\"password\":\"fuzz-password-1\",\"role\":\"$1\"}"
  token -d grant_type=password -d "email=$1@fuzz.test" -d password=fuzz-password-1
}
declare -A TOKENS
TOKENS[rider]="$(user_token rider)"
TOKENS[driver]="$(user_token driver)"
TOKENS[admin]="$(token -d grant_type=password -d email=admin@odmu.local --data-urlencode "password=$(secret ADMIN_PASSWORD)")"
TOKENS[service]="$(token -d grant_type=client_credentials -d client_id=driver_api --data-urlencode "client_secret=$(secret CLIENT_SECRET_driver_api)")"

failed=0
# run LABEL BASE_URL PREFIX ROLE [schemathesis options...]
run() {
  local label="$1" base="$2" prefix="$3" role="$4"
  shift 4
  local auth=()
  [ "$role" != anonymous ] && auth=(-H "Authorization: Bearer ${TOKENS[$role]}")
  local out="$WORK/st-$label-$prefix-$role.txt"
  # From the work folder: schemathesis keeps a cache in its current directory.
  if (cd "$WORK" && "$ST" --config-file "$CONFIG" run "$base/$prefix/openapi.json" --url "$base" \
      "${auth[@]}" --checks all --max-examples "$EXAMPLES" --seed 1 --no-color "$@" >"$out" 2>&1); then
    printf 'ok    %-8s %-9s as %-9s %s\n' "$label" "$prefix" "$role" \
      "$(grep -E '^Test cases:' -A1 "$out" | tail -n1 | xargs)"
  elif grep -q "No operations" "$out" 2>/dev/null; then
    printf 'none  %-8s %-9s as %s\n' "$label" "$prefix" "$role"
  else
    failed=1
    printf 'FAIL  %-8s %-9s as %s\n' "$label" "$prefix" "$role"
    sed -n '/= FAILURES =/,/= SUMMARY =/p' "$out" | head -n 120
  fi
}
declare -A PORTS=([auth]=3003 [contract]=3004 [billing]=3001 [driver]=3002 [client]=3000)
for prefix in auth contract billing driver client; do
  # Public paths through the gateway, as each role and without a token. Internal paths answer
  # 404 there by design; they are fuzzed at the service itself, as the services that call them.
  for role in anonymous rider driver admin service; do
    run gateway "$GW" "$prefix" "$role" --exclude-path-regex '/v1/internal'
  done
  if curl -sf "$GW/$prefix/openapi.json" | grep -q '/v1/internal'; then
    service="http://127.0.0.1:$((OFFSET + ${PORTS[$prefix]}))"
    run internal "$service" "$prefix" service --include-path-regex '/v1/internal'
  fi
done
exit $failed
