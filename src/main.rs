//! The `lockdown` binary: everything lives in the library; this only hands over the exit code.

fn main() -> std::process::ExitCode {
    lockdown::run(std::env::args_os())
}
