//! `cmd:` references: a password manager's command (`op read op://vault/item/field`,
//! `pass show exchange/bybit`), run without a shell; its standard output is the secret.
//!
//! STUB: the grammar and the runner are built by this wave's helper (L).

use std::fmt;
use std::path::Path;

use super::SecretError;
use crate::secret::SecretString;

/// A command: the program and its arguments (split as a POSIX shell would split words, but no
/// shell runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdRef {
    argv: Vec<String>,
}

impl CmdRef {
    /// Parses the text after `cmd:`.
    pub fn parse(text: &str, _base: &Path) -> Result<CmdRef, String> {
        let argv: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        if argv.is_empty() {
            return Err("`cmd:` needs a command, e.g. `cmd:pass show exchange/bybit`".into());
        }
        Ok(CmdRef { argv })
    }

    /// The program and its arguments.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }
}

impl fmt::Display for CmdRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.argv.join(" "))
    }
}

/// `secrets.cmd`.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    /// Parses `secrets.cmd`.
    pub fn from_yaml(_value: &serde_yaml::Value, _dir: &Path) -> Result<Settings, String> {
        Ok(Settings::default())
    }
}

/// Runs the command and returns its output.
pub fn read(_settings: &Settings, r: &CmdRef) -> Result<SecretString, SecretError> {
    Err(SecretError::new(
        format!("cmd:{r}"),
        "`cmd:` references are not built yet",
        "use `env:` or `file:`",
    ))
}
