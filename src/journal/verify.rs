//! Reading a journal back and checking its chain.

use std::path::{Path, PathBuf};

use super::{Event, GENESIS};

/// A journal whose chain holds.
#[derive(Debug)]
pub struct Verified {
    /// Its events, in order.
    pub events: Vec<Event>,
    /// The last hash.
    pub head: String,
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
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let event: Event = serde_json::from_str(line)
            .map_err(|err| broken(number, format!("not a journal event ({err})")))?;
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
    Ok(Verified { events, head })
}

/// Reads a journal, verifying it.
pub fn read(path: &Path) -> Result<Vec<Event>, VerifyError> {
    verify(path).map(|verified| verified.events)
}

#[cfg(test)]
mod tests {
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
