//! `odmu`: the whole platform on this machine (`cargo run`), or one service (`odmu service NAME`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Runs the odmu platform locally: five services and a gateway with the load balancer's routes.
#[derive(Debug, Parser)]
#[command(name = "odmu", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Folder of the services' SQLite databases.
    #[arg(long, env = "ODMU_DATA_DIR", default_value = ".data", global = true)]
    data_dir: PathBuf,
    /// Port of the gateway (the load balancer's stand-in).
    #[arg(long, env = "ODMU_GATEWAY_PORT", default_value_t = odmu_topology::GATEWAY_PORT)]
    gateway_port: u16,
    /// Added to every service's port (3000-3004), to run beside something that holds them.
    #[arg(long, env = "ODMU_PORT_OFFSET", default_value_t = 0)]
    port_offset: u16,
    /// Processes per service (1 to 9) behind the gateway; replica r on its port + 10 x r.
    #[arg(long, env = "ODMU_REPLICAS", default_value_t = 1)]
    replicas: u16,
    /// Keep the databases on this PostgreSQL server instead of SQLite files
    /// (e.g. postgres://postgres@127.0.0.1:5432/postgres); each service gets its own database.
    #[arg(long, env = "ODMU_POSTGRES_URL", global = true)]
    postgres: Option<String>,
    /// Put before every database name on PostgreSQL (several stacks on one server).
    #[arg(long, env = "ODMU_DATABASE_PREFIX", default_value = "")]
    database_prefix: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the five services and the gateway (the default).
    Up,
    /// Run only the gateway, in front of the services at AUTH_URL, BILLING_URL, ... (compose).
    Gateway,
    /// Exit 0 when a gateway answers HTTP on --gateway-port, 1 otherwise (the container's
    /// health check: the image has no shell or curl).
    Healthcheck,
    /// Run one service in this process, configured by the environment (what `up` starts).
    Service {
        /// The service's name, as in the service table (e.g. `billing`).
        name: String,
    },
    /// Roll every service of the stack running on --data-dir, one replica at a time (SIGHUP).
    Restart,
    /// Run whole ride flows against a running platform and report per-step latencies.
    Load {
        /// The platform's gateway.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        gateway: String,
        /// Riders to create.
        #[arg(long, default_value_t = 20)]
        riders: usize,
        /// Drivers to create (each carries one ride at a time).
        #[arg(long, default_value_t = 20)]
        drivers: usize,
        /// How long flows start: 30s, 2m, 500ms.
        #[arg(long, default_value = "30s", value_parser = odmu_stack::load::parse_duration)]
        duration: std::time::Duration,
        /// Flows started per second (open loop); without it, every pair runs flows back to back.
        #[arg(long)]
        rate: Option<f64>,
        /// Share of flows the rider cancels after booking (0 to 1); a rider cancels at most
        /// twice an hour, under driver_api's limit of 3 free cancellations an hour.
        #[arg(long, default_value_t = 0.1)]
        cancel_share: f64,
        /// Write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
        /// How long a rider waits for the invoice of a completed trip.
        #[arg(long, default_value = "10s", value_parser = odmu_stack::load::parse_duration)]
        invoice_wait: std::time::Duration,
        /// The admin whose token lets the checks afterwards read the ledger and the outbox.
        #[arg(long, default_value = odmu_stack::dev_secrets::DEV_ADMIN_EMAIL)]
        admin_email: String,
        /// Their password; by default the local stack's, from --data-dir.
        #[arg(long, env = "ODMU_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
    },
    /// Rolling restarts, an outage of billing, kill -9 and (on PostgreSQL) a database restart,
    /// each on a fresh stack under flow load, with the data checked afterwards.
    Resilience {
        /// Only these scenarios (default: all; postgres-restart needs --postgres).
        #[arg(long, value_enum, value_delimiter = ',')]
        scenario: Vec<odmu_stack::resilience::Scenario>,
        /// Flows started per second.
        #[arg(long, default_value_t = 8.0)]
        rate: f64,
        /// Rider-driver pairs.
        #[arg(long, default_value_t = 8)]
        pairs: usize,
        /// How long billing stays down.
        #[arg(long, default_value = "30s", value_parser = odmu_stack::load::parse_duration)]
        outage: std::time::Duration,
        /// The PostgreSQL cluster postgres-restart stops and starts (VERSION/NAME, e.g. 15/main);
        /// by default the one under /etc/postgresql.
        #[arg(long)]
        pg_cluster: Option<String>,
        /// Write the report as JSON to this file.
        #[arg(long)]
        report: Option<PathBuf>,
    },
}

