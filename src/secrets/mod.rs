//! Secret stores: where secrets are read from and where a replacement key's secret is written.
//!
//! One reference scheme everywhere a secret is read ([`SecretRef`]) and one destination type
//! everywhere one is written ([`Destination`]), with one error shape ([`SecretError`]: which
//! reference, what failed, how to fix it). Backends: environment variables and private files
//! (here), a password manager's command ([`cmd`]), Vault/OpenBao KV v2 ([`vault`]), AWS Secrets
//! Manager ([`aws`]) and age-encrypted files ([`age`]).
//!
//! Why one [`Stores`] object: the backends' settings come from the config's `secrets:` section
//! (a Vault address, an AWS region, an age identity), and a run reads each reference once: the
//! values are cached for the run as [`SecretString`]s, zeroized when the stores are dropped.
//! Reads are synchronous (config loading is); a backend that speaks HTTP runs its client on a
//! helper thread with its own runtime ([`block_on`]), so it works inside and outside tokio.
//!
//! Nothing but a reference as written and a stored version id is ever printed, journaled or
//! put in an error.

pub mod age;
pub mod aws;
pub mod cmd;
mod reference;
pub mod vault;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use reference::{SCHEMES, SecretRef, resolve_path};

use crate::secret::{KeyId, SecretString};

/// Why a secret could not be read or written: the reference as written (never a value), what
/// failed, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{reference}`: {what}")]
pub struct SecretError {
    /// The reference or destination, as written.
    pub reference: String,
    /// What failed (no secret in it).
    pub what: String,
    /// How to fix it.
    pub hint: String,
}

impl SecretError {
    /// An error about `reference`.
    pub fn new(
        reference: impl fmt::Display,
        what: impl Into<String>,
        hint: impl Into<String>,
    ) -> SecretError {
        SecretError {
            reference: reference.to_string(),
            what: what.into(),
            hint: hint.into(),
        }
    }
}

/// Where a replacement key's secret is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A JSON file `{"api_key": …, "api_secret": …}`, mode 0600.
    File(PathBuf),
    /// A dotenv file: `LOCKDOWN_API_KEY=…` and `LOCKDOWN_API_SECRET=…` lines, mode 0600.
    EnvFile(PathBuf),
    /// A new version of a Vault / OpenBao KV v2 secret (the JSON fields as its data), written
    /// with check-and-set.
    Vault(vault::VaultRef),
    /// A new version of an AWS Secrets Manager secret (the JSON as its `SecretString`).
    AwsSm(aws::AwsRef),
    /// An age-encrypted JSON file, encrypted to the configured recipients (no secret needed).
    Age(age::AgeRef),
}

impl Destination {
    /// Parses `file:PATH`, `env-file:PATH`, `vault:MOUNT/data/PATH`, `aws-sm:SECRET_ID` or
    /// `age:PATH`.
    pub fn parse(text: &str, base: &Path) -> Result<Destination, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("env-file:") {
            return non_empty(path, "env-file")
                .map(|p| Destination::EnvFile(resolve_path(p, base)));
        }
        if let Some(path) = text.strip_prefix("file:") {
            return non_empty(path, "file").map(|p| Destination::File(resolve_path(p, base)));
        }
        if let Some(rest) = text.strip_prefix("vault:") {
            return vault::VaultRef::parse(rest).map(Destination::Vault);
        }
        if let Some(rest) = text.strip_prefix("aws-sm:") {
            return aws::AwsRef::parse(rest).map(Destination::AwsSm);
        }
        if let Some(rest) = text.strip_prefix("age:") {
            return age::AgeRef::parse_destination(rest, base).map(Destination::Age);
        }
        // A misspelt scheme (`env_file:`) is named with the one meant.
        let meant = text
            .split_once(':')
            .and_then(|(scheme, _)| {
                crate::source::did_you_mean(scheme, ["file", "env-file", "vault", "aws-sm", "age"])
            })
            .map(|hint| format!("{hint} "))
            .unwrap_or_default();
        Err(format!(
            "`{text}` is not a secret store; {meant}write `file:PATH` (JSON), `env-file:PATH` (dotenv), \
             `vault:MOUNT/data/PATH`, `aws-sm:SECRET_ID` or `age:PATH`"
        ))
    }

    /// The local file written, for destinations that are one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Destination::File(path) | Destination::EnvFile(path) => Some(path),
            Destination::Age(r) => Some(r.path()),
            Destination::Vault(_) | Destination::AwsSm(_) => None,
        }
    }

    /// As written in configs.
    pub fn describe(&self) -> String {
        self.to_string()
    }

    /// The scheme, as written.
    pub fn scheme(&self) -> &'static str {
        match self {
            Destination::File(_) => "file",
            Destination::EnvFile(_) => "env-file",
            Destination::Vault(_) => "vault",
            Destination::AwsSm(_) => "aws-sm",
            Destination::Age(_) => "age",
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::File(path) => write!(f, "file:{}", path.display()),
            Destination::EnvFile(path) => write!(f, "env-file:{}", path.display()),
            Destination::Vault(r) => write!(f, "vault:{r}"),
            Destination::AwsSm(r) => write!(f, "aws-sm:{r}"),
            Destination::Age(r) => write!(f, "age:{r}"),
        }
    }
}

