//! Test support for odmu services: start a service on port 0 with a fresh database, in this
//! process ([`TestApp`]) or as its real binary ([`ServiceProcess`]), and the conformance tests
//! every service runs ([`conformance_tests!`]).

pub mod checks;
mod process;

use std::time::Duration;

use axum::Router;
use odmu_config::Env;
use odmu_runtime::{App, RuntimeConfig, Started};
use odmu_storage::{Db, TestDatabase};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use process::ServiceProcess;

/// An address where nothing listens, for `AUTH_URL` in tests that need no odmu_auth.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// A service running inside the test process on a real port, with its own fresh database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A client for it.
    pub http: reqwest::Client,
    db: Db,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _database: TestDatabase,
}

impl TestApp {
    /// Starts `A` on port 0 with a fresh database and default settings.
    pub async fn spawn<A: App>() -> Self {
        Self::spawn_with::<A>(&[], None).await
    }

    /// Starts `A` with extra environment variables and extra routes merged in.
    ///
    /// # Panics
    /// When the service cannot start: the test cannot go on.
    pub async fn spawn_with<A: App>(vars: &[(&str, &str)], extra: Option<Router>) -> Self {
        let database = TestDatabase::new().await;
        let mut pairs = vec![
            ("DATABASE_URL", database.url()),
            ("HOST", "127.0.0.1"),
            ("PORT", "0"),
            ("AUTH_URL", NOWHERE),
        ];
        pairs.extend_from_slice(vars);
        let env = Env::from_pairs(pairs.iter().copied());
        let config = RuntimeConfig::from_env(&env, A::service()).expect("runtime config");
        let app_config = A::config(&env).expect("service config");
        let listener = TcpListener::bind(config.listen).await.expect("bind");
        let started: Started = odmu_runtime::start::<A>(&config, app_config, listener, extra)
            .await
            .expect("service starts");
        let base_url = format!("http://{}", started.local_addr());
        let db = started.db().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(started.serve(async move {
            let _ = stopped.await;
        }));
        Self {
            base_url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            db,
            stop: Some(stop),
            server: Some(server),
            _database: database,
        }
    }

    /// The URL of `path` (which includes the service's prefix).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The service's database, for arranging and inspecting data.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Sends the shutdown signal and waits for the drain to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}
