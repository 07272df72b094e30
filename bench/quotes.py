#!/usr/bin/env python3
"""POST /contract/v1/quotes through the gateway: the highest rate of quotes per second, then
the latency at half that rate. Run from the repository root after a release build:

    cargo build --release -p odmu-stack        # binary `odmu`: the stack, each service, the gateway
    apt-get install -y wrk
    python3 bench/quotes.py                                    # SQLite (the local stack)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/odmu_bench python3 bench/quotes.py

What runs:
- SQLite (default): the local stack, `odmu --data-dir <tmp> --port-offset N --gateway-port P`,
  exactly as `cargo run` starts it (five services, each on its own SQLite file, and the gateway).
- PostgreSQL (`BENCH_DATABASE_URL` set): the stack always gives its services SQLite files
  (tools/stack child_spec sets DATABASE_URL), so the script starts the same binary's parts one
  by one instead: `odmu service odmu_auth` (on SQLite: it only signs the one login),
  `odmu service odmu_contractual` with DATABASE_URL=BENCH_DATABASE_URL, and `odmu gateway` in
  front of them. The requests take the same path as on SQLite: wrk -> gateway -> contractual.
  Give it a database of its own (e.g. `createdb -h 127.0.0.1 -U postgres odmu_bench`): the
  service migrates it and the quotes stay there.

Every process logs at warn (RUST_LOG=warn) so that logging does not dominate. A rider signs up
and logs in through the gateway (/auth/v1/users, /auth/v1/token); every request is that rider's
quote for 5 km, 15 min, with pickup and drop-off: token verification (cached after the first
request), the tariff read, the pricing and one insert.

1. Max rate: `wrk -t2 -c32 -d{BENCH_SECONDS}s` (closed loop, 32 connections, as fast as the
   service answers).
2. Half that rate: wrk2 (constant-rate load) is not available, so wrk paces itself: a Lua
   `delay()` makes each connection wait between two requests, the wait and the number of
   connections chosen so that together they send about half the max rate (a 2 s paced run
   first measures how long each request takes at that rate, which the wait leaves room for). This is a closed loop with think time,
   not an open-loop constant rate: a request that stalls delays the next one on its connection
   instead of queueing behind it, so the p99 under-states a true open-loop p99 during stalls.
   The achieved rate is printed beside the target.

wrk, the gateway and the service share the 2 cores of the machine: the max rate is the whole
machine's, not the service's alone. BENCH_SECONDS (default 10) sets each run's length;
BENCH_ODMU (default target/release/odmu) picks the binary (a debug build works to try the
script, not to take figures); BENCH_DEBUG=1 prints wrk's own output.
"""

