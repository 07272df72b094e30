#!/usr/bin/env python3
"""Foundation figures: start-to-ready time and idle memory per service, and the gateway's
added latency. Run from the repository root after a release build:

    cargo build --release --workspace --bins
    python3 bench/foundation.py            # needs wrk (apt-get install -y wrk)

Everything runs on 127.0.0.1 with bounded counts and durations.
"""

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from common import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "10"))


def services():
    """The service table, read from the one place it lives (crates/topology)."""
    src = open(os.path.join(ROOT, "crates", "topology", "src", "lib.rs")).read()
    found = re.findall(r'name: "(\w+)",\s*port: (\d+),\s*prefix: "([^"]+)"', src)
    assert len(found) == 5, found
    return [(name, int(port), prefix) for name, port, prefix in found]


def status(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", path)
        code = c.getresponse().status
        c.close()
        return code
    except OSError:
        return None


def start_to_ready(name, prefix):
    """Milliseconds from spawn to the first 200 on /ready, fresh SQLite database each run
    (so migrations are included), and the idle RSS of the last run."""
    times, rss = [], None
    for i in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOST": "127.0.0.1",
                "PORT": str(port),
                "DATABASE_URL": f"sqlite://{tmp}/{name}.db",
                "AUTH_URL": "http://127.0.0.1:9",
                "RUST_LOG": "warn",
                "ODMU_DATA_DIR": tmp,
                # As docker/Dockerfile sets it (glibc returns Argon2id's blocks).
                "MALLOC_MMAP_THRESHOLD_": "131072",
            }
            begun = time.perf_counter()
            proc = subprocess.Popen([os.path.join(RELEASE, name)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while status(port, f"{prefix}/ready") != 200:
                if time.perf_counter() - begun > 10:
                    proc.kill()
                    sys.exit(f"{name} not ready after 10 s")
                time.sleep(0.0005)
            times.append((time.perf_counter() - begun) * 1000)
            if i == RUNS - 1:
                time.sleep(2)  # idle
                with open(f"/proc/{proc.pid}/status") as f:
                    rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024
            proc.terminate()
            proc.wait(timeout=20)
    return times, rss


def wrk(url, connections):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{WRK_SECONDS}s", "--latency", url],
        check=True, capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return ms("50"), ms("99"), rps


def gateway_latency():
    offset = 30000 + os.getpid() % 1000
    gateway_port = 8080 + offset
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, RUST_LOG="warn", ODMU_PORT_OFFSET=str(offset),
                   ODMU_GATEWAY_PORT=str(gateway_port))
        stack = subprocess.Popen([os.path.join(RELEASE, "odmu"), "--data-dir", tmp], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for line in stack.stdout:
            if "odmu is up" in line:
                break
        billing_port = 3001 + offset
        assert status(billing_port, "/billing/health") == 200
        results = {}
        # One connection: the latency a request sees on an idle machine. Sixteen: the 2-core
        # machine saturated (wrk, gateway and service share it), so throughput, not latency.
        for connections in (1, 16):
            results[connections] = (
                wrk(f"http://127.0.0.1:{billing_port}/billing/health", connections),
                wrk(f"http://127.0.0.1:{gateway_port}/billing/health", connections),
            )
        stack.terminate()
        stack.wait(timeout=30)
    return results


def main():
    print(f"start-to-ready over {RUNS} runs (fresh SQLite database, migrations included), "
          "idle RSS after 2 s:")
    print(f"  {'service':<18} {'p50 ms':>8} {'max ms':>8} {'idle RSS MiB':>13}")
    for name, _, prefix in services():
        times, rss = start_to_ready(name, prefix)
        print(f"  {name:<18} {statistics.median(times):8.1f} {max(times):8.1f} {rss:13.1f}")
    for connections, (direct, via) in gateway_latency().items():
        print(f"\nGET /billing/health, wrk -t1 -c{connections} -d{WRK_SECONDS}s on loopback:")
        print(f"  {'':<10} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>10}")
        print(f"  {'direct':<10} {direct[0]:8.3f} {direct[1]:8.3f} {direct[2]:10.0f}")
        print(f"  {'gateway':<10} {via[0]:8.3f} {via[1]:8.3f} {via[2]:10.0f}")
        print(f"  {'added':<10} {via[0] - direct[0]:8.3f} {via[1] - direct[1]:8.3f}")


if __name__ == "__main__":
    main()
