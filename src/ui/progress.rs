//! Progress for people: a spinner on a terminal, a plain line otherwise, nothing with `-q`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::{Ui, Verbosity};

/// A running activity shown to people.
#[derive(Debug)]
pub struct Spinner {
    bar: Option<ProgressBar>,
}

impl Spinner {
    /// Stops showing it.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Ui {
    /// Shows `message` until the spinner is finished.
    pub fn spinner(&self, message: &str) -> Spinner {
        if self.verbosity < Verbosity::Normal {
            return Spinner { bar: None };
        }
        if !self.stderr_tty {
            self.info(message);
            return Spinner { bar: None };
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner { bar: Some(bar) }
    }
}
