//! `odmu load`: whole ride flows against a running platform, through its gateway.
//!
//! A focused driver on reqwest with HDR histograms rather than a load-testing framework: a flow
//! here is two people acting in turn (a rider books, a driver sees, accepts, starts with the
//! rider's code, completes; the rider waits for the invoice), which fits a pair of accounts per
//! flow better than goose's one-user-one-scenario model, and keeps the binary's dependencies to
//! one small crate (hdrhistogram). Arrivals are open-loop with `--rate` (a flow starts every
//! 1/rate seconds whether or not earlier ones finished, up to the pairs available), or
//! closed-loop without it (every pair runs flows back to back: the most the platform does).

pub mod actors;
pub mod flow;
pub mod stats;
pub mod verify;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use stats::{Outcome, Stats};

/// Settings of a run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The gateway, e.g. `http://127.0.0.1:8080`.
    pub gateway: String,
    /// Riders to create.
    pub riders: usize,
    /// Drivers to create (each carries one ride at a time).
    pub drivers: usize,
    /// How long flows start.
    pub duration: Duration,
    /// Flows started per second (open loop); `None`: as fast as the pairs go.
    pub rate: Option<f64>,
    /// Share of flows the rider cancels after booking, 0 to 1.
    pub cancel_share: f64,
    /// Where to write the JSON report.
    pub report: Option<std::path::PathBuf>,
    /// How long a rider waits for the invoice on a completed trip before the flow fails.
    pub invoice_wait: Duration,
    /// The admin's email and password: the checks afterwards then cover the ledger and the
    /// outbox too.
    pub admin: Option<(String, String)>,
    /// How long the checks afterwards wait for the outbox to drain.
    pub settle: Duration,
    /// Stops starting flows early when it turns true (the resilience suite ends the load when
    /// its scenario is over).
    pub stop: Option<tokio::sync::watch::Receiver<bool>>,
    /// Told when the accounts are set up and flows begin.
    pub started: Option<Arc<tokio::sync::Notify>>,
}

impl LoadOptions {
    /// The defaults of `odmu load`, against `gateway`.
    pub fn new(gateway: impl Into<String>) -> Self {
        Self {
            gateway: gateway.into(),
            riders: 20,
            drivers: 20,
            duration: Duration::from_secs(30),
            rate: None,
            cancel_share: 0.1,
            report: None,
            invoice_wait: Duration::from_secs(10),
            admin: None,
            settle: Duration::from_secs(30),
            stop: None,
            started: None,
        }
    }
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The accounts could not be set up.
    #[error("setting up the load's accounts failed at {step} ({kind}): {detail}")]
    Setup {
        /// The step.
        step: &'static str,
        /// Its status.
        kind: String,
        /// Details.
        detail: String,
    },
    /// The report could not be written.
    #[error("cannot write the report: {0}")]
    Report(#[source] std::io::Error),
    /// Options that cannot work.
    #[error("{0}")]
    Options(String),
}

impl From<flow::StepError> for LoadError {
    fn from(e: flow::StepError) -> Self {
        Self::Setup {
            step: e.step,
            kind: e.kind,
            detail: e.detail,
        }
    }
}

/// `30s`, `2m`, `500ms` or a number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 2m or 500ms"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        other => return Err(format!("unknown unit {other:?}: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| e.to_string())
}

