//! Files and folders only their owner can read.
//!
//! Run folders, drill folders, snapshots, reports, nonces and simulator sessions hold account
//! data (orders, balances, the access log) and sometimes credentials. Everything lockdown makes
//! goes through here: folders 0700, files 0600, set explicitly at creation (a umask can only
//! take bits away, so `umask 000` gets the same modes) and tightened when an existing one is
//! looser (a report written again, a folder an older version made). Elsewhere the modes are the
//! platform's defaults.
//!
//! The other way round, lockdown reads its config and its credential files only when no other
//! user can change them: a config writable by group or others, a credential file they can read,
//! or either one in a folder they can write (where the file can be swapped, unless the folder is
//! sticky like `/tmp`) is refused with the `chmod` that fixes it. Neither may be anything but a
//! regular file: a FIFO would block the read forever, a device never end it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

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

/// Why a config or credential file is not read.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// It could not be read (missing, no permission, not UTF-8, too large).
    #[error("`{}` cannot be read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// A FIFO, socket, device or folder.
    #[error("`{}` is not a regular file but {kind}, which could block the read forever", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// Group or others may read (a credential) or write (a config) the file.
    #[error("`{}` is {access} by group or others (mode {mode:03o})", path.display())]
    Mode {
        /// The file.
        path: PathBuf,
        /// `readable` or `writable`.
        access: &'static str,
        /// Its permission bits.
        mode: u32,
        /// The `chmod` mode that fixes it (`600`, `go-w`).
        fix: &'static str,
    },
    /// Group or others may write a folder the file is in, and could swap the file.
    #[error("`{}` is in `{}`, a folder group or others can write (mode {mode:03o}), so another user could swap it", path.display(), dir.display())]
    Folder {
        /// The file.
        path: PathBuf,
        /// The folder.
        dir: PathBuf,
        /// The folder's permission bits.
        mode: u32,
    },
}

impl Refused {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            Refused::Io { .. } => "check the path and that the file is readable".to_owned(),
            Refused::NotRegular { .. } => {
                "point at a regular file holding the text (not a FIFO, socket or device)".to_owned()
            }
            Refused::Mode { path, fix, .. } => format!("run `chmod {fix} {}`", path.display()),
            Refused::Folder { dir, .. } => format!(
                "run `chmod go-w {}`, or move the file into a folder only you can write",
                dir.display()
            ),
        }
    }

    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Refused::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// What a file may not allow group and others.
#[derive(Debug, Clone, Copy)]
enum Guard {
    /// Reading or writing: a credential (`chmod 600`).
    Secret,
    /// Writing: a config (`chmod go-w`).
    Config,
}

/// Reads a credential file: a regular file only its owner can read or write, in folders only
/// their owners can write (or sticky ones).
pub fn read_secret(path: &Path) -> Result<String, Refused> {
    let file = open_guarded(path, Guard::Secret)?;
    let max = crate::limits::MAX_FILE_BYTES;
    let mut text = String::new();
    file.take(max as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|source| io_refused(path, source))?;
    if text.len() > max {
        return Err(io_refused(
            path,
            io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("it is larger than {} KiB, which no secret is", max / 1024),
            ),
        ));
    }
    Ok(text)
}

/// Reads a config file as [`crate::limits::read_file`] does, once it is a regular file nobody
/// but its owner can write, in folders only their owners can write (or sticky ones).
pub fn read_config(path: &Path) -> Result<String, Refused> {
    drop(open_guarded(path, Guard::Config)?);
    crate::limits::read_file(path).map_err(|source| io_refused(path, source))
}

fn io_refused(path: &Path, source: io::Error) -> Refused {
    Refused::Io {
        path: path.to_owned(),
        source,
    }
}

/// Opens `path` for reading once it passed `guard`; checked before it is opened (opening a
/// FIFO blocks until someone writes to it) and again on the open file, which must be the one
/// checked.
fn open_guarded(path: &Path, guard: Guard) -> Result<File, Refused> {
    let meta = std::fs::metadata(path).map_err(|source| io_refused(path, source))?;
    check_folders(path)?;
    check_file(path, &meta, guard)?;
    let file = File::open(path).map_err(|source| io_refused(path, source))?;
    let opened = file.metadata().map_err(|source| io_refused(path, source))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (opened.dev(), opened.ino()) != (meta.dev(), meta.ino()) {
            return Err(io_refused(
                path,
                io::Error::other("it was replaced while it was being opened"),
            ));
        }
    }
    check_file(path, &opened, guard)?;
    Ok(file)
}

