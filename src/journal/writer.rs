//! Appending to the journal: one line per event, flushed to disk before the run goes on.
//!
//! Each seal (`run_finished`, `interrupted`) is also written, seq and hash, to `journal.head`
//! beside the journal: a witness of the end that the chain cannot give (`witness.rs`).
//!
//! Every event is written with its `mac` under the state dir's journal key; a journal is only
//! ever opened with a key, so a run cannot write an unauthenticated event. Reopening (resume)
//! checks the existing events' `mac`s first: a journal that was rewritten is not gone on from.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Event, EventKind, GENESIS, JournalKey, VerifyError};
use crate::{clock, private};

/// Why the journal could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Creating, writing or syncing the file failed.
    #[error("cannot write the journal `{}`: {source}", path.display())]
    Write {
        /// The journal file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The journal to go on from does not verify under the key.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    seq: u64,
    head: String,
    /// `None` only for a response whose key file could not be used: containment does not wait
    /// on it (see `respond`), and `verify` then reports the journal as unauthenticated.
    key: Option<JournalKey>,
}

impl Journal {
    /// Creates a new journal file whose events are keyed with `key`; refuses to overwrite an
    /// existing one.
    pub fn create(path: &Path, key: JournalKey) -> Result<Journal, JournalError> {
        Journal::create_with(path, Some(key))
    }

    /// Creates a new journal file whose events carry no `mac`: for a response whose key file
    /// cannot be used, which must not wait on it. The chain and the seal still hold.
    pub fn create_unkeyed(path: &Path) -> Result<Journal, JournalError> {
        Journal::create_with(path, None)
    }

    fn create_with(path: &Path, key: Option<JournalKey>) -> Result<Journal, JournalError> {
        let file = private::open(private::options().create_new(true).append(true), path).map_err(
            |source| JournalError::Write {
                path: path.to_owned(),
                source,
            },
        )?;
        Ok(Journal {
            path: path.to_owned(),
            file,
            seq: 0,
            head: GENESIS.to_owned(),
            key,
        })
    }

    /// Opens an existing journal to go on writing after its last whole event, keyed with
    /// `key`. Its chain and any `mac`s must verify under `key`; it may be unsealed (a killed
    /// run) or older than journal keys (its new events are keyed all the same). A line a crash
    /// left half-written stays where it is (see `verify`); writing resumes on the next line.
    pub fn reopen(
        path: &Path,
        key: JournalKey,
    ) -> Result<(Journal, super::Verified), JournalError> {
        let verified = super::verify_with_key(path, Some(&key))?;
        let mut file = private::open(private::options().append(true), path).map_err(|source| {
            JournalError::Write {
                path: path.to_owned(),
                source,
            }
        })?;
        if verified.ends_mid_line {
            file.write_all(b"\n")
                .and_then(|()| file.sync_data())
                .map_err(|source| JournalError::Write {
                    path: path.to_owned(),
                    source,
                })?;
        }
        let journal = Journal {
            path: path.to_owned(),
            file,
            seq: verified.events.len() as u64,
            head: verified.head.clone(),
            key: Some(key),
        };
        Ok((journal, verified))
    }

    /// Appends an event and waits until it is on disk.
    pub fn append(&mut self, kind: EventKind, data: Value) -> Result<Event, JournalError> {
        let mut event = Event::new(self.seq + 1, clock::now_rfc3339(), kind, data, &self.head);
        event.mac = self.key.as_ref().map(|key| key.mac(&event.hash));
        let mut line = serde_json::to_string(&event).unwrap_or_default();
        line.push('\n');
        let write = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        write.map_err(|source| JournalError::Write {
            path: self.path.clone(),
            source,
        })?;
        self.seq = event.seq;
        self.head = event.hash.clone();
        if matches!(kind, EventKind::RunFinished | EventKind::Interrupted) {
            // The seal's witness outside the chain (`witness.rs`), so `verify` can tell when
            // the end is cut off. Best effort: without it `verify` knows less; the run is whole.
            let head = super::Head {
                seq: event.seq,
                hash: event.hash.clone(),
            };
            let _ = super::witness::write_head(&self.path, &head);
        }
        Ok(event)
    }

    /// The last event's sequence number and hash.
    pub fn head(&self) -> (u64, &str) {
        (self.seq, &self.head)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fingerprint of the key its events are keyed with (never the key); `None` unkeyed.
    pub fn key_fingerprint(&self) -> Option<&str> {
        self.key.as_ref().map(JournalKey::fingerprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::verify;
    use serde_json::json;

    #[test]
    fn appended_events_verify() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let mut journal = Journal::create(&path, JournalKey::generate()).unwrap();
        journal
            .append(EventKind::RunStarted, json!({"run": "r"}))
            .unwrap();
        journal
            .append(EventKind::StepStarted, json!({"step": "lock"}))
            .unwrap();
        let last = journal.append(EventKind::RunFinished, json!({})).unwrap();
        let verified = verify(&path).unwrap();
        assert_eq!(verified.events.len(), 3);
        assert_eq!(verified.head, last.hash);
        assert!(verified.events.iter().all(|e| e.mac.is_some()));
        assert!(
            Journal::create(&path, JournalKey::generate()).is_err(),
            "must not overwrite a journal"
        );
    }
}
