//! What every odmu service does the same way: read its configuration, start telemetry,
//! open and migrate its database, prepare token verification and service tokens, mount the
//! service's routes under its prefix (and its OpenAPI document from the same registration),
//! add the probes, the docs page and the common layers, run its background workers, and serve
//! until SIGTERM.
//!
//! A service implements [`App`]; its `main.rs` is one line: `odmu_runtime::service_main!(MyApp);`.

#[doc(hidden)]
pub mod allocator;
mod docs;
mod workers;

pub use workers::{Stop, Worker};

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use odmu_authn::{AuthConfig, ServiceTokenConfig, ServiceTokens, Verifier};
use odmu_config::{ConfigError, Env};
use odmu_health::{Check, Readiness};
use odmu_http::{ServerConfig, ServiceClient, Shutdown};
use odmu_storage::{Db, Migrations, StorageConfig, StorageError};
use odmu_telemetry::TelemetryConfig;
use odmu_topology::Service;
use tokio::net::TcpListener;
pub use utoipa_axum::router::OpenApiRouter;
pub use utoipa_axum::routes;

/// How every service answers a failed database operation: a database that cannot serve it
/// now ([`StorageError::is_unavailable`]) is a 503 with `Retry-After: 1`, which callers and the
/// outbox retry; anything else is a 500, logged.
pub fn storage_problem(error: &StorageError) -> odmu_http::Problem {
    if !error.is_unavailable() {
        return odmu_http::Problem::internal(error);
    }
    tracing::warn!(error = %error, "database unavailable");
    odmu_http::Problem::unavailable("The database is not available right now; retry.").with_header(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from_static("1"),
    )
}

/// Any error a service's own start-up work can fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A service's own configuration, read from the environment; errors name the variable.
pub trait FromEnv: Sized {
    /// Reads and checks it.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;
}

impl FromEnv for () {
    fn from_env(_: &Env) -> Result<Self, ConfigError> {
        Ok(())
    }
}

/// One odmu service. An empty one is a few lines: its table entry, its migrations, the
/// runtime's [`Platform`] as state, and no routes.
pub trait App: 'static {
    /// Its entry in the service table (name, port, prefix, database).
    const SERVICE: &'static Service;
    /// One sentence for its OpenAPI document.
    const DESCRIPTION: &'static str;
    /// Its own configuration (dependency settings, limits, ...).
    type Config: FromEnv + Send + 'static;
    /// What its handlers share; the verifier must be reachable from it for `Auth<_>`.
    type State: Clone + Send + Sync + 'static;

    /// Its migrations for each backend (`odmu_storage::migrations!()`).
    fn migrations() -> &'static Migrations;

    /// Builds the state after migrations and before serving, including any one-off work
    /// (bootstrap accounts, seed data). It must be idempotent: every task of the service runs
    /// it at every start, possibly at the same moment.
    fn state(
        config: Self::Config,
        platform: Platform,
    ) -> impl Future<Output = Result<Self::State, BoxError>> + Send;

    /// Its routes, each registered once with its `#[utoipa::path]`, at paths relative to the
    /// prefix (`/v1/...`): the runtime nests them under the prefix, in the router and in the
    /// document alike.
    fn routes() -> OpenApiRouter<Self::State>;

    /// Its background workers, started after the state and stopped within the drain.
    fn workers(_state: &Self::State) -> Vec<Worker> {
        Vec::new()
    }

    /// Readiness checks beyond the database's.
    fn checks(_state: &Self::State) -> Vec<std::sync::Arc<dyn Check>> {
        Vec::new()
    }
}

/// What the runtime hands to a service: its database, the token verifier, and its way to
/// call the services it depends on.
#[derive(Clone)]
pub struct Platform {
    /// The service's own database, migrated.
    pub db: Db,
    /// Verifies bearer tokens against odmu_auth's keys.
    pub verifier: Verifier,
    /// This service's `client_credentials` tokens, when it has credentials.
    pub service_tokens: Option<ServiceTokens>,
    dependencies: std::sync::Arc<BTreeMap<&'static str, String>>,
}

impl Platform {
    /// A client for `dependency` (one of this service's `calls`) at the URL of its variable,
    /// sending this service's token.
    ///
    /// # Errors
    /// When the service is not a dependency in the table, or this service has no credentials.
    pub fn client(&self, dependency: &'static Service) -> Result<ServiceClient, ConfigError> {
        let url = self.dependencies.get(dependency.name).ok_or_else(|| {
            ConfigError::invalid(
                dependency.url_var,
                "names a service this one does not call (see the service table)",
            )
        })?;
        let tokens = self
            .service_tokens
            .clone()
            .ok_or_else(|| ConfigError::Missing {
                var: "SERVICE_CLIENT_ID".to_owned(),
            })?;
        Ok(ServiceClient::new(dependency.name, url).with_bearer(std::sync::Arc::new(tokens)))
    }
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
    /// `SERVICE_CLIENT_ID` / `SERVICE_CLIENT_SECRET`: this service's credentials, if any.
    pub service_tokens: Option<ServiceTokenConfig>,
    /// The base URL of each service this one calls, from its variable (`BILLING_URL`, ...;
    /// default its local port).
    pub dependencies: BTreeMap<&'static str, String>,
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
            auth: AuthConfig {
                service: Some(service.name.to_owned()),
                ..AuthConfig::from_env(env)?
            },
            telemetry: TelemetryConfig::from_env(env)?,
            db_patience: env.millis_or("DATABASE_CONNECT_PATIENCE_MS", Duration::from_secs(30))?,
            service_tokens: ServiceTokenConfig::from_env(env)?,
            dependencies: service
                .calls
                .iter()
                .filter_map(|name| odmu_topology::by_name(name))
                .map(|dep| {
                    let default = format!("http://127.0.0.1:{}", dep.port);
                    Ok((dep.name, env.http_url_or(dep.url_var, &default)?))
                })
                .collect::<Result<_, ConfigError>>()?,
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
    Prepare(#[source] BoxError),
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
    drain_limit: Duration,
    workers: workers::Running,
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
        let stop_workers = self.workers.stop_token();
        let shutdown = Shutdown::on(signal)
            .first(move || {
                readiness.mark_shutting_down();
                // Workers finish what they hold while the requests drain.
                stop_workers.cancel();
            })
            .delay(self.shutdown_delay);
        let served = odmu_http::serve(self.listener, self.router, shutdown).await;
        self.workers.stop(self.drain_limit).await;
        self.db.close().await;
        served
    }
}

