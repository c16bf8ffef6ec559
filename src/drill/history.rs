//! Drill history: one line per drill in `drills.jsonl` in the state folder, so a trend (a
//! playbook that rots, a venue that got slower) is visible before a real incident.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Scorecard;
use crate::error::Error;

/// The history file's name in the state folder.
pub const FILE_NAME: &str = "drills.jsonl";

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Venue.
    pub venue: String,
    /// The simulator's faults.
    #[serde(default)]
    pub faults: String,
    /// Passed?
    pub passed: bool,
    /// Time to contain.
    pub time_to_contain_ms: Option<u64>,
    /// Lock acknowledged.
    pub lock_acknowledged_ms: Option<u64>,
    /// Detection: false positives and missed.
    pub false_positives: usize,
    /// Missed.
    pub missed: usize,
    /// The drill's folder.
    pub drill_dir: String,
}

impl From<&Scorecard> for Entry {
    fn from(card: &Scorecard) -> Entry {
        Entry {
            at: card.at.clone(),
            scenario: card.scenario.clone(),
            seed: card.seed,
            venue: card.venue.clone(),
            faults: card.faults.clone(),
            passed: card.passed,
            time_to_contain_ms: card.time_to_contain_ms,
            lock_acknowledged_ms: card.lock_acknowledged_ms,
            false_positives: card.detection.false_positives,
            missed: card.detection.missed,
            drill_dir: card.drill_dir.clone(),
        }
    }
}

/// One `lockdown check` of one profile, in the same history file (`"kind": "check"`; drill
/// lines have no `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckEntry {
    /// Always `check`.
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The profile.
    pub profile: String,
    /// Its venue.
    pub venue: String,
    /// `ready`, `warnings` or `not_ready`.
    pub readiness: String,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity critical.
    pub critical: usize,
}

/// Appends one check, synced to disk.
pub fn append_check(state_dir: &Path, entry: &CheckEntry) -> Result<(), Error> {
    append_line(state_dir, entry)
}

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// Appends one drill, synced to disk.
pub fn append(state_dir: &Path, card: &Scorecard) -> Result<(), Error> {
    append_entry(state_dir, &Entry::from(card))
}

/// Appends one history line, synced to disk.
pub fn append_entry(state_dir: &Path, entry: &Entry) -> Result<(), Error> {
    append_line(state_dir, entry)
}

fn append_line(state_dir: &Path, entry: &impl Serialize) -> Result<(), Error> {
    let file = path(state_dir);
    let io = |source| Error::Io {
        what: "append to",
        path: file.clone(),
        source,
    };
    let mut line = serde_json::to_string(entry).unwrap_or_default();
    line.push('\n');
    let mut handle = crate::private::open_append(&file).map_err(io)?;
    handle.write_all(line.as_bytes()).map_err(io)?;
    handle.sync_data().map_err(io)
}

/// The last `n` drills, oldest first; lines that do not parse are skipped.
pub fn last(state_dir: &Path, n: usize) -> Result<Vec<Entry>, Error> {
    let file = path(state_dir);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                what: "read",
                path: file,
                source,
            });
        }
    };
    let entries: Vec<Entry> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let skip = entries.len().saturating_sub(n);
    Ok(entries.into_iter().skip(skip).collect())
}
