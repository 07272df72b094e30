#!/usr/bin/env python3
"""billing under load: charges per second (each a price call to contractual and one database
transaction: the invoice, its ledger transaction, the cached balances and totals), payments per
second (each one transaction: the conditional status change, the ledger transaction, the payment
row, plus the Idempotency-Key claim and answer), with p50 and p99, and the cost of
GET /billing/v1/ledger/summary over a ledger of 1 million entries.

    cargo build --release -p odmu_auth -p odmu_contractual -p billing
    apt-get install -y wrk
    python3 bench/billing.py                                               # SQLite
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python3 bench/billing.py

What runs: the three release binaries on free ports with a fresh data folder, logging at warn.
odmu_auth on SQLite (it only signs a few tokens), with a bootstrap admin and client secrets for
billing (which calls contractual with its own client_credentials token) and driver_api (whose
service token the benchmark sends charges with, as the rides' outbox would). With
BENCH_DATABASE_URL pointing at a PostgreSQL server (its user needs CREATEDB), contractual and
billing each get a database of their own, created here and dropped at the end (psql).

1. Charges: `wrk -t2 -c16` POSTs /billing/v1/internal/charges, every request a new ride id (the
   Lua script makes a UUID per request from the thread number, a per-run nonce and a counter),
   one rider, 50 drivers, one quote (contractual prices the same quote for each ride).
2. Payments: the rider's open invoices from step 1 are listed, and `wrk -t2 -c16` pays them,
   each request a different invoice and Idempotency-Key (the Lua script reads the ids from a
   file; each thread takes every other one). If the run outlasts the invoices, the extra
   requests name an unknown invoice (404, reported as non-2xx).
3. Ledger summary: the entries are topped up to BENCH_LEDGER_ENTRIES (1 000 000) with SQL in one
   transaction straight into billing's database (balanced charge transactions of 3 postings,
   with the cached balances and totals moved by the same amounts, as the service does). Posting
   a million entries through the API would take longer than the rest of the run, and a criterion
   bench would measure the store functions, not the endpoint; seeding with SQL keeps the
   measurement on the real endpoint and the real tables. Then `wrk -t1 -c1` and `-t2 -c16` GET
   the summary, and for contrast the script times the query the summary avoids: SUM over every
   entry, grouped by currency.

wrk and the three services share the machine (2 cores here): the rates are the whole machine's.
BENCH_SECONDS (default 10) sets each run's length; BENCH_BIN_DIR (default target/release) picks
the binaries (target/debug works to try the script, not to take figures).
"""

