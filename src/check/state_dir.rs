//! Is the state dir usable and private? Runs (account data, the journal) and the journal key
//! live there: it must exist or be creatable, take new files, belong to the user lockdown runs
//! as, and let no one else in (0700); the journal key must be 0600, or runs are journaled
//! without authentication. Nothing is created or changed here: a probe file is written and
//! removed, and a loose mode is reported with the `chmod` that fixes it.

use std::path::Path;

use super::store::mode;
use super::{Finding, probe};
use crate::config::Profile;
use crate::journal::{JournalKey, KeyError};

/// Whether the state dir can take this check's history line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Usable {
    /// It exists and takes files, or can be created.
    Yes,
    /// It cannot be used: nothing is created there.
    No,
}

/// Checks the profile's state dir, adding its findings; whether it is usable.
pub(super) fn check(profile: &Profile, findings: &mut Vec<Finding>) -> Usable {
    let name = profile.name.as_str();
    let dir = &profile.state_dir;
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let finding = creatable(name, dir);
            let usable = if finding.severity == super::Severity::Ok {
                Usable::Yes
            } else {
                Usable::No
            };
            findings.push(finding);
            return usable;
        }
        Err(err) => {
            findings.push(Finding::critical(
                name,
                "state_dir.usable",
                format!("the state dir `{shown}` cannot be looked at: {err}"),
                "make its parent folder readable by the user lockdown runs as",
            ));
            return Usable::No;
        }
    };
    if !meta.is_dir() {
        findings.push(Finding::critical(
            name,
            "state_dir.usable",
            format!("the state dir `{shown}` is not a folder"),
            "point `state_dir:` at a folder (it is created, 0700, where it does not exist)",
        ));
        return Usable::No;
    }
    if let Err(err) = probe::write_and_remove(dir) {
        findings.push(Finding::critical(
            name,
            "state_dir.usable",
            format!("the state dir `{shown}` cannot be written: {err}: a response cannot create its run folder"),
            format!("make it writable by the user lockdown runs as (`chmod u+w {shown}`)"),
        ));
        return Usable::No;
    }
    findings.push(Finding::ok(
        name,
        "state_dir.usable",
        format!("`{shown}` takes new files (a probe was written and removed)"),
    ));
    findings.push(owner(name, dir, &meta));
    findings.push(private(name, dir, &meta));
    findings.push(journal_key(name, dir));
    Usable::Yes
}

/// A state dir that does not exist yet: its nearest existing ancestor must take a folder.
fn creatable(name: &str, dir: &Path) -> Finding {
    let shown = dir.display();
    let ancestor = dir
        .ancestors()
        .skip(1)
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.exists());
    let Some(ancestor) = ancestor else {
        return Finding::critical(
            name,
            "state_dir.usable",
            format!("the state dir `{shown}` does not exist, nor any folder above it"),
            format!("create it: `mkdir -m 700 -p {shown}`"),
        );
    };
    match probe::write_and_remove(ancestor) {
        Ok(()) => Finding::ok(
            name,
            "state_dir.usable",
            format!("`{shown}` does not exist yet; it is created (0700) when first used"),
        ),
        Err(err) => Finding::critical(
            name,
            "state_dir.usable",
            format!(
                "the state dir `{shown}` does not exist and cannot be created in `{}`: {err}",
                ancestor.display()
            ),
            format!("create it for the user lockdown runs as: `mkdir -m 700 -p {shown}`"),
        ),
    }
}

/// The state dir belongs to the user lockdown runs as.
fn owner(name: &str, dir: &Path, meta: &std::fs::Metadata) -> Finding {
    let shown = dir.display();
    match (owner_uid(meta), effective_uid()) {
        (Some(owner), Some(me)) if owner != me => Finding::warning(
            name,
            "state_dir.owner",
            format!(
                "the state dir `{shown}` belongs to uid {owner}, not to the user lockdown runs as (uid {me}): they can read and change its runs and journal key"
            ),
            format!("`chown -R {me} {shown}`, or give this user its own `state_dir`"),
        ),
        (Some(_), Some(_)) => Finding::ok(
            name,
            "state_dir.owner",
            format!("`{shown}` belongs to the user lockdown runs as"),
        ),
        _ => Finding::ok(
            name,
            "state_dir.owner",
            format!("`{shown}`: its owner cannot be told on this system"),
        ),
    }
}

/// The state dir lets no one else in.
fn private(name: &str, dir: &Path, meta: &std::fs::Metadata) -> Finding {
    let shown = dir.display();
    let mode = mode(meta);
    if mode & 0o077 == 0 {
        return Finding::ok(
            name,
            "state_dir.private",
            format!("`{shown}` is private (mode {mode:03o})"),
        );
    }
    let who = if mode & 0o022 != 0 {
        "others can write in it (swap the journal key, plant run folders) and read it"
    } else {
        "others can read it (runs hold account data, and the journal key is in it)"
    };
    Finding::warning(
        name,
        "state_dir.private",
        format!("the state dir `{shown}` has mode {mode:03o}: {who}"),
        format!("`chmod 700 {shown}`"),
    )
}

/// The journal key, where one exists, loads: private and well formed.
fn journal_key(name: &str, dir: &Path) -> Finding {
    let path = dir.join(crate::journal::KEY_FILE_NAME);
    let shown = path.display();
    if !path.exists() {
        return Finding::ok(
            name,
            "state_dir.journal_key",
            format!("`{shown}` does not exist yet; the first run creates it (0600)"),
        );
    }
    if !path.is_file() {
        return Finding::warning(
            name,
            "state_dir.journal_key",
            format!(
                "the journal key `{shown}` is not a file: responses journal without authentication"
            ),
            "remove it; the next run creates the key (0600)",
        );
    }
    match JournalKey::load(&path) {
        Ok(_) => Finding::ok(
            name,
            "state_dir.journal_key",
            format!("`{shown}` is private and loads"),
        ),
        Err(KeyError::Exposed { mode, .. }) => Finding::warning(
            name,
            "state_dir.journal_key",
            format!(
                "the journal key `{shown}` can be read by others (mode {mode:03o}): responses journal without authentication until it is private"
            ),
            format!(
                "`chmod 600 {shown}`; if someone else may have read it, anyone who can write the run folders can forge their journals"
            ),
        ),
        Err(err) => Finding::warning(
            name,
            "state_dir.journal_key",
            format!("{err}: responses journal without authentication until it is fixed"),
            miette::Diagnostic::help(&err).map_or_else(
                || "restore the key from a backup".to_owned(),
                |h| h.to_string(),
            ),
        ),
    }
}

/// The uid owning a file.
#[cfg(unix)]
fn owner_uid(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.uid())
}

/// The uid owning a file (none off Unix).
#[cfg(not(unix))]
fn owner_uid(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The process's effective uid, from `/proc/self/status` (`Uid:` real, effective, ...); `None`
/// where there is no `/proc`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
