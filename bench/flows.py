#!/usr/bin/env python3
"""Whole ride flows per second on this machine, and where the CPU goes. Run from the repository
root after a release build:

    cargo build --release -p odmu-stack
    python3 bench/flows.py                                   # SQLite
    BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres python3 bench/flows.py

What runs: the local stack (`odmu`, five services and the gateway, RUST_LOG=warn) on a fresh
data folder, or on fresh prefixed PostgreSQL databases (dropped afterwards); then `odmu load`
on the same machine, closed loop (every rider-driver pair runs flows back to back) for
BENCH_SECONDS (30) with BENCH_PAIRS (20, the default of `odmu load`) pairs: the most flows per second the machine does
with the load generator included. Then open loop at half that rate for the same time: the p99
of each step at half load. During the closed-loop run the CPU time of every process (service,
gateway = the stack process, load generator) is read from /proc before and after: the share
of the machine each takes, which is what the Fargate task sizes are planned from.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ODMU = os.path.join(ROOT, "target", "release", "odmu")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
PAIRS = int(os.environ.get("BENCH_PAIRS", "20"))
POSTGRES = os.environ.get("BENCH_POSTGRES")
OFFSET = int(os.environ.get("BENCH_PORT_OFFSET", "200"))
GATEWAY_PORT = 8080 + OFFSET
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start_stack(data):
    # Every load account logs in from 127.0.0.1: lift odmu_auth's per-address login limit
    # (50 a minute) for the set-up, as one would for a load test of a staging stack.
    env = dict(os.environ, RUST_LOG="warn", ODMU_PORT_OFFSET=str(OFFSET),
               ODMU_GATEWAY_PORT=str(GATEWAY_PORT), AUTH_LOGIN_LIMIT_PER_ADDRESS="100000")
    env.pop("LOG_FORMAT", None)
    args = [ODMU, "--data-dir", data]
    prefix = None
    if POSTGRES:
        prefix = f"bench_{uuid.uuid4().hex[:8]}_"
        args += ["--postgres", POSTGRES, "--database-prefix", prefix]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    pids = {}
    deadline = time.time() + 60
    for line in proc.stdout:
        m = re.search(r"started (\S+) pid=(\d+)", line)
        if m:
            pids[m.group(1)] = int(m.group(2))
        if "odmu is up" in line:
            break
        if time.time() > deadline:
            raise SystemExit("the stack did not come up")
    # Keep draining its output so that it never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, pids, prefix


def load(data, extra, report):
    args = [ODMU, "--data-dir", data, "load", "--gateway", f"http://127.0.0.1:{GATEWAY_PORT}",
            "--riders", str(PAIRS), "--drivers", str(PAIRS), "--duration", f"{SECONDS}s",
            "--report", report] + extra
    return subprocess.Popen(args, env=dict(os.environ, RUST_LOG="error"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def main():
    if not os.path.exists(ODMU):
        raise SystemExit("build first: cargo build --release -p odmu-stack")
    data = tempfile.mkdtemp(prefix="odmu-flows-")
    stack, pids, prefix = start_stack(data)
    pids["gateway (stack)"] = stack.pid
    try:
        report = os.path.join(data, "closed.json")
        runner = load(data, [], report)
        # Accounts are set up first (Argon2id hashing at odmu_auth): measure from when flows
        # start, which the generator announces on stderr.
        for line in runner.stderr:
            if "running for" in line:
                break
        before = {k: cpu_seconds(p) for k, p in pids.items()}
        before["load generator"] = cpu_seconds(runner.pid)
        t0 = time.time()
        # Read the generator's CPU just before it exits: poll until its report exists.
        last = dict(before)
        while runner.poll() is None:
            try:
                last["load generator"] = cpu_seconds(runner.pid)
                for k, p in pids.items():
                    last[k] = cpu_seconds(p)
            except OSError:
                pass
            time.sleep(0.5)
        wall = time.time() - t0
        out = runner.stdout.read()
        if not os.path.exists(report):
            raise SystemExit("the load did not finish:\n" + runner.stderr.read()[-3000:])
        closed = json.load(open(report))
        print(out)
        fps = closed["flows_per_second"]
        used = {k: last[k] - before[k] for k in before}
        total = sum(used.values())
        print(f"closed loop, {PAIRS} pairs, {SECONDS} s: {fps:.1f} flows/s "
              f"({'PostgreSQL' if POSTGRES else 'SQLite'}); verification "
              f"{closed['verification']['ok'] if closed.get('verification') else '-'}")
        print(f"CPU over {wall:.1f} s of wall time (2 cores = {2 * wall:.1f} CPU-s available):")
        for k, v in sorted(used.items(), key=lambda kv: -kv[1]):
            print(f"  {k:<18} {v:7.2f} CPU-s  {100 * v / total:5.1f} % of used  "
                  f"{1000 * v / max(fps * wall, 1):6.2f} CPU-ms per flow")

        half = max(fps / 2, 1)
        report = os.path.join(data, "half.json")
        runner = load(data, ["--rate", f"{half:.1f}"], report)
        out, err = runner.communicate()
        if not os.path.exists(report):
            raise SystemExit("the load did not finish:\n" + err[-3000:])
        print(out)
        half_report = json.load(open(report))
        print(f"open loop at {half:.1f} flows/s (half): step p99 (ms)")
        for s in half_report["steps"]:
            print(f"  {s['step']:<10} p50 {s['p50_ms']:7.2f}  p99 {s['p99_ms']:7.2f}  "
                  f"({s['count']} answers, {sum(s['errors'].values())} errors)")
        worst = max(s["p99_ms"] for s in half_report["steps"] if s["step"] != "invoice")
        print(f"worst request step p99 at half load: {worst:.2f} ms "
              f"(the invoice step is the outbox's lag, not one request)")
    finally:
        stack.terminate()
        try:
            stack.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stack.kill()
        if POSTGRES and prefix:
            for db in ["odmu_auth", "odmu_contractual", "billing", "driver_api",
                       "client_app_api"]:
                subprocess.run(["psql", POSTGRES, "-qc",
                                f'DROP DATABASE IF EXISTS "{prefix}{db}" WITH (FORCE)'],
                               stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
