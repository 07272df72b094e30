//! The local stack behind `cargo run`: the five services as separate processes on their table
//! ports (plus an optional offset), each on its own SQLite file under the data folder, and a
//! gateway with the load balancer's path routes. With `--replicas N` each service runs N
//! processes behind the gateway, which balances across the healthy, registered ones like a
//! target group; SIGHUP (or `odmu restart`) rolls every service's replicas one at a time, as an
//! ECS rolling deployment does.

pub mod dev_secrets;
pub mod gateway;
pub mod load;
pub mod resilience;
pub mod supervisor;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use odmu_topology::{SERVICES, Service};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::supervisor::{ChildSpec, Control, print_prefixed, supervise};

/// How long the stack waits for every service to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Settings of `odmu up`.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Folder of the SQLite files (created if missing).
    pub data_dir: PathBuf,
    /// The gateway's port.
    pub gateway_port: u16,
    /// Added to every service's table port.
    pub port_offset: u16,
    /// Processes per service (1 to 9); replica `r` listens on its table port + 10 × r.
    pub replicas: u16,
    /// A PostgreSQL server to keep the services' databases on instead of SQLite files, e.g.
    /// `postgres://postgres@127.0.0.1:5432/postgres` (its database is where the stack connects to
    /// create theirs).
    pub postgres: Option<String>,
    /// Put before each service's database name on PostgreSQL (several stacks on one server).
    pub database_prefix: String,
}

impl UpOptions {
    /// The database of `service`: its SQLite file in the data folder, or its database on the
    /// PostgreSQL server.
    fn database_url(&self, service: &Service, data_dir: &std::path::Path) -> String {
        match &self.postgres {
            Some(server) => odmu_storage::with_database(
                server,
                &format!("{}{}", self.database_prefix, service.database),
            ),
            None => format!("sqlite://{}/{}.db", data_dir.display(), service.database),
        }
    }

    /// Where services find each other: their first replica, or with replicas the mesh.
    fn peer_url(&self, service: &Service) -> Result<String, StackError> {
        if self.replicas > 1 {
            Ok(format!("http://127.0.0.1:{}", self.mesh_port()?))
        } else {
            Ok(format!(
                "http://127.0.0.1:{}",
                port_of(service, self.port_offset)?
            ))
        }
    }

    /// The port of the service mesh (replicas only): the gateway's + 1.
    pub fn mesh_port(&self) -> Result<u16, StackError> {
        self.gateway_port
            .checked_add(1)
            .ok_or(StackError::PortRange(self.port_offset, "the mesh"))
    }
}

/// The most replicas per service (their ports step by 10 from the table's).
pub const MAX_REPLICAS: u16 = 9;

/// How long a deregistered replica gets to finish the requests it is serving.
const DEREGISTRATION_DRAIN: Duration = Duration::from_secs(15);

