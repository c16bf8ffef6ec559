//! The config file: named profiles, each one exchange account the owner can respond on.
//!
//! A profile names the venue, its base URL, the master credential and the bots' keys as
//! *references* (`env:NAME`, `file:PATH`), never as values: secrets do not live in the config
//! and never come from argv. Everything is checked before anything is sent, and every problem
//! is reported at once with `file:line:col`.

mod credential;
mod handoff;
mod history;
mod profile;
mod raw;
pub mod schema;
mod watch;

use std::path::{Path, PathBuf};

pub use credential::SecretRef;
pub(crate) use credential::read_private_file;
pub use handoff::{BotHandoff, Verify as HandoffVerify};
pub use history::HistorySettings;
pub use profile::{OwnedKey, Profile, SecretStore, Secrets, TEMPLATE_FIELDS, UnreadKey};
pub(crate) use raw::{RawNotify, RawRoute, RawSchedule};
pub use watch::{RawWatch, load_watch};

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
    /// Another user could change the file (its mode, or its folder's), or it is not a regular
    /// file (a FIFO would block the read forever).
    #[error("config {refused}")]
    #[diagnostic(help("{hint}"))]
    Unsafe {
        /// What is wrong with it.
        refused: crate::private::Refused,
        /// The fix.
        hint: String,
    },
    /// The file has problems.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(#[from] Problems),
    /// The profile asked for does not exist.
    #[error("no profile `{name}` in `{}`", path.display())]
    #[diagnostic(help("{hint}"))]
    NoProfile {
        /// The profile asked for.
        name: String,
        /// The file.
        path: PathBuf,
        /// The profile meant, where one is close, and those the file has.
        hint: String,
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

impl ConfigError {
    /// `name` is not one of the file's profiles (`names`): its did-you-mean, and the list.
    fn no_profile(name: &str, path: &Path, names: &[String]) -> ConfigError {
        let list = format!("profiles in this file: {}", names.join(", "));
        ConfigError::NoProfile {
            name: name.to_owned(),
            path: path.to_owned(),
            hint: match crate::source::did_you_mean(name, names.iter().map(String::as_str)) {
                Some(meant) => format!("{meant} ({list})"),
                None => list,
            },
        }
    }

    /// Why a config file was not read: missing, unreadable, or one another user could change.
    fn reading(path: &Path, err: crate::private::Refused) -> ConfigError {
        match err {
            err if err.is_not_found() => ConfigError::NotFound {
                path: path.to_owned(),
            },
            crate::private::Refused::Io { source, .. } => ConfigError::Read {
                path: path.to_owned(),
                source,
            },
            refused => ConfigError::Unsafe {
                hint: refused.hint(),
                refused,
            },
        }
    }
}

/// Checks a URL lockdown sends to: https anywhere, plain http only to loopback.
pub fn check_url(url: &str) -> Result<(), String> {
    profile::check_base_url(url)
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

/// Reads and parses a config file, checking its structure but no profile's meaning.
fn read(path: &Path) -> Result<(Source, raw::RawConfig), ConfigError> {
    let text = crate::private::read_config(path).map_err(|err| ConfigError::reading(path, err))?;
    let source = Source::bounded(path.display().to_string(), text)?;
    let raw = raw::parse(&source)?;
    Ok((source, raw))
}

/// The names of a config file's profiles, none of them loaded: `check` loads each on its own,
/// so one that does not load (a secret not set) does not hide the others' readiness.
pub fn profile_names(path: &Path) -> Result<Vec<String>, ConfigError> {
    let (_, raw) = read(path)?;
    Ok(raw.profiles.into_keys().collect())
}

/// The profiles a command covers: every profile of the file when `asked` is empty, else those
/// asked for, each of which must be in the file (a name that is not is bad input, listing those
/// that are).
pub fn chosen_profiles(path: &Path, asked: &[String]) -> Result<Vec<String>, ConfigError> {
    let names = profile_names(path)?;
    if asked.is_empty() {
        return Ok(names);
    }
    if let Some(missing) = asked.iter().find(|name| !names.contains(name)) {
        return Err(ConfigError::no_profile(missing, path, &names));
    }
    Ok(asked.to_vec())
}

/// Loads one profile from a config file, resolving and checking its credentials.
pub fn load_profile(path: &Path, name: Option<&str>) -> Result<Profile, ConfigError> {
    load_profile_with(path, name, Secrets::Read)
}

/// Loads one profile's shape: everything [`load_profile`] checks, but no secret is read (each
/// stands as a placeholder), so a profile whose secret files are missing loads. For a drill of
/// the profile's setup against a simulator twin, which never needs the owner's secrets.
pub fn load_profile_shape(path: &Path, name: Option<&str>) -> Result<Profile, ConfigError> {
    load_profile_with(path, name, Secrets::Unread)
}

fn load_profile_with(
    path: &Path,
    name: Option<&str>,
    secrets: Secrets,
) -> Result<Profile, ConfigError> {
    let (source, raw) = read(path)?;
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
        let names: Vec<String> = raw.profiles.keys().cloned().collect();
        return Err(ConfigError::no_profile(&name, path, &names));
    };
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let stores = stores(&source, raw.secrets.as_ref(), &dir)?;
    Ok(profile::validate(
        &source, &name, profile, &dir, secrets, stores,
    )?)
}

/// The backends of the config's `secrets:` section (the defaults where there is none), every
/// problem with file:line:col.
fn stores(
    source: &Source,
    raw: Option<&crate::secrets::RawSettings>,
    dir: &Path,
) -> Result<std::sync::Arc<crate::secrets::Stores>, Problems> {
    let settings = match raw {
        None => crate::secrets::Settings::default(),
        Some(raw) => crate::secrets::Settings::from_raw(raw, dir).map_err(|problems| Problems {
            file: source.name().to_owned(),
            problems: problems
                .into_iter()
                .map(|(path, message)| {
                    source
                        .problem_at(&path, message)
                        .help("see README, \"Where secrets live\"")
                })
                .collect(),
        })?,
    };
    Ok(std::sync::Arc::new(crate::secrets::Stores::new(settings)))
}

/// Parses a config's text into its raw form (for the schedule checks' tests).
#[cfg(test)]
pub(crate) fn parse_raw(source: &Source) -> Result<Vec<RawSchedule>, Problems> {
    raw::parse(source).map(|raw| raw.schedules)
}

/// Loads the `schedules:` of a config file, every job checked (all problems at once); needs no
/// profile and resolves no credential, so a schedule of simulator drills needs no account.
pub fn load_schedules(path: &Path) -> Result<Vec<crate::schedule::Job>, ConfigError> {
    let (source, raw) = read(path)?;
    let config = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let dir = config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    // Where each profile keeps its history: a job's `--profile` writes there.
    let state_dirs = raw
        .profiles
        .iter()
        .map(|(name, profile)| {
            let state_dir = profile
                .state_dir
                .as_deref()
                .map(|p| credential::resolve_path(p, &dir))
                .unwrap_or_else(default_state_dir);
            (name.clone(), state_dir)
        })
        .collect();
    Ok(crate::schedule::validate(
        &source,
        &raw.schedules,
        &config,
        &state_dirs,
    )?)
}

/// Loads the `history:` section (the regression rule) and the profiles' state folders from a
/// config file, without validating its profiles. `None` reads the default path, and a missing
/// default file gives the defaults: `lockdown drill` needs no config.
pub fn load_history(path: Option<&Path>) -> Result<HistorySettings, ConfigError> {
    let (path, explicit) = match path {
        Some(path) => (path.to_owned(), true),
        None => (default_path(), false),
    };
    let text = match crate::private::read_config(&path) {
        Ok(text) => text,
        Err(err) if err.is_not_found() && !explicit => return Ok(HistorySettings::default()),
        Err(err) => return Err(ConfigError::reading(&path, err)),
    };
    let source = Source::bounded(path.display().to_string(), text)?;
    let raw = raw::parse_history(&source)?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(history::validate(&source, &raw, &dir)?)
}

/// Loads the `notify:` section (channels, built with their secrets resolved, and routes) of a
/// config file, every problem at once; the profiles are not validated. `None` reads the default
/// path, and a missing default file (or no `notify:`) gives no channels: nothing is sent.
pub fn load_notify(path: Option<&Path>) -> Result<crate::notify::config::Settings, ConfigError> {
    let (path, explicit) = match path {
        Some(path) => (path.to_owned(), true),
        None => (default_path(), false),
    };
    let text = match crate::private::read_config(&path) {
        Ok(text) => text,
        Err(err) if err.is_not_found() && !explicit => {
            return Ok(crate::notify::config::Settings::default());
        }
        Err(err) => return Err(ConfigError::reading(&path, err)),
    };
    let source = Source::bounded(path.display().to_string(), text)?;
    let view = parse_notify_view(&source)?;
    let raw = view.notify.unwrap_or_default();
    let dir = std::path::absolute(&path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    // Channel secrets may live in any store the config's `secrets:` section sets up.
    let stores = stores(&source, view.secrets.as_ref(), &dir)?;
    Ok(crate::secrets::with_stores(&stores, || {
        crate::notify::config::validate(&source, &raw, &dir)
    })?)
}

/// What `notify` reads of a config: its `notify:` and `secrets:` sections, structure only, the
/// rest unread (so a profile's problem does not stop a notification); one read of the file,
/// merge keys and `x-` keys applied as everywhere.
#[derive(Debug, Default, serde::Deserialize)]
struct NotifyView {
    #[serde(default)]
    notify: Option<RawNotify>,
    #[serde(default)]
    secrets: Option<crate::secrets::RawSettings>,
}

fn parse_notify_view(source: &Source) -> Result<NotifyView, Problems> {
    source.parse_all(|_| {
        Some("see \"Notifications\" in README.md (`notify:` with `channels:` and `routes:`) and \"Where secrets live\" (`secrets:`)".to_owned())
    })
}

/// The `notify:` section of a config's text, structure only (an empty one where there is none).
#[cfg(test)]
pub(crate) fn parse_notify(source: &Source) -> Result<RawNotify, Problems> {
    parse_notify_view(source).map(|view| view.notify.unwrap_or_default())
}

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn the_shipped_example_configs_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let mut venues = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if !(name.starts_with("config") && name.ends_with(".yaml")) {
                continue;
            }
            match load_profile_shape(&path, None) {
                Ok(profile) => venues.push(profile.exchange.to_string()),
                Err(err) => panic!("{name}: {err:?}"),
            }
        }
        // One example per venue (a new venue's row is not done without its example).
        for venue in crate::venues::VENUES.iter().map(|v| v.name) {
            assert!(
                venues.iter().any(|v| v == venue),
                "no examples/config*.yaml for {venue}"
            );
        }
    }

    #[test]
    fn a_misspelt_profile_gets_its_meaning_and_the_list() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config-okx.yaml");
        let Err(err) = load_profile_shape(&path, Some("okx-mian")) else {
            panic!("a profile that is not there loaded");
        };
        let hint = miette::Diagnostic::help(&err).map(|h| h.to_string());
        assert_eq!(
            hint.as_deref(),
            Some("did you mean `okx-main`? (profiles in this file: okx-main)")
        );
        let Err(err) = chosen_profiles(&path, &["zzz".to_owned()]) else {
            panic!("a profile that is not there was chosen");
        };
        let hint = miette::Diagnostic::help(&err).map(|h| h.to_string());
        assert_eq!(hint.as_deref(), Some("profiles in this file: okx-main"));
    }

    #[test]
    fn the_notify_section_takes_merge_keys_and_extension_keys() {
        let text = "x-hook: &hook\n  type: webhook\n  timeout: 5s\nprofiles: {}\nnotify:\n  channels:\n    a:\n      <<: *hook\n      url: https://a.example/\n  routes:\n    - events: [all]\n      channels: [a]\n      x-note: mine\n";
        let raw = parse_notify(&Source::new("c.yaml", text)).unwrap_or_else(|e| panic!("{e:?}"));
        let channel = &raw.channels["a"];
        assert_eq!(channel["type"].as_str(), Some("webhook"));
        assert_eq!(channel["timeout"].as_str(), Some("5s"));
        assert_eq!(raw.routes.len(), 1);
        // A misspelt key of the section is still one problem with its meaning.
        let Err(problems) = parse_notify(&Source::new("c.yaml", "notify:\n  rutes: []\n")) else {
            panic!("a typo was accepted");
        };
        let hint = problems.problems[0].hint().unwrap_or_default();
        assert!(hint.starts_with("did you mean `routes`?"), "{hint}");
    }

    #[test]
    fn every_loader_of_one_command_reads_the_config_from_one_parse() {
        // What `lockdown check` and `lockdown watch` load of one config, loader by loader (each
        // reads the file on its own): before, nine passes of a YAML parser (a bounds scan and a
        // serde read per loader, and an index).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config-okx.yaml");
        let text = std::fs::read_to_string(example).unwrap();
        // A text of this test's own, so no other test's parse of the example is reused.
        let text = format!("{text}\n# {}\n", std::process::id() ^ 0x5eed);
        std::fs::write(&path, text).unwrap();
        let before = crate::source::parses();
        let names = chosen_profiles(&path, &[]).unwrap_or_else(|e| panic!("{e:?}"));
        load_history(Some(&path)).unwrap_or_else(|e| panic!("{e:?}"));
        for name in &names {
            load_profile_shape(&path, Some(name)).unwrap_or_else(|e| panic!("{e:?}"));
        }
        load_notify(Some(&path)).unwrap_or_else(|e| panic!("{e:?}"));
        load_watch(&path).unwrap_or_else(|e| panic!("{e:?}"));
        load_schedules(&path).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(crate::source::parses() - before, 1);
    }
}
