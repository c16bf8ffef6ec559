//! Writing to stdout and stderr when the reader may already be gone.
//!
//! `lockdown validate --json | head -1` closes stdout early. A closed pipe is a normal end for
//! whoever reads: writes to it are dropped without a message and the command ends as it would
//! have, so a response is never cut short (or turned into a panic) because nobody reads its
//! output. The same holds for stderr, where there is nowhere left to complain. Any other stdout
//! failure (a full disk behind a redirect) is worth a warning on stderr.

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout; a closed pipe is not an error.
pub(super) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(err) = written
        && err.kind() != ErrorKind::BrokenPipe
    {
        err_text(&format!("warning: cannot write to stdout: {err}\n"));
    }
}

/// Writes `text` to stderr; a failure has nowhere to go and is dropped.
pub(super) fn err_text(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}
