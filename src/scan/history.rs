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
    let mut seen = Seen::default();
    for commit_id in &order {
        let commit = repo
            .find_commit(*commit_id)
            .map_err(|err| failed(root, err))?;
        let tree = commit.tree().map_err(|err| failed(root, err))?;
        let mut new = NewBlobs {
            seen: &mut seen,
            recorder: gix::traverse::tree::Recorder::default(),
        };
        tree.traverse()
            .breadthfirst(&mut new)
            .map_err(|err| failed(root, err))?;
        let hex = commit_id.to_string();
        for entry in new.recorder.records {
            if !entry.mode.is_blob() {
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

/// The trees and blobs already read.
#[derive(Default)]
struct Seen {
    trees: HashSet<ObjectId>,
    blobs: HashSet<ObjectId>,
}

/// A tree walk that records only blobs not seen before, and does not enter a tree seen before
/// (an unchanged folder of a later commit), which keeps a long history's walk short.
struct NewBlobs<'a> {
    seen: &'a mut Seen,
    recorder: gix::traverse::tree::Recorder,
}

impl gix::traverse::tree::Visit for NewBlobs<'_> {
    fn pop_back_tracked_path_and_set_current(&mut self) {
        self.recorder.pop_back_tracked_path_and_set_current();
    }

    fn pop_front_tracked_path_and_set_current(&mut self) {
        self.recorder.pop_front_tracked_path_and_set_current();
    }

    fn push_back_tracked_path_component(&mut self, component: &gix::bstr::BStr) {
        self.recorder.push_back_tracked_path_component(component);
    }

    fn push_path_component(&mut self, component: &gix::bstr::BStr) {
        self.recorder.push_path_component(component);
    }

    fn pop_path_component(&mut self) {
        self.recorder.pop_path_component();
    }

    fn visit_tree(
        &mut self,
        entry: &gix::objs::tree::EntryRef<'_>,
    ) -> gix::traverse::tree::visit::Action {
        if self.seen.trees.insert(entry.oid.to_owned()) {
            std::ops::ControlFlow::Continue(true)
        } else {
            std::ops::ControlFlow::Continue(false)
        }
    }

    fn visit_nontree(
        &mut self,
        entry: &gix::objs::tree::EntryRef<'_>,
    ) -> gix::traverse::tree::visit::Action {
        if entry.mode.is_blob() && self.seen.blobs.insert(entry.oid.to_owned()) {
            self.recorder.visit_nontree(entry)
        } else {
            std::ops::ControlFlow::Continue(true)
        }
    }
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
