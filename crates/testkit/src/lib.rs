//! Test support for odmu services: start a service on port 0 with a fresh database, in this
//! process ([`TestApp`]) or as its real binary ([`ServiceProcess`]), with a test identity that
//! hands out tokens ([`TestIdentity`]), one set of request helpers ([`TestApp::get`] and
//! friends), and the conformance tests every service runs ([`conformance_tests!`]).

pub mod accounts;
pub mod checks;
mod identity;
mod process;
mod requests;

pub use identity::{Caller, SERVICE_SECRET, TestIdentity};
pub use requests::{Call, Reply};

use std::time::Duration;

use axum::Router;
use odmu_config::Env;
use odmu_runtime::{App, FromEnv as _, RuntimeConfig, Started};
use odmu_storage::{Db, TestDatabase};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use process::ServiceProcess;

/// A listener on `port` of 127.0.0.1 (0: any free port). A port just released by a stopped
/// app can take a moment to be free again.
async fn bind(port: u16) -> TcpListener {
    for _ in 0..100 {
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("cannot bind 127.0.0.1:{port}");
}

/// An address where nothing listens, for `AUTH_URL` in tests that need no odmu_auth.
pub const NOWHERE: &str = "http://127.0.0.1:9";

/// A service running inside the test process on a real port, with its own fresh database
/// and data folder (both kept across [`TestApp::restart`]), verifying tokens of a
/// [`TestIdentity`] (odmu_auth verifies its own).
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// A client for it.
    pub http: reqwest::Client,
    /// Hands out tokens this app accepts.
    pub identity: TestIdentity,
    prefix: &'static str,
    db: Db,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    vars: Vec<(String, String)>,
    database: TestDatabase,
    data_dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts `A` on port 0 with a fresh database, default settings and its own identity.
    pub async fn spawn<A: App>() -> Self {
        let identity = TestIdentity::start().await;
        Self::spawn_with::<A>(&identity, &[], None).await
    }

    /// Starts `A` trusting `identity`, with extra environment variables and extra routes
    /// merged in. odmu_auth verifies its own tokens, over HTTP like every other service.
    pub async fn spawn_with<A: App>(
        identity: &TestIdentity,
        vars: &[(&str, &str)],
        extra: Option<Router>,
    ) -> Self {
        let database = TestDatabase::new().await;
        let data_dir = tempfile::Builder::new()
            .prefix("odmu-data-")
            .tempdir()
            .expect("temporary data folder");
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::start::<A>(0, identity.clone(), database, data_dir, vars, extra).await
    }

    /// Stops the app (gracefully) and starts it again on the same port, database and data
    /// folder, as a restarted task behind the same address.
    pub async fn restart<A: App>(mut self) -> Self {
        self.stop_server().await;
        let port = self.port();
        let Self {
            database,
            data_dir,
            vars,
            identity,
            ..
        } = self;
        Self::start::<A>(port, identity, database, data_dir, vars, None).await
    }

    /// Like [`TestApp::restart`], with these variables instead of the ones it started with
    /// (a key rotation, say).
    pub async fn restart_with<A: App>(mut self, vars: &[(&str, &str)]) -> Self {
        self.stop_server().await;
        let port = self.port();
        let Self {
            database,
            data_dir,
            identity,
            ..
        } = self;
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::start::<A>(port, identity, database, data_dir, vars, None).await
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// Stops it (gracefully) but keeps its database and data folder for [`TestApp::resume`]:
    /// a dependency that is down for a while.
    pub async fn stop(&mut self) {
        self.stop_server().await;
    }

    /// Starts a stopped app again on the same port, database and settings.
    pub async fn resume<A: App>(self) -> Self {
        self.restart::<A>().await
    }

    /// # Panics
    /// When the service cannot start: the test cannot go on.
    async fn start<A: App>(
        port: u16,
        identity: TestIdentity,
        database: TestDatabase,
        data_dir: tempfile::TempDir,
        vars: Vec<(String, String)>,
        extra: Option<Router>,
    ) -> Self {
        let listener = bind(port).await;
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let auth_url = if A::SERVICE.name == odmu_topology::AUTH.name {
            base_url.clone()
        } else {
            identity.url.clone()
        };
        let mut pairs: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database.url().to_owned()),
            (
                "ODMU_DATA_DIR".into(),
                data_dir.path().display().to_string(),
            ),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("AUTH_URL".into(), auth_url),
        ];
        if A::SERVICE.name != odmu_topology::AUTH.name {
            // Services call each other with tokens from the test identity.
            pairs.push(("SERVICE_CLIENT_ID".into(), A::SERVICE.name.into()));
            pairs.push((
                "SERVICE_CLIENT_SECRET".into(),
                identity::SERVICE_SECRET.into(),
            ));
        }
        pairs.extend(vars.iter().cloned());
        let env = Env::from_pairs(pairs);
        let config = RuntimeConfig::from_env(&env, A::SERVICE).expect("runtime config");
        let app_config = A::Config::from_env(&env).expect("service config");
        let started: Started = odmu_runtime::start::<A>(&config, app_config, listener, extra)
            .await
            .expect("service starts");
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
            identity,
            prefix: A::SERVICE.prefix,
            db,
            stop: Some(stop),
            server: Some(server),
            vars,
            database,
            data_dir,
        }
    }

    /// The URL of `path` under the service's prefix (`/v1/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}{path}", self.base_url, self.prefix)
    }

    /// The URL of an absolute `path` (outside the prefix too).
    pub fn raw_url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to `method` `path` (under the prefix).
    pub fn call(&self, method: reqwest::Method, path: &str) -> Call {
        Call::new(&self.http, method, self.url(path))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Call {
        self.call(reqwest::Method::GET, path)
    }

    /// `POST path`.
    pub fn post(&self, path: &str) -> Call {
        self.call(reqwest::Method::POST, path)
    }

    /// `PUT path`.
    pub fn put(&self, path: &str) -> Call {
        self.call(reqwest::Method::PUT, path)
    }

    /// A new rider this app accepts.
    pub fn rider(&self) -> Caller {
        self.identity.rider()
    }

    /// A new driver this app accepts.
    pub fn driver(&self) -> Caller {
        self.identity.driver()
    }

    /// A new admin this app accepts.
    pub fn admin(&self) -> Caller {
        self.identity.admin()
    }

    /// The service `name`, as a caller this app accepts.
    pub fn service(&self, name: &str) -> Caller {
        self.identity.service(name)
    }

    /// The service's database, for arranging and inspecting data.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The app's data folder (`ODMU_DATA_DIR`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Sends the shutdown signal and waits for the drain to finish.
    pub async fn shutdown(mut self) {
        self.stop_server().await;
    }
}
