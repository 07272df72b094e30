//! A service's real binary as a child process, found on the port it reports.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// A running service process. Killed if dropped while still running.
pub struct ServiceProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

impl ServiceProcess {
    /// Starts `binary` on port 0 with JSON logs and these variables, and waits for its
    /// "listening" log line.
    ///
    /// # Panics
    /// When the process does not report its address within 30 s.
    pub async fn start(binary: &str, vars: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary)
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("AUTH_URL", crate::NOWHERE)
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn the service binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                if event["message"] == "listening" {
                    return event["addr"].as_str().map(str::to_owned);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("the service reports the address it listens on");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            base_url: format!("http://{addr}"),
        }
    }

    /// Sends SIGTERM, as ECS and compose do.
    pub fn terminate(&self) {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
    }

    /// Waits for the exit code (`None` if killed by a signal), at most `limit`.
    pub async fn wait(&mut self, limit: Duration) -> Option<i32> {
        tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("the process exits in time")
            .expect("wait")
            .code()
    }
}
