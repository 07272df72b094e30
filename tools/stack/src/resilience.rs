//! `odmu resilience`: the platform under fire. Each scenario starts a fresh local stack (on
//! SQLite files, or on PostgreSQL with `--postgres`), runs ride flows through its gateway with
//! `odmu load`, does to it what production will (a rolling deployment, an outage of billing,
//! `kill -9` of services, a restart of the database), then checks that every acknowledged
//! request is in the data, nothing is there twice, the ledger balances and the outbox drains,
//! and that a short clean load passes afterwards. Every scenario is bounded in time and stops
//! by itself; the report holds each one's figures.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::load::{self, LoadOptions, flow, stats::Report, verify};
use crate::{Stack, UpOptions, dev_secrets, supervisor};

/// What the suite can do to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Two rolling restarts of all five services (two replicas each) under flow load:
    /// no failed request, no failed flow.
    RollingRestart,
    /// Billing stopped under flow load: completions keep answering; once it is back the
    /// outbox drains and every charge is invoiced once.
    BillingOutage,
    /// `kill -9` of driver_api, then of billing, under flow load: what was acknowledged
    /// stays, nothing is doubled.
    Crashes,
    /// PostgreSQL stopped and started under flow load: `/ready` shows the outage, the
    /// services recover without being restarted (PostgreSQL only).
    PostgresRestart,
}

impl Scenario {
    /// Its name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::RollingRestart => "rolling-restart",
            Self::BillingOutage => "billing-outage",
            Self::Crashes => "crashes",
            Self::PostgresRestart => "postgres-restart",
        }
    }
}

/// Settings of a suite run.
#[derive(Debug, Clone)]
pub struct ResilienceOptions {
    /// The scenarios, in order; empty: all that apply (the PostgreSQL restart only on it).
    pub scenarios: Vec<Scenario>,
    /// Run the stacks on this PostgreSQL server (`postgres://.../postgres`).
    pub postgres: Option<String>,
    /// The PostgreSQL cluster to stop and start (`15/main`); found under /etc/postgresql
    /// when not given.
    pub pg_cluster: Option<String>,
    /// The gateway's port (the mesh takes the next one).
    pub gateway_port: u16,
    /// Added to the services' ports.
    pub port_offset: u16,
    /// Flows started per second.
    pub rate: f64,
    /// Rider-driver pairs.
    pub pairs: usize,
    /// How long billing stays down.
    pub outage: Duration,
    /// Where to write the JSON report.
    pub report: Option<PathBuf>,
}

/// One scenario's outcome.
#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    /// Its name.
    pub scenario: &'static str,
    /// Whether every check passed.
    pub passed: bool,
    /// The checks that did not.
    pub failures: Vec<String>,
    /// How long it took, start-up included.
    pub took_s: f64,
    /// What was done when (seconds after the load started).
    pub events: Vec<(f64, String)>,
    /// Figures of the scenario itself (outage lengths, drain and recovery times).
    pub figures: Value,
    /// The load under fire.
    pub load: Option<Report>,
    /// The short clean load afterwards.
    pub after: Option<Report>,
}

/// The suite's report (`--report FILE.json`).
#[derive(Debug, Serialize)]
pub struct SuiteReport {
    /// Whether every scenario passed.
    pub passed: bool,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    /// Each scenario's report.
    pub scenarios: Vec<ScenarioReport>,
}

impl SuiteReport {
    /// The human summary.
    pub fn table(&self) -> String {
        let mut out = format!(
            "resilience on {}: {}\n{:<18} {:>6} {:>7} {:>9} {:>9} {:>8} {:>8}  figures\n",
            self.database,
            if self.passed { "passed" } else { "FAILED" },
            "scenario",
            "result",
            "took s",
            "flows ok",
            "req fail",
            "flow p99",
            "checks",
        );
        for s in &self.scenarios {
            let (ok, failed, p99, checks) =
                s.load.as_ref().map_or((0, 0, 0.0, "-".to_owned()), |l| {
                    (
                        l.flows_completed + l.flows_cancelled,
                        l.requests_failed,
                        l.flow_p99_ms,
                        l.verification
                            .as_ref()
                            .map_or("-", |v| if v.ok { "ok" } else { "FAILED" })
                            .to_owned(),
                    )
                });
            out.push_str(&format!(
                "{:<18} {:>6} {:>7.1} {:>9} {:>9} {:>6.0}ms {:>8}  {}\n",
                s.scenario,
                if s.passed { "pass" } else { "FAIL" },
                s.took_s,
                ok,
                failed,
                p99,
                checks,
                s.figures
            ));
            for f in &s.failures {
                out.push_str(&format!("    {f}\n"));
            }
        }
        out
    }
}

