//! Ever-increasing nonces per API key, for venues that refuse a nonce not above the key's last
//! one (Kraken, docs/venues/kraken.md §2: an unsigned 64-bit integer that must increase per key,
//! across every program that uses the key; repeated `EAPI:Invalid nonce` can get a key locked out).
//!
//! A nonce is the wall clock in milliseconds (what most Kraken clients send, so lockdown stays
//! compatible with the owner's other tools on the same key), or one more than the key's last
//! nonce when that is higher (bursts, a clock set back). With a folder, the last nonce of each
//! key is kept in a file of its own and read, raised and written back under an exclusive file
//! lock and `sync_data`, so two lockdown processes (a `respond` and a `resume`, or two at once)
//! never hand out the same nonce or a lower one, whatever their clocks say. Within one process a
//! mutex serializes the draws as well. Files are named after a hash of the key id (ids are not
//! secret, but file names should not spell them out) and hold nothing but the number.
//! It never hands out a nonce it could not record: a failed write is an error, not a guess.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Why no nonce could be drawn.
#[derive(Debug, thiserror::Error)]
#[error("cannot keep the API key's nonce in `{}`: {source}", path.display())]
pub struct NonceError {
    /// The nonce file (or its folder).
    pub path: PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

/// Hands out strictly increasing nonces per key, optionally persisted in a folder.
#[derive(Debug, Default)]
pub struct Nonces {
    /// Where each key's last nonce is kept; `None` keeps them in memory only.
    dir: Option<PathBuf>,
    /// The last nonce handed out per key id, in this process.
    last: Mutex<HashMap<String, u64>>,
}

impl Nonces {
    /// Nonces kept in this process only (the drill's attacker, tests).
    pub fn in_memory() -> Nonces {
        Nonces::default()
    }

    /// Nonces kept in `dir`, shared with every process that uses the same folder.
    pub fn persisted(dir: PathBuf) -> Nonces {
        Nonces {
            dir: Some(dir),
            last: Mutex::new(HashMap::new()),
        }
    }

    /// The key's next nonce: at least `floor_ms` (the wall clock), and above every nonce handed
    /// out for this key before, by this process or (when persisted) any other using the folder.
    pub fn next(&self, key: &str, floor_ms: u64) -> Result<u64, NonceError> {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let here = last.get(key).copied().unwrap_or(0);
        let next = match &self.dir {
            None => floor_ms.max(here.saturating_add(1)),
            Some(dir) => persist_next(dir, key, floor_ms, here)?,
        };
        last.insert(key.to_owned(), next);
        Ok(next)
    }

    /// The file a key's last nonce is kept in, when persisted.
    pub fn file(&self, key: &str) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(file_name(key)))
    }
}

/// `nonce-<first 16 hex digits of SHA-256(key id)>`.
fn file_name(key: &str) -> String {
    let digest = crate::exchanges::signing::sha256(key.as_bytes());
    format!("nonce-{}", hex::encode(&digest[..8]))
}

/// Reads the key's file under an exclusive lock, writes the next nonce back and syncs it.
fn persist_next(dir: &Path, key: &str, floor_ms: u64, here: u64) -> Result<u64, NonceError> {
    let err = |path: &Path| {
        let path = path.to_owned();
        move |source| NonceError { path, source }
    };
    crate::private::create_dir(dir).map_err(err(dir))?;
    let path = dir.join(file_name(key));
    let mut file = crate::private::open(
        crate::private::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false),
        &path,
    )
    .map_err(err(&path))?;
    // Blocks until no other process holds it; released when `file` is dropped.
    file.lock().map_err(err(&path))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(err(&path))?;
    // An unreadable file (a torn write by a crashed host) counts as 0: the clock floor and this
    // process's own last nonce still hold.
    let on_disk = text.trim().parse::<u64>().unwrap_or(0);
    let next = floor_ms.max(on_disk.max(here).saturating_add(1));
    file.set_len(0).map_err(err(&path))?;
    file.seek(SeekFrom::Start(0)).map_err(err(&path))?;
    file.write_all(next.to_string().as_bytes())
        .map_err(err(&path))?;
    file.sync_data().map_err(err(&path))?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn in_memory_nonces_rise_past_the_clock_in_bursts() {
        let nonces = Nonces::in_memory();
        assert_eq!(nonces.next("k", 1_000).unwrap(), 1_000);
        // The same millisecond twice: one more, never the same.
        assert_eq!(nonces.next("k", 1_000).unwrap(), 1_001);
        // A clock set back: still one more.
        assert_eq!(nonces.next("k", 500).unwrap(), 1_002);
        assert_eq!(nonces.next("k", 5_000).unwrap(), 5_000);
        // Per key.
        assert_eq!(nonces.next("other", 10).unwrap(), 10);
        assert!(nonces.file("k").is_none());
    }

    #[test]
    fn persisted_nonces_survive_a_new_instance_with_a_clock_set_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = Nonces::persisted(dir.path().join("nonces"));
        assert_eq!(first.next("key-1", 5_000_000).unwrap(), 5_000_000);
        assert_eq!(first.next("key-1", 5_000_000).unwrap(), 5_000_001);
        drop(first);
        // A second client (a `resume` after a crash) whose clock is an hour behind.
        let second = Nonces::persisted(dir.path().join("nonces"));
        assert_eq!(
            second.next("key-1", 5_000_000 - 3_600_000).unwrap(),
            5_000_002
        );
        // Another key starts from its own floor.
        assert_eq!(second.next("key-2", 7).unwrap(), 7);
        let file = second.file("key-1").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "5000002");
        assert!(
            !file.display().to_string().contains("key-1"),
            "{}",
            file.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }

    #[test]
    fn two_instances_on_one_folder_never_hand_out_a_nonce_twice_under_concurrency() {
        // Two clients (as two processes would) share a folder; eight threads each draw at once
        // with a frozen clock. Every nonce is unique and each thread sees them rise.
        let dir = tempfile::tempdir().unwrap();
        let a = Arc::new(Nonces::persisted(dir.path().to_owned()));
        let b = Arc::new(Nonces::persisted(dir.path().to_owned()));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let nonces = if i % 2 == 0 {
                    Arc::clone(&a)
                } else {
                    Arc::clone(&b)
                };
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| nonces.next("shared", 1_000).unwrap())
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        let mut all = Vec::new();
        for thread in threads {
            let drawn = thread.join().unwrap();
            assert!(drawn.windows(2).all(|w| w[0] < w[1]), "{drawn:?}");
            all.extend(drawn);
        }
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count, "a nonce was handed out twice");
        assert_eq!(*all.last().unwrap(), 1_000 + 399);
    }

    #[test]
    fn an_unwritable_folder_is_an_error_not_a_guess() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "x").unwrap();
        let nonces = Nonces::persisted(blocker.join("nonces"));
        let err = nonces.next("k", 1).unwrap_err();
        assert!(
            err.to_string().contains("cannot keep the API key's nonce"),
            "{err}"
        );
    }
}
