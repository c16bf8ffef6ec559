//! A lock file per leaked key: one responder per key at a time, across processes.
//!
//! Two responders on one key race each other's locks, revokes and replacements (the second's
//! replacement may overwrite the first's stored secret). Before anything is sent for a key,
//! `respond` takes an exclusive OS lock (`File::try_lock`) on
//! `<state_dir>/locks/<venue>-<hash of the key id>.lock` and writes who holds it: its process
//! id, its start and then its run folder. A second responder finds the lock held and is refused
//! with what the file says (exit 7). The OS releases the lock when the holder exits, however it
//! exits, so a lock file left by a crashed process never blocks: only a live holder does.
//! Fail toward containment: a lock file that cannot be created or written (a read-only state
//! dir) never stops a response; the caller warns and goes on without it.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::exchanges::ExchangeId;
use crate::secret::KeyId;

/// An exclusive hold on one key; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct KeyLock {
    file: File,
    path: PathBuf,
}

/// Why a key's lock was not taken.
#[derive(Debug)]
pub enum LockRefusal {
    /// Another live process holds it; what its lock file says.
    Held {
        /// The holder's own words (process, start, run folder).
        holder: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be used: the response goes on without it.
    Unusable {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl KeyLock {
    /// Takes the lock of `key` on `venue` under `state_dir`, noting this process in it.
    pub fn acquire(
        state_dir: &Path,
        venue: ExchangeId,
        key: &KeyId,
    ) -> Result<KeyLock, LockRefusal> {
        let path = lock_path(state_dir, venue, key);
        let unusable = |source| LockRefusal::Unusable {
            path: lock_path(state_dir, venue, key),
            source,
        };
        if let Some(dir) = path.parent() {
            crate::private::create_dir(dir).map_err(unusable)?;
        }
        // Not truncated on open: a refused second responder must still read the holder's note.
        let mut file = crate::private::open(
            crate::private::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            &path,
        )
        .map_err(unusable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockRefusal::Held {
                    holder: if holder.is_empty() {
                        "its lock file is held but names no run yet".to_owned()
                    } else {
                        holder.replace('\n', "; ")
                    },
                    path,
                });
            }
            Err(TryLockError::Error(source)) => return Err(unusable(source)),
        }
        let mut lock = KeyLock {
            file,
            path: path.clone(),
        };
        let note = format!(
            "process {} since {} (run folder not created yet)",
            std::process::id(),
            crate::clock::now_rfc3339()
        );
        lock.note(&note).map_err(unusable)?;
        Ok(lock)
    }

    /// Names the holder's run folder in the lock file, for a responder that is refused.
    pub fn note_run(&mut self, run_dir: &Path) -> std::io::Result<()> {
        let note = format!(
            "process {} since {}, run folder {}",
            std::process::id(),
            crate::clock::now_rfc3339(),
            run_dir.display()
        );
        self.note(&note)
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn note(&mut self, text: &str) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(format!("{text}\n").as_bytes())?;
        self.file.sync_data()
    }
}

/// `<state_dir>/locks/<venue>-<first 16 hex digits of the key id's SHA-256>.lock`: the id is
/// hashed so that the file name is safe whatever characters a venue's key ids hold.
pub fn lock_path(state_dir: &Path, venue: ExchangeId, key: &KeyId) -> PathBuf {
    let digest = Sha256::digest(key.as_str().as_bytes());
    let hash = hex::encode(&digest[..8]);
    state_dir.join("locks").join(format!("{venue}-{hash}.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_key_is_refused_with_the_holders_run() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyId::new("AbCdEf123".to_owned());
        let mut first = KeyLock::acquire(dir.path(), ExchangeId::Bybit, &key).unwrap();
        first
            .note_run(Path::new("/state/runs/20261205T000000Z-abc123"))
            .unwrap();
        match KeyLock::acquire(dir.path(), ExchangeId::Bybit, &key) {
            Err(LockRefusal::Held { holder, path }) => {
                assert!(holder.contains("20261205T000000Z-abc123"), "{holder}");
                assert_eq!(path, first.path());
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another key, or the same key on another venue, is not held.
        let other = KeyId::new("Other".to_owned());
        assert!(KeyLock::acquire(dir.path(), ExchangeId::Bybit, &other).is_ok());
        assert!(KeyLock::acquire(dir.path(), ExchangeId::Okx, &key).is_ok());
        drop(first);
        assert!(
            KeyLock::acquire(dir.path(), ExchangeId::Bybit, &key).is_ok(),
            "released when dropped; the file left behind does not block"
        );
    }

    #[test]
    fn the_file_name_hides_the_key_id() {
        let key = KeyId::new("../../etc/passwd".to_owned());
        let path = lock_path(Path::new("/s"), ExchangeId::Bybit, &key);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("bybit-") && name.ends_with(".lock"),
            "{name}"
        );
        assert_eq!(path.parent().unwrap(), Path::new("/s/locks"));
    }
}
