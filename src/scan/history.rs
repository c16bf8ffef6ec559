//! Every blob of a git repository's history (`--git`), read with gitoxide: each commit reachable
//! from any reference (branches, tags, remotes, stashes) or `HEAD`, oldest first, so that each
//! blob is named with the commit that first added it; files deleted later are read all the same.
//!
//! Each distinct blob is read once. Read-only: nothing in the repository is written.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::path::Path;

use gix::ObjectId;

use super::content::{Content, MAX_BYTES};
use crate::error::Error;

fn failed(root: &Path, err: impl Display) -> Error {
    Error::Usage {
        message: format!("cannot read the git history of `{}`: {err}", root.display()),
        help: Some(
            "give `--git` the repository's top folder (the one holding `.git`), or leave `--git` out to scan only the files on disk"
                .into(),
        ),
    }
}

/// Calls `visit` with each blob of the history of the repository at `root`: the commit that
/// first added it (full hex id), its path there, and its content. Returns how many commits.
pub(crate) fn blobs(
    root: &Path,
    mut visit: impl FnMut(&str, &str, Content),
) -> Result<usize, Error> {
    let repo = gix::open(root).map_err(|err| failed(root, err))?;
    let mut tips: Vec<ObjectId> = Vec::new();
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    let refs = repo.references().map_err(|err| failed(root, err))?;
    let all = refs
        .all()
        .map_err(|err| failed(root, err))?
        .peeled()
        .map_err(|err| failed(root, err))?;
    for reference in all.flatten() {
        if let Some(id) = reference.try_id() {
            let id = id.detach();
            if repo.find_commit(id).is_ok() {
                tips.push(id);
            }
        }
    }
    tips.sort();
    tips.dedup();
    if tips.is_empty() {
        return Ok(0);
    }
    let mut parents: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    let walk = repo
        .rev_walk(tips.clone())
        .all()
        .map_err(|err| failed(root, err))?;
    for info in walk {
        let info = info.map_err(|err| failed(root, err))?;
        parents.insert(info.id, info.parent_ids.iter().copied().collect());
    }
    let order = oldest_first(&tips, &parents);
    let mut seen: HashSet<ObjectId> = HashSet::new();
    for commit_id in &order {
        let commit = repo
            .find_commit(*commit_id)
            .map_err(|err| failed(root, err))?;
        let tree = commit.tree().map_err(|err| failed(root, err))?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|err| failed(root, err))?;
        let hex = commit_id.to_string();
        for entry in recorder.records {
            if !entry.mode.is_blob() || !seen.insert(entry.oid) {
                continue;
            }
            let path = entry.filepath.to_string();
            let size = repo
                .find_header(entry.oid)
                .map_err(|err| failed(root, err))?
                .size();
            if size > MAX_BYTES {
                visit(&hex, &path, Content::TooLarge);
                continue;
            }
            let object = repo
                .find_object(entry.oid)
                .map_err(|err| failed(root, err))?;
            visit(&hex, &path, Content::of(&object.data));
        }
    }
    Ok(order.len())
}

/// The commits of `parents` reachable from `tips`, every parent before its children.
fn oldest_first(tips: &[ObjectId], parents: &HashMap<ObjectId, Vec<ObjectId>>) -> Vec<ObjectId> {
    let mut order = Vec::with_capacity(parents.len());
    let mut done: HashSet<ObjectId> = HashSet::new();
    for tip in tips {
        // An explicit stack: (commit, whether its parents are already pushed).
        let mut stack = vec![(*tip, false)];
        while let Some((id, expanded)) = stack.pop() {
            if done.contains(&id) {
                continue;
            }
            if expanded {
                done.insert(id);
                order.push(id);
                continue;
            }
            stack.push((id, true));
            for parent in parents.get(&id).into_iter().flatten() {
                if !done.contains(parent) && parents.contains_key(parent) {
                    stack.push((*parent, false));
                }
            }
        }
    }
    order
}
