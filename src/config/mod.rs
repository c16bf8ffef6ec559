//! The config file: named profiles, each one exchange account the owner can respond on.
//!
//! A profile names the venue, its base URL, the master credential and the bots' keys as
//! *references* (`env:NAME`, `file:PATH`), never as values: secrets do not live in the config
//! and never come from argv. Everything is checked before anything is sent, and every problem
//! is reported at once with `file:line:col`.

mod credential;
mod history;
mod profile;
mod raw;

use std::path::{Path, PathBuf};

pub use credential::SecretRef;
pub use history::HistorySettings;
pub use profile::{OwnedKey, Profile, SecretStore, TEMPLATE_FIELDS};

use crate::source::{Problems, Source};

/// Why a config could not be used.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// No config file at the path.
    #[error("no config file at `{}`", path.display())]
    #[diagnostic(help(
        "pass `--config FILE`, or try lockdown with `lockdown sim --venue bybit --out DIR`, which writes one"
    ))]
    NotFound {
        /// The path tried.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read the config `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Problems),
    /// The profile asked for does not exist.
    #[error("no profile `{name}` in `{}`", path.display())]
    #[diagnostic(help("profiles in this file: {available}"))]
    NoProfile {
        /// The profile asked for.
        name: String,
        /// The file.
        path: PathBuf,
        /// The profiles it has.
        available: String,
    },
    /// Several profiles and none chosen.
    #[error("`{}` has several profiles; choose one with `--profile`", path.display())]
    #[diagnostic(help("profiles in this file: {available}"))]
    ProfileNeeded {
        /// The file.
        path: PathBuf,
        /// The profiles it has.
        available: String,
    },
}

/// The config file where none is given: `$XDG_CONFIG_HOME/lockdown/config.yaml`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("lockdown").join("config.yaml")
}

/// The state folder where a profile names none: `$XDG_STATE_HOME/lockdown`.
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("state"))
        })
        .unwrap_or_else(|| PathBuf::from("."))
        .join("lockdown")
}

/// Loads one profile from a config file, resolving and checking its credentials.
pub fn load_profile(path: &Path, name: Option<&str>) -> Result<Profile, ConfigError> {
    let text = match crate::limits::read_file(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound {
                path: path.to_owned(),
            });
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let source = Source::bounded(path.display().to_string(), text)?;
    let raw = raw::parse(&source)?;
    let available = raw.profiles.keys().cloned().collect::<Vec<_>>().join(", ");
    let name = match name {
        Some(name) => name.to_owned(),
        None if raw.profiles.len() == 1 => raw.profiles.keys().next().cloned().unwrap_or_default(),
        None if raw.profiles.contains_key("default") => "default".to_owned(),
        None => {
            return Err(ConfigError::ProfileNeeded {
                path: path.to_owned(),
                available,
            });
        }
    };
    let Some(profile) = raw.profiles.get(&name) else {
        return Err(ConfigError::NoProfile {
            name,
            path: path.to_owned(),
            available,
        });
    };
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(profile::validate(&source, &name, profile, &dir)?)
}

/// Loads the `history:` section (the regression rule) and the profiles' state folders from a
/// config file, without validating its profiles. `None` reads the default path, and a missing
/// default file gives the defaults: `lockdown drill` needs no config.
pub fn load_history(path: Option<&Path>) -> Result<HistorySettings, ConfigError> {
    let (path, explicit) = match path {
        Some(path) => (path.to_owned(), true),
        None => (default_path(), false),
    };
    let text = match crate::limits::read_file(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(HistorySettings::default());
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound { path });
        }
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let source = Source::bounded(path.display().to_string(), text)?;
    let raw = raw::parse_history(&source)?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(history::validate(&source, &raw, &dir)?)
}
