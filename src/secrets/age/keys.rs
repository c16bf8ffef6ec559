//! The keys of `age:` stores: identities (private, to decrypt) and recipients (public, to
//! encrypt).
//!
//! An identity file is what `age-keygen -o FILE` writes (`AGE-SECRET-KEY-1…` lines, `#`
//! comments); like every credential file it must be readable by its owner only (mode 0600),
//! and its text is held as a secret until `age` has parsed it. Recipients are `age1…` X25519
//! public keys, listed in the config or one a line in a recipients file (as `age -R` reads it);
//! they are not secret, so a store can be written by a run that holds no secret of the store.
//! Native X25519 keys only: plugin and SSH keys need features (and programs) lockdown does not
//! carry.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;
use secrecy::ExposeSecret;

/// The environment variable naming the identity file when `secrets.age.identity` does not.
pub const IDENTITY_ENV: &str = "LOCKDOWN_AGE_IDENTITY";

/// Where the identity file is: the setting, else `LOCKDOWN_AGE_IDENTITY` (relative paths from
/// the working folder), else nowhere.
pub fn identity_path(setting: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = setting {
        return Some(path.to_owned());
    }
    let named = std::env::var(IDENTITY_ENV).ok()?;
    let named = named.trim();
    if named.is_empty() {
        return None;
    }
    let here = std::env::current_dir().unwrap_or_default();
    Some(crate::secrets::resolve_path(named, &here))
}

/// The identities of an owner-only identity file.
pub fn identities(path: &Path) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>, String> {
    let text = crate::config::read_private_file(path)?;
    #[allow(clippy::disallowed_methods)] // decrypting: `age` parses the identity, nothing shows it
    let bytes = text.expose_secret().as_bytes();
    let shown = path.display();
    // `age` names a bad line by its number, never by its text.
    let file = age::IdentityFile::from_buffer(bytes)
        .map_err(|err| format!("`{shown}` is not an age identity file: {err}"))?;
    let identities = file
        .into_identities()
        .map_err(|err| format!("`{shown}` holds an identity lockdown cannot use: {err}"))?;
    if identities.is_empty() {
        return Err(format!("`{shown}` holds no identity (`AGE-SECRET-KEY-1…`)"));
    }
    Ok(identities)
}

/// Parses one `age1…` recipient.
pub fn recipient(text: &str) -> Result<x25519::Recipient, String> {
    x25519::Recipient::from_str(text.trim()).map_err(|_| {
        format!(
            "`{}` is not an age recipient (an `age1…` public key, as `age-keygen -y` prints)",
            text.trim()
        )
    })
}

/// The recipients of a recipients file: one `age1…` a line, blank lines and `#` comments
/// skipped.
pub fn recipients_file(path: &Path) -> Result<Vec<x25519::Recipient>, String> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|err| format!("cannot read `{shown}`: {err}"))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(recipient(line).map_err(|err| format!("`{shown}` line {}: {err}", n + 1))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_parse_and_other_text_is_refused() {
        let identity = x25519::Identity::generate();
        let public = identity.to_public().to_string();
        assert!(recipient(&public).is_ok());
        for bad in ["", "age1", "AGE-SECRET-KEY-1QQQ", "ssh-ed25519 AAAA"] {
            assert!(recipient(bad).is_err(), "{bad:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("recipients.txt");
        std::fs::write(&file, format!("# bots\n\n{public}\n")).unwrap();
        assert_eq!(recipients_file(&file).unwrap().len(), 1);
        std::fs::write(&file, format!("{public}\nnot-a-key\n")).unwrap();
        let err = recipients_file(&file).unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn an_identity_file_must_be_private_and_never_shown() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.txt");
        let identity = x25519::Identity::generate();
        #[allow(clippy::disallowed_methods)] // test: writes the identity file
        let text = identity.to_string().expose_secret().to_owned();
        std::fs::write(&path, format!("# created: now\n{text}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = identities(&path).err().unwrap();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(identities(&path).unwrap().len(), 1);
        let almost = text.replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-9");
        std::fs::write(&path, format!("{almost}\n")).unwrap();
        let err = identities(&path).err().unwrap();
        assert!(!err.contains(&almost[20..]), "no key text in {err}");
        assert!(err.contains("line 1"), "{err}");
    }
}