/// The stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The data folder could not be created.
    #[error("cannot create the data folder {0}: {1}")]
    DataDir(PathBuf, #[source] std::io::Error),
    /// A port is out of range after the offset.
    #[error("port offset {0} puts {1} above 65535")]
    PortRange(u16, &'static str),
    /// The gateway's port is taken.
    #[error("cannot listen on the gateway port {0}: {1}")]
    GatewayBind(u16, #[source] std::io::Error),
    /// A configuration value is wrong.
    #[error("configuration: {0}")]
    Config(#[source] odmu_config::ConfigError),
    /// This program's own path is unknown (it starts itself once per service).
    #[error("cannot find this program's path: {0}")]
    SelfPath(#[source] std::io::Error),
    /// Replicas out of range.
    #[error("--replicas {0}: use 1 to {MAX_REPLICAS}")]
    Replicas(u16),
    /// The services' PostgreSQL databases could not be made ready.
    #[error("PostgreSQL: cannot create database {0}: {1}")]
    Postgres(String, #[source] odmu_storage::sqlx::Error),
    /// A service did not become ready in time.
    #[error("{0} did not become ready")]
    NotReady(&'static str),
    /// No service by that name.
    #[error("no service named {0:?}")]
    UnknownService(String),
}

/// The entry point of each service, by name: `odmu service <name>` runs it in this process.
pub fn service_main(name: &str) -> Option<fn() -> ExitCode> {
    Some(match name {
        "odmu_auth" => odmu_runtime::main::<odmu_auth::OdmuAuth>,
        "odmu_contractual" => odmu_runtime::main::<odmu_contractual::Contractual>,
        "billing" => odmu_runtime::main::<billing::Billing>,
        "driver_api" => odmu_runtime::main::<driver_api::DriverApi>,
        "client_app_api" => odmu_runtime::main::<client_app_api::ClientAppApi>,
        _ => return None,
    })
}

fn port_of(service: &Service, offset: u16) -> Result<u16, StackError> {
    replica_port(service, offset, 0)
}

fn replica_port(service: &Service, offset: u16, replica: u16) -> Result<u16, StackError> {
    service
        .port
        .checked_add(offset)
        .and_then(|p| p.checked_add(10 * replica))
        .ok_or(StackError::PortRange(offset, service.name))
}

/// How a replica is named in logs: the service, and `#r` past the first.
fn label(service: &'static Service, replica: u16) -> &'static str {
    if replica == 0 {
        service.name
    } else {
        // A handful of short names, made once at start-up and kept for the process's life.
        Box::leak(format!("{}#{replica}", service.name).into_boxed_str())
    }
}

fn child_spec(
    service: &'static Service,
    replica: u16,
    options: &UpOptions,
    data_dir: &std::path::Path,
    secrets: &dev_secrets::DevSecrets,
) -> Result<ChildSpec, StackError> {
    let program = std::env::current_exe().map_err(StackError::SelfPath)?;
    let mut env = vec![
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        (
            "PORT".to_owned(),
            replica_port(service, options.port_offset, replica)?.to_string(),
        ),
        (
            "DATABASE_URL".to_owned(),
            options.database_url(service, data_dir),
        ),
        ("ODMU_DATA_DIR".to_owned(), data_dir.display().to_string()),
    ];
    // As in the images: glibc gives Argon2id's large blocks back (see docker/Dockerfile).
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        env.push(("MALLOC_MMAP_THRESHOLD_".to_owned(), "131072".to_owned()));
    }
    if std::env::var_os("LOG_FORMAT").is_none() {
        env.push(("LOG_FORMAT".to_owned(), "pretty".to_owned()));
    }
    // One machine plays every rider and driver here (`odmu load` signs its people up from one
    // address); production keeps odmu_auth's limit of 20 sign-ups an hour per address.
    if std::env::var_os("AUTH_SIGNUP_LIMIT_PER_ADDRESS").is_none() {
        env.push((
            "AUTH_SIGNUP_LIMIT_PER_ADDRESS".to_owned(),
            "100000".to_owned(),
        ));
    }
    // One replica each: services call each other directly. With replicas, through the mesh,
    // which balances over the ready replicas as ECS Service Connect does in production.
    for other in &SERVICES {
        env.push((other.url_var.to_owned(), options.peer_url(other)?));
    }
    env.extend(secrets.env_for(service.name));
    Ok(ChildSpec {
        service,
        label: label(service, replica),
        program,
        args: vec![OsString::from("service"), OsString::from(service.name)],
        env,
    })
}

async fn wait_ready(services: &[&'static Service], offset: u16, replicas: u16) -> bool {
    for replica in 0..replicas {
        if !wait_ready_replica(services, offset, replica).await {
            return false;
        }
    }
    true
}

async fn wait_ready_replica(services: &[&'static Service], offset: u16, replica: u16) -> bool {
    let client: Client<_, Body> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let deadline = Instant::now() + READY_TIMEOUT;
    for service in services {
        let Ok(port) = replica_port(service, offset, replica) else {
            return false;
        };
        let Ok(uri) =
            format!("http://127.0.0.1:{port}{}", service.ready_path()).parse::<http::Uri>()
        else {
            return false;
        };
        loop {
            if let Ok(request) = http::Request::get(uri.clone()).body(Body::empty())
                && let Ok(Ok(r)) =
                    tokio::time::timeout(Duration::from_secs(2), client.request(request)).await
                && r.status().is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                print_prefixed(
                    "odmu",
                    &format!("{} is not ready after {READY_TIMEOUT:?}", service.name),
                );
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    true
}

fn print_table(options: &UpOptions, data_dir: &std::path::Path, took: Duration) {
    let gw = format!("http://127.0.0.1:{}", options.gateway_port);
    let mut lines = vec![
        format!("odmu is up in {} ms", took.as_millis()),
        format!("  gateway (load balancer routes)  {gw}"),
        format!(
            "  {:<18} {:>5}  {:<30} {}",
            "service", "port", "through the gateway", "API docs"
        ),
    ];
    for s in &SERVICES {
        let port = port_of(s, options.port_offset).unwrap_or(s.port);
        lines.push(format!(
            "  {:<18} {:>5}  {:<30} {gw}{}",
            s.name,
            port,
            format!("{gw}{}", s.prefix),
            s.docs_path()
        ));
    }
    if options.replicas > 1
        && let Ok(mesh) = options.mesh_port()
    {
        lines.push(format!(
            "  {} replicas each; services call each other through the mesh http://127.0.0.1:{mesh}",
            options.replicas
        ));
    }
    if options.postgres.is_some() {
        lines.push(format!(
            "  databases: PostgreSQL, {}<service>",
            options.database_prefix
        ));
    }
    lines.push(format!("  data folder: {}", data_dir.display()));
    lines.push("  Ctrl-C stops everything.".to_owned());
    for line in lines {
        print_prefixed("odmu", &line);
    }
}

/// Runs only the gateway (the compose file's load balancer): on `0.0.0.0:port`, in front of
/// each service at the URL in its variable (`AUTH_URL`, `BILLING_URL`, ...; default the
/// local port), until SIGTERM or Ctrl-C.
pub async fn gateway_only(port: u16) -> Result<(), StackError> {
    let env = odmu_config::Env::from_process();
    let mut routes = Vec::new();
    for s in &SERVICES {
        let url = env
            .http_url_or(s.url_var, &format!("http://127.0.0.1:{}", s.port))
            .map_err(StackError::Config)?;
        let authority = url.strip_prefix("http://").ok_or_else(|| {
            StackError::Config(odmu_config::ConfigError::invalid(
                s.url_var,
                "the gateway speaks plain http:// to services",
            ))
        })?;
        routes.push((s, vec![authority.to_owned()]));
    }
    let listener = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
        .await
        .map_err(|e| StackError::GatewayBind(port, e))?;
    tracing::info!(port, "gateway listening");
    odmu_http::serve(
        listener,
        gateway::Gateway::new(port, routes).router(),
        odmu_http::Shutdown::on(odmu_http::signal()),
    )
    .await
    .map_err(|e| StackError::GatewayBind(port, e))
}

/// Where the stack writes its process id, so that `odmu restart` can signal it.
pub fn pid_file(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("odmu.pid")
}

/// One supervised replica and the channel that controls it.
struct Replica {
    service: &'static Service,
    index: u16,
    control: tokio::sync::mpsc::Sender<Control>,
}

/// A running stack: its replicas, gateway and mesh, and what can be done to them (a rolling
/// restart, an outage, a crash). `up` runs one until a signal; the resilience suite drives one.
pub struct Stack {
    options: UpOptions,
    data_dir: PathBuf,
    gateway: gateway::Gateway,
    replicas: Vec<Replica>,
    stop_tx: watch::Sender<bool>,
    supervisors: JoinSet<()>,
    listeners: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    health: tokio::task::JoinHandle<()>,
    secrets: dev_secrets::DevSecrets,
    begun: Instant,
}

impl Stack {
    /// Binds the gateway (and the mesh), creates the databases and starts odmu_auth's
    /// replicas; `wait_ready` starts the rest once odmu_auth is ready.
    pub async fn launch(options: UpOptions) -> Result<Self, StackError> {
        let begun = Instant::now();
        if !(1..=MAX_REPLICAS).contains(&options.replicas) {
            return Err(StackError::Replicas(options.replicas));
        }
        std::fs::create_dir_all(&options.data_dir)
            .map_err(|e| StackError::DataDir(options.data_dir.clone(), e))?;
        let data_dir = std::fs::canonicalize(&options.data_dir)
            .map_err(|e| StackError::DataDir(options.data_dir.clone(), e))?;
        let secrets = dev_secrets::DevSecrets::load_or_create(&data_dir)
            .map_err(|e| StackError::DataDir(data_dir.clone(), e))?;
        if let Some(server) = &options.postgres {
            for s in &SERVICES {
                let name = format!("{}{}", options.database_prefix, s.database);
                odmu_storage::create_database_if_missing(server, &name)
                    .await
                    .map_err(|e| StackError::Postgres(name, e))?;
            }
        }

        // Bind the gateway first: if its port is taken, fail before starting anything.
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.gateway_port)))
            .await
            .map_err(|e| StackError::GatewayBind(options.gateway_port, e))?;
        let mesh_listener = if options.replicas > 1 {
            let port = options.mesh_port()?;
            Some(
                TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
                    .await
                    .map_err(|e| StackError::GatewayBind(port, e))?,
            )
        } else {
            None
        };
        let mut routes = Vec::new();
        for s in &SERVICES {
            let authorities = (0..options.replicas)
                .map(|r| {
                    Ok(format!(
                        "127.0.0.1:{}",
                        replica_port(s, options.port_offset, r)?
                    ))
                })
                .collect::<Result<Vec<_>, StackError>>()?;
            routes.push((s, authorities));
        }
        let gateway = gateway::Gateway::new(options.gateway_port, routes);
        let health = tokio::spawn(gateway.clone().check_health(Duration::from_millis(500)));
        let _ = std::fs::write(pid_file(&data_dir), std::process::id().to_string());

        let (stop_tx, stop_rx) = watch::channel(false);
        let serve = |listener: TcpListener, router: axum::Router| {
            let mut stop = stop_rx.clone();
            tokio::spawn(odmu_http::serve(
                listener,
                router,
                odmu_http::Shutdown::on(async move {
                    let _ = stop.wait_for(|s| *s).await;
                }),
            ))
        };
        let mut listeners = vec![serve(listener, gateway.clone().router())];
        if let Some(mesh) = mesh_listener {
            listeners.push(serve(mesh, gateway.mesh().router()));
        }

        let mut stack = Self {
            data_dir,
            gateway,
            replicas: Vec::new(),
            stop_tx,
            supervisors: JoinSet::new(),
            listeners,
            health,
            secrets,
            begun,
            options,
        };
        // odmu_auth first: the others fetch its keys as they start.
        stack.spawn_service(&SERVICES[0])?;
        Ok(stack)
    }

    fn spawn_service(&mut self, service: &'static Service) -> Result<(), StackError> {
        for r in 0..self.options.replicas {
            let spec = child_spec(service, r, &self.options, &self.data_dir, &self.secrets)?;
            let (control, rx) = tokio::sync::mpsc::channel(1);
            self.replicas.push(Replica {
                service,
                index: r,
                control,
            });
            self.supervisors
                .spawn(supervise(spec, self.stop_tx.subscribe(), rx));
        }
        Ok(())
    }

    /// Waits for odmu_auth, starts the other services, waits for them, and prints the table.
    pub async fn wait_ready(&mut self) -> Result<(), StackError> {
        let offset = self.options.port_offset;
        let replicas = self.options.replicas;
        if !wait_ready(&[&SERVICES[0]], offset, replicas).await {
            return Err(StackError::NotReady(SERVICES[0].name));
        }
        for s in SERVICES.iter().skip(1) {
            self.spawn_service(s)?;
        }
        let rest: Vec<&'static Service> = SERVICES.iter().skip(1).collect();
        if !wait_ready(&rest, offset, replicas).await {
            return Err(StackError::NotReady("a service"));
        }
        print_table(&self.options, &self.data_dir, self.begun.elapsed());
        if self.secrets.created {
            print_prefixed(
                "odmu",
                &format!(
                    "  dev admin (shown this once; kept in {}): {} / {}",
                    self.secrets.path.display(),
                    dev_secrets::DEV_ADMIN_EMAIL,
                    self.secrets.admin_password
                ),
            );
        }
        Ok(())
    }

    /// The gateway's URL.
    pub fn gateway_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.options.gateway_port)
    }

    /// The dev admin's password (for checks that need the admin role).
    pub fn admin_password(&self) -> &str {
        &self.secrets.admin_password
    }

    /// The settings it runs with.
    pub fn options(&self) -> &UpOptions {
        &self.options
    }

    /// A rolling restart of every service (see `rolling_restart`).
    pub async fn roll(&self) {
        rolling_restart(&self.gateway, &self.replicas, self.options.port_offset).await;
    }

    fn replicas_of(&self, name: &str) -> Result<Vec<&Replica>, StackError> {
        let found: Vec<&Replica> = self
            .replicas
            .iter()
            .filter(|r| r.service.name == name)
            .collect();
        if found.is_empty() {
            return Err(StackError::UnknownService(name.to_owned()));
        }
        Ok(found)
    }

    /// Stops every replica of `name` gracefully and keeps it down (an outage) until
    /// `start_service`.
    pub async fn stop_service(&self, name: &str) -> Result<(), StackError> {
        for replica in self.replicas_of(name)? {
            let (done, stopped) = tokio::sync::oneshot::channel();
            if replica.control.send(Control::Stop(done)).await.is_ok() {
                let _ = stopped.await;
            }
        }
        Ok(())
    }

    /// Starts the replicas of `name` again after `stop_service`, and waits until they are ready.
    pub async fn start_service(&self, name: &str) -> Result<(), StackError> {
        let replicas = self.replicas_of(name)?;
        for replica in &replicas {
            let (done, started) = tokio::sync::oneshot::channel();
            if replica.control.send(Control::Start(done)).await.is_ok() {
                let _ = started.await;
            }
        }
        self.wait_service_ready(name).await
    }

    /// `kill -9` of every replica of `name`; their supervisors start them again.
    pub async fn kill_service(&self, name: &str) -> Result<(), StackError> {
        for replica in self.replicas_of(name)? {
            let _ = replica.control.send(Control::Kill).await;
        }
        Ok(())
    }

    /// Waits until every replica of `name` answers ready.
    pub async fn wait_service_ready(&self, name: &str) -> Result<(), StackError> {
        for replica in self.replicas_of(name)? {
            if !wait_ready_replica(&[replica.service], self.options.port_offset, replica.index)
                .await
            {
                return Err(StackError::NotReady(replica.service.name));
            }
        }
        Ok(())
    }

    /// Drains every service and the gateway, and waits until all have stopped.
    pub async fn shutdown(mut self) {
        print_prefixed("odmu", "stopping: draining every service");
        let _ = self.stop_tx.send(true);
        while self.supervisors.join_next().await.is_some() {}
        for listener in self.listeners.drain(..) {
            let _ = listener.await;
        }
        self.health.abort();
        let _ = std::fs::remove_file(pid_file(&self.data_dir));
        print_prefixed("odmu", "stopped");
    }
}

/// Starts the stack and runs it until SIGTERM or Ctrl-C, then stops everything gracefully.
/// SIGHUP rolls every service's replicas.
pub async fn up(options: UpOptions) -> Result<(), StackError> {
    let mut stack = Stack::launch(options).await?;
    let signal = odmu_http::signal();
    tokio::pin!(signal);
    let ready = tokio::select! {
        ready = stack.wait_ready() => ready,
        () = &mut signal => Ok(()),
    };
    if ready.is_ok() {
        let mut hangup =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            let roll = async {
                match hangup.as_mut() {
                    Some(h) => h.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut signal => break,
                Some(()) = roll => {
                    tokio::select! {
                        () = &mut signal => break,
                        () = stack.roll() => {}
                    }
                }
            }
        }
    }
    stack.shutdown().await;
    ready
}

/// What an ECS rolling deployment does, one replica at a time and service by service in start-up
/// order: take the replica out of the gateway (deregistration), wait for the requests it serves
/// to finish, SIGTERM it and let it drain, start its replacement, wait until it is ready, route
/// to it again. With two or more replicas the others carry the traffic meanwhile; with one, the
/// service is unavailable while its replacement starts (as an ECS service of one task whose
/// deployment may not exceed 100 %).
async fn rolling_restart(gateway: &gateway::Gateway, replicas: &[Replica], offset: u16) {
    print_prefixed(
        "odmu",
        "rolling restart: every service, one replica at a time",
    );
    let began = Instant::now();
    for replica in replicas {
        let name = label(replica.service, replica.index);
        let Some(target) = gateway.target(replica.service.name, usize::from(replica.index)) else {
            continue;
        };
        target.set_registered(false);
        let drain_until = Instant::now() + DEREGISTRATION_DRAIN;
        while target.in_flight() > 0 && Instant::now() < drain_until {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let (done, replaced) = tokio::sync::oneshot::channel();
        if replica.control.send(Control::Replace(done)).await.is_err() || replaced.await.is_err() {
            print_prefixed("odmu", &format!("rolling restart: {name} is gone; skipped"));
            target.set_registered(true);
            continue;
        }
        if !wait_ready_replica(&[replica.service], offset, replica.index).await {
            print_prefixed(
                "odmu",
                &format!("rolling restart: {name} did not become ready"),
            );
        }
        target.set_registered(true);
        // As ECS waits for the new task to be healthy in the target group before it drains
        // the next one: until the gateway's own health check passes, the replacement takes no
        // traffic, and deregistering the next replica now could leave none.
        let healthy_until = Instant::now() + READY_TIMEOUT;
        while !target.routable() && Instant::now() < healthy_until {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        print_prefixed("odmu", &format!("rolling restart: {name} replaced"));
    }
    print_prefixed(
        "odmu",
        &format!("rolling restart done in {} ms", began.elapsed().as_millis()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(service: &'static Service, replica: u16, options: &UpOptions) -> ChildSpec {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dev_secrets::DevSecrets::load_or_create(dir.path()).unwrap();
        child_spec(
            service,
            replica,
            options,
            std::path::Path::new("/d"),
            &secrets,
        )
        .unwrap()
    }

    fn env_of<'a>(spec: &'a ChildSpec, key: &str) -> Option<&'a str> {
        spec.env
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_service_in_the_table_can_be_started_by_name() {
        for s in &SERVICES {
            assert!(service_main(s.name).is_some(), "{}", s.name);
        }
        assert!(service_main("nope").is_none());
    }

    #[test]
    fn children_get_their_port_database_and_every_dependency_url() {
        let options = UpOptions {
            data_dir: ".data".into(),
            gateway_port: 8080,
            port_offset: 100,
            replicas: 1,
            postgres: None,
            database_prefix: String::new(),
        };
        let spec = spec_of(&odmu_topology::BILLING, 1, &options);
        let get = |k: &str| env_of(&spec, k);
        assert_eq!(
            get("PORT"),
            Some("3111"),
            "replica 1: the table port + offset + 10"
        );
        assert_eq!(spec.label, "billing#1");
        assert_eq!(get("DATABASE_URL"), Some("sqlite:///d/billing.db"));
        assert_eq!(get("AUTH_URL"), Some("http://127.0.0.1:3103"));
        assert_eq!(get("CONTRACTUAL_URL"), Some("http://127.0.0.1:3104"));
        assert_eq!(
            spec.args,
            vec![OsString::from("service"), OsString::from("billing")]
        );
    }

    #[test]
    fn replicas_call_each_other_through_the_mesh_and_postgres_gets_prefixed_databases() {
        let options = UpOptions {
            data_dir: ".data".into(),
            gateway_port: 8080,
            port_offset: 0,
            replicas: 2,
            postgres: Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
            database_prefix: "run1_".into(),
        };
        let spec = spec_of(&odmu_topology::DRIVER_API, 0, &options);
        let get = |k: &str| env_of(&spec, k);
        assert_eq!(
            get("DATABASE_URL"),
            Some("postgres://postgres@127.0.0.1:5432/run1_driver_api")
        );
        assert_eq!(get("BILLING_URL"), Some("http://127.0.0.1:8081"));
        assert_eq!(get("AUTH_URL"), Some("http://127.0.0.1:8081"));
    }

    #[test]
    fn an_offset_past_the_last_port_is_an_error() {
        assert!(port_of(&odmu_topology::AUTH, 65000).is_err());
    }
}
