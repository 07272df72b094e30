//! Serving a router on a bound listener with graceful shutdown (DESIGN.md §8).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::Router;
use axum::serve::ListenerExt as _;
use odmu_config::{ConfigError, Env};
use tokio::net::TcpListener;

/// Server settings shared by every service.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `REQUEST_TIMEOUT_MS` (default 10000): a request running longer is answered 503. It also
    /// bounds how long the drain after a shutdown signal can take.
    pub request_timeout: Duration,
    /// `SHUTDOWN_DELAY_MS` (default 0): after the signal, keep accepting for this long while
    /// readiness answers 503, so that a load balancer that polls readiness stops sending first.
    /// ECS deregisters a task from its target group before it signals it, so 0 suits ECS.
    pub shutdown_delay: Duration,
}

impl ServerConfig {
    /// Reads and checks the server variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let request_timeout = env.millis_or("REQUEST_TIMEOUT_MS", Duration::from_secs(10))?;
        if request_timeout.is_zero() {
            return Err(ConfigError::invalid(
                "REQUEST_TIMEOUT_MS",
                "must be above 0",
            ));
        }
        Ok(Self {
            request_timeout,
            shutdown_delay: env.millis_or("SHUTDOWN_DELAY_MS", Duration::ZERO)?,
        })
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// What starts a graceful shutdown, and what to do first when it starts.
pub struct Shutdown {
    signal: Pin<Box<dyn Future<Output = ()> + Send>>,
    hooks: Vec<Hook>,
    delay: Duration,
}

impl Shutdown {
    /// Shut down when `signal` completes (see [`signal`] for SIGTERM and Ctrl-C).
    pub fn on(signal: impl Future<Output = ()> + Send + 'static) -> Self {
        Self {
            signal: Box::pin(signal),
            hooks: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Runs `hook` as soon as the signal arrives, before anything else (readiness goes 503).
    pub fn first(mut self, hook: impl FnOnce() + Send + 'static) -> Self {
        self.hooks.push(Box::new(hook));
        self
    }

    /// Keeps accepting new connections for `delay` after the signal.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    async fn wait(self) {
        self.signal.await;
        tracing::info!(
            delay_ms = self.delay.as_millis() as u64,
            "shutdown: draining"
        );
        for hook in self.hooks {
            hook();
        }
        tokio::time::sleep(self.delay).await;
    }
}

/// Serves `router` on `listener` until `shutdown`, then stops accepting and waits for the
/// requests in flight to finish (each is bounded by the request timeout).
pub async fn serve(listener: TcpListener, router: Router, shutdown: Shutdown) -> io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        // Small JSON answers must not wait on Nagle's algorithm.
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.wait())
    .await?;
    tracing::info!("shutdown: drained");
    Ok(())
}

/// Completes on SIGTERM (ECS, compose, the local stack) or Ctrl-C (SIGINT).
///
/// The handlers are installed when this is called, not when the future is first polled: a
/// SIGTERM that arrives while the service starts (axum polls the shutdown future on a task of
/// its own, possibly after the first requests) then starts the drain instead of ending the
/// process by the signal's default action. Call it in a Tokio runtime, early.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal as listen};
    let term = listen(SignalKind::terminate());
    let interrupt = listen(SignalKind::interrupt());
    let wait = |installed: io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
        match installed {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, signal = name, "cannot listen for the signal");
                std::future::pending::<()>().await;
            }
        }
    };
    async move {
        tokio::select! {
            () = wait(term, "SIGTERM") => {},
            () = wait(interrupt, "SIGINT") => {},
        }
    }
}
