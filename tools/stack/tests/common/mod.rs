//! What the stack's test files share: free ports, the local stack as a process, and JSON
//! calls through its gateway. Each test file uses part of it.
#![allow(dead_code)]

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use odmu_testkit::Caller;
use odmu_topology::SERVICES;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A port offset under which every port a stack of two replicas needs is free right now: the
/// services' table ports and +10, the gateway's and the mesh's. Each file passes its own
/// `base`, and tests of one file take turns, so that stacks started at once do not collide.
pub(crate) fn free_offset(base: u16) -> u16 {
    static TURN: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    for _ in 0..200u16 {
        let attempt = TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let offset = base + (std::process::id() as u16 % 100) * 50 + attempt * 23;
        let ports: Vec<u16> = SERVICES
            .iter()
            .flat_map(|s| [s.port + offset, s.port + offset + 10])
            .chain([
                odmu_topology::GATEWAY_PORT + offset,
                odmu_topology::GATEWAY_PORT + offset + 1,
            ])
            .collect();
        if ports
            .iter()
            .all(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        {
            return offset;
        }
    }
    panic!("no free ports");
}

/// The stack, started on a fresh data folder; stopped with SIGTERM when dropped.
pub(crate) struct LocalStack {
    child: Child,
    gateway: String,
    data: tempfile::TempDir,
    offset: u16,
}

impl LocalStack {
    /// The stack on ports free above `base` (each test file its own), with extra variables.
    pub(crate) async fn start(base: u16) -> Self {
        Self::start_with(base, &[]).await
    }

    /// The stack with extra variables for every process.
    pub(crate) async fn start_with(base: u16, vars: &[(&str, &str)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let offset = free_offset(base);
        let gateway_port = odmu_topology::GATEWAY_PORT + offset;
        let mut child = Command::new(env!("CARGO_BIN_EXE_odmu"))
            .arg("--data-dir")
            .arg(data.path())
            .env("ODMU_PORT_OFFSET", offset.to_string())
            .env("ODMU_GATEWAY_PORT", gateway_port.to_string())
            .env("RUST_LOG", "warn")
            .env_remove("LOG_FORMAT")
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let up = tokio::time::timeout(Duration::from_secs(90), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("odmu is up") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(up, Ok(true), "the stack comes up");
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            gateway: format!("http://127.0.0.1:{gateway_port}"),
            data,
            offset,
        }
    }

    /// The gateway, for JSON calls.
    pub(crate) fn gateway(&self) -> Gateway {
        Gateway {
            http: reqwest::Client::new(),
            base: self.gateway.clone(),
        }
    }

    /// The port of `service`'s (first) process, to call it directly, past the gateway.
    pub(crate) fn port_of(&self, service: &str) -> u16 {
        odmu_topology::by_name(service).expect("a service").port + self.offset
    }

    /// The stack's data folder.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// A value of the stack's `dev-secrets.env`.
    pub(crate) fn secret(&self, key: &str) -> String {
        let text = std::fs::read_to_string(self.data.path().join("dev-secrets.env")).unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in dev-secrets.env"))
            .to_owned()
    }

    pub(crate) async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        assert!(
            matches!(status, Ok(Ok(s)) if s.success()),
            "a clean stop: {status:?}"
        );
    }
}

/// JSON calls through the gateway; each answers (status, body).
pub(crate) struct Gateway {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
}

impl Gateway {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &Caller,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&who.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, path: &str, who: &Caller) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, who, None, None).await
    }

    pub(crate) async fn put(&self, path: &str, who: &Caller, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, who, Some(body), None)
            .await
    }

    pub(crate) async fn post(&self, path: &str, who: &Caller, body: Option<Value>) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, who, body, None)
            .await
    }
}