/// Runs the load and returns the report; the caller decides the exit code (non-zero when any
/// flow failed).
pub async fn run(options: LoadOptions) -> Result<stats::Report, LoadError> {
    if options.riders == 0 || options.drivers == 0 {
        return Err(LoadError::Options(
            "--riders and --drivers must be at least 1".into(),
        ));
    }
    if !(0.0..=1.0).contains(&options.cancel_share) {
        return Err(LoadError::Options("--cancel-share is 0 to 1".into()));
    }
    let gw = flow::Gateway {
        base: options.gateway.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| LoadError::Options(e.to_string()))?,
        invoice_wait: options.invoice_wait,
    };
    let admin = match &options.admin {
        Some((email, password)) => Some(actors::login(&gw, email, password).await?),
        None => None,
    };
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    eprintln!(
        "odmu load: creating {} riders and {} drivers through {}",
        options.riders, options.drivers, gw.base
    );
    let riders = actors::riders(&gw, options.riders, &run_id).await?;
    let drivers = actors::drivers(&gw, options.drivers, &run_id).await?;
    let pairs: Vec<flow::Pair> = riders
        .iter()
        .cloned()
        .zip(drivers)
        .enumerate()
        .map(|(rider_index, (rider, driver))| flow::Pair {
            rider_index,
            rider,
            driver,
            dangling: std::sync::Mutex::new(None),
            cancellations: std::sync::Mutex::new(Vec::new()),
        })
        .collect();
    eprintln!(
        "odmu load: {} rider-driver pairs; running for {:?}{}",
        pairs.len(),
        options.duration,
        options
            .rate
            .map(|r| format!(" at {r} flows/s"))
            .unwrap_or_default()
    );

    let stats = Arc::new(Stats::new());
    let journal = Arc::new(verify::Journal::default());
    let (free_tx, mut free_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    for i in 0..pairs.len() {
        let _ = free_tx.send(i);
    }
    let pairs = Arc::new(pairs);
    let serial = Arc::new(AtomicU64::new(0));
    let dropped = Arc::new(AtomicU64::new(0));
    let begun = Instant::now();
    let deadline = begun + options.duration;
    if let Some(started) = &options.started {
        started.notify_one();
    }
    let progress = tokio::spawn(progress_line(stats.clone(), begun, deadline));
    let mut tasks = tokio::task::JoinSet::new();
    let mut tick = options
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| tokio::time::interval(Duration::from_secs_f64(1.0 / r)));
    let stopped = |stop: &Option<tokio::sync::watch::Receiver<bool>>| {
        stop.as_ref().is_some_and(|s| *s.borrow())
    };
    loop {
        if Instant::now() >= deadline || stopped(&options.stop) {
            break;
        }
        let pair = match &mut tick {
            Some(interval) => {
                interval.tick().await;
                match free_rx.try_recv() {
                    Ok(pair) => pair,
                    Err(_) => {
                        // Open loop: the arrival is not delayed; with every pair busy it is lost.
                        dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
            }
            None => match tokio::time::timeout_at(
                deadline
                    .min(Instant::now() + Duration::from_millis(200))
                    .into(),
                free_rx.recv(),
            )
            .await
            {
                Ok(Some(pair)) => pair,
                Ok(None) => break,
                // Look at the deadline and the stop signal again.
                Err(_) => continue,
            },
        };
        let n = serial.fetch_add(1, Ordering::Relaxed);
        let cancel = options.cancel_share > 0.0
            && (n as f64 * options.cancel_share).floor()
                != ((n + 1) as f64 * options.cancel_share).floor();
        let (gw, stats, pairs, free) = (gw.clone(), stats.clone(), pairs.clone(), free_tx.clone());
        let journal = journal.clone();
        tasks.spawn(async move {
            let outcome = flow::run(&gw, &stats, &journal, &pairs[pair], cancel, n).await;
            if outcome == Outcome::Failed {
                // A failed flow may leave the driver holding a ride: rest the pair.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let _ = free.send(pair);
        });
    }
    // Flows under way finish (bounded by their own timeouts).
    while tasks.join_next().await.is_some() {}
    let elapsed = begun.elapsed();
    progress.abort();
    eprintln!();
    // What failed flows left is settled (best effort) before the checks, so that every pair's
    // driver ends free and nothing is half done.
    for pair in pairs.iter() {
        let left = pair
            .dangling
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(d) = left {
            let _ = flow::settle(&gw, &stats, &journal, pair, &d).await;
        }
    }
    let verification =
        verify::verify(&gw, &riders, &journal, admin.as_deref(), options.settle).await;
    eprintln!("odmu load: {}", verification.line());
    let settings = serde_json::json!({
        "gateway": options.gateway,
        "riders": options.riders,
        "drivers": options.drivers,
        "duration_s": options.duration.as_secs_f64(),
        "rate": options.rate,
        "cancel_share": options.cancel_share,
        "invoice_wait_s": options.invoice_wait.as_secs_f64(),
        "arrivals_dropped_all_pairs_busy": dropped.load(Ordering::Relaxed),
    });
    let mut report = stats.report(elapsed, settings);
    report.verification = Some(verification);
    if let Some(path) = &options.report {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        std::fs::write(path, text).map_err(LoadError::Report)?;
    }
    Ok(report)
}

/// One line, rewritten every second on a terminal (a new line every 5 s in a log): flows/s so
/// far, failures, the worst step p99.
async fn progress_line(stats: Arc<Stats>, begun: Instant, deadline: Instant) {
    use std::io::{IsTerminal as _, Write as _};
    let terminal = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(if terminal { 1 } else { 5 }));
    tick.tick().await;
    loop {
        tick.tick().await;
        let (flows, failed, p99) = stats.progress();
        let elapsed = begun.elapsed().as_secs_f64();
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        let line = format!(
            "  {elapsed:6.0} s  {:8.1} flows/s  {failed} failed  step p99 {p99:8.2} ms  ({left} s left)",
            flows as f64 / elapsed.max(1e-9)
        );
        let mut err = std::io::stderr().lock();
        let _ = if terminal {
            write!(err, "\r{line}   ")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
    }
}
