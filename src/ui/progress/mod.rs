//! Progress for people while something long runs: a step's history pages (pages and records
//! read per segment), a countdown while something waits with an end (a bot's grace period, a
//! drill's detection delay, a drill operator's work by hand), the keys of a mass response
//! contained so far, and a spinner for a wait of unknown length.
//!
//! Work never waits for the terminal. Whatever makes progress (a page the exchange client
//! read, a key's lock, a wait) only writes numbers into a meter it holds (`meter`: atomics, or
//! a lock held to bump a count); one drawing thread (`board`) reads the live meters ten times a
//! second and draws them. The lock's request is never held up by a bar: the engine makes a
//! step's meters without drawing anything, and a terminal that does not keep up slows only the
//! drawing thread. A meter is shown while it is held; dropping it clears its lines.
//!
//! Bars appear only for a person: stderr a terminal, no `--quiet`, no `--json`. Otherwise
//! meters count into nothing and the output is what it was: a plain line for a wait of the
//! drill, the step lines, nothing more. Never on stdout. Lines show step ids, segment names,
//! counts and times: never a key or a secret.

mod board;
mod meter;

use std::sync::Arc;
use std::time::Instant;

use crate::exchanges::PageWatch;
use crate::exchanges::model::Segment;

pub(crate) use board::Board;
use meter::{Shape, Shown};

use super::Ui;

/// Something shown while it is held (a spinner, a countdown): dropping it, or
/// [`Meter::finish`], clears its line.
#[derive(Debug)]
#[must_use = "the line is cleared as soon as the meter is dropped"]
pub struct Meter {
    _shown: Option<Arc<Shown>>,
}

impl Meter {
    /// Stops showing it.
    pub fn finish(self) {}
}

/// The keys of a mass response: each key's run counts its lock and its end here. Clones count
/// into the same line.
#[derive(Debug, Clone, Default)]
pub struct KeysMeter {
    shown: Option<Arc<Shown>>,
}

impl KeysMeter {
    /// A key's lock was acknowledged: one more key contained.
    pub fn contained(&self) {
        if let Some(shown) = &self.shown {
            shown.key_contained();
        }
    }

    /// A key's run ended, whichever way.
    pub fn ended(&self) {
        if let Some(shown) = &self.shown {
            shown.key_ended();
        }
    }
}

/// What a step shows while it runs: its paged reads, and a countdown where it waits. Actions
/// reach it through their context; nothing they do with it waits for the terminal.
#[derive(Debug, Clone)]
pub struct StepProgress {
    step: String,
    board: Option<Arc<Board>>,
}

impl StepProgress {
    /// Nothing shown (a step outside a run with a terminal, a test).
    pub fn hidden(step: &str) -> StepProgress {
        StepProgress {
            step: step.to_owned(),
            board: None,
        }
    }

    /// A countdown for this step until `until`, held while it waits. Hidden: nothing (the
    /// step's own lines say what it waited for).
    pub fn countdown(&self, message: &str, until: Instant) -> Meter {
        let message = format!("`{}`: {message}", self.step);
        Meter {
            _shown: self.board.as_ref().map(|board| {
                show(
                    board,
                    Shape::Countdown {
                        message: message.clone(),
                        until,
                    },
                )
            }),
        }
    }

    /// The watch the step's exchange client tells of every page (`None` when hidden: the
    /// client then tells nobody). Its line appears with the first page of a read that lasts.
    pub fn pages(&self) -> Option<Arc<dyn PageWatch>> {
        let board = self.board.as_ref()?;
        Some(Arc::new(Pages {
            board: Arc::clone(board),
            step: self.step.clone(),
            shown: std::sync::OnceLock::new(),
        }))
    }
}

/// A step's page count, shown from its first page on.
#[derive(Debug)]
struct Pages {
    board: Arc<Board>,
    step: String,
    shown: std::sync::OnceLock<Arc<Shown>>,
}

impl PageWatch for Pages {
    fn page(&self, op: &'static str, segment: Option<Segment>, records: usize) {
        let shown = self.shown.get_or_init(|| {
            show(
                &self.board,
                Shape::Pages {
                    step: self.step.clone(),
                },
            )
        });
        match segment {
            Some(segment) => shown.page(&segment.to_string(), op, records),
            None => shown.page("account", op, records),
        }
    }
}

/// A new meter of `shape`, drawn on `board` while it is held.
fn show(board: &Arc<Board>, shape: Shape) -> Arc<Shown> {
    let shown = Arc::new(Shown::new(shape));
    board.show(&shown);
    shown
}

impl Ui {
    /// The progress area, when bars are shown at all (stderr a terminal, no `--quiet`, no
    /// `--json`).
    fn bars(&self) -> Option<&Arc<Board>> {
        self.board.as_ref().filter(|_| {
            self.verbosity >= super::Verbosity::Normal && self.format == super::Format::Human
        })
    }

    /// Shows `message` with the time since it began until the meter is dropped; without bars,
    /// a plain line (none with `--quiet`).
    pub fn spinner(&self, message: &str) -> Meter {
        self.wait_meter(
            message,
            Shape::Spinner {
                message: message.to_owned(),
            },
        )
    }

    /// Shows `message` with the time left until `until` while the meter is held; without bars,
    /// a plain line (none with `--quiet`).
    pub fn countdown(&self, message: &str, until: Instant) -> Meter {
        self.wait_meter(
            message,
            Shape::Countdown {
                message: message.to_owned(),
                until,
            },
        )
    }

    fn wait_meter(&self, message: &str, shape: Shape) -> Meter {
        match self.bars() {
            Some(board) => Meter {
                _shown: Some(show(board, shape)),
            },
            None => {
                self.info(message);
                Meter { _shown: None }
            }
        }
    }

    /// A line counting the keys of a mass response of `total` keys: contained, and runs ended.
    /// Without bars, nothing (each key's end has its own line).
    pub fn keys_meter(&self, total: usize) -> KeysMeter {
        KeysMeter {
            shown: self.bars().map(|board| {
                show(
                    board,
                    Shape::Keys {
                        total: u64::try_from(total).unwrap_or(u64::MAX),
                    },
                )
            }),
        }
    }

    /// The Ui of one key's run of a mass response: only errors (and what a person must do by
    /// hand), its containment counted into `keys`, written around the same bars.
    pub fn for_one_key(&self, keys: KeysMeter) -> Ui {
        Ui {
            verbosity: super::Verbosity::Quiet,
            format: super::Format::Human,
            color: false,
            keys: Some(keys),
            ..self.clone()
        }
    }

    /// The run's key was contained (its lock acknowledged): counted where a mass response
    /// counts its keys, nothing otherwise.
    pub fn key_contained(&self) {
        if let Some(keys) = &self.keys {
            keys.contained();
        }
    }

    /// The run ended: counted where a mass response counts its keys, nothing otherwise.
    pub fn key_ended(&self) {
        if let Some(keys) = &self.keys {
            keys.ended();
        }
    }

    /// What step `step` shows while it runs.
    pub fn step_progress(&self, step: &str) -> StepProgress {
        StepProgress {
            step: step.to_owned(),
            board: self.bars().cloned(),
        }
    }
}
