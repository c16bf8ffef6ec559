//! Private credential files: the `file:` scheme's reader.
//!
//! A credential file must be a regular file only its owner can read, in folders nobody else
//! can write: anything else is refused with the `chmod` that fixes it (`crate::private`). The
//! reference types live in `crate::secrets`.

use std::path::Path;

use crate::secret::SecretString;

pub use crate::secrets::{SecretRef, resolve_path};

/// Reads a `file:` secret: owner-only, a regular file (a FIFO would block forever), trimmed,
/// not empty.
pub(crate) fn read_private_file(path: &Path) -> Result<SecretString, String> {
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

    #[cfg(unix)]
    #[test]
    fn refuses_group_readable_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = read_private_file(&path).unwrap_err();
        assert!(err.contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(read_private_file(&path).is_ok());
    }
}