import hashlib
import json
import os
import re
import secrets
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
BIN_DIR = os.environ.get("BENCH_BIN_DIR", os.path.join(ROOT, "target", "release"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "").strip()
LEDGER_ENTRIES = int(os.environ.get("BENCH_LEDGER_ENTRIES", "1000000"))
CONNECTIONS = 16
PASSWORD = "bench-password-1"
ADMIN_EMAIL = "admin@bench.test"


def call(method, url, body=None, form=None, token=None, headers=None):
    data, all_headers = None, dict(headers or {})
    if body is not None:
        data, all_headers["content-type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        sys.exit(f"{method} {url}: {e.code} {e.read().decode(errors='replace')}")


class Databases:
    """SQLite files in the work folder, or one PostgreSQL database per service."""

    def __init__(self, work):
        self.work = work
        self.created = []
        self.postgres = bool(DATABASE_URL)
        if self.postgres and not shutil.which("psql"):
            sys.exit("psql is needed with BENCH_DATABASE_URL (apt-get install -y postgresql-client)")

    def url(self, service):
        if not self.postgres:
            return f"sqlite://{self.work}/{service}.db"
        name = f"odmu_bench_{os.getpid()}_{service}"
        self.psql(DATABASE_URL, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.with_database(name)

    @staticmethod
    def with_database(name):
        parts = urllib.parse.urlsplit(DATABASE_URL)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))

    @staticmethod
    def psql(url, sql):
        out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"psql: {out.stderr.strip()}")
        return out.stdout

    def drop(self):
        for name in self.created:
            subprocess.run(["psql", DATABASE_URL, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                           capture_output=True)


def start(work, dbs):
    """odmu_auth, odmu_contractual and billing; answers (base URLs, processes, secrets)."""
    billing_secret, rides_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()
    admin_password = secrets.token_urlsafe(16)
    ports = {name: free_port() for name in ("auth", "contract", "billing")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = dict(os.environ, RUST_LOG="warn", HOST="127.0.0.1", ODMU_DATA_DIR=work,
                  MALLOC_MMAP_THRESHOLD_="131072", AUTH_URL=urls["auth"])
    procs = []

    def spawn(binary, name, **env):
        procs.append(subprocess.Popen([os.path.join(BIN_DIR, binary)], stdout=subprocess.DEVNULL,
                                      env=dict(common, PORT=str(ports[name]), **env)))

    spawn("odmu_auth", "auth", DATABASE_URL=f"sqlite://{work}/auth.db",
          AUTH_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL, AUTH_BOOTSTRAP_ADMIN_PASSWORD=admin_password,
          AUTH_SERVICE_CLIENTS=f"billing:{sha(billing_secret)};driver_api:{sha(rides_secret)}")
    wait_ready(f"{urls['auth']}/auth/ready", procs)
    spawn("odmu_contractual", "contract", DATABASE_URL=dbs.url("contract"))
    wait_ready(f"{urls['contract']}/contract/ready", procs)
    spawn("billing", "billing", DATABASE_URL=dbs.url("billing"), CONTRACTUAL_URL=urls["contract"],
          SERVICE_CLIENT_ID="billing", SERVICE_CLIENT_SECRET=billing_secret)
    wait_ready(f"{urls['billing']}/billing/ready", procs)
    return urls, procs, {"admin_password": admin_password, "rides_secret": rides_secret}


def tokens(urls, keys):
    auth = urls["auth"]
    token = lambda form: call("POST", f"{auth}/auth/v1/token", form=form)["access_token"]
    admin = token({"grant_type": "password", "email": ADMIN_EMAIL, "password": keys["admin_password"]})
    email = f"rider-{os.getpid()}@bench.test"
    rider = call("POST", f"{auth}/auth/v1/users",
                 body={"email": email, "password": PASSWORD, "role": "rider"})
    rider_token = token({"grant_type": "password", "email": email, "password": PASSWORD})
    rides = token({"grant_type": "client_credentials", "client_id": "driver_api",
                   "client_secret": keys["rides_secret"]})
    return {"admin": admin, "rider": rider_token, "rider_id": rider["id"], "rides": rides}


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def charges_script(work, token, rider_id, quote_id):
    drivers = [str(uuid.uuid4()) for _ in range(50)]
    nonce = secrets.randbelow(0xFFFF)
    path = os.path.join(work, "charges.lua")
    with open(path, "w") as f:
        f.write(f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
local drivers = {{{", ".join(lua_string(d) for d in drivers)}}}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  counter = 0
end
function request()
  counter = counter + 1
  local ride = string.format("%08x-%04x-4000-8000-%012x", tid, {nonce}, counter)
  local driver = drivers[(counter % #drivers) + 1]
  local body = string.format(
    '{{"ride_id":"%s","kind":"ride","rider_id":"{rider_id}","driver_id":"%s","quote_id":"{quote_id}"}}',
    ride, driver)
  return wrk.format(nil, nil, nil, body)
end
""")
    return path


def payments_script(work, token, ids, amount):
    ids_file = os.path.join(work, "invoices.txt")
    with open(ids_file, "w") as f:
        f.write("\n".join(ids) + "\n")
    body = json.dumps({"amount_cents": amount, "method": "card", "reference": "psp-bench"})
    path = os.path.join(work, "payments.lua")
    with open(path, "w") as f:
        f.write(f"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread:set("nthreads", 2)
end
function init(args)
  ids = {{}}
  local i = 0
  for line in io.lines({lua_string(ids_file)}) do
    if line ~= "" and i % nthreads == tid - 1 then ids[#ids + 1] = line end
    i = i + 1
  end
  n = 0
end
function request()
  n = n + 1
  -- Out of invoices: an unknown one (404), counted as non-2xx.
  local id = ids[n] or "00000000-0000-4000-8000-000000000000"
  local headers = {{}}
  headers["Host"] = wrk.headers["Host"]
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer {token}"
  headers["Idempotency-Key"] = "pay-" .. id .. "-" .. n
  return wrk.format("POST", "/billing/v1/invoices/" .. id .. "/payments", headers, {lua_string(body)})
end
""")
    return path


def header_script(work, name, token):
    path = os.path.join(work, f"{name}.lua")
    with open(path, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    return path


def wrk(url, script, threads, connections, seconds=SECONDS):
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    pct = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": rps, "total": total, "p50": pct.get("50"), "p99": pct.get("99"),
            "non2xx": int(bad.group(1)) if bad else 0, "socket": errors.group(0) if errors else ""}


def open_invoices(urls, token):
    ids, cursor = [], None
    while True:
        query = "status=open&limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = call("GET", f"{urls['billing']}/billing/v1/invoices?{query}", token=token)
        ids.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return ids


# Balanced charge transactions of 3 postings (rider +1250, driver -880, revenue -370) over 1000
# riders and 1000 drivers, and the caches moved by the same amounts, in one transaction. `{n}` is
# the number of transactions; ids and times sort before everything the service wrote.
SEED_SQLITE = """
BEGIN IMMEDIATE;
CREATE TEMP TABLE seed AS
  WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})
  SELECT printf('00000000-0000-4000-8000-%012d', i) AS tx,
         'rider:00000000-0000-4000-9000-' || printf('%012d', i % 1000) AS rider,
         'driver:00000000-0000-4000-a000-' || printf('%012d', i % 1000) AS driver,
         i AS at FROM k;
INSERT INTO ledger_transactions (id, kind, currency, created_at_ms)
  SELECT tx, 'charge', 'EUR', at FROM seed;
INSERT INTO ledger_entries (transaction_id, seq, account, currency, amount_cents, created_at_ms)
  SELECT tx, 0, rider, 'EUR', 1250, at FROM seed
  UNION ALL SELECT tx, 1, driver, 'EUR', -880, at FROM seed
  UNION ALL SELECT tx, 2, 'platform:revenue', 'EUR', -370, at FROM seed;
INSERT INTO ledger_balances (account, currency, balance_cents, postings)
  SELECT account, 'EUR', SUM(amount), COUNT(*) FROM (
    SELECT rider AS account, 1250 AS amount FROM seed
    UNION ALL SELECT driver, -880 FROM seed
    UNION ALL SELECT 'platform:revenue', -370 FROM seed) WHERE true GROUP BY account
  ON CONFLICT (account, currency) DO UPDATE SET
    balance_cents = ledger_balances.balance_cents + excluded.balance_cents,
    postings = ledger_balances.postings + excluded.postings;
INSERT INTO ledger_totals (currency, debits_cents, credits_cents, postings, transactions)
  SELECT 'EUR', 1250 * COUNT(*), 1250 * COUNT(*), 3 * COUNT(*), COUNT(*) FROM seed WHERE true
  ON CONFLICT (currency) DO UPDATE SET
    debits_cents = ledger_totals.debits_cents + excluded.debits_cents,
    credits_cents = ledger_totals.credits_cents + excluded.credits_cents,
    postings = ledger_totals.postings + excluded.postings,
    transactions = ledger_totals.transactions + excluded.transactions;
DROP TABLE seed;
COMMIT;
"""

SEED_POSTGRES = (SEED_SQLITE
                 .replace("BEGIN IMMEDIATE;", "BEGIN;")
                 .replace("WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})",
                          "WITH k(i) AS (SELECT generate_series(1, {n}))")
                 .replace("printf('00000000-0000-4000-8000-%012d', i)",
                          "'00000000-0000-4000-8000-' || lpad(i::text, 12, '0')")
                 .replace("printf('%012d', i % 1000)", "lpad((i % 1000)::text, 12, '0')")
                 .replace("UNION ALL SELECT 'platform:revenue', -370 FROM seed) WHERE true",
                          "UNION ALL SELECT 'platform:revenue', -370 FROM seed) AS p WHERE true"))

FULL_SUM = ("SELECT currency, SUM(CASE WHEN amount_cents > 0 THEN amount_cents ELSE 0 END), "
            "SUM(CASE WHEN amount_cents < 0 THEN -amount_cents ELSE 0 END), COUNT(*) "
            "FROM ledger_entries GROUP BY currency")


def seed_and_time_full_sum(dbs, billing_db_url):
    """Tops the entries up to LEDGER_ENTRIES; answers (entries, seconds to seed, ms of a full SUM)."""
    if dbs.postgres:
        have = int(dbs.psql(billing_db_url, "SELECT COUNT(*) FROM ledger_entries").strip())
    else:
        path = billing_db_url.removeprefix("sqlite://")
        db = sqlite3.connect(path, timeout=60, isolation_level=None)
        have = db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
    n = max(0, -(-(LEDGER_ENTRIES - have) // 3))
    begun = time.time()
    if n:
        if dbs.postgres:
            dbs.psql(billing_db_url, SEED_POSTGRES.format(n=n))
        else:
            # billing may still be finishing the last requests of the payments run.
            for attempt in range(5):
                try:
                    db.executescript(SEED_SQLITE.format(n=n))
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or attempt == 4:
                        raise
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    time.sleep(2)
    seeded = time.time() - begun
    if dbs.postgres:
        dbs.psql(billing_db_url, "ANALYZE")
        plan = dbs.psql(billing_db_url, f"EXPLAIN ANALYZE {FULL_SUM}")
        full = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
        total = int(dbs.psql(billing_db_url, "SELECT COUNT(*) FROM ledger_entries").strip())
    else:
        begun_sum = time.time()
        db.execute(FULL_SUM).fetchall()
        full = (time.time() - begun_sum) * 1000
        total = db.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]
        db.close()
    return total, seeded, full


def row(label, r, extra=""):
    note = f"  non-2xx {r['non2xx']}" if r["non2xx"] else ""
    note += f"  {r['socket']}" if r["socket"] else ""
    return f"  {label:34} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['total']:9}{extra}{note}"


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install -y wrk)")
    for binary in ("odmu_auth", "odmu_contractual", "billing"):
        if not os.path.exists(os.path.join(BIN_DIR, binary)):
            sys.exit(f"{BIN_DIR}/{binary} is missing: cargo build --release -p odmu_auth "
                     "-p odmu_contractual -p billing")
    work = tempfile.mkdtemp(prefix="odmu-bench-billing-")
    dbs = Databases(work)
    procs = []
    try:
        urls, procs, keys = start(work, dbs)
        billing_db_url = (Databases.with_database(dbs.created[-1]) if dbs.postgres
                          else f"sqlite://{work}/billing.db")
        t = tokens(urls, keys)
        quote = call("POST", f"{urls['contract']}/contract/v1/quotes", token=t["rider"],
                     body={"distance_m": 5000})
        base = urls["billing"]
        print(f"billing on {'PostgreSQL' if dbs.postgres else 'SQLite'}, {os.cpu_count()} cores, "
              f"wrk -c{CONNECTIONS} for {SECONDS} s per run", flush=True)

        charges = charges_script(work, t["rides"], t["rider_id"], quote["id"])
        wrk(f"{base}/billing/v1/internal/charges", charges, 2, CONNECTIONS, seconds=2)  # warm-up
        charged = wrk(f"{base}/billing/v1/internal/charges", charges, 2, CONNECTIONS)

        ids = open_invoices(urls, t["rider"])
        payments = payments_script(work, t["rider"], ids, quote["amount_cents"])
        paid = wrk(f"{base}/billing/v1/invoices", payments, 2, CONNECTIONS)

        entries, seed_s, full_ms = seed_and_time_full_sum(dbs, billing_db_url)
        summary_url = f"{base}/billing/v1/ledger/summary"
        admin = header_script(work, "summary", t["admin"])
        one = wrk(summary_url, admin, 1, 1, seconds=5)
        many = wrk(summary_url, admin, 2, CONNECTIONS, seconds=5)
        summary = call("GET", summary_url, token=t["admin"])
        if not summary["balanced"] or summary["postings"] != entries:
            sys.exit(f"the summary disagrees with the entries: {summary} vs {entries}")

        print(f"\n  {'':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9}")
        print(row("charge (price call + 1 transaction)", charged))
        print(row(f"payment ({len(ids)} open invoices)", paid))
        print(row("ledger summary, 1 connection", one))
        print(row(f"ledger summary, {CONNECTIONS} connections", many))
        print(f"\n  ledger: {entries} entries ({seed_s:.1f} s to seed by SQL), balanced; "
              f"the summary reads {len(summary['currencies'])} totals row(s)")
        print(f"  for contrast, SUM over every entry grouped by currency: {full_ms:.1f} ms")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        dbs.drop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