/// Runs the scenarios one after another and reports on each.
pub async fn run(options: ResilienceOptions) -> SuiteReport {
    let scenarios = if options.scenarios.is_empty() {
        let mut all = vec![
            Scenario::RollingRestart,
            Scenario::BillingOutage,
            Scenario::Crashes,
        ];
        if options.postgres.is_some() {
            all.push(Scenario::PostgresRestart);
        }
        all
    } else {
        options.scenarios.clone()
    };
    let mut reports = Vec::new();
    for scenario in scenarios {
        eprintln!("odmu resilience: {} ...", scenario.name());
        let report = run_scenario(scenario, &options).await;
        eprintln!(
            "odmu resilience: {} {} in {:.1} s",
            scenario.name(),
            if report.passed { "passed" } else { "FAILED" },
            report.took_s
        );
        reports.push(report);
    }
    SuiteReport {
        passed: reports.iter().all(|r| r.passed),
        database: if options.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        },
        scenarios: reports,
    }
}

/// What the scenario's chaos task saw.
#[derive(Default)]
struct Chaos {
    events: Vec<(f64, String)>,
    failures: Vec<String>,
    figures: serde_json::Map<String, Value>,
}

impl Chaos {
    fn event(&mut self, since: Instant, what: impl Into<String>) {
        let what = what.into();
        eprintln!(
            "odmu resilience:   {:6.1} s  {what}",
            since.elapsed().as_secs_f64()
        );
        self.events.push((since.elapsed().as_secs_f64(), what));
    }

    fn figure(&mut self, name: &str, value: impl Into<Value>) {
        self.figures.insert(name.to_owned(), value.into());
    }
}

async fn run_scenario(scenario: Scenario, options: &ResilienceOptions) -> ScenarioReport {
    let began = Instant::now();
    let mut report = ScenarioReport {
        scenario: scenario.name(),
        passed: false,
        failures: Vec::new(),
        took_s: 0.0,
        events: Vec::new(),
        figures: Value::Null,
        load: None,
        after: None,
    };
    let data = match tempfile::Builder::new()
        .prefix("odmu-resilience-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            report.failures.push(format!("no data folder: {e}"));
            return report;
        }
    };
    let prefix = format!(
        "odmu_res_{}_",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let up = UpOptions {
        data_dir: data.path().to_owned(),
        gateway_port: options.gateway_port,
        port_offset: options.port_offset,
        replicas: if scenario == Scenario::RollingRestart {
            2
        } else {
            1
        },
        postgres: options.postgres.clone(),
        database_prefix: prefix.clone(),
    };
    match drive(scenario, options, up, &mut report).await {
        Ok(()) => {}
        Err(e) => report.failures.push(e),
    }
    if let Some(server) = &options.postgres {
        for s in &odmu_topology::SERVICES {
            let _ = odmu_storage::drop_database(server, &format!("{prefix}{}", s.database)).await;
        }
    }
    report.took_s = began.elapsed().as_secs_f64();
    report.passed = report.failures.is_empty();
    report
}

