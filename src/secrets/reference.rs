//! Secret references: where a secret is read from, as written in configs.
//!
//! Every secret lockdown reads (master credential, bot keys, notification tokens) is a
//! reference, never a value: `env:NAME`, `file:PATH`, `cmd:PROGRAM ARGS…` (a password manager's
//! command, no shell), `vault:MOUNT/data/PATH#FIELD` (Vault or OpenBao KV v2),
//! `aws-sm:SECRET_ID[#JSON_KEY]` (AWS Secrets Manager) or `age:PATH` (an age-encrypted file).
//! A reference is shown as written; its value never is.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{age, aws, cmd, vault};

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file (relative paths against the config's folder), readable by its owner only.
    File(PathBuf),
    /// A command's standard output (argv, no shell).
    Cmd(cmd::CmdRef),
    /// A field of a Vault / OpenBao KV v2 secret.
    Vault(vault::VaultRef),
    /// An AWS Secrets Manager secret, or one JSON key of it.
    AwsSm(aws::AwsRef),
    /// An age-encrypted file.
    Age(age::AgeRef),
}

/// The schemes, as written before the colon.
pub const SCHEMES: &[&str] = &["env", "file", "cmd", "vault", "aws-sm", "age"];

impl SecretRef {
    /// Parses a reference of any scheme; a value (or an unknown scheme) is refused with a hint.
    pub fn parse(text: &str, base: &Path) -> Result<SecretRef, String> {
        let text = text.trim();
        if let Some(name) = text.strip_prefix("env:") {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "`env:{name}` does not name an environment variable"
                ));
            }
            return Ok(SecretRef::Env(name.to_owned()));
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err("`file:` needs a path".to_owned());
            }
            return Ok(SecretRef::File(resolve_path(path, base)));
        }
        if let Some(rest) = text.strip_prefix("cmd:") {
            return cmd::CmdRef::parse(rest, base).map(SecretRef::Cmd);
        }
        if let Some(rest) = text.strip_prefix("vault:") {
            return vault::VaultRef::parse(rest).map(SecretRef::Vault);
        }
        if let Some(rest) = text.strip_prefix("aws-sm:") {
            return aws::AwsRef::parse(rest).map(SecretRef::AwsSm);
        }
        if let Some(rest) = text.strip_prefix("age:") {
            return age::AgeRef::parse(rest, base).map(SecretRef::Age);
        }
        // A misspelt scheme (`valt:`) is named with the one meant; anything else is a value.
        if let Some((scheme, _)) = text.split_once(':')
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && let Some(hint) = crate::source::did_you_mean(scheme, SCHEMES.iter().copied())
        {
            return Err(format!(
                "`{scheme}:` is not a secret reference scheme ({hint}); use one of {}",
                schemes_list()
            ));
        }
        Err(format!(
            "a secret must be a reference ({}), not a value",
            schemes_list()
        ))
    }

    /// Whether `text` looks like a reference at all (it starts with a known scheme).
    pub fn is_reference(text: &str) -> bool {
        let text = text.trim();
        SCHEMES.iter().any(|scheme| {
            text.strip_prefix(scheme)
                .is_some_and(|r| r.starts_with(':'))
        })
    }

    /// The scheme, as written.
    pub fn scheme(&self) -> &'static str {
        match self {
            SecretRef::Env(_) => "env",
            SecretRef::File(_) => "file",
            SecretRef::Cmd(_) => "cmd",
            SecretRef::Vault(_) => "vault",
            SecretRef::AwsSm(_) => "aws-sm",
            SecretRef::Age(_) => "age",
        }
    }

    /// Reads the secret through the stores of the config being loaded (see
    /// [`super::with_stores`]; the defaults where none is).
    pub fn resolve(&self) -> Result<crate::secret::SecretString, String> {
        self.read().map_err(|err| err.to_string())
    }

    /// [`SecretRef::resolve`] with the store's own error (its `hint` says what to do about
    /// this failure, where [`SecretRef::hint`] can only say it for the scheme).
    pub fn read(&self) -> Result<crate::secret::SecretString, super::SecretError> {
        super::current(|stores| stores.read(self))
    }

    /// What to do when reading fails, for people.
    pub fn hint(&self) -> String {
        match self {
            SecretRef::Env(name) => format!("export {name} in the shell that runs lockdown"),
            SecretRef::File(_) => "create the file with only the secret in it, mode 0600".into(),
            SecretRef::Cmd(_) => {
                "run the command yourself: it must print only the secret and exit 0; if it asks for input, unlock it first (`op signin`, `gpg-agent`)".into()
            }
            SecretRef::Vault(_) => {
                "check VAULT_ADDR, the token (VAULT_TOKEN or the config's `secrets.vault.auth`) and that the path and field exist".into()
            }
            SecretRef::AwsSm(_) => {
                "check the region and the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID…) and that the secret exists".into()
            }
            SecretRef::Age(_) => {
                "check the identity file (the config's `secrets.age.identity` or LOCKDOWN_AGE_IDENTITY) and the encrypted file".into()
            }
        }
    }
}

impl fmt::Display for SecretRef {
    /// As written in configs (never a value).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "env:{name}"),
            SecretRef::File(path) => write!(f, "file:{}", path.display()),
            SecretRef::Cmd(r) => write!(f, "cmd:{r}"),
            SecretRef::Vault(r) => write!(f, "vault:{r}"),
            SecretRef::AwsSm(r) => write!(f, "aws-sm:{r}"),
            SecretRef::Age(r) => write!(f, "age:{r}"),
        }
    }
}

fn schemes_list() -> String {
    SCHEMES
        .iter()
        .map(|s| format!("`{s}:`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves `~/` and relative paths (against the config's folder).
pub fn resolve_path(path: &str, base: &Path) -> PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest);
    }
    let path = PathBuf::from(path);
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_and_refuses_values() {
        let base = Path::new("/cfg");
        assert_eq!(
            SecretRef::parse("env:BYBIT_SECRET", base),
            Ok(SecretRef::Env("BYBIT_SECRET".into()))
        );
        assert_eq!(
            SecretRef::parse("file:keys/master", base),
            Ok(SecretRef::File("/cfg/keys/master".into()))
        );
        assert!(SecretRef::parse("hunter2", base).is_err());
        assert!(SecretRef::parse("env:", base).is_err());
    }

    #[test]
    fn an_unknown_scheme_is_named_with_a_suggestion() {
        let err = SecretRef::parse("valt:secret/data/x#y", Path::new("/")).unwrap_err();
        assert!(
            err.contains("`valt:` is not a secret reference scheme"),
            "{err}"
        );
        assert!(err.contains("did you mean `vault`?"), "{err}");
    }

    #[test]
    fn references_are_recognised_by_scheme() {
        for text in [
            "env:A",
            "file:x",
            "cmd:pass show x",
            "vault:s/data/x#k",
            "aws-sm:x",
            "age:x.age",
        ] {
            assert!(SecretRef::is_reference(text), "{text}");
        }
        for text in ["ABCDEF", "environment", "https://x"] {
            assert!(!SecretRef::is_reference(text), "{text}");
        }
    }
}
