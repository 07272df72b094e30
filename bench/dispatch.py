#!/usr/bin/env python3
"""Dispatch on driver_api: the open-ride lookup (GET /driver/v1/rides/open) with 10,000 online
drivers and 1,000 open rides around a city centre, the supply count (GET
/driver/v1/internal/supply) over the same data, and accepts per second (each accept a
distinct ride and driver). Run from the repository root after a release build:

    cargo build --release -p odmu-stack        # binary `odmu`: the stack, each service, the gateway
    apt-get install -y wrk
    python3 -m pip install h3 cryptography     # H3 cells for the seed, Ed25519 for driver tokens
    python3 bench/dispatch.py

What runs: the local stack, `odmu --data-dir <tmp> --port-offset N --gateway-port P`, exactly as
`cargo run` starts it (five services, each on its own SQLite file, and the gateway), at
RUST_LOG=warn. SQLite only: the stack gives every service a SQLite file, and no PostgreSQL
driver for Python (psycopg) is installed here to seed a PostgreSQL database.

1. One driver signs up and logs in through the gateway (/auth/v1/users, /auth/v1/token), writes
   a profile, agrees to the current terms at contractual and goes online at the centre: the
   real path, so its cell is the one driver_api computes. The script checks that Python's
   H3 (h3 4.x) gives the same cell for that point before seeding with it.
2. Seed, by SQL into driver_api's SQLite file once migrated: 10,000 online drivers and 1,000
   requested rides, uniformly over a disc of BENCH_CITY_RADIUS_M (8 km) around the centre, each
   with its H3 cell (resolution 8).
3. wrk GET /driver/v1/rides/open with that driver's token through the gateway: 1 connection
   (unloaded latency), then 16 connections (throughput). Every answer is the same list:
   the nearest 50 of the open rides within 3 km (how many there are is printed).
4. wrk GET /driver/v1/internal/supply (internal: straight to driver_api's port, with
   client_app_api's service token from the stack's dev secrets).
5. Accepts: 10,000 more requested rides are seeded, one per seeded driver; wrk POSTs
   /driver/v1/rides/{id}/accept through the gateway, each request the next (driver, ride) pair
   of its thread. The seeded drivers' tokens are signed by the script with the stack's dev
   signing key (`<data>/odmu_auth/signing-key.pem`, the key odmu_auth signs with, its `kid`
   read from the JWKS): signing up and logging in 10,000 drivers would take minutes of
   Argon2id. driver_api verifies them like any other (each token is new to it: full
   verification on every accept). A thread stops when its pairs are done; the rate is the
   200s over the time from the first request to the last answer (wrk's own rate counts its
   whole -d).

wrk, the gateway, the services and this script share the machine's cores: the figures are
the whole machine's. BENCH_SECONDS (default 10) sets each lookup run, BENCH_ACCEPT_SECONDS
(default 30) the accept run's wrk -d (it must outlast the 10,000 accepts); BENCH_ODMU (default
target/release/odmu) picks the binary (a debug build works to try the script, not for
figures).
"""

