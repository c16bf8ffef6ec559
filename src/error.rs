//! The errors a command can end with, and the exit code of each.
//!
//! Every variant says what failed and, through its diagnostic `help`, what to do next. None
//! carries a secret: they are built from masked ids, paths and exchange codes.

use std::path::PathBuf;

use miette::Diagnostic;

use crate::config::ConfigError;
use crate::exit::Exit;
use crate::journal::KeyError;
use crate::playbook::PlaybookError;

/// A plain message with an optional hint, for lists of problems.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct Note {
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    #[help]
    pub help: Option<String>,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// The config file or profile is unusable.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    /// A playbook is unusable.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Playbook(#[from] PlaybookError),
    /// Checks before the first request failed; nothing was sent.
    #[error("the response cannot start; nothing was sent")]
    Preflight {
        /// Each problem.
        #[related]
        problems: Vec<Note>,
    },
    /// A drill scenario is unusable.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scenario(#[from] crate::sim::scenario::ScenarioError),
    /// Wrong use of the command line.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        #[help]
        help: Option<String>,
    },
    /// A file or folder could not be used.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// create, write, …
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The exchange refused or was unreachable (outside a run).
    #[error("{message}")]
    Exchange {
        /// What happened.
        message: String,
        /// What to do.
        #[help]
        help: Option<String>,
    },
    /// A journal does not verify.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Verify(#[from] crate::journal::VerifyError),
    /// An evidence bundle could not be written or does not check.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// The journal key cannot be used.
    #[error(transparent)]
    #[diagnostic(transparent)]
    JournalKey(#[from] crate::journal::KeyError),
    /// Another lockdown process holds the key's lock file: it is responding to the key now.
    #[error("another lockdown process is responding to key {key}: {holder}")]
    #[diagnostic(help(
        "let that response finish (its run folder is named above); the lock file `{}` is released when that process ends",
        lock_file.display()
    ))]
    Busy {
        /// The key, masked.
        key: String,
        /// What the lock file says about its holder (process, run folder).
        holder: String,
        /// The lock file.
        lock_file: PathBuf,
    },
    /// SIGINT (Ctrl-C) or SIGTERM during a run.
    #[error("interrupted by {}; the run folder `{}` keeps what was done", by.name(), run_dir.display())]
    #[diagnostic(help("`lockdown resume {}` finishes it", run_dir.display()))]
    Interrupted {
        /// The run folder.
        run_dir: PathBuf,
        /// What stopped it.
        by: crate::interrupt::Interrupt,
    },
}

impl From<crate::journal::JournalError> for Error {
    fn from(err: crate::journal::JournalError) -> Error {
        match err {
            crate::journal::JournalError::Write { path, source } => Error::Io {
                what: "write the journal",
                path,
                source,
            },
            crate::journal::JournalError::Verify(err) => Error::Verify(err),
        }
    }
}

impl Error {
    /// The documented exit code of this error.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Config(_)
            | Error::Playbook(_)
            | Error::Scenario(_)
            | Error::Preflight { .. }
            | Error::Usage { .. } => Exit::BadInput,
            Error::Io { .. } | Error::Verify(_) | Error::Bundle(_) => Exit::Io,
            Error::JournalKey(err) => match err {
                KeyError::Exposed { .. } | KeyError::Malformed { .. } | KeyError::Read { .. } => {
                    Exit::BadInput
                }
                KeyError::Create { .. } => Exit::Io,
            },
            Error::Exchange { .. } => Exit::Exchange,
            Error::Busy { .. } => Exit::Busy,
            Error::Interrupted { by, .. } => by.exit(),
        }
    }
}
