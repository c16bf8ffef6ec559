//! `age:` references: an age-encrypted file, read with an identity file and written to
//! recipients (public keys), so storing a replacement key's secret needs no secret at all.
//!
//! STUB: built by this wave's helper (L).

use std::fmt;
use std::path::{Path, PathBuf};

use super::{NewSecret, SecretError, Stored};
use crate::secret::SecretString;

/// An encrypted file and, for reads of a JSON file, one key of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeRef {
    path: PathBuf,
    field: Option<String>,
}

impl AgeRef {
    /// Parses the text after `age:`: `PATH[#JSON_KEY]`.
    pub fn parse(text: &str, base: &Path) -> Result<AgeRef, String> {
        let (path, field) = match text.rsplit_once('#') {
            Some((path, field)) => (path, Some(field.to_owned())),
            None => (text, None),
        };
        if path.trim().is_empty() {
            return Err("`age:` needs a file, e.g. `age:~/.config/lockdown/master.age`".into());
        }
        Ok(AgeRef {
            path: super::resolve_path(path.trim(), base),
            field,
        })
    }

    /// The encrypted file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The JSON key, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for AgeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}#{field}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// `secrets.age`.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    /// Parses `secrets.age`.
    pub fn from_yaml(_value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

fn not_built(r: &AgeRef) -> SecretError {
    SecretError::new(
        format!("age:{r}"),
        "`age:` references are not built yet",
        "use `env:` or `file:`",
    )
}

/// Decrypts the file with the identity.
pub fn read(_settings: &Settings, r: &AgeRef) -> Result<SecretString, SecretError> {
    Err(not_built(r))
}

/// Encrypts the new secret's JSON to the recipients.
pub fn write(
    _settings: &Settings,
    r: &AgeRef,
    _secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    Err(not_built(r))
}

/// Are there recipients, and can the file be written?
pub fn probe_write(_settings: &Settings, r: &AgeRef) -> Result<(), SecretError> {
    Err(not_built(r))
}

/// The `api_key` of the file, when the identity is at hand.
pub fn stored_key_id(_settings: &Settings, _r: &AgeRef) -> Result<Option<String>, SecretError> {
    Ok(None)
}