import base64
import json
import math
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from common import free_port, to_ms, wait_ready

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODMU = os.environ.get("BENCH_ODMU", os.path.join(ROOT, "target", "release", "odmu"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ACCEPT_SECONDS = int(os.environ.get("BENCH_ACCEPT_SECONDS", "30"))
DRIVERS = int(os.environ.get("BENCH_DRIVERS", "10000"))
RIDES = int(os.environ.get("BENCH_RIDES", "1000"))
CITY_RADIUS_M = float(os.environ.get("BENCH_CITY_RADIUS_M", "8000"))
CENTRE = (48.8566, 2.3522)
PASSWORD = "bench-password-1"
H3_RESOLUTION = 8

try:
    import h3
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
except ImportError as missing:
    sys.exit(f"{missing.name} is needed: python3 -m pip install h3 cryptography")


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
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {url}: {e.code} {e.read().decode(errors='replace')}")


def cell_of(lat, lon):
    """The H3 cell as driver_api stores it: the 64-bit index as a (positive) BIGINT."""
    return int(h3.latlng_to_cell(lat, lon, H3_RESOLUTION), 16)


def scatter(rng, n):
    """`n` points uniform over the city disc (flat-earth offsets: a few km)."""
    points = []
    for _ in range(n):
        r = CITY_RADIUS_M * math.sqrt(rng.random())
        theta = rng.random() * 2 * math.pi
        north, east = r * math.cos(theta), r * math.sin(theta)
        lat = CENTRE[0] + north / 111_195.0
        lon = CENTRE[1] + east / (111_195.0 * math.cos(math.radians(CENTRE[0])))
        points.append((lat, lon))
    return points


def seed_drivers(db, points):
    now = int(time.time() * 1000)
    ids = [str(uuid.uuid4()) for _ in points]
    db.executemany(
        "INSERT INTO drivers (driver_id, name, vehicle_plate, vehicle_class, online, lat, lon, "
        "cell, located_at_ms, updated_at_ms) VALUES (?, 'Bench', 'BE-000-NC', 'standard', 1, "
        "?, ?, ?, ?, ?)",
        [(i, lat, lon, cell_of(lat, lon), now, now) for i, (lat, lon) in zip(ids, points)])
    db.commit()
    return ids


def seed_rides(db, points):
    now = int(time.time() * 1000)
    ids = [str(uuid.uuid4()) for _ in points]
    db.executemany(
        "INSERT INTO rides (id, rider_id, quote_id, status, start_code, pickup_lat, pickup_lon, "
        "pickup_cell, dropoff_lat, dropoff_lon, tariff_code, tariff_version, currency, "
        "quoted_amount_cents, quoted_driver_cents, quoted_distance_m, quoted_duration_s, "
        "free_cancellation_s, late_cancellation_fee_cents, created_at_ms, requested_at_ms, "
        "updated_at_ms) VALUES (?, ?, ?, 'requested', '1234', ?, ?, ?, ?, ?, 'standard', 1, "
        "'EUR', 1500, 1200, 5000, 900, 120, 500, ?, ?, ?)",
        [(i, str(uuid.uuid4()), str(uuid.uuid4()), lat, lon, cell_of(lat, lon),
          CENTRE[0], CENTRE[1], now, now, now) for i, (lat, lon) in zip(ids, points)])
    db.commit()
    return ids


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_minter(data_dir, gateway):
    """Signs driver tokens with the stack's dev key, as odmu_auth would issue them."""
    with open(os.path.join(data_dir, "odmu_auth", "signing-key.pem")) as f:
        der = base64.b64decode("".join(l for l in f.read().splitlines() if "-----" not in l))
    # ring writes PKCS#8 v2 (with the public key), which cryptography does not parse: take
    # the 32-byte seed from its privateKey member (OCTET STRING { OCTET STRING (32) }).
    at = der.find(b"\x04\x22\x04\x20")
    if at < 0:
        sys.exit("the dev signing key is not an Ed25519 PKCS#8 key")
    key = Ed25519PrivateKey.from_private_bytes(der[at + 4:at + 36])
    _, jwks = call("GET", f"{gateway}/auth/.well-known/jwks.json")
    header = b64url(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": jwks["keys"][0]["kid"]},
                               separators=(",", ":")).encode())

    def mint(sub):
        now = int(time.time())
        claims = {"iss": "odmu", "aud": "odmu", "sub": sub, "role": "driver", "iat": now,
                  "nbf": now, "exp": now + 900, "jti": str(uuid.uuid4())}
        body = b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = key.sign(f"{header}.{body}".encode())
        return f"{header}.{body}.{b64url(signature)}"

    return mint


def wrk(url, connections, seconds, script=None, headers=()):
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", script]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_DEBUG"):
        print(out, file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    pct = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": pct.get("50"), "p99": pct.get("99"),
            "non2xx": int(bad.group(1)) if bad else 0, "out": out}


