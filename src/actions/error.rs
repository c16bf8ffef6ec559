//! Why an action failed, split by who can act on it.

use std::path::PathBuf;

use super::Effect;
use crate::exchanges::{CallOutcome, ExchangeError};
use crate::journal::JournalError;
use crate::template::TemplateError;

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
    /// The step ran out of time (its `timeout`, or the playbook's `deadline`).
    #[error("timed out after {}", shown_to_the_millisecond(*after))]
    TimedOut {
        /// How long it had.
        after: std::time::Duration,
    },
    /// A step needs a person and none can be asked (no terminal, no `--yes`): the run stops
    /// here and can be resumed.
    #[error("waiting for a person: {what}")]
    Pending {
        /// The step and what it needs.
        what: String,
    },
    /// A person declined a confirmation.
    #[error("not confirmed: {what}")]
    Declined {
        /// What was not confirmed.
        what: String,
    },
}

/// Whether a failed attempt may be tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    /// Nothing happened, or the action is a read: try again.
    Safe,
    /// A mutation may or may not have happened: probe before trying again.
    UnknownOutcome,
    /// Trying again will fail the same way.
    Never,
}

impl ActionError {
    /// How a failed attempt of an action with this effect may be retried.
    pub fn retry_class(&self, effect: Effect) -> RetryClass {
        let unknown = match effect {
            Effect::Read => RetryClass::Safe,
            Effect::Write => RetryClass::UnknownOutcome,
        };
        match self {
            ActionError::Exchange { source, .. } => match source.outcome() {
                CallOutcome::Refused => RetryClass::Safe,
                CallOutcome::Unknown => unknown,
                CallOutcome::Final => RetryClass::Never,
            },
            // An interrupted attempt may have sent its request.
            ActionError::TimedOut { .. } => unknown,
            // The exchange's state was not yet as required (orders still open, key still
            // listed): it may settle.
            ActionError::Check { .. } => RetryClass::Safe,
            _ => RetryClass::Never,
        }
    }

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
            ActionError::Pending { .. } => Some(
                "do it by hand, then `lockdown resume RUN_DIR --yes` (or resume at a terminal)"
                    .to_owned(),
            ),
            ActionError::TimedOut { .. } => Some(
                "raise the step's `timeout` (or the playbook's `deadline`), or check the exchange's status"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// The venue's two-factor challenge, when that is why it refused.
    pub fn tfa_challenge(&self) -> Option<String> {
        match self {
            ActionError::Exchange {
                source: ExchangeError::TfaRequired { challenge },
                ..
            } => Some(challenge.clone()),
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

/// A duration as people read it, to the millisecond ("1s 998ms", not "1s 998ms 234us 53ns").
fn shown_to_the_millisecond(after: std::time::Duration) -> humantime::FormattedDuration {
    let millis = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
    humantime::format_duration(std::time::Duration::from_millis(millis))
}

#[cfg(test)]
mod timeout_tests {
    use super::*;

    #[test]
    fn a_timeout_is_said_to_the_millisecond() {
        let err = ActionError::TimedOut {
            after: std::time::Duration::from_nanos(1_998_234_053),
        };
        assert_eq!(err.to_string(), "timed out after 1s 998ms");
    }
}