async fn drive(
    scenario: Scenario,
    options: &ResilienceOptions,
    up: UpOptions,
    report: &mut ScenarioReport,
) -> Result<(), String> {
    let mut stack = Stack::launch(up).await.map_err(|e| e.to_string())?;
    if let Err(e) = stack.wait_ready().await {
        stack.shutdown().await;
        return Err(e.to_string());
    }
    let admin = (
        dev_secrets::DEV_ADMIN_EMAIL.to_owned(),
        stack.admin_password().to_owned(),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let started = Arc::new(tokio::sync::Notify::new());
    let mut load_options = LoadOptions::new(stack.gateway_url());
    load_options.riders = options.pairs;
    load_options.drivers = options.pairs;
    load_options.duration = Duration::from_secs(600);
    load_options.rate = Some(options.rate);
    load_options.admin = Some(admin.clone());
    load_options.stop = Some(stop_rx);
    load_options.started = Some(started.clone());
    if scenario == Scenario::BillingOutage {
        // Riders wait for their invoice through the outage.
        load_options.invoice_wait = options.outage + Duration::from_secs(20);
    }
    let load = tokio::spawn(load::run(load_options));
    // Chaos begins once flows run, and after a few seconds of them.
    let _ = tokio::time::timeout(Duration::from_secs(120), started.notified()).await;
    let since = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut chaos = Chaos::default();
    let outcome = match scenario {
        Scenario::RollingRestart => rolling(&stack, &mut chaos, since).await,
        Scenario::BillingOutage => outage(&stack, &mut chaos, since, options, &admin).await,
        Scenario::Crashes => crashes(&stack, &mut chaos, since).await,
        Scenario::PostgresRestart => postgres(&stack, &mut chaos, since, options).await,
    };
    if let Err(e) = outcome {
        chaos.failures.push(e);
    }
    // A few seconds of flows after the chaos, then the load ends and checks the data.
    tokio::time::sleep(Duration::from_secs(3)).await;
    chaos.event(since, "load stops; checking the data");
    let _ = stop_tx.send(true);
    let load = match load.await {
        Ok(Ok(r)) => Some(r),
        Ok(Err(e)) => {
            chaos.failures.push(format!("load: {e}"));
            None
        }
        Err(e) => {
            chaos.failures.push(format!("load task: {e}"));
            None
        }
    };
    // The platform after the fire: a short load that must be clean.
    let mut after_options = LoadOptions::new(stack.gateway_url());
    after_options.riders = 4;
    after_options.drivers = 4;
    after_options.duration = Duration::from_secs(5);
    after_options.rate = Some(options.rate.min(10.0));
    after_options.admin = Some(admin);
    let after = load::run(after_options).await;
    stack.shutdown().await;

    let mut failures = chaos.failures;
    match &load {
        Some(l) => {
            if let Some(v) = &l.verification
                && !v.ok
            {
                failures.push(format!("data after the load: {}", v.line()));
            }
            let strict = matches!(scenario, Scenario::RollingRestart | Scenario::BillingOutage);
            if strict && (l.requests_failed > 0 || l.flows_failed > 0) {
                failures.push(format!(
                    "{} failed requests and {} failed flows (0 expected)",
                    l.requests_failed, l.flows_failed
                ));
            }
            if l.flows_completed == 0 {
                failures.push("no flow completed under load".into());
            }
        }
        None => failures.push("the load did not run".into()),
    }
    match &after {
        Ok(a) if a.clean() && a.requests_failed == 0 && a.flows_completed > 0 => {}
        Ok(a) => failures.push(format!(
            "the clean load afterwards: {} failed requests, {} failed flows, {} completed{}",
            a.requests_failed,
            a.flows_failed,
            a.flows_completed,
            a.verification
                .as_ref()
                .map(|v| format!("; {}", v.line()))
                .unwrap_or_default()
        )),
        Err(e) => failures.push(format!("the clean load afterwards: {e}")),
    }
    report.failures = failures;
    report.events = chaos.events;
    report.figures = Value::Object(chaos.figures);
    report.load = load;
    report.after = after.ok();
    Ok(())
}

async fn rolling(stack: &Stack, chaos: &mut Chaos, since: Instant) -> Result<(), String> {
    for round in 1..=2 {
        chaos.event(since, format!("rolling restart {round} of 2"));
        let began = Instant::now();
        stack.roll().await;
        chaos.figure(
            &format!("roll_{round}_s"),
            (began.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        );
        chaos.event(since, format!("rolling restart {round} done"));
    }
    Ok(())
}

fn admin_gateway(stack: &Stack) -> Result<flow::Gateway, String> {
    Ok(flow::Gateway {
        base: stack.gateway_url(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?,
        invoice_wait: Duration::ZERO,
    })
}

async fn outage(
    stack: &Stack,
    chaos: &mut Chaos,
    since: Instant,
    options: &ResilienceOptions,
    admin: &(String, String),
) -> Result<(), String> {
    let gw = admin_gateway(stack)?;
    let token = load::actors::login(&gw, &admin.0, &admin.1)
        .await
        .map_err(|e| format!("admin login: {}", e.detail))?;
    chaos.event(since, "billing stopped");
    stack
        .stop_service("billing")
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(options.outage).await;
    let pending = verify::get(&gw, "/driver/v1/outbox", &token)
        .await
        .ok()
        .and_then(|o| o["pending"].as_i64())
        .unwrap_or(-1);
    chaos.figure("outbox_pending_at_return", pending);
    chaos.event(
        since,
        format!("billing started again ({pending} charges waiting)"),
    );
    stack
        .start_service("billing")
        .await
        .map_err(|e| e.to_string())?;
    match verify::drain_outbox(&gw, &token, Duration::from_secs(60)).await? {
        (_, _, Some(ms)) => {
            chaos.figure("outbox_drained_after_return_ms", ms);
            chaos.event(
                since,
                format!("outbox drained {ms} ms after billing returned"),
            );
            // "Within seconds": the first accepted charge brings the backlog forward.
            if ms > 20_000 {
                return Err(format!("the outbox took {ms} ms to drain"));
            }
            Ok(())
        }
        _ => Err("the outbox did not drain within 60 s of billing's return".into()),
    }
}

async fn crashes(stack: &Stack, chaos: &mut Chaos, since: Instant) -> Result<(), String> {
    for service in ["driver_api", "billing"] {
        chaos.event(since, format!("kill -9 {service}"));
        let began = Instant::now();
        stack
            .kill_service(service)
            .await
            .map_err(|e| e.to_string())?;
        // The supervisor starts it again after its first backoff step.
        tokio::time::sleep(Duration::from_millis(400)).await;
        stack
            .wait_service_ready(service)
            .await
            .map_err(|e| e.to_string())?;
        let ms = began.elapsed().as_millis() as u64;
        chaos.figure(&format!("{service}_back_after_ms"), ms);
        chaos.event(since, format!("{service} ready again after {ms} ms"));
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    Ok(())
}

/// Each service's `/ready` status, directly at its first replica, asked of all at once.
async fn readiness(stack: &Stack, http: &reqwest::Client) -> Vec<(&'static str, u16)> {
    let mut asks = tokio::task::JoinSet::new();
    for s in &odmu_topology::SERVICES {
        let Ok(port) = crate::port_of(s, stack.options().port_offset) else {
            continue;
        };
        let url = format!("http://127.0.0.1:{port}{}", s.ready_path());
        let http = http.clone();
        asks.spawn(async move {
            let status = http
                .get(url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .map_or(0, |r| r.status().as_u16());
            (s.name, status)
        });
    }
    asks.join_all().await
}

fn pg_cluster(options: &ResilienceOptions) -> Result<(String, String), String> {
    let cluster = match &options.pg_cluster {
        Some(c) => c.clone(),
        None => {
            let version = std::fs::read_dir("/etc/postgresql")
                .map_err(|e| {
                    format!(
                        "no PostgreSQL cluster to restart (/etc/postgresql: {e}); use --pg-cluster"
                    )
                })?
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .max()
                .ok_or("no PostgreSQL cluster under /etc/postgresql; use --pg-cluster")?;
            format!("{version}/main")
        }
    };
    let (version, name) = cluster
        .split_once('/')
        .ok_or_else(|| format!("--pg-cluster {cluster:?}: VERSION/NAME, e.g. 15/main"))?;
    Ok((version.to_owned(), name.to_owned()))
}

async fn pg_ctl(cluster: &(String, String), action: &str) -> Result<(), String> {
    let out = tokio::process::Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster.0, &cluster.1, action])
        .output()
        .await
        .map_err(|e| format!("pg_ctlcluster {action}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "pg_ctlcluster {action}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

async fn postgres(
    stack: &Stack,
    chaos: &mut Chaos,
    since: Instant,
    options: &ResilienceOptions,
) -> Result<(), String> {
    let cluster = pg_cluster(options)?;
    let http = reqwest::Client::new();
    let starts = supervisor::STARTS.load(std::sync::atomic::Ordering::Relaxed);
    chaos.event(
        since,
        format!("PostgreSQL {}/{} stopped", cluster.0, cluster.1),
    );
    pg_ctl(&cluster, "stop").await?;
    let down = Instant::now();
    // Whatever happens next, the database comes back.
    let watched = async {
        let mut reflected = None;
        while down.elapsed() < Duration::from_secs(15) {
            let ready = readiness(stack, &http).await;
            if ready.iter().all(|(_, status)| *status == 503) {
                reflected = Some(down.elapsed().as_millis() as u64);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        reflected
    }
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = pg_ctl(&cluster, "start").await;
    let outage_ms = down.elapsed().as_millis() as u64;
    chaos.figure("database_down_ms", outage_ms);
    chaos.event(since, "PostgreSQL started again");
    started?;
    match watched {
        Some(ms) => {
            chaos.figure("ready_503_after_ms", ms);
        }
        None => {
            return Err(
                "/ready did not answer 503 on every service while PostgreSQL was down".into(),
            );
        }
    }
    let up = Instant::now();
    loop {
        let ready = readiness(stack, &http).await;
        if ready.iter().all(|(_, status)| *status == 200) {
            let ms = up.elapsed().as_millis() as u64;
            chaos.figure("ready_again_after_ms", ms);
            chaos.event(
                since,
                format!("every service ready {ms} ms after PostgreSQL"),
            );
            break;
        }
        if up.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "not ready 30 s after PostgreSQL returned: {ready:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let restarted = supervisor::STARTS.load(std::sync::atomic::Ordering::Relaxed) - starts;
    chaos.figure("service_restarts", restarted);
    if restarted > 0 {
        return Err(format!(
            "{restarted} service processes were restarted: they should have recovered by themselves"
        ));
    }
    Ok(())
}

/// The defaults of `odmu resilience`: a gentle rate for a debug build on two cores.
pub fn defaults() -> ResilienceOptions {
    ResilienceOptions {
        scenarios: Vec::new(),
        postgres: None,
        pg_cluster: None,
        gateway_port: odmu_topology::GATEWAY_PORT,
        port_offset: 0,
        rate: 8.0,
        pairs: 8,
        outage: Duration::from_secs(30),
        report: None,
    }
}
