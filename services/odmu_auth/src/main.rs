//! The odmu_auth binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    odmu_runtime::main::<odmu_auth::OdmuAuth>()
}
