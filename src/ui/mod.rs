//! The only module that prints.
//!
//! Data goes to stdout (the `--json` summary, machine output); everything for people goes to
//! stderr: step progress, messages, prompts, diagnostics. Output reads the same without colour;
//! `--no-color` and `NO_COLOR` turn colour off, and there are no prompts or spinners without a
//! terminal. Nothing here ever receives a secret: callers pass masked ids and plain data. A
//! reader that goes away (`| head -1`) ends the output quietly, never the command (`stream`).

mod error_json;
mod progress;
mod prompt;
mod stream;

use std::io::IsTerminal;

use console::Style;
use serde_json::Value;

use crate::engine::StepStatus;

use stream::{err_text, out};

pub use progress::{KeysMeter, Meter, StepProgress};
pub use prompt::PromptError;

/// How chatty the people's side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Steps and results.
    Normal,
    /// Also every exchange call.
    Verbose,
}

/// What stdout carries: `--json` turns a command's summary into one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Data lines and reports for people.
    #[default]
    Human,
    /// One JSON document per command (`--json`).
    Json,
}

/// Where output goes and how it looks.
#[derive(Debug, Clone)]
pub struct Ui {
    verbosity: Verbosity,
    format: Format,
    color: bool,
    interactive: bool,
    stderr_tty: bool,
    /// Where progress bars are drawn: stderr when it is a terminal (`progress`).
    board: Option<std::sync::Arc<progress::Board>>,
    /// One key's run of a mass response: where its containment is counted.
    keys: Option<KeysMeter>,
}

impl Ui {
    /// Settles colour and interactivity from flags, `NO_COLOR` and the terminals attached.
    pub fn new(verbosity: Verbosity, no_color: bool) -> Ui {
        let stderr_tty = std::io::stderr().is_terminal();
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui {
            verbosity,
            format: Format::Human,
            color: stderr_tty && !no_color && !no_color_env,
            interactive: stderr_tty && std::io::stdin().is_terminal(),
            stderr_tty,
            board: stderr_tty.then(progress::Board::new),
            keys: None,
        }
    }

    /// The same, with stdout in `format`.
    pub fn with_format(self, format: Format) -> Ui {
        Ui { format, ..self }
    }

    /// The same, silent and asking nothing: only errors, no prompts, no blocks, no summary (a
    /// run inside another command, such as `check`'s offline plan, whose own output tells the
    /// result).
    pub fn silent(&self) -> Ui {
        Ui {
            verbosity: Verbosity::Quiet,
            format: Format::Human,
            interactive: false,
            ..self.clone()
        }
    }

    /// What stdout carries.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether a person can answer a prompt.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Whether colour is on.
    pub fn color(&self) -> bool {
        self.color
    }

    /// Text for people on stderr, with the progress bars taken off the terminal while it is
    /// written (they are drawn again below it).
    fn err(&self, text: &str) {
        match &self.board {
            Some(board) => board.suspend(|| err_text(text)),
            None => err_text(text),
        }
    }

    /// Data on stdout, with the progress bars off the terminal while it is written (stdout may
    /// be the same terminal).
    fn out(&self, text: &str) {
        match &self.board {
            Some(board) => board.suspend(|| out(text)),
            None => out(text),
        }
    }

    /// Runs `ask` with the progress bars off the terminal (a prompt owns it while it asks).
    fn without_bars<R>(&self, ask: impl FnOnce() -> R) -> R {
        match &self.board {
            Some(board) => board.suspend(ask),
            None => ask(),
        }
    }

    fn style(&self, style: Style) -> Style {
        if self.color { style } else { Style::new() }
    }

