//! Witnesses of a journal's end, outside the journal.
//!
//! The chain cannot tell a journal whose last lines were dropped from one that ended there: what
//! is left still chains. So the run folder keeps copies of how far the journal reached, written
//! after the fact, and `verify` checks that the journal still holds each event they name:
//! - `journal.head`, written by the journal itself each time it is sealed (`run_finished`,
//!   `interrupted`): the seal's sequence number and hash;
//! - `report.json`, whose `journal` names the last event the report covers (written by the
//!   `report` step, before the events that follow it, and again once the run is sealed, when
//!   it names the seal too).
//!
//! A witness proves a lower bound only: whoever can write the run folder can delete or rewrite
//! it along with the journal (the head hash the owner kept, `verify --expect-head`, is the proof
//! that does not live in the folder). A witness that cannot be read is no witness: it never
//! fails a journal on its own.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Event, VerifyError};

/// The seal's witness file, beside the journal.
pub const HEAD_FILE_NAME: &str = "journal.head";

/// The report that names the journal's head when it was made.
const REPORT_FILE_NAME: &str = "report.json";

/// An event a witness says the journal reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// Writes `journal.head` beside the journal at `journal` after a seal, replacing it whole (a
/// crash leaves the old one or the new one). Errors are the caller's to report or pass over:
/// a missing witness only weakens `verify`, it never changes the run.
pub fn write_head(journal: &Path, head: &Head) -> std::io::Result<()> {
    let path = journal.with_file_name(HEAD_FILE_NAME);
    let temp = journal.with_file_name(format!("{HEAD_FILE_NAME}.tmp"));
    let text = serde_json::to_string(head).unwrap_or_default() + "\n";
    crate::private::write(&temp, text)?;
    std::fs::rename(&temp, &path)
}

/// Checks that `events` (the journal at `journal`, whose lines `torn` a crash tore) hold every
/// event its witnesses name; returns the files that agree.
pub fn confirm(
    journal: &Path,
    events: &[Event],
    torn: &[usize],
) -> Result<Vec<PathBuf>, VerifyError> {
    let mut agreed = Vec::new();
    for (path, head) in witnesses(journal) {
        let held = usize::try_from(head.seq)
            .ok()
            .and_then(|seq| seq.checked_sub(1))
            .and_then(|index| events.get(index));
        match held {
            Some(event) if event.hash == head.hash => agreed.push(path),
            Some(_) => {
                return Err(VerifyError::Broken {
                    path: journal.to_owned(),
                    line: line_of(head.seq, torn),
                    reason: format!(
                        "the event is not the one `{}` names (hash {})",
                        path.display(),
                        head.hash
                    ),
                });
            }
            None => {
                return Err(VerifyError::Truncated {
                    path: journal.to_owned(),
                    events: events.len(),
                    witness: path,
                    seq: head.seq,
                });
            }
        }
    }
    Ok(agreed)
}

/// The 1-based line of event `seq` in a journal whose lines `torn` (ascending) hold no event.
fn line_of(seq: u64, torn: &[usize]) -> usize {
    let mut line = usize::try_from(seq).unwrap_or(usize::MAX);
    for t in torn {
        if *t <= line {
            line = line.saturating_add(1);
        }
    }
    line
}

/// The witnesses beside the journal that can be read, with the event each names.
fn witnesses(journal: &Path) -> Vec<(PathBuf, Head)> {
    let mut out = Vec::new();
    let head = journal.with_file_name(HEAD_FILE_NAME);
    if let Some(found) = read_json::<Head>(&head) {
        out.push((head, found));
    }
    let report = journal.with_file_name(REPORT_FILE_NAME);
    if let Some(found) = read_json::<serde_json::Value>(&report)
        .and_then(|v| serde_json::from_value::<Head>(v.get("journal")?.clone()).ok())
    {
        out.push((report, found));
    }
    out
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_events_line_counts_the_torn_lines_before_it() {
        let cases = [
            ("none torn", 4, &[][..], 4),
            ("one before", 4, &[3][..], 5),
            ("one after", 2, &[3][..], 2),
            ("two before", 4, &[2, 4][..], 6),
        ];
        for (label, seq, torn, want) in cases {
            assert_eq!(line_of(seq, torn), want, "{label}");
        }
    }
}
