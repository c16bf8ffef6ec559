//! Secrets and the identifiers that point at them.
//!
//! A secret lives in a [`SecretString`] from the moment it is read until it is used to sign a
//! request or written to the secret store; `expose_secret` is a disallowed method everywhere
//! else (see `clippy.toml`). Key ids are not secrets, but people see them masked: [`KeyId`]'s
//! `Display` and `Debug` show `ABCD…WXYZ`, and only [`KeyId::as_str`] gives the whole id, for the
//! wire and the journal.

use std::fmt;

pub use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// An exchange API key id (the public half of a key pair).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps a key id; surrounding white space is dropped.
    pub fn new(id: impl Into<String>) -> KeyId {
        let id: String = id.into();
        KeyId(id.trim().to_owned())
    }

    /// The whole id, for requests and the journal.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as people see it: first and last four characters.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.masked())
    }
}

/// Masks an identifier for people: `ABCD…WXYZ` (`AB…YZ` for ids of 8 to 11 characters, such
/// as Deribit's client ids), or `****` when it is too short to show any of it.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let shown = match chars.len() {
        0..8 => return "****".to_owned(),
        8..12 => 2,
        _ => 4,
    };
    let head: String = chars[..shown].iter().collect();
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{head}…{tail}")
}

/// A key id with its secret (and, on venues that have one, a passphrase).
#[derive(Clone)]
pub struct Credential {
    /// The key id.
    pub key: KeyId,
    secret: SecretString,
    passphrase: Option<SecretString>,
}

impl Credential {
    /// Pairs a key id with its secret.
    pub fn new(key: KeyId, secret: SecretString) -> Credential {
        Credential {
            key,
            secret,
            passphrase: None,
        }
    }

    /// Adds the passphrase some venues require beside the secret.
    pub fn with_passphrase(mut self, passphrase: SecretString) -> Credential {
        self.passphrase = Some(passphrase);
        self
    }

    /// The secret; only signers and the secret store may expose it.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// The passphrase, where the venue has one.
    pub fn passphrase(&self) -> Option<&SecretString> {
        self.passphrase.as_ref()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_long_and_short_ids() {
        assert_eq!(mask("ABCDEFGHIJKLMNOPQR"), "ABCD…OPQR");
        assert_eq!(mask("short"), "****");
        assert_eq!(mask("AbCdEfGh"), "Ab…Gh");
        assert_eq!(KeyId::new(" ABCDEFGHIJKLMNOPQR\n").to_string(), "ABCD…OPQR");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let cred = Credential::new(
            KeyId::new("ABCDEFGHIJKLMNOPQR"),
            SecretString::from("canary-secret-value"),
        );
        let shown = format!("{cred:?}");
        assert!(!shown.contains("canary"), "{shown}");
        assert!(!shown.contains("ABCDEFGHIJKLMNOPQR"), "{shown}");
    }
}
