//! The journal key: an HMAC-SHA256 key kept outside the run folders.
//!
//! The hash chain shows any edit only to someone who knows the head hash: whoever can write a
//! run folder can change an event and recompute every hash after it. Each event therefore also
//! carries a `mac` over its hash under a key that lives in the state dir, not in the run folder:
//! `<state_dir>/journal.key`, 32 random bytes as 64 hex digits, created once with `create_new`
//! and mode 0600. A key file that its group or others can read is refused, not used.
//!
//! The key never leaves this file: it is never printed, logged or journaled, and `Debug` shows
//! only its fingerprint (the first 16 hex digits of SHA-256 of the key), which `run_started`
//! records so `verify` can tell a wrong key from a rewritten journal.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use rand::{RngCore, SeedableRng};
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};

/// The key's file name inside a state dir.
pub const FILE_NAME: &str = "journal.key";

/// Why a journal key cannot be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum KeyError {
    /// The file could not be read.
    #[error("cannot read the journal key `{}`: {source}", path.display())]
    #[diagnostic(help(
        "the key is created by the first `lockdown respond` in a state dir; pass another one with `--journal-key`"
    ))]
    Read {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be created.
    #[error("cannot create the journal key `{}`: {source}", path.display())]
    #[diagnostic(help("the state dir must be writable by the user running lockdown"))]
    Create {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Others than its owner can read it.
    #[error("the journal key `{}` can be read by others (mode {mode:03o})", path.display())]
    #[diagnostic(help(
        "make it private with `chmod 600` on the file; if someone else may have read it, anyone who can write the run folders can forge their journals"
    ))]
    Exposed {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file does not hold 64 hex digits.
    #[error("the journal key `{}` is not 64 hex digits", path.display())]
    #[diagnostic(help(
        "restore the key from a backup; a new key cannot authenticate journals written with the old one"
    ))]
    Malformed {
        /// The key file.
        path: PathBuf,
    },
}

/// A loaded journal key. Its bytes are zeroed on drop and shown nowhere.
pub struct JournalKey {
    bytes: SecretBox<[u8; 32]>,
    fingerprint: String,
}

impl fmt::Debug for JournalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "JournalKey(<redacted>, fingerprint {})",
            self.fingerprint
        )
    }
}

impl JournalKey {
    /// A new random key held in memory only (tests, and the bytes of a new key file).
    pub fn generate() -> JournalKey {
        let mut bytes = [0u8; 32];
        rand::rngs::StdRng::from_os_rng().fill_bytes(&mut bytes);
        JournalKey::from_bytes(bytes)
    }

    fn from_bytes(bytes: [u8; 32]) -> JournalKey {
        let fingerprint = hex::encode(Sha256::digest(bytes))[..16].to_owned();
        JournalKey {
            bytes: SecretBox::new(Box::new(bytes)),
            fingerprint,
        }
    }

    /// The state dir's key, created on first use (the state dir too, private to the owner).
    pub fn load_or_create(state_dir: &Path) -> Result<JournalKey, KeyError> {
        let path = state_dir.join(FILE_NAME);
        match create(&path) {
            Ok(key) => Ok(key),
            Err(source) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                // Another lockdown may be writing it this very moment (two first runs at once):
                // a file shorter than a key is waited for, briefly.
                for _ in 0..50 {
                    let short = std::fs::metadata(&path).is_ok_and(|m| m.len() < 64);
                    match JournalKey::load(&path) {
                        Err(KeyError::Malformed { .. }) if short => {
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        done => return done,
                    }
                }
                JournalKey::load(&path)
            }
            Err(source) => Err(KeyError::Create { path, source }),
        }
    }

    /// Reads a key file; refuses one its group or others can read.
    pub fn load(path: &Path) -> Result<JournalKey, KeyError> {
        let read = |source| KeyError::Read {
            path: path.to_owned(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(read)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyError::Exposed {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| KeyError::Malformed {
            path: path.to_owned(),
        })?;
        Ok(JournalKey::from_bytes(bytes))
    }

    /// The first 16 hex digits of SHA-256 of the key: names it without revealing it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// HMAC-SHA256 of an event's hash under the key, lowercase hex.
    pub fn mac(&self, hash: &str) -> String {
        hex::encode(self.hmac(hash).finalize().into_bytes())
    }

    /// Whether `mac` is this key's MAC of `hash` exactly as [`JournalKey::mac`] writes it
    /// (lowercase hex: an uppercased digit is an edit too), compared in constant time.
    pub fn verifies(&self, hash: &str, mac: &str) -> bool {
        let lowercase_hex = mac.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        lowercase_hex
            && hex::decode(mac).is_ok_and(|bytes| self.hmac(hash).verify_slice(&bytes).is_ok())
    }

    fn hmac(&self, hash: &str) -> Hmac<Sha256> {
        #[allow(clippy::disallowed_methods)] // the one place the journal key is read
        let key = self.bytes.expose_secret();
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(hash.as_bytes());
        mac
    }
}

/// Writes a new key file that only its owner can read; fails if one exists.
fn create(path: &Path) -> std::io::Result<JournalKey> {
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let key = JournalKey::generate();
    #[allow(clippy::disallowed_methods)] // storing the key is the other place it is read
    let mut text = hex::encode(key.bytes.expose_secret());
    text.push('\n');
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let first = JournalKey::load_or_create(&state).unwrap();
        let again = JournalKey::load_or_create(&state).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(first.fingerprint().len(), 16);
        assert_eq!(first.mac("h"), again.mac("h"));
        assert!(again.verifies("h", &first.mac("h")));
        assert!(!again.verifies("g", &first.mac("h")));
        assert!(!again.verifies("h", &first.mac("h").to_uppercase()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(state.join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn first_runs_at_once_share_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let fingerprints: Vec<String> = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        JournalKey::load_or_create(&state)
                            .unwrap()
                            .fingerprint()
                            .to_owned()
                    })
                })
                .collect();
            runs.into_iter().map(|run| run.join().unwrap()).collect()
        });
        assert!(
            fingerprints.iter().all(|f| *f == fingerprints[0]),
            "{fingerprints:?}"
        );
    }

    #[test]
    fn debug_shows_the_fingerprint_and_never_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = JournalKey::load_or_create(dir.path()).unwrap();
        let stored = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.fingerprint()), "{shown}");
        assert!(!shown.contains(stored.trim()), "{shown}");
        assert!(!key.fingerprint().is_empty() && !stored.contains(key.fingerprint()));
    }

    #[cfg(unix)]
    #[test]
    fn a_key_others_can_read_is_refused_with_a_hint() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        JournalKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = JournalKey::load_or_create(dir.path()).unwrap_err();
        assert!(
            matches!(err, KeyError::Exposed { mode: 0o640, .. }),
            "{err:?}"
        );
        let help = miette::Diagnostic::help(&err).unwrap().to_string();
        assert!(help.contains("chmod 600"), "{help}");
    }

    #[test]
    fn a_malformed_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, "not hex\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert!(matches!(
            JournalKey::load(&path),
            Err(KeyError::Malformed { .. })
        ));
    }
}
