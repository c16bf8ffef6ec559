//! Can the replacement key's secret be handed over? The profile's `secret_store` is written by
//! `store_secret` as a temporary file in the store's folder, synced, then renamed over the
//! store: the folder must exist and take a new file (a probe is written and removed), and an
//! existing store must be a regular file only its owner can read (it holds a live key's secret).
//! Modes are never changed here: the finding says the `chmod`.

use std::path::{Path, PathBuf};

use super::{Finding, probe};
use crate::actions::ActionSpec;
use crate::config::{Profile, SecretStore};
use crate::playbook::Playbook;

/// Checks the profile's secret store for `playbook` (`None`: it did not load; a replacement key
/// is then assumed, as the shipped playbooks make one).
pub(super) fn check(profile: &Profile, playbook: Option<&Playbook>) -> Vec<Finding> {
    let name = profile.name.as_str();
    let replaces = playbook.is_none_or(|book| {
        book.action_steps().iter().any(|(_, action)| {
            matches!(
                action,
                ActionSpec::CreateKey(_) | ActionSpec::StoreSecret(_)
            )
        })
    });
    let Some(store) = &profile.secret_store else {
        return vec![if replaces {
            Finding::warning(
                name,
                "store.folder",
                "no `secret_store`: the replacement key's secret would have nowhere to go",
                "set `secret_store: file:PATH` (JSON) or `env-file:PATH` (dotenv), in a folder only you can read",
            )
        } else {
            Finding::ok(
                name,
                "store.folder",
                "no `secret_store`, and the playbook makes no replacement key",
            )
        }];
    };
    match store.path() {
        Some(path) => {
            let mut found = vec![folder(name, store, path), file(name, path)];
            if matches!(store, SecretStore::Age(_)) {
                found.push(remote(profile, store));
            }
            found
        }
        None => vec![remote(profile, store)],
    }
}

/// A remote store (Vault, AWS Secrets Manager) answers and would take a new version; an age
/// store has recipients. Nothing is written.
fn remote(profile: &Profile, store: &SecretStore) -> Finding {
    let name = profile.name.as_str();
    match profile.stores.probe_write(store) {
        Ok(()) => Finding::ok(
            name,
            "store.remote",
            format!("{store} would take a new version (probed, nothing written)"),
        ),
        Err(err) => Finding::critical(
            name,
            "store.remote",
            format!("the secret store {err}"),
            err.hint,
        ),
    }
}

/// The store's folder exists and takes a new file.
fn folder(name: &str, store: &SecretStore, path: &Path) -> Finding {
    let dir = parent(path);
    let shown = dir.display();
    if !dir.is_dir() {
        return Finding::critical(
            name,
            "store.folder",
            format!("the secret store's folder `{shown}` does not exist"),
            format!("create it before the incident: `mkdir -m 700 -p {shown}`"),
        );
    }
    match probe::write_and_remove(&dir) {
        Ok(()) => Finding::ok(
            name,
            "store.folder",
            format!(
                "`{shown}` takes a new file (a probe was written, synced and removed) for {}",
                store.describe()
            ),
        ),
        Err(err) => Finding::critical(
            name,
            "store.folder",
            format!("the secret store's folder `{shown}` cannot be written: {err}"),
            format!(
                "make it writable by the user lockdown runs as (`chmod u+w {shown}`), or choose another `secret_store`"
            ),
        ),
    }
}

/// An existing store is a regular file its group and others cannot read.
fn file(name: &str, path: &Path) -> Finding {
    let shown = path.display();
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Finding::ok(
                name,
                "store.file",
                format!(
                    "`{shown}` is not written yet; the first replacement key creates it (0600)"
                ),
            );
        }
        Err(err) => {
            return Finding::critical(
                name,
                "store.file",
                format!("the secret store `{shown}` cannot be looked at: {err}"),
                "make its folder readable by the user lockdown runs as",
            );
        }
    };
    if meta.file_type().is_symlink() {
        // The new secret is renamed over the path: it replaces the link, and whatever reads
        // the link's target keeps the revoked key.
        return Finding::warning(
            name,
            "store.file",
            format!(
                "the secret store `{shown}` is a symbolic link: the new secret would replace the link, not reach its target"
            ),
            "point `secret_store` at the plain file the bot reads its key from",
        );
    }
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file"
        };
        return Finding::critical(
            name,
            "store.file",
            format!(
                "the secret store `{shown}` is {kind}: the new secret cannot be written over it"
            ),
            "point `secret_store` at the plain file the bot reads its key from",
        );
    }
    let mode = mode(&meta);
    if mode & 0o077 != 0 {
        return Finding::warning(
            name,
            "store.file",
            format!(
                "the secret store `{shown}` can be read by others (mode {mode:03o}): it holds a key's secret"
            ),
            format!("`chmod 600 {shown}`; if others may have read it, replace that key"),
        );
    }
    Finding::ok(
        name,
        "store.file",
        format!("`{shown}` is a private file (mode {mode:03o})"),
    )
}

/// The folder a store's file is written in.
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The permission bits.
#[cfg(unix)]
pub(super) fn mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

/// The permission bits (none to look at off Unix).
#[cfg(not(unix))]
pub(super) fn mode(_meta: &std::fs::Metadata) -> u32 {
    0o600
}
