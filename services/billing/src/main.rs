//! The billing binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    odmu_runtime::main::<billing::Billing>()
}
