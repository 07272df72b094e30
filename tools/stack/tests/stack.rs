//! `odmu` as a user runs it: five service processes, the gateway, routing, a crash and its
//! restart, and a graceful stop.

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use odmu_topology::SERVICES;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The stack's output lines, collected as they come.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<String>>>);

impl Output {
    fn find(&self, pred: &dyn Fn(&str) -> bool, skip: usize) -> Option<String> {
        let lines = self.0.lock().unwrap();
        lines.iter().skip(skip).find(|l| pred(l)).cloned()
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    async fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool, skip: usize) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(line) = self.find(&pred, skip) {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; output:\n{}",
                self.0.lock().unwrap().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

struct Stack {
    child: Child,
    output: Output,
    gateway: String,
    data: tempfile::TempDir,
}

async fn start_stack() -> Stack {
    start_stack_with(1).await
}

async fn start_stack_with(replicas: u16) -> Stack {
    let data = tempfile::tempdir().unwrap();
    let offset = common::free_offset(20000);
    let gateway_port = odmu_topology::GATEWAY_PORT + offset;
    let mut child = Command::new(env!("CARGO_BIN_EXE_odmu"))
        .arg("--data-dir")
        .arg(data.path())
        .env("ODMU_PORT_OFFSET", offset.to_string())
        .env("ODMU_GATEWAY_PORT", gateway_port.to_string())
        .env("ODMU_REPLICAS", replicas.to_string())
        .env("RUST_LOG", "info")
        .env_remove("LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = Output::default();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let sink = output.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.0.lock().unwrap().push(line);
        }
    });
    output
        .wait_for("the stack to be up", |l| l.contains("odmu is up"), 0)
        .await;
    Stack {
        child,
        output,
        gateway: format!("http://127.0.0.1:{gateway_port}"),
        data,
    }
}

fn pid_in(line: &str) -> i32 {
    line.rsplit("pid=").next().unwrap().trim().parse().unwrap()
}

fn alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