fn non_empty<'a>(path: &'a str, scheme: &str) -> Result<&'a str, String> {
    if path.trim().is_empty() {
        Err(format!("`{scheme}:` needs a path"))
    } else {
        Ok(path.trim())
    }
}

/// A new key's secret on its way to a remote or encrypted store (`Debug` shows the key only).
pub struct NewSecret<'a> {
    /// The key id (not secret; stored beside the secret so the bot and `resume` can tell
    /// which key it is).
    pub key: &'a KeyId,
    /// The JSON text written: `{"api_key", "api_secret"[, "api_passphrase"]}`.
    pub json: &'a SecretString,
}

impl fmt::Debug for NewSecret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSecret")
            .field("key", self.key)
            .field("json", &"<redacted>")
            .finish()
    }
}

/// What was written where: the only thing about a store write that is journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The destination, as written.
    pub destination: String,
    /// The store's version id of what was written (Vault's KV version, AWS's `VersionId`),
    /// where the store has one.
    pub version: Option<String>,
}

/// Every backend's settings: the config's `secrets:` section.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `secrets.vault`.
    pub vault: vault::Settings,
    /// `secrets.aws`.
    pub aws: aws::Settings,
    /// `secrets.age`.
    pub age: age::Settings,
    /// `secrets.cmd`.
    pub cmd: cmd::Settings,
}

/// The `secrets:` section as written: one mapping per backend, each parsed by its module.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// Vault / OpenBao.
    #[serde(default)]
    pub vault: Option<serde_yaml::Value>,
    /// AWS Secrets Manager.
    #[serde(default)]
    pub aws: Option<serde_yaml::Value>,
    /// age.
    #[serde(default)]
    pub age: Option<serde_yaml::Value>,
    /// Password-manager commands.
    #[serde(default)]
    pub cmd: Option<serde_yaml::Value>,
}

impl Settings {
    /// Checks the `secrets:` section; each problem is `(field path, message)` so the config
    /// loader can add file:line:col. Relative paths resolve against `dir`.
    pub fn from_raw(raw: &RawSettings, dir: &Path) -> Result<Settings, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut settings = Settings::default();
        if let Some(value) = &raw.vault {
            match vault::Settings::from_yaml(value, dir) {
                Ok(s) => settings.vault = s,
                Err(e) => problems.push(("secrets.vault".to_owned(), e)),
            }
        }
        if let Some(value) = &raw.aws {
            match aws::Settings::from_yaml(value, dir) {
                Ok(s) => settings.aws = s,
                Err(e) => problems.push(("secrets.aws".to_owned(), e)),
            }
        }
        if let Some(value) = &raw.age {
            match age::Settings::from_yaml(value, dir) {
                Ok(s) => settings.age = s,
                Err(e) => problems.push(("secrets.age".to_owned(), e)),
            }
        }
        if let Some(value) = &raw.cmd {
            match cmd::Settings::from_yaml(value, dir) {
                Ok(s) => settings.cmd = s,
                Err(e) => problems.push(("secrets.cmd".to_owned(), e)),
            }
        }
        if problems.is_empty() {
            Ok(settings)
        } else {
            Err(problems)
        }
    }
}