/// A regular file whose mode `guard` allows.
fn check_file(path: &Path, meta: &std::fs::Metadata, guard: Guard) -> Result<(), Refused> {
    if !meta.is_file() {
        return Err(Refused::NotRegular {
            path: path.to_owned(),
            kind: kind_of(meta),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        let (forbidden, access, fix) = match guard {
            Guard::Secret if mode & 0o044 != 0 => (0o077, "readable", "600"),
            Guard::Secret => (0o077, "writable", "600"),
            Guard::Config => (0o022, "writable", "go-w"),
        };
        if mode & forbidden != 0 {
            return Err(Refused::Mode {
                path: path.to_owned(),
                access,
                mode,
                fix,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = guard;
    Ok(())
}

/// What a file that is not a regular one is, for people.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Every folder above `path`, as written and with links resolved, is writable by its owner
/// alone or sticky (others cannot rename or delete what is not theirs there).
fn check_folders(path: &Path) -> Result<(), Refused> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let written = std::path::absolute(path).map_err(|source| io_refused(path, source))?;
        let real = std::fs::canonicalize(path).map_err(|source| io_refused(path, source))?;
        for file in [written, real] {
            for dir in file.ancestors().skip(1) {
                if dir.as_os_str().is_empty() {
                    continue;
                }
                let meta = std::fs::metadata(dir).map_err(|source| io_refused(dir, source))?;
                let mode = meta.permissions().mode();
                if mode & 0o022 != 0 && mode & 0o1000 == 0 {
                    return Err(Refused::Folder {
                        path: path.to_owned(),
                        dir: dir.to_owned(),
                        mode: mode & 0o7777,
                    });
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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

    #[test]
    fn config_and_secret_files_others_could_change_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("cfg");
        create_dir(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, "x\n").unwrap();
        type Read = fn(&Path) -> Result<String, Refused>;
        let readers: [(&str, Read); 2] = [("secret", read_secret), ("config", read_config)];
        for (file_mode, secret_ok, config_ok) in [
            (0o600, true, true),
            (0o644, false, true),
            (0o640, false, true),
            (0o620, false, false),
            (0o602, false, false),
            (0o666, false, false),
        ] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(file_mode)).unwrap();
            for ((label, read), ok) in readers.iter().zip([secret_ok, config_ok]) {
                let got = read(&file);
                assert_eq!(got.is_ok(), ok, "{label} {file_mode:o}: {got:?}");
                if let Err(err) = got {
                    assert!(matches!(err, Refused::Mode { .. }), "{label}: {err:?}");
                    assert!(err.hint().starts_with("run `chmod "), "{}", err.hint());
                }
            }
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        for (dir_mode, ok) in [
            (0o700, true),
            (0o755, true),
            (0o775, false),
            (0o777, false),
            (0o1777, true),
        ] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(dir_mode)).unwrap();
            for (label, read) in readers {
                let got = read(&file);
                assert_eq!(got.is_ok(), ok, "{label} in {dir_mode:o}: {got:?}");
                if let Err(err) = got {
                    assert!(
                        matches!(&err, Refused::Folder { dir: d, .. } if d == &dir),
                        "{err:?}"
                    );
                    assert!(err.hint().contains("chmod go-w"), "{}", err.hint());
                }
            }
        }
        // A link from a safe folder into a folder others can write: the real one counts.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let safe = root.path().join("safe");
        create_dir(&safe).unwrap();
        std::os::unix::fs::symlink(&file, safe.join("link")).unwrap();
        assert!(matches!(
            read_secret(&safe.join("link")),
            Err(Refused::Folder { .. })
        ));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(read_secret(&safe.join("link")).unwrap(), "x\n");
        assert!(
            read_config(&dir.join("missing"))
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn a_fifo_or_a_folder_is_refused_without_blocking() {
        let root = tempfile::tempdir().unwrap();
        let fifo = root.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(0o600)).unwrap();
        // Were it opened, nothing writes to it: the test would hang here.
        for err in [read_secret(&fifo), read_config(&fifo)] {
            let err = err.unwrap_err();
            assert!(
                matches!(
                    err,
                    Refused::NotRegular {
                        kind: "a FIFO (named pipe)",
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(err.to_string().contains("not a regular file"), "{err}");
        }
        let err = read_secret(root.path()).unwrap_err();
        assert!(
            matches!(
                err,
                Refused::NotRegular {
                    kind: "a folder",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(matches!(
            read_config(Path::new("/dev/zero")),
            Err(Refused::NotRegular {
                kind: "a device",
                ..
            })
        ));
    }
}