#[tokio::test]
async fn the_local_stack_routes_like_the_load_balancer_restarts_crashes_and_stops_cleanly() {
    let mut stack = start_stack().await;
    let http = reqwest::Client::new();
    let gw = &stack.gateway;

    // Every prefix reaches its own service, with the path unchanged.
    for s in &SERVICES {
        let res = http
            .get(format!("{gw}{}", s.health_path()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", s.name);
        assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
        let doc: Value = http
            .get(format!("{gw}{}", s.openapi_path()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["info"]["title"], s.name, "routed to the owner");
        // Its docs page, through the gateway, listed in the start-up table.
        let res = http
            .get(format!("{gw}{}/", s.docs_path()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{} docs", s.name);
        let docs_url = format!("{gw}{}", s.docs_path());
        assert!(
            stack
                .output
                .find(&|l: &str| l.contains(&docs_url), 0)
                .is_some(),
            "the table lists {docs_url}"
        );
        // A path under the prefix that the service lacks: its own 404, naming the full path.
        let path = format!("{}/v1/not-here?x=1", s.prefix);
        let res = http.get(format!("{gw}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["instance"], format!("{}/v1/not-here", s.prefix));
        // The bare prefix is the service's too.
        let res = http.get(format!("{gw}{}", s.prefix)).send().await.unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["instance"], s.prefix);
    }

    // Nothing else is routed: the gateway's own 404 problem.
    for path in [
        "/",
        "/unknown",
        "/billingx",
        "/authx/health",
        "/clients/health",
        "/health",
    ] {
        let res = http.get(format!("{gw}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["detail"], "No service serves this path.", "{path}");
    }

    // Identity end to end: the dev admin and the services' client secrets work, and a token
    // from odmu_auth is accepted by another service's protected route, all through the gateway.
    let secrets = std::fs::read_to_string(stack.data.path().join("dev-secrets.env")).unwrap();
    let value = |key: &str| {
        secrets
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap()
            .to_owned()
    };
    let printed = stack
        .output
        .find(&|l: &str| l.contains("dev admin"), 0)
        .expect("the dev admin is printed on first run");
    assert!(printed.contains(&value("ADMIN_PASSWORD")));
    use odmu_testkit::accounts;
    accounts::log_in(&http, gw, "admin@odmu.local", &value("ADMIN_PASSWORD")).await;
    accounts::service_token(&http, gw, "billing", &value("CLIENT_SECRET_billing")).await;
    let driver =
        accounts::sign_up_and_log_in(&http, gw, "dan@example.com", odmu_authn::Role::Driver).await;
    let profile = format!("{gw}/driver/v1/profile");
    assert_eq!(http.get(&profile).send().await.unwrap().status(), 401);
    let res = http
        .put(&profile)
        .bearer_auth(&driver.token)
        .json(&serde_json::json!({"name": "Dan", "vehicle_plate": "AB-1", "vehicle_class": "standard"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "driver_api accepts odmu_auth's token");

    // A crashed service is restarted.
    let started = stack
        .output
        .wait_for("billing's pid", |l| l.contains("started billing pid="), 0)
        .await;
    let old_pid = pid_in(&started);
    let mark = stack.output.len();
    kill(Pid::from_raw(old_pid), Signal::SIGKILL).unwrap();
    stack
        .output
        .wait_for("the crash report", |l| l.contains("billing exited"), mark)
        .await;
    let restarted = stack
        .output
        .wait_for("the restart", |l| l.contains("started billing pid="), mark)
        .await;
    assert_ne!(pid_in(&restarted), old_pid);
    let health = format!("{gw}/billing/health");
    let mut back = false;
    for _ in 0..200 {
        if http
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "billing answers again through the gateway");

    // SIGTERM stops everything gracefully and exits 0.
    let pids: Vec<i32> = SERVICES
        .iter()
        .map(|s| {
            let line = stack
                .output
                .find(
                    &|l: &str| l.contains(&format!("started {} pid=", s.name)),
                    0,
                )
                .unwrap();
            if s.name == "billing" {
                pid_in(&restarted)
            } else {
                pid_in(&line)
            }
        })
        .collect();
    kill(
        Pid::from_raw(stack.child.id().unwrap() as i32),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), stack.child.wait())
        .await
        .expect("stops in time")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    for pid in pids {
        assert!(!alive(pid), "service process {pid} is gone");
    }
    assert!(http.get(&health).send().await.is_err(), "gateway closed");
}

#[tokio::test]
async fn a_rolling_restart_of_two_replicas_per_service_fails_no_request() {
    let mut stack = start_stack_with(2).await;
    let http = reqwest::Client::new();
    let gw = stack.gateway.clone();
    let pids_before: Vec<i32> = SERVICES
        .iter()
        .flat_map(|s| {
            [s.name.to_owned(), format!("{}#1", s.name)]
                .into_iter()
                .map(|label| {
                    pid_in(
                        &stack
                            .output
                            .find(&|l: &str| l.contains(&format!("started {label} pid=")), 0)
                            .unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(pids_before.len(), 10, "two processes per service");

    // Traffic to every service through the gateway for the whole roll.
    let rolling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut load = tokio::task::JoinSet::new();
    for s in &SERVICES {
        for path in [s.health_path(), s.openapi_path()] {
            let (http, url, rolling) = (http.clone(), format!("{gw}{path}"), rolling.clone());
            load.spawn(async move {
                let (mut ok, mut failed) = (0u32, Vec::new());
                while rolling.load(std::sync::atomic::Ordering::Relaxed) {
                    match http.get(&url).send().await {
                        Ok(r) if r.status() == 200 => ok += 1,
                        Ok(r) => failed.push(format!("{url}: {}", r.status())),
                        Err(e) => failed.push(format!("{url}: {e}")),
                    }
                }
                (ok, failed)
            });
        }
    }
    let mark = stack.output.len();
    let restart = Command::new(env!("CARGO_BIN_EXE_odmu"))
        .arg("--data-dir")
        .arg(stack.data.path())
        .arg("restart")
        .output()
        .await
        .unwrap();
    assert_eq!(restart.status.code(), Some(0), "{restart:?}");
    stack
        .output
        .wait_for("the roll", |l| l.contains("rolling restart done"), mark)
        .await;
    rolling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (mut ok, mut failed) = (0, Vec::new());
    while let Some(r) = load.join_next().await {
        let (o, f) = r.unwrap();
        ok += o;
        failed.extend(f);
    }
    assert!(failed.is_empty(), "failed during the roll: {failed:?}");
    assert!(ok > 100, "traffic flowed during the roll ({ok})");
    for pid in pids_before {
        assert!(!alive(pid), "replica {pid} was replaced");
    }
    kill(
        Pid::from_raw(stack.child.id().unwrap() as i32),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), stack.child.wait())
        .await
        .expect("stops in time")
        .unwrap();
    assert_eq!(status.code(), Some(0));
}
