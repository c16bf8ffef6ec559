//! Private credential files: the `file:` scheme's reader.
//!
//! A credential file must be readable by its owner only: one that group or others can read is
//! refused with the `chmod` that fixes it. The reference types live in `crate::secrets`.

use std::path::Path;

use crate::secret::SecretString;

pub use crate::secrets::{SecretRef, resolve_path};

/// Reads a `file:` secret: owner-only mode, trimmed, not empty.
pub(crate) fn read_private_file(path: &Path) -> Result<SecretString, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|err| format!("cannot read `{shown}`: {err}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "credential file `{shown}` is readable by group or others (mode {mode:03o}); \
                 run `chmod 600 {shown}`"
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text =
        std::fs::read_to_string(path).map_err(|err| format!("cannot read `{shown}`: {err}"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("credential file `{shown}` is empty"));
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