/// The backends' settings and the run's read cache.
#[derive(Default)]
pub struct Stores {
    settings: Settings,
    cache: Mutex<HashMap<String, SecretString>>,
}

impl fmt::Debug for Stores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stores")
            .field("settings", &self.settings)
            .field("cached", &self.cache.lock().map(|c| c.len()).unwrap_or(0))
            .finish()
    }
}

impl Stores {
    /// Stores with these settings and an empty cache.
    pub fn new(settings: Settings) -> Stores {
        Stores {
            settings,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reads a secret, once per run: a second read of the same reference is answered from the
    /// cache.
    pub fn read(&self, reference: &SecretRef) -> Result<SecretString, SecretError> {
        let key = reference.to_string();
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let value = match reference {
            SecretRef::Env(name) => read_env(name)
                .map_err(|what| SecretError::new(reference, what, reference.hint()))?,
            SecretRef::File(path) => crate::config::read_private_file(path)
                .map_err(|what| SecretError::new(reference, what, reference.hint()))?,
            SecretRef::Cmd(r) => cmd::read(&self.settings.cmd, r)?,
            SecretRef::Vault(r) => vault::read(&self.settings.vault, r)?,
            SecretRef::AwsSm(r) => aws::read(&self.settings.aws, r)?,
            SecretRef::Age(r) => age::read(&self.settings.age, r)?,
        };
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, value.clone());
        }
        Ok(value)
    }

    /// Can `reference` be read? (For `check`: reads it, keeps nothing.)
    pub fn probe_read(&self, reference: &SecretRef) -> Result<(), SecretError> {
        self.read(reference).map(drop)
    }

    /// Writes a new key's secret to a remote or encrypted destination. `File` and `EnvFile`
    /// are written by the `store_secret` action itself (atomic rename, other dotenv lines
    /// kept) and refused here.
    pub fn write(&self, to: &Destination, secret: &NewSecret<'_>) -> Result<Stored, SecretError> {
        match to {
            Destination::Vault(r) => vault::write(&self.settings.vault, r, secret),
            Destination::AwsSm(r) => aws::write(&self.settings.aws, r, secret),
            Destination::Age(r) => age::write(&self.settings.age, r, secret),
            Destination::File(_) | Destination::EnvFile(_) => Err(SecretError::new(
                to,
                "local files are written by the `store_secret` step",
                "this is a bug in lockdown; please report it",
            )),
        }
    }

    /// Could a secret be written to `to` now? Nothing is written (for `check`, and before a
    /// replacement key is created, so a key is never made that nobody can hold).
    pub fn probe_write(&self, to: &Destination) -> Result<(), SecretError> {
        match to {
            Destination::Vault(r) => vault::probe_write(&self.settings.vault, r),
            Destination::AwsSm(r) => aws::probe_write(&self.settings.aws, r),
            Destination::Age(r) => age::probe_write(&self.settings.age, r),
            Destination::File(path) | Destination::EnvFile(path) => probe_local(to, path),
        }
    }

    /// The key id the destination holds now, if it can tell (resume's probe: did an earlier
    /// attempt store this run's key?). `Ok(None)`: nothing there, or the store cannot tell
    /// without a secret it does not have (an age file without the identity).
    pub fn stored_key_id(&self, to: &Destination) -> Result<Option<String>, SecretError> {
        match to {
            Destination::Vault(r) => vault::stored_key_id(&self.settings.vault, r),
            Destination::AwsSm(r) => aws::stored_key_id(&self.settings.aws, r),
            Destination::Age(r) => age::stored_key_id(&self.settings.age, r),
            Destination::File(_) | Destination::EnvFile(_) => Ok(None),
        }
    }
}

fn read_env(name: &str) -> Result<SecretString, String> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(SecretString::from(value.trim().to_owned())),
        Ok(_) => Err(format!("environment variable `{name}` is empty")),
        Err(_) => Err(format!("environment variable `{name}` is not set")),
    }
}

