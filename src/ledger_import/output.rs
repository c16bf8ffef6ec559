//! Writing an imported ledger: owner-only, synced, never over an existing ledger by accident.
//!
//! A ledger lists the owner's orders, so the file is created 0600 (`crate::private`). An
//! existing file is refused unless `--append` (lines added at its end: later lines are the
//! orders' later states) or `--force` (replaced whole: the new text goes to a temporary file in
//! the same folder, synced, then renamed over the old one, so a reader never sees half a
//! ledger). Every write is fsynced before the command reports success.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What to do when the output file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse: the file may be the ledger a response relies on.
    Refuse,
    /// Add the new lines at its end.
    Append,
    /// Replace it.
    Replace,
}

/// Why the ledger could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The file exists and neither `--append` nor `--force` was given.
    #[error("`{}` exists", .0.display())]
    Exists(PathBuf),
    /// An I/O error.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// Writes `text` (whole lines) to `path` as `existing` says.
pub fn write(path: &Path, text: &str, existing: Existing) -> Result<(), WriteError> {
    let io = |source: io::Error| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    match existing {
        Existing::Refuse if path.exists() => Err(WriteError::Exists(path.to_owned())),
        Existing::Append if path.exists() => append(path, text).map_err(io),
        _ => replace(path, text).map_err(io),
    }
}

/// Adds `text` at the end of `path`, after a newline if its last line lacks one.
fn append(path: &Path, text: &str) -> io::Result<()> {
    let mut file = crate::private::open(crate::private::options().read(true).append(true), path)?;
    let len = file.metadata()?.len();
    let mut buf = String::new();
    if len > 0 {
        file.seek(SeekFrom::Start(len - 1))?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last)?;
        if last[0] != b'\n' {
            buf.push('\n');
        }
    }
    buf.push_str(text);
    // One write: a bot appending to the same file at the same moment cannot land mid-line
    // on local file systems for writes this size.
    file.write_all(buf.as_bytes())?;
    file.sync_all()
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames it over `path`.
fn replace(path: &Path, text: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "ledger".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.import-{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = crate::private::open(
            crate::private::options().write(true).create_new(true),
            &temp,
        )?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename is durable once the folder is synced.
        if let Ok(folder) = std::fs::File::open(&dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_refused_appended_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("known.jsonl");
        write(&path, "{\"order_id\":\"1\"}\n", Existing::Refuse).unwrap();
        assert!(matches!(
            write(&path, "x\n", Existing::Refuse),
            Err(WriteError::Exists(_))
        ));
        // A last line without its newline gets one before the appended lines.
        std::fs::write(&path, "{\"order_id\":\"1\"}").unwrap();
        write(&path, "{\"order_id\":\"2\"}\n", Existing::Append).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"order_id\":\"1\"}\n{\"order_id\":\"2\"}\n"
        );
        write(&path, "{\"order_id\":\"3\"}\n", Existing::Replace).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"order_id\":\"3\"}\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
