//! Background workers (outbox relays, sweepers, pruning): declared by the service, started by
//! the runtime, stopped within the drain on SIGTERM, and restarted with backoff if they panic.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder as _, ExponentialBuilder};
use tokio::task::JoinHandle;
pub use tokio_util::sync::CancellationToken as Stop;

type Task = Arc<dyn Fn(Stop) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A run this long counts as healthy: the next failure starts the backoff again.
const STABLE_AFTER: Duration = Duration::from_secs(60);

/// One background worker of a service.
#[derive(Clone)]
pub struct Worker {
    name: &'static str,
    task: Task,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("name", &self.name).finish()
    }
}

impl Worker {
    /// A worker that runs `task` until its [`Stop`] is cancelled. `task` is called again if it
    /// panics or returns before the stop.
    pub fn new<F, Fut>(name: &'static str, task: F) -> Self
    where
        F: Fn(Stop) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            name,
            task: Arc::new(move |stop| Box::pin(task(stop))),
        }
    }

    /// A worker that calls `tick` now and then every `period` until stopped. A tick in
    /// progress finishes before the worker stops.
    pub fn every<F, Fut>(name: &'static str, period: Duration, tick: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let tick = Arc::new(tick);
        Self::new(name, move |stop: Stop| {
            let tick = tick.clone();
            async move {
                let mut interval = tokio::time::interval(period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        _ = interval.tick() => tick().await,
                    }
                }
            }
        })
    }

    /// The worker's name, as logged.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// The running workers of a service.
pub(crate) struct Running {
    stop: Stop,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

impl Running {
    /// Starts each worker under its own supervisor.
    pub(crate) fn start(workers: Vec<Worker>) -> Self {
        let stop = Stop::new();
        let handles = workers
            .into_iter()
            .map(|w| (w.name, tokio::spawn(supervise(w, stop.clone()))))
            .collect();
        Self { stop, handles }
    }

    /// The token that stops them all.
    pub(crate) fn stop_token(&self) -> Stop {
        self.stop.clone()
    }

    /// Stops them and waits at most `limit` for each to finish its current work.
    pub(crate) async fn stop(self, limit: Duration) {
        self.stop.cancel();
        let deadline = tokio::time::Instant::now() + limit;
        for (name, mut handle) in self.handles {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                tracing::warn!(worker = name, "worker did not stop in time; aborted");
                handle.abort();
            }
        }
    }
}

async fn supervise(worker: Worker, stop: Stop) {
    let backoff = || {
        ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_secs(30))
            .with_jitter()
            .without_max_times()
            .build()
    };
    let mut delays = backoff();
    tracing::debug!(worker = worker.name, "worker started");
    loop {
        let started = Instant::now();
        let outcome = tokio::spawn((worker.task)(stop.clone())).await;
        if stop.is_cancelled() {
            tracing::debug!(worker = worker.name, "worker stopped");
            return;
        }
        match outcome {
            Err(e) if e.is_panic() => {
                tracing::error!(worker = worker.name, "worker panicked; restarting it");
            }
            Err(e) => {
                tracing::error!(worker = worker.name, error = %e, "worker failed; restarting it")
            }
            Ok(()) => tracing::warn!(worker = worker.name, "worker returned early; restarting it"),
        }
        if started.elapsed() > STABLE_AFTER {
            delays = backoff();
        }
        let delay = delays.next().unwrap_or(Duration::from_secs(30));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(delay) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_all_stop_on_request() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let flaky = Worker::new("flaky", move |stop: Stop| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(n >= 2, "the first two runs panic");
                stop.cancelled().await;
            }
        });
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticked = ticks.clone();
        let periodic = Worker::every("tick", Duration::from_millis(10), move || {
            let ticked = ticked.clone();
            async move {
                ticked.fetch_add(1, Ordering::SeqCst);
            }
        });
        let running = Running::start(vec![flaky, periodic]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while runs.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3, "restarted after each panic");
        let stopped = Instant::now();
        running.stop(Duration::from_secs(2)).await;
        assert!(stopped.elapsed() < Duration::from_secs(1), "stops promptly");
        assert!(ticks.load(Ordering::SeqCst) >= 2);
        let after = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            after,
            "no tick after the stop"
        );
    }
}
