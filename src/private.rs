//! Files and folders only their owner can read.
//!
//! Run folders, drill folders, snapshots, reports, nonces and simulator sessions hold account
//! data (orders, balances, the access log) and sometimes credentials. Everything lockdown makes
//! goes through here: folders 0700, files 0600, set explicitly at creation (a umask can only
//! take bits away, so `umask 000` gets the same modes) and tightened when an existing one is
//! looser (a report written again, a folder an older version made). Elsewhere the modes are the
//! platform's defaults.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Owner read, write and search.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Owner read and write.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents, owner-only; tightens `dir` if it existed looser.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(DIR_MODE);
        builder.create(dir)?;
        let permissions = std::fs::metadata(dir)?.permissions();
        if permissions.mode() & 0o777 != DIR_MODE {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    builder.create(dir)
}

/// Open options whose new files are owner-only; add the access flags and pass them to [`open`].
pub fn options() -> OpenOptions {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    options
}

/// Opens `path` with `options` (from [`options`]); an existing file left looser is tightened.
pub fn open(options: &OpenOptions, path: &Path) -> io::Result<File> {
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if file.metadata()?.permissions().mode() & 0o777 != FILE_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    Ok(file)
}

/// Creates or truncates `path` for writing, owner-only.
pub fn create(path: &Path) -> io::Result<File> {
    open(options().write(true).create(true).truncate(true), path)
}

/// Writes `bytes` to `path` (created or replaced), owner-only.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    create(path)?.write_all(bytes.as_ref())
}

/// Opens `path` for appending, created if missing, owner-only.
pub fn open_append(path: &Path) -> io::Result<File> {
    open(options().create(true).append(true), path)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_and_loose_entries_end_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let nested = root.path().join("a").join("b");
        create_dir(&nested).unwrap();
        assert_eq!(mode(&root.path().join("a")), 0o700, "new parent");
        assert_eq!(mode(&nested), 0o700, "new folder");
        std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700, "existing folder");

        type Make = fn(&Path);
        let cases: [(&str, Make); 3] = [
            ("write", |p| write(p, "x").unwrap()),
            ("create", |p| drop(create(p).unwrap())),
            ("open_append", |p| drop(open_append(p).unwrap())),
        ];
        for (label, make) in cases {
            let file = nested.join(label);
            make(&file);
            assert_eq!(mode(&file), 0o600, "{label}: new file");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            make(&file);
            assert_eq!(mode(&file), 0o600, "{label}: existing file");
        }
    }
}
