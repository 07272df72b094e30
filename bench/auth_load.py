#!/usr/bin/env python3
"""odmu_auth under load on loopback: refresh latency (p50/p99) with concurrent clients that
each keep rotating their own refresh token, and login latency (bounded by Argon2id by design).

    cargo build --release --workspace --bins
    python3 bench/auth_load.py

Runs the release odmu_auth binary on a fresh SQLite database in a temporary folder; every
request goes to 127.0.0.1, and the run is bounded in time.
"""

import http.client
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

from common import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "odmu_auth")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
LOGINS = int(os.environ.get("BENCH_LOGINS", "40"))
PASSWORD = "a-long-enough-password"


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def post(self, path, body, form=False):
        if form:
            data, ctype = urllib.parse.urlencode(body), "application/x-www-form-urlencoded"
        else:
            data, ctype = json.dumps(body), "application/json"
        self.conn.request("POST", path, data, {"content-type": ctype})
        res = self.conn.getresponse()
        return res.status, json.loads(res.read() or b"null")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(port),
            "DATABASE_URL": f"sqlite://{tmp}/odmu_auth.db", "ODMU_DATA_DIR": tmp,
            "AUTH_URL": f"http://127.0.0.1:{port}", "RUST_LOG": "warn",
            # Measure the endpoint, not the login limiter.
            "AUTH_LOGIN_LIMIT_PER_ADDRESS": "1000000", "AUTH_LOGIN_LIMIT_PER_ACCOUNT": "1000000",
        }
        proc = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while True:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    c.request("GET", "/auth/ready")
                    if c.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise SystemExit("odmu_auth did not become ready")
                time.sleep(0.01)
            run(port)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def run(port):
    setup = Client(port)
    for i in range(CLIENTS):
        status, _ = setup.post("/auth/v1/users",
                               {"email": f"user{i}@bench.test", "password": PASSWORD, "role": "rider"})
        assert status == 201, status

    # Login: sequential, so each figure is one request's own cost.
    logins = []
    for i in range(LOGINS):
        t = time.perf_counter()
        status, body = setup.post("/auth/v1/token", {"grant_type": "password",
                                  "email": f"user{i % CLIENTS}@bench.test", "password": PASSWORD}, form=True)
        logins.append((time.perf_counter() - t) * 1000)
        assert status == 200, body

    # Refresh: CLIENTS threads, each rotating its own token chain as fast as it can.
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.time() + SECONDS

    def worker(i):
        c = Client(port)
        _, body = c.post("/auth/v1/token", {"grant_type": "password",
                         "email": f"user{i}@bench.test", "password": PASSWORD}, form=True)
        token, mine = body["refresh_token"], []
        while time.time() < stop:
            t = time.perf_counter()
            status, body = c.post("/auth/v1/token",
                                  {"grant_type": "refresh_token", "refresh_token": token}, form=True)
            mine.append((time.perf_counter() - t) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
                break
            token = body["refresh_token"]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - started

    print(f"login (password grant, Argon2id m=19456 t=2 p=1), {LOGINS} sequential requests:")
    print(f"  p50 {statistics.median(logins):.1f} ms   p99 {percentile(logins, 99):.1f} ms")
    print(f"refresh (rotation in one transaction), {CLIENTS} concurrent clients for {SECONDS:.0f} s:")
    print(f"  {len(latencies)} refreshes, {len(latencies) / elapsed:.0f}/s, errors {errors[0]}")
    print(f"  p50 {statistics.median(latencies):.2f} ms   p99 {percentile(latencies, 99):.2f} ms")


if __name__ == "__main__":
    main()
