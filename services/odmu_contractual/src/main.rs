//! The odmu_contractual binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    odmu_runtime::main::<odmu_contractual::Contractual>()
}