    /// Machine data on stdout, one JSON document.
    pub fn json(&self, value: &Value) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_owned());
        self.out(&format!("{text}\n"));
    }

    /// A command's summary on stdout as one JSON document, with `--json` only; built only then.
    pub fn summary(&self, value: impl FnOnce() -> Value) {
        if self.format == Format::Json {
            self.json(&value());
        }
    }

    /// Text on stdout exactly as given (a generated script or page).
    pub fn raw(&self, text: &str) {
        self.out(text);
    }

    /// A line of data on stdout.
    pub fn data(&self, line: &str) {
        self.out(&format!("{line}\n"));
    }

    /// A message for people.
    pub fn info(&self, message: &str) {
        if self.verbosity >= Verbosity::Normal {
            self.err(&format!("{message}\n"));
        }
    }

    /// Detail shown with `-v`.
    pub fn detail(&self, message: &str) {
        if self.verbosity >= Verbosity::Verbose {
            let dim = self.style(Style::new().dim());
            self.err(&format!("{}\n", dim.apply_to(message)));
        }
    }

    /// A warning, shown unless `-q`.
    pub fn warn(&self, message: &str) {
        if self.verbosity >= Verbosity::Normal {
            let yellow = self.style(Style::new().yellow().bold());
            self.err(&format!("{} {message}\n", yellow.apply_to("warning:")));
        }
    }

    /// A step is starting.
    pub fn step_started(&self, id: &str, name: Option<&str>) {
        if self.verbosity >= Verbosity::Normal {
            let bold = self.style(Style::new().bold());
            match name {
                Some(name) => self.err(&format!("{} {} {name}\n", self.arrow(), bold.apply_to(id))),
                None => self.err(&format!("{} {}\n", self.arrow(), bold.apply_to(id))),
            }
        }
    }

    fn arrow(&self) -> String {
        self.style(Style::new().cyan()).apply_to("→").to_string()
    }

    /// A step ended.
    pub fn step_ended(&self, id: &str, status: StepStatus, duration_ms: u64, note: &str) {
        if self.verbosity < Verbosity::Normal {
            return;
        }
        let (mark, style) = match status {
            StepStatus::Ok => ("✓", Style::new().green()),
            StepStatus::Skipped => ("–", Style::new().dim()),
            StepStatus::Planned => ("○", Style::new().cyan()),
            _ => ("✗", Style::new().red().bold()),
        };
        let status = status.as_str();
        let mark = self.style(style).apply_to(mark);
        let note = if note.is_empty() {
            String::new()
        } else {
            format!(": {note}")
        };
        self.err(&format!(
            "  {mark} {id} {status} ({duration_ms} ms){note}\n"
        ));
    }

    /// Instructions a person must carry out, or requests about to be sent.
    pub fn block(&self, title: &str, body: &str) {
        if self.verbosity >= Verbosity::Normal || self.interactive {
            let bold = self.style(Style::new().bold());
            self.err(&format!("  {}\n", bold.apply_to(title)));
            for line in body.lines() {
                self.err(&format!("    {line}\n"));
            }
        }
    }

    /// Renders an error with its diagnostics (snippet, `file:line:col`, hint) to stderr.
    pub fn error(&self, error: &dyn miette::Diagnostic) {
        self.error_with_exit(error, None);
    }

    /// An error for people on stderr and, with `--json`, as `{"error": {...}}` on stdout with the
    /// exit code the command ends with (`exit`), so a tool never reads an empty stdout.
    pub fn error_with_exit(&self, error: &dyn miette::Diagnostic, exit: Option<u8>) {
        if self.format == Format::Json
            && let Some(exit) = exit
        {
            self.json(&error_json::error_json(error, exit));
        }
        let theme = if self.color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        // Wrapped lines read well on a terminal but break `grep` on logs.
        let handler = miette::GraphicalReportHandler::new_themed(theme)
            .with_width(100)
            .with_wrap_lines(self.stderr_tty);
        let mut out = String::new();
        if handler.render_report(&mut out, error).is_err() {
            out = error.to_string();
        }
        self.err(&out);
        if !out.ends_with('\n') {
            self.err("\n");
        }
    }

    /// Asks for a one-time code on the terminal, without echo.
    pub fn code(&self, question: &str) -> Result<crate::secret::SecretString, PromptError> {
        prompt::code(self, question)
    }

    /// Asks a yes/no question on the terminal.
    pub fn confirm(&self, question: &str) -> Result<bool, PromptError> {
        prompt::confirm(self, question)
    }
}

impl Ui {
    /// Shows a command-line parsing result: help and version on stdout (exit 0), errors on
    /// stderr (exit 2).
    pub fn clap_error(&self, err: &clap::Error) -> crate::exit::Exit {
        let text = err.render().to_string();
        if err.use_stderr() {
            self.err(&text);
            if self.format == Format::Json {
                let exit = crate::exit::Exit::BadInput.code();
                let message = err.kind().as_str().map_or_else(
                    || text.lines().next().unwrap_or_default().to_owned(),
                    str::to_owned,
                );
                let usage = text.trim_end().to_owned();
                self.json(&serde_json::json!({
                    "error": { "message": message, "detail": usage, "exit": exit }
                }));
            }
            crate::exit::Exit::BadInput
        } else {
            self.out(&text);
            crate::exit::Exit::Ok
        }
    }
}
