#!/usr/bin/env python3
"""GET /auth/v1/me (verify + one indexed read) on odmu_auth beside the Node peer
(../shared/bench/node-peer: Express + jose + better-sqlite3, 2 worker processes), same token,
same data, same machine, in one run: requests per second and p99 at 32 connections (wrk), and
resident memory after the load. After one unmeasured 3 s round each, rounds alternate (odmu,
peer, odmu, peer, ...) and the median of three is reported, as the peer's README asks. Then the same figures for a protected
driver_api route answered without a database read (the role guard refusing a rider's token on
GET /driver/v1/profile: verification and the guard, no query).

    cargo build --release -p odmu_auth -p driver_api
    apt-get install -y wrk nodejs npm
    python3 bench/auth_vs_node.py            # BENCH_SECONDS=10 BENCH_ROUNDS=3 by default
"""

import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import free_port, to_ms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_SRC = os.path.join(ROOT, "..", "shared", "bench", "node-peer")
RELEASE = os.path.join(ROOT, "target", "release")


def service_command(name):
    """The service's own binary, or the same service run by the stack binary (`odmu service
    NAME`: the same code and runtime) when only `cargo build --release -p odmu-stack` was made."""
    own = os.path.join(RELEASE, name)
    if os.path.exists(own):
        return [own]
    return [os.path.join(RELEASE, "odmu"), "service", name]
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = 32


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.05)
    sys.exit(f"{url} did not answer")


def call(method, url, body=None, form=None, token=None):
    data, headers = None, {}
    if body is not None:
        data, headers["content-type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def wrk(url, token, seconds=SECONDS):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
         "-H", f"authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
    p99 = next(l for l in out.splitlines() if l.strip().startswith("99%")).split()[1]
    errors = [l.strip() for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
    return rps, to_ms(p99), errors


def main():
    for tool in ("wrk", "node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (apt-get install -y wrk nodejs npm)")
    work = tempfile.mkdtemp(prefix="odmu-bench-")
    procs = []
    try:
        env = dict(os.environ, HOST="127.0.0.1", LOG_FORMAT="json", RUST_LOG="info",
                   MALLOC_MMAP_THRESHOLD_="131072", ODMU_DATA_DIR=work)
        auth_port = free_port()
        auth = subprocess.Popen(
            service_command("odmu_auth"), stdout=subprocess.DEVNULL,
            env=dict(env, PORT=str(auth_port), AUTH_URL=f"http://127.0.0.1:{auth_port}",
                     DATABASE_URL=f"sqlite://{work}/auth.db"))
        procs.append(auth)
        base = f"http://127.0.0.1:{auth_port}"
        wait_http(f"{base}/auth/health")
        email = "bench@example.com"
        user = call("POST", f"{base}/auth/v1/users",
                    body={"email": email, "password": "bench-password-1", "role": "rider"})
        token = call("POST", f"{base}/auth/v1/token",
                     form={"grant_type": "password", "email": email,
                           "password": "bench-password-1"})["access_token"]

        driver_port = free_port()
        driver = subprocess.Popen(
            service_command("driver_api"), stdout=subprocess.DEVNULL,
            env=dict(env, PORT=str(driver_port), AUTH_URL=base,
                     DATABASE_URL=f"sqlite://{work}/driver.db"))
        procs.append(driver)
        wait_http(f"http://127.0.0.1:{driver_port}/driver/health")

        peer_dir = os.path.join(work, "node-peer")
        shutil.copytree(PEER_SRC, peer_dir)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund"], cwd=peer_dir,
                       check=True, stdout=subprocess.DEVNULL)
        db = sqlite3.connect(os.path.join(peer_dir, "peer.db"))
        db.execute("CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL, "
                   "role TEXT NOT NULL)")
        db.execute("INSERT OR REPLACE INTO users VALUES (?,?,?)", (user["id"], email, "rider"))
        db.commit()
        db.close()
        peer_port = free_port()
        peer = subprocess.Popen(
            ["node", "server.js"], cwd=peer_dir, stdout=subprocess.DEVNULL,
            env=dict(os.environ, PORT=str(peer_port), WORKERS="2", ISSUER="odmu",
                     AUDIENCE="odmu", DB="peer.db",
                     JWKS_URL=f"{base}/auth/.well-known/jwks.json"))
        procs.append(peer)
        wait_http(f"http://127.0.0.1:{peer_port}/auth/health")

        me = "/auth/v1/me"
        # Both answer the same body for the same token before anything is measured.
        ours = call("GET", f"{base}{me}", token=token)
        theirs = call("GET", f"http://127.0.0.1:{peer_port}{me}", token=token)
        assert ours["id"] == theirs["id"] == user["id"], (ours, theirs)

        # One unmeasured round each first: V8 compiles its hot paths, caches and pools fill.
        for url in (f"{base}{me}", f"http://127.0.0.1:{peer_port}{me}"):
            wrk(url, token, seconds=3)
        results = {"odmu": [], "peer": []}
        for _ in range(ROUNDS):
            for name, url in (("odmu", f"{base}{me}"), ("peer", f"http://127.0.0.1:{peer_port}{me}")):
                rps, p99, errors = wrk(url, token)
                if errors:
                    sys.exit(f"{name}: {errors}")
                results[name].append((rps, p99))
                print(f"  round {name:5} {rps:9.0f} req/s  p99 {p99:6.2f} ms", flush=True)
        odmu_rss = rss_mib([auth.pid])
        peer_rss = rss_mib([peer.pid] + children(peer.pid))
        med = {k: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v))
               for k, v in results.items()}

        profile = f"http://127.0.0.1:{driver_port}/driver/v1/profile"
        guarded = []
        for _ in range(ROUNDS):
            out = subprocess.run(
                ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency",
                 "-H", f"authorization: Bearer {token}", profile],
                capture_output=True, text=True, check=True).stdout
            rps = float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])
            p99 = to_ms(next(l for l in out.splitlines() if l.strip().startswith("99%")).split()[1])
            guarded.append((rps, p99))
        driver_rss = rss_mib([driver.pid])
        g = (statistics.median(r for r, _ in guarded), statistics.median(p for _, p in guarded))

        print(f"\nGET /auth/v1/me, wrk -t2 -c{CONNECTIONS} -d{SECONDS}s, median of {ROUNDS} "
              f"alternating rounds, release build, {os.cpu_count()} cores:")
        print(f"  {'':22} {'req/s':>9} {'p99 ms':>8} {'RSS after MiB':>14}")
        print(f"  {'odmu_auth (Rust)':22} {med['odmu'][0]:9.0f} {med['odmu'][1]:8.2f} {odmu_rss:14.1f}")
        print(f"  {'node peer (2 workers)':22} {med['peer'][0]:9.0f} {med['peer'][1]:8.2f} {peer_rss:14.1f}")
        print(f"  {'ratio':22} {med['odmu'][0] / med['peer'][0]:8.2f}x")
        print(f"\nGET /driver/v1/profile with a rider's token (verify + role guard -> 403, "
              f"no database read):")
        print(f"  {'driver_api':22} {g[0]:9.0f} {g[1]:8.2f} {driver_rss:14.1f}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