// `odmu service NAME` runs a service in this process: the same allocator as its own binary.
odmu_runtime::allocator!();

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Service { name }) => {
            let Some(run) = odmu_stack::service_main(&name) else {
                eprintln!("odmu: no service named {name:?}");
                return ExitCode::from(2);
            };
            // A service started by the stack goes down with it, even if the stack is killed.
            let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
            run()
        }
        Some(Command::Gateway) => run_async(odmu_stack::gateway_only(cli.gateway_port)),
        Some(Command::Healthcheck) => gateway_healthcheck(cli.gateway_port),
        Some(Command::Load {
            gateway,
            riders,
            drivers,
            duration,
            rate,
            cancel_share,
            report,
            invoice_wait,
            admin_email,
            admin_password,
        }) => {
            let password = admin_password
                .or_else(|| odmu_stack::dev_secrets::DevSecrets::admin_password_in(&cli.data_dir));
            let mut options = odmu_stack::load::LoadOptions::new(gateway);
            options.riders = riders;
            options.drivers = drivers;
            options.duration = duration;
            options.rate = rate;
            options.cancel_share = cancel_share;
            options.report = report;
            options.invoice_wait = invoice_wait;
            options.admin = password.map(|p| (admin_email, p));
            load(options)
        }
        Some(Command::Resilience {
            scenario,
            rate,
            pairs,
            outage,
            pg_cluster,
            report,
        }) => {
            let mut options = odmu_stack::resilience::defaults();
            options.scenarios = scenario;
            options.rate = rate;
            options.pairs = pairs;
            options.outage = outage;
            options.pg_cluster = pg_cluster;
            options.report = report;
            options.postgres = cli.postgres;
            options.gateway_port = cli.gateway_port;
            options.port_offset = cli.port_offset;
            resilience(options)
        }
        Some(Command::Restart) => restart(&cli.data_dir),
        Some(Command::Up) | None => run_async(odmu_stack::up(odmu_stack::UpOptions {
            data_dir: cli.data_dir,
            gateway_port: cli.gateway_port,
            port_offset: cli.port_offset,
            replicas: cli.replicas,
            postgres: cli.postgres,
            database_prefix: cli.database_prefix,
        })),
    }
}

/// The load balancer has no health path of its own, and neither has its stand-in: the gateway
/// is healthy when it answers HTTP at all (`/` is its own 404), whatever its targets' health.
fn gateway_healthcheck(port: u16) -> ExitCode {
    match odmu_runtime::probe_http(port, "/") {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odmu healthcheck: gateway on port {port}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `odmu restart`: SIGHUP to the stack whose pid file is in the data folder.
fn restart(data_dir: &std::path::Path) -> ExitCode {
    let path = odmu_stack::pid_file(data_dir);
    let pid = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok());
    let Some(pid) = pid else {
        eprintln!(
            "odmu restart: no running stack ({} is missing)",
            path.display()
        );
        return ExitCode::from(2);
    };
    match nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGHUP,
    ) {
        Ok(()) => {
            eprintln!("odmu restart: rolling restart asked of the stack (pid {pid})");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("odmu restart: cannot signal pid {pid}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `odmu load`: prints the table; exits 1 when any flow failed, 2 when the run could not start.
fn load(options: odmu_stack::load::LoadOptions) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("odmu load: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(odmu_stack::load::run(options)) {
        Ok(report) => {
            #[expect(clippy::print_stdout, reason = "the report is the command's output")]
            {
                print!("{}", report.table());
            }
            if report.clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("odmu load: {e}");
            ExitCode::from(2)
        }
    }
}

/// `odmu resilience`: prints the summary; exits 1 when a scenario failed.
fn resilience(options: odmu_stack::resilience::ResilienceOptions) -> ExitCode {
    let path = options.report.clone();
    let report = match block_on(odmu_stack::resilience::run(options)) {
        Ok(report) => report,
        Err(code) => return code,
    };
    eprint!("{}", report.table());
    if let Some(path) = path {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("odmu resilience: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_async(
    work: impl std::future::Future<Output = Result<(), odmu_stack::StackError>>,
) -> ExitCode {
    match block_on(work) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("odmu: {e}");
            ExitCode::FAILURE
        }
        Err(code) => code,
    }
}

/// Runs `work` on a multi-thread runtime with the process's telemetry; `Err` is the exit code
/// (2) when either cannot start.
fn block_on<T>(work: impl std::future::Future<Output = T>) -> Result<T, ExitCode> {
    let env = odmu_config::Env::from_process();
    let telemetry = odmu_telemetry::TelemetryConfig::from_env(&env)
        .map_err(|e| e.to_string())
        .and_then(|c| odmu_telemetry::init("odmu", &c).map_err(|e| e.to_string()));
    let telemetry = match telemetry {
        Ok(t) => t,
        Err(e) => {
            eprintln!("odmu: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let out = match runtime {
        Ok(rt) => Ok(rt.block_on(work)),
        Err(e) => {
            eprintln!("odmu: {e}");
            Err(ExitCode::from(2))
        }
    };
    telemetry.shutdown();
    out
}
