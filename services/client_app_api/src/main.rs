//! The client_app_api binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    odmu_runtime::main::<client_app_api::ClientAppApi>()
}
