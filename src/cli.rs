//! What the binaries share: turning a run's result into a documented exit code.

use std::process::ExitCode;

/// 0 on success; on failure the error and its causes on standard error, and 1.
/// (Command-line mistakes exit with 2, from the argument parser.)
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
