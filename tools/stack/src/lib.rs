//! The local stack behind `cargo run`: the five services as separate processes on their table
//! ports (plus an optional offset), each on its own SQLite file under the data folder, and a
//! gateway with the load balancer's path routes.

pub mod dev_secrets;
pub mod gateway;
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

use crate::supervisor::{ChildSpec, print_prefixed, supervise};

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
}

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
    service
        .port
        .checked_add(offset)
        .ok_or(StackError::PortRange(offset, service.name))
}

fn child_spec(
    service: &'static Service,
    options: &UpOptions,
    data_dir: &std::path::Path,
    secrets: &dev_secrets::DevSecrets,
) -> Result<ChildSpec, StackError> {
    let program = std::env::current_exe().map_err(StackError::SelfPath)?;
    let mut env = vec![
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        (
            "PORT".to_owned(),
            port_of(service, options.port_offset)?.to_string(),
        ),
        (
            "DATABASE_URL".to_owned(),
            format!("sqlite://{}/{}.db", data_dir.display(), service.database),
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
    // Every service finds every other at its local port, as it would by service discovery.
    for other in &SERVICES {
        env.push((
            other.url_var.to_owned(),
            format!("http://127.0.0.1:{}", port_of(other, options.port_offset)?),
        ));
    }
    env.extend(secrets.env_for(service.name));
    Ok(ChildSpec {
        service,
        program,
        args: vec![OsString::from("service"), OsString::from(service.name)],
        env,
    })
}

async fn wait_ready(services: &[&'static Service], offset: u16) -> bool {
    let client: Client<_, Body> = Client::builder(TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let deadline = Instant::now() + READY_TIMEOUT;
    for service in services {
        let Ok(port) = port_of(service, offset) else {
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
        routes.push((s, authority.to_owned()));
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

/// Starts the stack and runs it until SIGTERM or Ctrl-C, then stops everything gracefully.
pub async fn up(options: UpOptions) -> Result<(), StackError> {
    let begun = Instant::now();
    std::fs::create_dir_all(&options.data_dir)
        .map_err(|e| StackError::DataDir(options.data_dir.clone(), e))?;
    let data_dir = std::fs::canonicalize(&options.data_dir)
        .map_err(|e| StackError::DataDir(options.data_dir.clone(), e))?;
    let secrets = dev_secrets::DevSecrets::load_or_create(&data_dir)
        .map_err(|e| StackError::DataDir(data_dir.clone(), e))?;
    let specs = SERVICES
        .iter()
        .map(|s| child_spec(s, &options, &data_dir, &secrets))
        .collect::<Result<Vec<_>, _>>()?;

    // Bind the gateway first: if its port is taken, fail before starting anything.
    let gateway_addr = SocketAddr::from(([127, 0, 0, 1], options.gateway_port));
    let listener = TcpListener::bind(gateway_addr)
        .await
        .map_err(|e| StackError::GatewayBind(options.gateway_port, e))?;
    let routes = SERVICES
        .iter()
        .map(|s| Ok((s, format!("127.0.0.1:{}", port_of(s, options.port_offset)?))))
        .collect::<Result<Vec<_>, StackError>>()?;
    let gateway = gateway::Gateway::new(options.gateway_port, routes).router();

    let (stop_tx, stop_rx) = watch::channel(false);
    let gateway_task = tokio::spawn({
        let mut stop = stop_rx.clone();
        odmu_http::serve(
            listener,
            gateway,
            odmu_http::Shutdown::on(async move {
                let _ = stop.wait_for(|s| *s).await;
            }),
        )
    });

    let mut supervisors = JoinSet::new();
    let mut specs = specs.into_iter();
    let startup = async {
        // odmu_auth first: the others fetch its keys as they start.
        let Some(auth) = specs.next() else { return };
        supervisors.spawn(supervise(auth, stop_rx.clone()));
        if !wait_ready(&[&SERVICES[0]], options.port_offset).await {
            return;
        }
        for spec in specs {
            supervisors.spawn(supervise(spec, stop_rx.clone()));
        }
        let rest: Vec<&'static Service> = SERVICES.iter().skip(1).collect();
        if wait_ready(&rest, options.port_offset).await {
            print_table(&options, &data_dir, begun.elapsed());
            if secrets.created {
                print_prefixed(
                    "odmu",
                    &format!(
                        "  dev admin (shown this once; kept in {}): {} / {}",
                        secrets.path.display(),
                        dev_secrets::DEV_ADMIN_EMAIL,
                        secrets.admin_password
                    ),
                );
            }
        }
    };
    let signal = odmu_http::signal();
    tokio::pin!(signal);
    tokio::select! {
        () = startup => signal.await,
        () = &mut signal => {}
    }

    print_prefixed("odmu", "stopping: draining every service");
    let _ = stop_tx.send(true);
    while supervisors.join_next().await.is_some() {}
    let _ = gateway_task.await;
    print_prefixed("odmu", "stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        let dir = tempfile::tempdir().unwrap();
        let secrets = dev_secrets::DevSecrets::load_or_create(dir.path()).unwrap();
        let spec = child_spec(
            &odmu_topology::BILLING,
            &options,
            std::path::Path::new("/d"),
            &secrets,
        )
        .unwrap();
        let get = |k: &str| {
            spec.env
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("PORT"), Some("3101"));
        assert_eq!(get("DATABASE_URL"), Some("sqlite:///d/billing.db"));
        assert_eq!(get("AUTH_URL"), Some("http://127.0.0.1:3103"));
        assert_eq!(get("CONTRACTUAL_URL"), Some("http://127.0.0.1:3104"));
        assert_eq!(
            spec.args,
            vec![OsString::from("service"), OsString::from("billing")]
        );
    }

    #[test]
    fn an_offset_past_the_last_port_is_an_error() {
        assert!(port_of(&odmu_topology::AUTH, 65000).is_err());
    }
}
