//! `vault:` references: a field of a HashiCorp Vault / OpenBao KV v2 secret
//! (`vault:secret/data/bybit#api_secret`), and a KV v2 secret as a replacement key's store.
//!
//! STUB: the client is built by this wave's helper (V).

use std::fmt;
use std::path::Path;

use super::{NewSecret, SecretError, Stored};
use crate::secret::SecretString;

/// A KV v2 path (with its `data/` segment) and, for reads, a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultRef {
    path: String,
    field: Option<String>,
}

impl VaultRef {
    /// Parses the text after `vault:`: `MOUNT/data/PATH[#FIELD]`.
    pub fn parse(text: &str) -> Result<VaultRef, String> {
        let (path, field) = match text.split_once('#') {
            Some((path, field)) => (path, Some(field.to_owned())),
            None => (text, None),
        };
        if path.trim().is_empty() {
            return Err(
                "`vault:` needs a KV v2 path, e.g. `vault:secret/data/bybit#api_secret`".into(),
            );
        }
        Ok(VaultRef {
            path: path.trim().to_owned(),
            field,
        })
    }

    /// The path, as written.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The field, if any.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl fmt::Display for VaultRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}#{field}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// `secrets.vault`.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    /// Parses `secrets.vault`.
    pub fn from_yaml(_value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

fn not_built(r: &VaultRef) -> SecretError {
    SecretError::new(
        format!("vault:{r}"),
        "`vault:` references are not built yet",
        "use `env:` or `file:`",
    )
}

/// Reads one field.
pub fn read(_settings: &Settings, r: &VaultRef) -> Result<SecretString, SecretError> {
    Err(not_built(r))
}

/// Writes a new version with check-and-set.
pub fn write(
    _settings: &Settings,
    r: &VaultRef,
    _secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    Err(not_built(r))
}

/// Could the token write there?
pub fn probe_write(_settings: &Settings, r: &VaultRef) -> Result<(), SecretError> {
    Err(not_built(r))
}

/// The `api_key` field of the current version.
pub fn stored_key_id(_settings: &Settings, _r: &VaultRef) -> Result<Option<String>, SecretError> {
    Ok(None)
}