ACCEPT_LUA = r"""
-- Each thread POSTs the accept of its own (token, ride) pairs, one per request, then stops.
local pairs_file = "%(pairs)s"
local threads = {}
local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
local function now_ns()
  local p = io.popen("date +%%s%%N")
  local t = tonumber(p:read("*l"))
  p:close()
  return t
end
function init(args)
  todo, n, sent, answered, ok, started = {}, 0, 0, 0, 0, nil
  local i = 0
  for line in io.lines(pairs_file) do
    if i %% %(threads)d == index then
      local token, ride = line:match("([^ ]+) ([^ ]+)")
      table.insert(todo, {token, ride})
    end
    i = i + 1
  end
  n = #todo
end
function request()
  if started == nil then started = now_ns() end
  sent = sent + 1
  local pair = todo[((sent - 1) %% n) + 1]
  return wrk.format("POST", "/driver/v1/rides/" .. pair[2] .. "/accept",
    {["Authorization"] = "Bearer " .. pair[1], ["Content-Type"] = "application/json"}, "{}")
end
function response(status, headers, body)
  answered = answered + 1
  if status == 200 then ok = ok + 1 end
  if answered >= n then
    wrk.thread:set("ok", ok)
    wrk.thread:set("answered", answered)
    wrk.thread:set("started", started)
    wrk.thread:set("finished", now_ns())
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local ok, answered, first, last = 0, 0, nil, nil
  for _, t in ipairs(threads) do
    ok = ok + (t:get("ok") or 0)
    answered = answered + (t:get("answered") or 0)
    local s, f = t:get("started"), t:get("finished")
    if s and (first == nil or s < first) then first = s end
    if f and (last == nil or f > last) then last = f end
  end
  io.write(string.format("ACCEPTS ok=%%d answered=%%d seconds=%%.3f\n", ok, answered,
    ((last or 0) - (first or 0)) / 1e9))
end
"""


