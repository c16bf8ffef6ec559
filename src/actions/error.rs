//! Why an action failed, split by who can act on it.

use std::path::PathBuf;

use crate::engine::template::TemplateError;
use crate::exchanges::ExchangeError;
use crate::journal::JournalError;

/// An action's failure.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The exchange refused or could not be reached.
    #[error("{what}: {source}")]
    Exchange {
        /// What was being done.
        what: String,
        /// The exchange's error.
        source: ExchangeError,
    },
    /// A template did not render.
    #[error(transparent)]
    Template(TemplateError),
    /// The profile or parameters cannot do this.
    #[error("{message}")]
    Input {
        /// What is wrong.
        message: String,
        /// What to do about it.
        hint: String,
    },
    /// A check found the wrong state at the exchange.
    #[error("{message}")]
    Check {
        /// What was found.
        message: String,
        /// What to do about it.
        hint: String,
    },
    /// A file could not be read or written.
    #[error("cannot {what} `{}`: {source}", path.display())]
    Io {
        /// read, write, …
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The journal could not be written.
    #[error(transparent)]
    Journal(JournalError),
    /// A person declined a confirmation.
    #[error("not confirmed: {what}")]
    Declined {
        /// What was not confirmed.
        what: String,
    },
}

impl ActionError {
    /// Wraps an exchange error with what was being done.
    pub fn exchange(what: impl Into<String>) -> impl FnOnce(ExchangeError) -> ActionError {
        let what = what.into();
        move |source| ActionError::Exchange { what, source }
    }

    /// What to do next, for people.
    pub fn hint(&self) -> Option<String> {
        match self {
            ActionError::Exchange { source, .. } => source.hint().map(str::to_owned),
            ActionError::Input { hint, .. } | ActionError::Check { hint, .. } => Some(hint.clone()),
            ActionError::Template(_) => {
                Some("check the playbook's templates with `lockdown validate`".to_owned())
            }
            _ => None,
        }
    }

    /// The exchange's code, when an exchange refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ActionError::Exchange { source, .. } => source.code(),
            _ => None,
        }
    }
}
