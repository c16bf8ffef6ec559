//! The history file on disk: written a line at a time, each write synced.
//!
//! Every writer holds the file's advisory lock while it writes. Marking a drill regressed
//! rewrites its line (a new file, synced, renamed over the old one), so a writer that waited
//! for the lock checks that its handle is still the file the path names, and opens it again
//! if not: a line appended meanwhile (a scheduled check beside a drill) is never lost. Readers
//! take no lock: the rename swaps whole files.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::FILE_NAME;
use super::line::Line;
use crate::error::Error;

/// The history file of a state folder.
pub(super) fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// Runs `write` with the history file (created if missing) open for appending and locked.
pub(super) fn with_locked<T>(
    state_dir: &Path,
    write: impl FnOnce(&mut File, &Path) -> io::Result<T>,
) -> Result<T, Error> {
    let file = path(state_dir);
    let locked = || -> io::Result<T> {
        let mut handle = open_locked(&file)?;
        write(&mut handle, &file)
    };
    locked().map_err(|source| Error::Io {
        what: "append to",
        path: file.clone(),
        source,
    })
}

/// Opens `path` for appending and takes its lock, on the file the path names once locked.
fn open_locked(path: &Path) -> io::Result<File> {
    loop {
        let handle = crate::private::open_append(path)?;
        handle.lock()?;
        if same_file(&handle, path)? {
            return Ok(handle);
        }
    }
}

#[cfg(unix)]
fn same_file(handle: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = handle.metadata()?;
    match std::fs::metadata(path) {
        Ok(named) => Ok(named.dev() == held.dev() && named.ino() == held.ino()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}

#[cfg(not(unix))]
fn same_file(_handle: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

/// Appends `value` as one line and syncs it.
pub(super) fn append_line(handle: &mut File, value: &impl Serialize) -> io::Result<()> {
    let mut line = serde_json::to_string(value).map_err(io::Error::other)?;
    line.push('\n');
    handle.write_all(line.as_bytes())?;
    handle.sync_data()
}

/// The file's text; empty when there is no file yet.
pub(super) fn read_text(path: &Path) -> Result<String, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(Error::Io {
            what: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Every line that reads, oldest first.
pub(super) fn parse(text: &str) -> Vec<Line> {
    text.lines().filter_map(Line::parse).collect()
}

/// Sets `regressed` on the last drill line of `drill_dir` (every other line kept byte for
/// byte) and swaps the file for the new text; `false` when there is no such line. The caller
/// holds the lock.
pub(super) fn mark(path: &Path, drill_dir: &str, reason: &str) -> io::Result<bool> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(err),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let found = lines.iter().rposition(|line| {
        matches!(Line::parse(line), Some(Line::Drill(entry)) if entry.drill_dir == drill_dir)
    });
    let Some(at) = found else {
        return Ok(false);
    };
    let mut value: Value = serde_json::from_str(&lines[at]).map_err(io::Error::other)?;
    value["regressed"] = Value::from(reason);
    lines[at] = serde_json::to_string(&value).map_err(io::Error::other)?;
    let mut new = lines.join("\n");
    new.push('\n');
    replace(path, &new)?;
    Ok(true)
}

/// Replaces `path` with `text` whole: a private file beside it, synced, renamed over it.
fn replace(path: &Path, text: &str) -> io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut handle = crate::private::create(&temporary)?;
        handle.write_all(text.as_bytes())?;
        handle.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written?;
    // The rename itself is durable once the folder is synced.
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
