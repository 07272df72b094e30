//! One service replica as a child process: started, its output prefixed, restarted with backoff
//! when it crashes, replaced on request (a rolling restart), and stopped with SIGTERM (then
//! SIGKILL if it does not drain in time).

use std::ffi::OsString;
use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder as _, ExponentialBuilder};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use odmu_topology::Service;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, watch};

/// How long a service may drain after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// A run this long counts as healthy: the next crash starts the backoff again.
const STABLE_AFTER: Duration = Duration::from_secs(30);

/// Service processes started by this stack so far (first starts, restarts and replacements):
/// the resilience suite checks that an outage of the database costs none.
pub static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// What to run for one service replica.
pub struct ChildSpec {
    /// The service.
    pub service: &'static Service,
    /// How its output and messages name it: the service's name, with `#n` for replicas past
    /// the first.
    pub label: &'static str,
    /// The program (this binary) and its arguments (`service <name>`).
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<OsString>,
    /// Variables set on top of the inherited environment.
    pub env: Vec<(String, String)>,
}

/// Writes one line of a child's output, prefixed with its name (coloured on a terminal).
pub fn print_prefixed(name: &str, line: &str) {
    let colour = colour_of(name);
    let mut out = std::io::stdout().lock();
    let _ = if std::io::stdout().is_terminal() {
        writeln!(out, "\x1b[{colour}m{name:>16} |\x1b[0m {line}")
    } else {
        writeln!(out, "{name:>16} | {line}")
    };
}

fn colour_of(name: &str) -> u8 {
    // Stable per name, from the six readable ANSI colours.
    31 + (name.bytes().map(u32::from).sum::<u32>() % 6) as u8
}

fn pump(name: &'static str, stream: impl AsyncRead + Unpin + Send + 'static) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            print_prefixed(name, &line);
        }
    });
}

fn spawn(spec: &ChildSpec) -> std::io::Result<Child> {
    let mut child = Command::new(&spec.program)
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: the terminal's Ctrl-C reaches the stack only, which then
        // stops the services in order instead of racing them.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()?;
    if let Some(out) = child.stdout.take() {
        pump(spec.label, out);
    }
    if let Some(err) = child.stderr.take() {
        pump(spec.label, err);
    }
    Ok(child)
}

/// What the stack can ask of a supervised replica.
#[derive(Debug)]
pub enum Control {
    /// Stop it gracefully (SIGTERM, drain) and start its replacement at once; the sender hears
    /// when the replacement process has been started (readiness is the caller's to wait for).
    Replace(oneshot::Sender<()>),
    /// Stop it gracefully and keep it stopped (an outage) until `Start`; the sender hears
    /// when it has exited.
    Stop(oneshot::Sender<()>),
    /// Start it again after a `Stop`; the sender hears when the process has been started.
    Start(oneshot::Sender<()>),
    /// `kill -9` it: a crash, which the supervisor answers by starting it again.
    Kill,
}

async fn stop(name: &'static str, child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
    }
    match tokio::time::timeout(STOP_GRACE, child.wait()).await {
        Ok(Ok(status)) if status.success() => {}
        Ok(Ok(status)) => print_prefixed("odmu", &format!("{name} stopped: {status}")),
        _ => {
            print_prefixed("odmu", &format!("{name} did not drain in time; killing it"));
            let _ = child.kill().await;
        }
    }
}

async fn stop_requested(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across later awaits.
    let _ = stopping.wait_for(|s| *s).await;
}

/// Runs the replica until `stopping` turns true, restarting it after crashes with an
/// exponential backoff (250 ms doubling to 10 s, reset after a stable run), and replacing it
/// when `control` asks.
pub async fn supervise(
    spec: ChildSpec,
    mut stopping: watch::Receiver<bool>,
    mut control: mpsc::Receiver<Control>,
) {
    let name = spec.label;
    let backoff = || {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(250))
            .with_max_delay(Duration::from_secs(10))
            .without_max_times()
            .build()
    };
    let mut delays = backoff();
    let mut spawn_next: Option<oneshot::Sender<()>> = None;
    loop {
        let mut child = match spawn(&spec) {
            Ok(c) => c,
            Err(e) => {
                print_prefixed("odmu", &format!("cannot start {name}: {e}"));
                return;
            }
        };
        STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(done) = spawn_next.take() {
            let _ = done.send(());
        }
        let started = Instant::now();
        print_prefixed(
            "odmu",
            &format!("started {name} pid={}", child.id().unwrap_or_default()),
        );
        let mut replaced = None;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                () = stop_requested(&mut stopping) => {
                    stop(name, &mut child).await;
                    return;
                }
                Some(asked) = control.recv() => match asked {
                    Control::Replace(done) => {
                        print_prefixed("odmu", &format!("replacing {name}: draining the old process"));
                        stop(name, &mut child).await;
                        replaced = Some(done);
                        break child.wait().await;
                    }
                    Control::Stop(done) => {
                        print_prefixed("odmu", &format!("stopping {name} until it is started again"));
                        stop(name, &mut child).await;
                        let _ = done.send(());
                        // Down until started again (or the stack stops); other requests wait.
                        loop {
                            tokio::select! {
                                () = stop_requested(&mut stopping) => return,
                                asked = control.recv() => match asked {
                                    Some(Control::Start(done)) => { replaced = Some(done); break; }
                                    Some(_) => {}
                                    None => return,
                                },
                            }
                        }
                        break child.wait().await;
                    }
                    Control::Kill => {
                        if let Some(pid) = child.id() {
                            print_prefixed("odmu", &format!("kill -9 {name} (pid {pid})"));
                            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                        }
                    }
                    // Already running.
                    Control::Start(done) => { let _ = done.send(()); }
                },
            }
        };
        if let Some(done) = replaced {
            // A replacement starts at once, not after a crash backoff.
            delays = backoff();
            spawn_next = Some(done);
            let _ = status;
            continue;
        }
        let stopped = *stopping.borrow();
        if stopped {
            return;
        }
        if started.elapsed() > STABLE_AFTER {
            delays = backoff();
        }
        let delay = delays.next().unwrap_or(Duration::from_secs(10));
        let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
        print_prefixed(
            "odmu",
            &format!(
                "{name} exited ({status}); restarting in {} ms",
                delay.as_millis()
            ),
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = stop_requested(&mut stopping) => return,
        }
    }
}
