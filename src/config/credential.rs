//! Secret references: `env:NAME` and `file:PATH`, resolved into [`SecretString`]s.
//!
//! A credential file must be readable by its owner only: one that group or others can read is
//! refused with the `chmod` that fixes it. A reference never shows up in argv; its value never
//! shows up anywhere but the signer.

use std::path::{Path, PathBuf};

use crate::secret::SecretString;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file (relative paths against the config's folder).
    File(PathBuf),
}

impl SecretRef {
    /// Parses `env:NAME` or `file:PATH`; anything else is refused with a hint.
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
        Err("a secret must be a reference, `env:NAME` or `file:PATH`, not a value".to_owned())
    }

    /// Whether `text` looks like a reference at all.
    pub fn is_reference(text: &str) -> bool {
        let text = text.trim();
        text.starts_with("env:") || text.starts_with("file:")
    }

    /// Reads the secret.
    pub fn resolve(&self) -> Result<SecretString, String> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(value) if !value.trim().is_empty() => {
                    Ok(SecretString::from(value.trim().to_owned()))
                }
                Ok(_) => Err(format!("environment variable `{name}` is empty")),
                Err(_) => Err(format!("environment variable `{name}` is not set")),
            },
            SecretRef::File(path) => read_private_file(path),
        }
    }
}

/// Resolves `~/` and relative paths.
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

fn read_private_file(path: &Path) -> Result<SecretString, String> {
    // A regular file nobody else can read, or swap: `crate::private` refuses anything else.
    let text = crate::private::read_secret(path)
        .map_err(|err| format!("credential file {err}; {}", err.hint()))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("credential file `{}` is empty", path.display()));
    }
    Ok(SecretString::from(text.to_owned()))
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

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = SecretRef::File(path.clone()).resolve().unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(SecretRef::File(path).resolve().is_ok());
    }
}
