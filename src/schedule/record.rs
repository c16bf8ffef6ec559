//! One line per scheduled run in `schedule.jsonl` beside the state file: when it was due, how
//! it ended, how long it took and where its folder is, for a person or a log shipper to read.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The run log's name in the scheduler's state folder.
pub const RECORD_FILE: &str = "schedule.jsonl";

/// How a scheduled run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The command exited 0.
    Ok,
    /// The command exited with another code.
    Failed,
    /// The job's timeout passed; the run was cancelled.
    Timeout,
    /// The scheduler stopped (a signal) and cancelled the run at its bound.
    Cancelled,
    /// Not started: the job's previous run was still going.
    Skipped,
}

impl Outcome {
    /// As the log lines name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
            Outcome::Cancelled => "cancelled",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One scheduled run (or one skipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The job.
    pub job: String,
    /// When the run was due, RFC 3339 UTC.
    pub due: String,
    /// When it started on the scheduler's clock (none when skipped).
    pub started: Option<String>,
    /// A run missed while the scheduler was down, run when it started again.
    pub catch_up: bool,
    /// How it ended.
    pub outcome: Outcome,
    /// The command's exit code (none when it did not end on its own).
    pub exit: Option<u8>,
    /// How long it ran, in milliseconds.
    pub duration_ms: Option<u64>,
    /// The run's folder (a drill's), read from the history line it wrote.
    pub folder: Option<String>,
    /// The command line.
    pub command: String,
}

/// Appends one record to `schedule.jsonl` in `dir`, synced.
pub fn append(dir: &Path, record: &RunRecord) -> std::io::Result<()> {
    crate::private::create_dir(dir)?;
    let mut line = serde_json::to_string(record).unwrap_or_default();
    line.push('\n');
    let mut file = crate::private::open_append(&dir.join(RECORD_FILE))?;
    file.write_all(line.as_bytes())?;
    file.sync_data()
}
