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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the five services and the gateway (the default).
    Up,
    /// Run only the gateway, in front of the services at AUTH_URL, BILLING_URL, ... (compose).
    Gateway,
    /// Run one service in this process, configured by the environment (what `up` starts).
    Service {
        /// The service's name, as in the service table (e.g. `billing`).
        name: String,
    },
}

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
        Some(Command::Up) | None => run_async(odmu_stack::up(odmu_stack::UpOptions {
            data_dir: cli.data_dir,
            gateway_port: cli.gateway_port,
            port_offset: cli.port_offset,
        })),
    }
}

fn run_async(
    work: impl std::future::Future<Output = Result<(), odmu_stack::StackError>>,
) -> ExitCode {
    let env = odmu_config::Env::from_process();
    let telemetry = odmu_telemetry::TelemetryConfig::from_env(&env)
        .map_err(|e| e.to_string())
        .and_then(|c| odmu_telemetry::init("odmu", &c).map_err(|e| e.to_string()));
    let telemetry = match telemetry {
        Ok(t) => t,
        Err(e) => {
            eprintln!("odmu: {e}");
            return ExitCode::from(2);
        }
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(work).map_err(|e| e.to_string()));
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("odmu: {e}");
            ExitCode::FAILURE
        }
    }
}
