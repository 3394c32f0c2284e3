//! What the binaries share: turning a run's result into a documented exit code, and
//! ending quietly when the reader of their output goes away.

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

/// Restores the default action of SIGPIPE, so that a binary whose output is piped
/// into a reader that stops early (`report … | head`) ends quietly, as `cat` does,
/// instead of panicking on the failed write. (Rust ignores SIGPIPE by default.)
pub fn exit_quietly_on_broken_pipe() {
    // SAFETY: setting a signal's action to its default has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
