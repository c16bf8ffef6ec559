//! `aws-sm:` references: an AWS Secrets Manager secret or one JSON key of it
//! (`aws-sm:prod/bybit#api_secret`), and a secret as a replacement key's store.
//!
//! STUB: the client is built by this wave's helper (W).

use std::fmt;
use std::path::Path;

use super::{NewSecret, SecretError, Stored};
use crate::secret::SecretString;

/// A secret id (name or ARN) and, optionally, a JSON key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRef {
    path: String,
    field: Option<String>,
}

impl AwsRef {
    /// Parses the text after `aws-sm:`: `SECRET_ID[#JSON_KEY]`.
    pub fn parse(text: &str) -> Result<AwsRef, String> {
        let (path, field) = match text.split_once('#') {
            Some((path, field)) => (path, Some(field.to_owned())),
            None => (text, None),
        };
        if path.trim().is_empty() {
            return Err(
                "`aws-sm:` needs a secret id or ARN, e.g. `aws-sm:prod/bybit#api_secret`".into(),
            );
        }
        Ok(AwsRef {
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

impl fmt::Display for AwsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}#{field}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// `secrets.aws`.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    /// Parses `secrets.aws`.
    pub fn from_yaml(_value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

fn not_built(r: &AwsRef) -> SecretError {
    SecretError::new(
        format!("aws-sm:{r}"),
        "`aws-sm:` references are not built yet",
        "use `env:` or `file:`",
    )
}

/// Reads one field.
pub fn read(_settings: &Settings, r: &AwsRef) -> Result<SecretString, SecretError> {
    Err(not_built(r))
}

/// Writes a new version (PutSecretValue).
pub fn write(
    _settings: &Settings,
    r: &AwsRef,
    _secret: &NewSecret<'_>,
) -> Result<Stored, SecretError> {
    Err(not_built(r))
}

/// Could the credentials write there?
pub fn probe_write(_settings: &Settings, r: &AwsRef) -> Result<(), SecretError> {
    Err(not_built(r))
}

/// The `api_key` field of the current version.
pub fn stored_key_id(_settings: &Settings, _r: &AwsRef) -> Result<Option<String>, SecretError> {
    Ok(None)
}