/// A local store's folder must exist and the target must not be a folder.
pub(crate) fn probe_local(to: &Destination, path: &Path) -> Result<(), SecretError> {
    if path.is_dir() {
        return Err(SecretError::new(
            to,
            format!("`{}` is a folder, not a file", path.display()),
            "name a file inside it, e.g. `file:~/.config/bot/key.json`",
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(SecretError::new(
            to,
            format!("the folder `{}` does not exist", dir.display()),
            "create it (mode 0700) before the incident, not during it",
        ));
    }
    Ok(())
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Stores>>> = const { RefCell::new(None) };
}

/// Runs `f` with `stores` as the stores [`SecretRef::resolve`] reads through on this thread
/// (config loading: a channel's or profile's references resolve with the config's `secrets:`
/// settings without every parser carrying them).
pub fn with_stores<T>(stores: &Arc<Stores>, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(Arc::clone(stores))));
    let out = f();
    CURRENT.with(|c| *c.borrow_mut() = previous);
    out
}

/// Calls `f` with this thread's current stores (the defaults outside [`with_stores`]).
pub(crate) fn current<T>(f: impl FnOnce(&Stores) -> T) -> T {
    let stores = CURRENT.with(|c| c.borrow().clone());
    match stores {
        Some(stores) => f(&stores),
        None => f(&Stores::default()),
    }
}

/// Runs a future to completion on a helper thread with its own current-thread runtime: the
/// HTTP backends' bridge from synchronous config loading, safe inside a tokio runtime too.
pub fn block_on<F, T>(future: F) -> Result<T, String>
where
    F: std::future::Future<Output = T> + Send,
    T: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|runtime| runtime.block_on(future))
                    .map_err(|err| format!("cannot start the secret store's runtime: {err}"))
            })
            .join()
            .unwrap_or_else(|_| Err("the secret store's thread panicked".to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_and_show_as_written() {
        let base = Path::new("/cfg");
        for (text, shown) in [
            ("file:key.json", "file:/cfg/key.json"),
            ("env-file:/bot/.env", "env-file:/bot/.env"),
        ] {
            assert_eq!(Destination::parse(text, base).unwrap().to_string(), shown);
        }
        assert!(Destination::parse("file:", base).is_err());
        assert!(Destination::parse("s3://bucket", base).is_err());
    }

    #[test]
    fn a_misspelt_store_scheme_gets_its_meaning() {
        let base = Path::new("/cfg");
        let err = Destination::parse("env_file:/bot/.env", base).unwrap_err();
        assert!(err.contains("did you mean `env-file`?"), "{err}");
        let err = Destination::parse("valt:secret/data/bot", base).unwrap_err();
        assert!(err.contains("did you mean `vault`?"), "{err}");
        let err = Destination::parse("s3://bucket", base).unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn reads_are_cached_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        std::fs::write(&path, "first\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let stores = Stores::default();
        let reference = SecretRef::File(path.clone());
        let one = stores.read(&reference).unwrap();
        std::fs::write(&path, "second\n").unwrap();
        let two = stores.read(&reference).unwrap();
        use secrecy::ExposeSecret;
        #[allow(clippy::disallowed_methods)] // test of the cache itself
        let same = one.expose_secret() == two.expose_secret();
        assert!(same, "the second read comes from the cache");
    }

    #[test]
    fn a_folder_is_not_a_secret_store() {
        let dir = tempfile::tempdir().unwrap();
        let to = Destination::File(dir.path().to_owned());
        let err = Stores::default().probe_write(&to).unwrap_err();
        assert!(err.what.contains("is a folder"), "{err}");
        let to = Destination::File(dir.path().join("missing/key.json"));
        assert!(Stores::default().probe_write(&to).is_err());
        let to = Destination::File(dir.path().join("key.json"));
        assert!(Stores::default().probe_write(&to).is_ok());
    }

    #[test]
    fn block_on_works_inside_a_runtime() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let out = runtime.block_on(async { block_on(async { 7 }) });
        assert_eq!(out, Ok(7));
    }
}
