//! The files on disk under a path, walked with ripgrep's `ignore` crate: `.gitignore` (and
//! `.ignore`, the global git excludes) respected unless `--no-ignore`; hidden files read
//! (`.env` is where credentials end up); `.git` itself never entered (history is `--git`'s).

use std::path::Path;

use ignore::WalkBuilder;

use super::content::{Content, MAX_BYTES};
use crate::error::Error;

/// Whether ignore files are obeyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignores {
    /// `.gitignore`, `.ignore` and git's excludes hide files (the default).
    Respect,
    /// Every file is read (`--no-ignore`).
    Disregard,
}

/// Calls `visit` with each file under `root` (or `root` itself, a file): its path as walked and
/// its content. A file that cannot be read is reported to `unreadable` and skipped.
pub(crate) fn files(
    root: &Path,
    ignores: Ignores,
    mut visit: impl FnMut(&Path, Content),
    mut unreadable: impl FnMut(String),
) -> Result<(), Error> {
    if !root.exists() {
        return Err(Error::Usage {
            message: format!("cannot scan `{}`: no such file or folder", root.display()),
            help: Some("give `lockdown scan` existing files or folders".into()),
        });
    }
    let respect = ignores == Ignores::Respect;
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .parents(respect)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                unreadable(err.to_string());
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        if entry.metadata().is_ok_and(|m| m.len() > MAX_BYTES) {
            visit(path, Content::TooLarge);
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => visit(path, Content::of(&bytes)),
            Err(err) => unreadable(format!("cannot read `{}`: {err}", path.display())),
        }
    }
    Ok(())
}
