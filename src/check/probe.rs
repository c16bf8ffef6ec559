//! Can lockdown write in a folder? Asked the only honest way: by writing. A probe file with a
//! name no one else uses is created there (owner-only, synced, as a store or a journal would be)
//! and removed at once; permission bits alone miss ACLs, read-only mounts and full disks.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::{RngCore, SeedableRng};

/// A name of `prefix`, this process's id and 64 random bits: no other file has it.
pub(super) fn unique_name(prefix: &str) -> String {
    let random = rand::rngs::StdRng::from_os_rng().next_u64();
    format!("{prefix}-{}-{random:016x}", std::process::id())
}

/// Writes a probe file in `dir` (created new, 0600, synced) and removes it.
pub(super) fn write_and_remove(dir: &Path) -> std::io::Result<()> {
    let path: PathBuf = dir.join(unique_name(".lockdown-check-probe"));
    let written = (|| {
        let mut file = crate::private::open(
            crate::private::options().write(true).create_new(true),
            &path,
        )?;
        file.write_all(b"lockdown check: a probe, removed at once\n")?;
        file.sync_all()
    })();
    let removed = std::fs::remove_file(&path);
    match (written, removed) {
        (Err(err), _) => Err(err),
        (Ok(()), Err(err)) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        write_and_remove(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_probe_in_a_missing_folder_fails() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_and_remove(&dir.path().join("nope")).is_err());
    }
}
