#!/usr/bin/env python3
"""Each release binary's size (stripped, as the image holds it) and gzip-compressed (as a
registry stores the layer), and each service's idle memory under compose's environment (JSON
logs, OTLP export on, PostgreSQL), on the host. The images' own sizes are measured by
.ci/containers.py on every CI run.

    ./docker/build-release.sh
    python3 bench/containers.py    # needs PostgreSQL on 127.0.0.1:5432 (trust, user postgres)
"""

import gzip
import http.client
import os
import re
import subprocess
import tempfile
import time

from common import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def services():
    src = open(os.path.join(ROOT, "crates", "topology", "src", "lib.rs")).read()
    return re.findall(r'name: "(\w+)",\s*port: \d+,\s*prefix: "([^"]+)"', src)


def psql(sql):
    subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)


def idle_rss(name, prefix, data):
    db = f"odmu_bench_{name}"
    psql(f'DROP DATABASE IF EXISTS "{db}"')
    psql(f'CREATE DATABASE "{db}"')
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(port),
        "DATABASE_URL": f"{PG}/{db}", "ODMU_DATA_DIR": data, "LOG_FORMAT": "json",
        "RUST_LOG": "info", "AUTH_URL": "http://127.0.0.1:9",
        # Compose exports traces; nothing listens here, so the exporter keeps its buffers.
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        # As docker/Dockerfile sets it.
        "MALLOC_MMAP_THRESHOLD_": "131072",
    }
    proc = subprocess.Popen([os.path.join(RELEASE, name)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", f"{prefix}/ready")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit(f"{name} not ready")
            time.sleep(0.02)
        # A little traffic, then idle, as a health-checked container is.
        for _ in range(20):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", f"{prefix}/health")
            c.getresponse().read()
        time.sleep(3)
        status = open(f"/proc/{proc.pid}/status").read()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def main():
    print(f"  {'binary':<18} {'stripped MiB':>12} {'gzip MiB':>9} {'idle RSS MiB':>13}")
    with tempfile.TemporaryDirectory() as data:
        for name, prefix in services() + [("odmu", None)]:
            path = os.path.join(RELEASE, name)
            raw = open(path, "rb").read()
            packed = len(gzip.compress(raw, compresslevel=6))
            rss = f"{idle_rss(name, prefix, data):13.1f}" if prefix else f"{'-':>13}"
            print(f"  {name:<18} {len(raw) / 2**20:12.1f} {packed / 2**20:9.1f} {rss}")


if __name__ == "__main__":
    main()
