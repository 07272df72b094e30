//! What every odmu service does the same way: read its configuration, start telemetry,
//! open and migrate its database, prepare token verification, add the probes, the OpenAPI
//! document and the common layers, and serve until SIGTERM.
//!
//! A service implements [`App`]; its `main.rs` is one line: `odmu_runtime::main::<MyApp>()`.

mod openapi;

pub use openapi::document as openapi_document;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use odmu_authn::{AuthConfig, Verifier};
use odmu_config::{ConfigError, Env};
use odmu_health::Readiness;
use odmu_http::{ServerConfig, Shutdown};
use odmu_storage::{Db, Migrations, StorageConfig, StorageError};
use odmu_telemetry::TelemetryConfig;
use odmu_topology::Service;
use tokio::net::TcpListener;

/// One odmu service.
pub trait App: 'static {
    /// The service's own configuration (dependency URLs, limits, ...).
    type Config: Send + 'static;

    /// Its entry in the service table (name, port, prefix, database).
    fn service() -> &'static Service;

    /// Reads its own configuration; errors name the variable.
    fn config(env: &Env) -> Result<Self::Config, ConfigError>;

    /// Its migrations for each backend.
    fn migrations() -> &'static Migrations;

    /// One-off work after migrations and before serving (bootstrap accounts, seed data).
    /// It must be idempotent: every task of the service runs it at every start.
    fn prepare(
        _config: &Self::Config,
        _platform: &Platform,
    ) -> impl std::future::Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }

    /// Its routes, all under its prefix. Probes, OpenAPI, the fallback and layers are added.
    fn router(config: Self::Config, platform: Platform) -> Router;

    /// The OpenAPI document of its routes; the probes are added to it.
    fn openapi() -> utoipa::openapi::OpenApi;
}

/// What the runtime hands to a service's router: its database and the token verifier.
#[derive(Clone)]
pub struct Platform {
    /// The service's own database, migrated.
    pub db: Db,
    /// Verifies bearer tokens against odmu_auth's keys.
    pub verifier: Verifier,
}

impl FromRef<Platform> for Db {
    fn from_ref(p: &Platform) -> Self {
        p.db.clone()
    }
}

impl FromRef<Platform> for Verifier {
    fn from_ref(p: &Platform) -> Self {
        p.verifier.clone()
    }
}

/// Settings every service shares.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// `HOST` (default `0.0.0.0`) and `PORT` (default: the service table's port).
    pub listen: SocketAddr,
    /// Request timeout and shutdown delay.
    pub server: ServerConfig,
    /// `DATABASE_URL` and pool size.
    pub storage: StorageConfig,
    /// Token verification.
    pub auth: AuthConfig,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// `DATABASE_CONNECT_PATIENCE_MS` (default 30000): how long start-up waits for the database.
    pub db_patience: Duration,
}

impl RuntimeConfig {
    /// Reads the shared settings of `service`; the default database is a SQLite file named
    /// after it under `ODMU_DATA_DIR` (default `.data`).
    pub fn from_env(env: &Env, service: &Service) -> Result<Self, ConfigError> {
        let host: std::net::IpAddr = env.parse_or("HOST", [0, 0, 0, 0].into())?;
        let port = env.port_or("PORT", service.port)?;
        let data_dir = env.string_or("ODMU_DATA_DIR", ".data");
        let default_db = format!("sqlite://{data_dir}/{}.db", service.database);
        Ok(Self {
            listen: SocketAddr::new(host, port),
            server: ServerConfig::from_env(env)?,
            storage: StorageConfig::from_env(env, &default_db)?,
            auth: AuthConfig::from_env(env)?,
            telemetry: TelemetryConfig::from_env(env)?,
            db_patience: env.millis_or("DATABASE_CONNECT_PATIENCE_MS", Duration::from_secs(30))?,
        })
    }
}

/// Start-up failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A configuration value is wrong.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    /// The service's own preparation failed.
    #[error("preparing the service: {0}")]
    Prepare(String),
    /// Serving failed.
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
}

/// A service that has opened and migrated its database and is ready to serve.
pub struct Started {
    listener: TcpListener,
    router: Router,
    readiness: Readiness,
    db: Db,
    shutdown_delay: Duration,
}

