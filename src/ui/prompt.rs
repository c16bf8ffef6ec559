//! Questions for the operator. Never asked without a terminal: a confirmation that is needed
//! without one is an error unless `--yes` was given (checked before a run sends anything).

use super::Ui;

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// No terminal to ask on.
    #[error("a confirmation is needed but there is no terminal to ask on")]
    NoTerminal,
    /// The terminal failed.
    #[error("cannot read the answer: {0}")]
    Io(String),
}

/// Asks for a one-time code without echoing it.
pub fn code(ui: &Ui, question: &str) -> Result<crate::secret::SecretString, PromptError> {
    if !ui.interactive() {
        return Err(PromptError::NoTerminal);
    }
    ui.without_bars(|| dialoguer::Password::new().with_prompt(question).interact())
        .map(crate::secret::SecretString::from)
        .map_err(|err| PromptError::Io(err.to_string()))
}

/// Asks `question`, default no.
pub fn confirm(ui: &Ui, question: &str) -> Result<bool, PromptError> {
    if !ui.interactive() {
        return Err(PromptError::NoTerminal);
    }
    // The answer ends with Enter: reading only the `y` would leave the newline queued, and it
    // would answer the next question with its default, no.
    ui.without_bars(|| {
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .wait_for_newline(true)
            .interact()
    })
    .map_err(|err| PromptError::Io(err.to_string()))
}