import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from common import free_port, to_ms, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODMU = os.environ.get("BENCH_ODMU", os.path.join(ROOT, "target", "release", "odmu"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "").strip()
MAX_CONNECTIONS = 32
QUOTE = {
    "distance_m": 5000,
    "duration_s": 900,
    "pickup": {"lat": 48.8566, "lon": 2.3522},
    "dropoff": {"lat": 48.8738, "lon": 2.2950},
}
PASSWORD = "bench-password-1"


def call(method, url, body=None, form=None, token=None):
    data, headers = None, {}
    if body is not None:
        data, headers["content-type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read() or b"null")


def start_stack(work):
    """The local stack on SQLite; answers (gateway base URL, processes)."""
    offset = 20000 + os.getpid() % 10000
    gateway_port = free_port()
    env = dict(os.environ, RUST_LOG="warn")
    stack = subprocess.Popen(
        [ODMU, "--data-dir", os.path.join(work, "data"), "--port-offset", str(offset),
         "--gateway-port", str(gateway_port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{gateway_port}"
    for prefix in ("auth", "contract"):
        wait_ready(f"{base}/{prefix}/ready", [stack])
    return base, [stack]


def start_on_postgres(work):
    """odmu_auth (SQLite), odmu_contractual (BENCH_DATABASE_URL) and the gateway, each a part
    of the same `odmu` binary; answers (gateway base URL, processes)."""
    auth_port, contract_port, gateway_port = free_port(), free_port(), free_port()
    auth_url = f"http://127.0.0.1:{auth_port}"
    contract_url = f"http://127.0.0.1:{contract_port}"
    common = dict(os.environ, RUST_LOG="warn", HOST="127.0.0.1", ODMU_DATA_DIR=work,
                  MALLOC_MMAP_THRESHOLD_="131072", AUTH_URL=auth_url,
                  CONTRACTUAL_URL=contract_url)
    procs = [
        subprocess.Popen(
            [ODMU, "service", "odmu_auth"],
            env=dict(common, PORT=str(auth_port), DATABASE_URL=f"sqlite://{work}/auth.db"),
            stdout=subprocess.DEVNULL),
        subprocess.Popen(
            [ODMU, "service", "odmu_contractual"],
            env=dict(common, PORT=str(contract_port), DATABASE_URL=DATABASE_URL),
            stdout=subprocess.DEVNULL),
    ]
    wait_ready(f"{auth_url}/auth/ready", procs)
    wait_ready(f"{contract_url}/contract/ready", procs)
    procs.append(subprocess.Popen(
        [ODMU, "gateway"], env=dict(common, ODMU_GATEWAY_PORT=str(gateway_port)),
        stdout=subprocess.DEVNULL))
    base = f"http://127.0.0.1:{gateway_port}"
    wait_ready(f"{base}/contract/health", procs)
    return base, procs


def rider_token(base):
    email = f"bench-{os.getpid()}-{int(time.time())}@example.com"
    call("POST", f"{base}/auth/v1/users",
         body={"email": email, "password": PASSWORD, "role": "rider"})
    _, token = call("POST", f"{base}/auth/v1/token",
                    form={"grant_type": "password", "email": email, "password": PASSWORD})
    return token["access_token"]


def lua_script(work, token, delay_ms=None):
    """wrk's script: the POST, and (when pacing) a fixed wait before each request."""
    path = os.path.join(work, f"quote-{delay_ms or 0}.lua")
    body = json.dumps(QUOTE).replace("\\", "\\\\").replace('"', '\\"')
    lines = [
        'wrk.method = "POST"',
        f'wrk.body = "{body}"',
        'wrk.headers["Content-Type"] = "application/json"',
        f'wrk.headers["Authorization"] = "Bearer {token}"',
    ]
    if delay_ms:
        lines.append(f"function delay() return {delay_ms} end")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def wrk(url, script, connections, seconds=SECONDS):
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script,
         url],
        capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_DEBUG"):
        print(out, file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "p50": pct.get("50"), "p90": pct.get("90"), "p99": pct.get("99"),
            "non2xx": int(bad.group(1)) if bad else 0,
            "socket": errors.group(0) if errors else ""}


def pacing(target_rps, latency_ms):
    """Connections and per-request wait (whole ms, wrk's granularity) so that the connections
    together send about `target_rps`: each sends one request per (wait + response time)."""
    connections = max(1, min(MAX_CONNECTIONS, math.ceil(target_rps * (10 + latency_ms) / 1000)))
    delay_ms = max(1, round(connections * 1000 / target_rps - latency_ms))
    return connections, delay_ms


def main():
    if not os.path.exists(ODMU):
        sys.exit(f"{ODMU} is missing: cargo build --release -p odmu-stack (or set BENCH_ODMU)")
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is needed: apt-get install -y wrk")
    backend = "PostgreSQL" if DATABASE_URL else "SQLite"
    work = tempfile.mkdtemp(prefix="odmu-bench-quotes-")
    base, procs = (start_on_postgres if DATABASE_URL else start_stack)(work)
    try:
        token = rider_token(base)
        url = f"{base}/contract/v1/quotes"
        status, quote = call("POST", url, body=QUOTE, token=token)
        assert status == 201 and quote["amount_cents"] == 1325, quote

        top = wrk(url, lua_script(work, token), MAX_CONNECTIONS)
        target = top["rps"] / 2
        # A short paced run measures how long a request takes at about that rate (its cycle
        # less the wait); the real run then waits that much less between requests.
        connections, delay_ms = pacing(target, 0)
        probe = wrk(url, lua_script(work, token, delay_ms), connections, seconds=2)
        busy_ms = max(0.0, connections * 1000 / max(probe["rps"], 1) - delay_ms)
        connections, delay_ms = pacing(target, busy_ms)
        half = wrk(url, lua_script(work, token, delay_ms), connections)

        print(f"POST /contract/v1/quotes through the gateway, {backend}, "
              f"{SECONDS} s per run, {os.cpu_count()} cores shared by wrk, gateway and services:")
        print(f"  {'run':<34} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
              f"{'non-2xx':>8}")
        rows = [(f"max: wrk -t2 -c{MAX_CONNECTIONS}", top),
                (f"half: {connections} conn, {delay_ms} ms wait", half)]
        for label, r in rows:
            print(f"  {label:<34} {r['rps']:8.0f} {r['p50']:8.2f} {r['p90']:8.2f} "
                  f"{r['p99']:8.2f} {r['non2xx']:8d}")
        print(f"  half rate: target {target:.0f}/s, achieved {half['rps']:.0f}/s "
              "(paced closed loop, see the docstring)")
        for label, r in rows:
            if r["socket"]:
                print(f"  {label}: {r['socket']}")
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