def main():
    work = tempfile.mkdtemp(prefix="odmu-dispatch-")
    data = os.path.join(work, "data")
    offset = 20000 + os.getpid() % 10000
    gateway_port = free_port()
    stack = subprocess.Popen(
        [ODMU, "--data-dir", data, "--port-offset", str(offset), "--gateway-port",
         str(gateway_port)],
        env=dict(os.environ, RUST_LOG="warn"), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{gateway_port}"
        driver_port = 3002 + offset
        for prefix in ("auth", "contract", "billing", "driver"):
            wait_ready(f"{base}/{prefix}/ready", [stack])
        run(base, data, driver_port, work)
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
        shutil.rmtree(work, ignore_errors=True)


def run(base, data, driver_port, work):
    rng = random.Random(7)
    # The measured driver, the real way.
    email = f"dispatch-{os.getpid()}@example.com"
    _, user = call("POST", f"{base}/auth/v1/users",
                   body={"email": email, "password": PASSWORD, "role": "driver"})
    _, tokens = call("POST", f"{base}/auth/v1/token",
                     form={"grant_type": "password", "email": email, "password": PASSWORD})
    token = tokens["access_token"]
    call("PUT", f"{base}/driver/v1/profile", token=token,
         body={"name": "Bench", "vehicle_plate": "BE-001-NC", "vehicle_class": "standard"})
    _, terms = call("GET", f"{base}/contract/v1/terms/current", token=token)
    call("POST", f"{base}/contract/v1/agreements", token=token,
         body={"terms_version": terms["version"]})
    call("PUT", f"{base}/driver/v1/availability", token=token,
         body={"online": True, "lat": CENTRE[0], "lon": CENTRE[1]})

    db = sqlite3.connect(os.path.join(data, "driver_api.db"), timeout=30)
    db.execute("PRAGMA busy_timeout = 30000")
    stored = db.execute("SELECT cell FROM drivers WHERE driver_id = ?", (user["id"],)).fetchone()
    if stored is None or stored[0] != cell_of(*CENTRE):
        sys.exit(f"Python's H3 cell {cell_of(*CENTRE)} differs from driver_api's {stored}")
    drivers = seed_drivers(db, scatter(rng, DRIVERS))
    seed_rides(db, scatter(rng, RIDES))

    _, first = call("GET", f"{base}/driver/v1/rides/open", token=token)
    near = len(first["items"])
    auth = [f"Authorization: Bearer {token}"]
    open_url = f"{base}/driver/v1/rides/open"
    lookups = [("rides/open, 1 connection", wrk(open_url, 1, SECONDS, headers=auth)),
               ("rides/open, 16 connections", wrk(open_url, 16, SECONDS, headers=auth))]

    secrets = dict(line.split("=", 1) for line in
                   open(os.path.join(data, "dev-secrets.env")).read().splitlines() if "=" in line)
    _, service = call("POST", f"{base}/auth/v1/token",
                      form={"grant_type": "client_credentials", "client_id": "client_app_api",
                            "client_secret": secrets["CLIENT_SECRET_client_app_api"]})
    supply_url = (f"http://127.0.0.1:{driver_port}/driver/v1/internal/supply"
                  f"?lat={CENTRE[0]}&lon={CENTRE[1]}")
    _, supply = call("GET", supply_url, token=service["access_token"])
    lookups.append(("internal/supply, 1 connection",
                    wrk(supply_url, 1, SECONDS,
                        headers=[f"Authorization: Bearer {service['access_token']}"])))

    # Accepts: one new ride per seeded driver, each driver with a token of its own.
    mint = token_minter(data, base)
    accept_rides = seed_rides(db, scatter(rng, len(drivers)))
    pairs = os.path.join(work, "pairs.txt")
    with open(pairs, "w") as f:
        for driver, ride in zip(drivers, accept_rides):
            f.write(f"{mint(driver)} {ride}\n")
    script = os.path.join(work, "accept.lua")
    with open(script, "w") as f:
        f.write(ACCEPT_LUA % {"pairs": pairs, "threads": 2})
    # wrk runs its whole -d even when every thread is done: keep it just above the need.
    result = wrk(f"{base}/driver/v1/rides/x/accept", 16, ACCEPT_SECONDS, script=script)
    m = re.search(r"ACCEPTS ok=(\d+) answered=(\d+) seconds=([\d.]+)", result["out"])
    ok, answered, seconds = int(m.group(1)), int(m.group(2)), float(m.group(3))
    accepted = db.execute("SELECT COUNT(*) FROM rides WHERE status = 'accepted'").fetchone()[0]
    db.close()

    print(f"\ndriver_api dispatch, local stack on SQLite, release build, {os.cpu_count()} cores; "
          f"{DRIVERS} online drivers and {RIDES} open rides over a {CITY_RADIUS_M / 1000:.0f} km "
          f"disc; wrk {SECONDS} s per run:")
    print(f"  {'run':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for label, r in lookups:
        print(f"  {label:<32} {r['rps']:8.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['non2xx']:8d}")
    print(f"  rides/open answers the nearest {near} of the {supply['open_requests']} open rides "
          f"within 3 km; supply there: {supply['online_drivers']} online drivers")
    rate = ok / seconds if seconds > 0 else 0.0
    print(f"\naccepts, 16 connections through the gateway, each a distinct driver and ride:")
    print(f"  {ok} of {answered} answered 200 in {seconds:.2f} s: {rate:.0f} accepts/s "
          f"(rides accepted in the database: {accepted}); p50 {result['p50']:.2f} ms, "
          f"p99 {result['p99']:.2f} ms")


if __name__ == "__main__":
    main()