impl Started {
    /// The address it listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(([0, 0, 0, 0], 0).into())
    }

    /// Its database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Its readiness state.
    pub fn readiness(&self) -> &Readiness {
        &self.readiness
    }

    /// Serves until `signal` completes, then drains: readiness 503 at once, new connections
    /// for `SHUTDOWN_DELAY_MS`, in-flight requests to completion.
    pub async fn serve(
        self,
        signal: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let readiness = self.readiness.clone();
        let shutdown = Shutdown::on(signal)
            .first(move || readiness.mark_shutting_down())
            .delay(self.shutdown_delay);
        odmu_http::serve(self.listener, self.router, shutdown).await?;
        self.db.close().await;
        Ok(())
    }
}

/// Opens the database, migrates it and assembles the full router of `A` on `listener`.
/// `extra` routes (tests) are merged in before the common layers.
pub async fn start<A: App>(
    config: &RuntimeConfig,
    app_config: A::Config,
    listener: TcpListener,
    extra: Option<Router>,
) -> Result<Started, StartError> {
    let service = A::service();
    let db = Db::connect_with_retry(&config.storage, config.db_patience).await?;
    db.migrate(A::migrations()).await?;
    let readiness = Readiness::new(vec![db.check(A::migrations())]);

    let verifier = Verifier::new(config.auth.clone());
    // Fetch odmu_auth's keys ahead of the first request; a failure here is retried on use.
    tokio::spawn({
        let verifier = verifier.clone();
        async move { verifier.warm().await }
    });

    let platform = Platform {
        db: db.clone(),
        verifier,
    };
    A::prepare(&app_config, &platform)
        .await
        .map_err(StartError::Prepare)?;
    let mut router = A::router(app_config, platform)
        .merge(odmu_health::routes(service.prefix, readiness.clone()))
        .merge(openapi::route::<A>(service));
    if let Some(extra) = extra {
        router = router.merge(extra);
    }
    let router = odmu_http::with_common_layers(router, config.server.request_timeout);
    Ok(Started {
        listener,
        router,
        readiness,
        db,
        shutdown_delay: config.server.shutdown_delay,
    })
}

/// The whole life of a service process; `main.rs` calls this. Exit codes: 0 after a
/// graceful shutdown, 2 for a configuration error, 1 for any other failure.
pub fn main<A: App>() -> ExitCode {
    let service = A::service();
    let env = Env::from_process();
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(service, &env);
    }
    let configs =
        RuntimeConfig::from_env(&env, service).and_then(|rc| A::config(&env).map(|ac| (rc, ac)));
    let (config, app_config) = match configs {
        Ok(c) => c,
        Err(e) => {
            // Telemetry is not up yet (its own variables may be the bad ones): stderr.
            eprintln!("{}: configuration error: {e}", service.name);
            return ExitCode::from(2);
        }
    };
    let telemetry = match odmu_telemetry::init(service.name, &config.telemetry) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: {e}", service.name);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}: cannot start the async runtime: {e}", service.name);
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run::<A>(config, app_config));
    drop(runtime);
    if let Err(e) = &result {
        tracing::error!(error = %e, "stopped with an error");
    }
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", service.name);
            ExitCode::FAILURE
        }
    }
}

/// `<binary> healthcheck`: GET the service's own `/health` on `PORT`; exit 0 when it answers
/// 200, 1 otherwise. Container health checks run it, so images need no shell or curl.
fn healthcheck(service: &Service, env: &Env) -> ExitCode {
    use std::io::{Read as _, Write as _};
    let probe = || -> std::io::Result<bool> {
        let port = env
            .port_or("PORT", service.port)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let timeout = Duration::from_secs(2);
        let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        write!(
            stream,
            "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            service.health_path()
        )?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200"))
    };
    match probe() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("{}: healthcheck: {e}", service.name);
            ExitCode::FAILURE
        }
    }
}

async fn run<A: App>(config: RuntimeConfig, app_config: A::Config) -> Result<(), StartError> {
    let begun = std::time::Instant::now();
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let started = start::<A>(&config, app_config, listener, None).await?;
    tracing::info!(
        service = A::service().name,
        addr = %started.local_addr(),
        startup_ms = begun.elapsed().as_secs_f64() * 1000.0,
        "listening"
    );
    started
        .serve(odmu_http::signal())
        .await
        .map_err(StartError::Serve)
}
