//! The driver_api binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    odmu_runtime::main::<driver_api::DriverApi>()
}