/// Opens the database, migrates it, builds the state, and assembles the full router of `A`
/// on `listener`; starts its workers. `extra` routes (tests) are merged in before the common
/// layers.
pub async fn start<A: App>(
    config: &RuntimeConfig,
    app_config: A::Config,
    listener: TcpListener,
    extra: Option<Router>,
) -> Result<Started, StartError> {
    let service = A::SERVICE;
    let db = Db::connect_with_retry(&config.storage, config.db_patience).await?;
    db.migrate(A::migrations()).await?;

    let verifier = Verifier::new(config.auth.clone());
    // Fetch odmu_auth's keys ahead of the first request; a failure here is retried on use.
    tokio::spawn({
        let verifier = verifier.clone();
        async move { verifier.warm().await }
    });

    let platform = Platform {
        db: db.clone(),
        verifier,
        service_tokens: config.service_tokens.clone().map(ServiceTokens::new),
        dependencies: std::sync::Arc::new(config.dependencies.clone()),
    };
    let state = A::state(app_config, platform)
        .await
        .map_err(StartError::Prepare)?;
    let mut checks = vec![db.check(A::migrations())];
    checks.extend(A::checks(&state));
    let readiness = Readiness::new(checks);
    let workers = workers::Running::start(A::workers(&state));

    let (routes, doc) = OpenApiRouter::with_openapi(docs::base(service, A::DESCRIPTION))
        .nest(service.prefix, A::routes())
        .split_for_parts();
    let mut router = routes
        .with_state(state)
        .merge(odmu_health::routes(service.prefix, readiness.clone()))
        .merge(docs::routes(service, docs::finish(doc, service)));
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
        drain_limit: config.server.request_timeout,
        workers,
    })
}

/// The OpenAPI document of `A`, as `{prefix}/openapi.json` serves it (no database needed).
pub fn openapi_document<A: App>() -> utoipa::openapi::OpenApi {
    let (_, doc) = OpenApiRouter::<A::State>::with_openapi(docs::base(A::SERVICE, A::DESCRIPTION))
        .nest(A::SERVICE.prefix, A::routes())
        .split_for_parts();
    docs::finish(doc, A::SERVICE)
}

/// The whole life of a service process; `main.rs` calls this. Exit codes: 0 after a
/// graceful shutdown, 2 for a configuration error, 1 for any other failure.
pub fn main<A: App>() -> ExitCode {
    let service = A::SERVICE;
    let env = Env::from_process();
    if std::env::args().nth(1).as_deref() == Some("healthcheck") {
        return healthcheck(service, &env);
    }
    let configs = RuntimeConfig::from_env(&env, service)
        .and_then(|rc| A::Config::from_env(&env).map(|ac| (rc, ac)));
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
    let port = match env.port_or("PORT", service.port) {
        Ok(port) => port,
        Err(e) => {
            eprintln!("{}: healthcheck: {e}", service.name);
            return ExitCode::FAILURE;
        }
    };
    match probe_http(port, &service.health_path()) {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("{}: healthcheck: answered {status}", service.name);
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}: healthcheck: {e}", service.name);
            ExitCode::FAILURE
        }
    }
}

/// One `GET path` to `127.0.0.1:port` with a 2 s budget per step; the answer's status code.
/// What every image's health check runs (the images have no shell and no curl).
pub fn probe_http(port: u16, path: &str) -> std::io::Result<u16> {
    use std::io::{Read as _, Write as _};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(2);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    // "HTTP/1.1 200": the status is the three digits after the first space.
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    std::str::from_utf8(&head)
        .ok()
        .filter(|h| h.starts_with("HTTP/1."))
        .and_then(|h| h.get(9..12))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("the answer is not HTTP/1.x"))
}

async fn run<A: App>(config: RuntimeConfig, app_config: A::Config) -> Result<(), StartError> {
    let begun = std::time::Instant::now();
    // Before anything slow (the database may still be booting): a stop while starting ends
    // the start, as ECS expects of a task it stops before it was ever healthy.
    let mut signal = Box::pin(odmu_http::signal());
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let started = tokio::select! {
        started = start::<A>(&config, app_config, listener, None) => started?,
        () = &mut signal => {
            tracing::info!(service = A::SERVICE.name, "stopped while starting");
            return Ok(());
        }
    };
    tracing::info!(
        service = A::SERVICE.name,
        addr = %started.local_addr(),
        startup_ms = begun.elapsed().as_secs_f64() * 1000.0,
        "listening"
    );
    started.serve(signal).await.map_err(StartError::Serve)
}
