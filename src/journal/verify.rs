//! Reading a journal back and checking its chain.

use std::path::{Path, PathBuf};

use super::{Event, EventKind, GENESIS};

/// A journal whose chain holds.
#[derive(Debug)]
pub struct Verified {
    /// Its events, in order.
    pub events: Vec<Event>,
    /// The last hash.
    pub head: String,
    /// Lines a crash left half-written (1-based): kept in the file, not part of the chain.
    pub torn: Vec<usize>,
    /// Whether the file ends without a newline (a write was cut short).
    pub ends_mid_line: bool,
}

/// Where and why a journal does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("cannot read the journal `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not an event, or breaks the chain.
    #[error("journal `{}` line {line}: {reason}", path.display())]
    Broken {
        /// The file.
        path: PathBuf,
        /// The first bad line, 1-based.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reads and verifies a journal.
pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    let text = std::fs::read_to_string(path).map_err(|source| VerifyError::Read {
        path: path.to_owned(),
        source,
    })?;
    let broken = |line: usize, reason: String| VerifyError::Broken {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut events: Vec<Event> = Vec::new();
    let mut head = GENESIS.to_owned();
    let mut torn = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        let event: Event = match serde_json::from_str(line) {
            Ok(event) => event,
            Err(err) => {
                // A crash mid-write leaves a partial last line; `resume` keeps it and goes on
                // with a `resumed` event chained to the last whole one. Anything else is damage.
                let last = index + 1 == lines.len();
                let resumed_after = lines.get(index + 1).is_some_and(|next| {
                    serde_json::from_str::<Event>(next)
                        .is_ok_and(|e| e.kind == EventKind::Resumed && e.prev == head)
                });
                if last || resumed_after {
                    torn.push(number);
                    continue;
                }
                return Err(broken(number, format!("not a journal event ({err})")));
            }
        };
        let want_seq = events.len() as u64 + 1;
        if event.seq != want_seq {
            return Err(broken(
                number,
                format!("sequence number {} where {want_seq} was due", event.seq),
            ));
        }
        if event.prev != head {
            return Err(broken(
                number,
                "`prev` does not match the previous hash".into(),
            ));
        }
        if event.compute_hash() != event.hash {
            return Err(broken(
                number,
                "the event was changed after it was written".into(),
            ));
        }
        head = event.hash.clone();
        events.push(event);
    }
    Ok(Verified {
        events,
        head,
        torn,
        ends_mid_line: !text.is_empty() && !text.ends_with('\n'),
    })
}

/// Reads a journal, verifying it.
pub fn read(path: &Path) -> Result<Vec<Event>, VerifyError> {
    verify(path).map(|verified| verified.events)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_torn_last_line_is_reported_and_kept_and_resume_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path).unwrap();
        journal
            .append(EventKind::RunStarted, json!({"n": 1}))
            .unwrap();
        let head = journal
            .append(EventKind::StepStarted, json!({"n": 2}))
            .unwrap()
            .hash;
        drop(journal);
        // A crash in the middle of writing the third event.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, br#"{"seq":3,"at":"2026-11-"#).unwrap();
        drop(file);
        let verified = verify(&path).unwrap();
        assert_eq!(verified.torn, [3]);
        assert!(verified.ends_mid_line);
        assert_eq!(verified.head, head);

        let (mut journal, _) = Journal::reopen(&path).unwrap();
        journal.append(EventKind::Resumed, json!({})).unwrap();
        journal.append(EventKind::RunFinished, json!({})).unwrap();
        let verified = verify(&path).unwrap();
        assert_eq!(verified.torn, [3], "the torn line is kept and reported");
        assert_eq!(verified.events.len(), 4);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#"{"seq":3,"at":"2026-11-"#));
    }

    use super::*;
    use crate::journal::{EventKind, Journal};
    use serde_json::json;

    #[test]
    fn one_changed_byte_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path).unwrap();
        journal
            .append(EventKind::RunStarted, json!({"n": 1}))
            .unwrap();
        journal
            .append(EventKind::StepStarted, json!({"n": 2}))
            .unwrap();
        journal
            .append(EventKind::RunFinished, json!({"n": 3}))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"n\":2", "\"n\":5", 1)).unwrap();
        match verify(&path) {
            Err(VerifyError::Broken { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a broken chain, got {other:?}"),
        }
    }
}
