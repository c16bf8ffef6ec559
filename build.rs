//! Build script: `lockdown --version` names the commit it was built from, when built from a git
//! checkout (`cargo install --path .` or `--git`), so a report or a bug says exactly which code
//! ran. Without git, or outside a checkout, the version is the package's alone.
//!
//! Hand-written rather than a crate (vergen, built): two `git` calls are all it needs, and those
//! crates bring dozens of build dependencies for it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_owned(),
    };
    println!("cargo:rustc-env=LOCKDOWN_VERSION={full}");
    // A new commit or checkout changes HEAD's reflog. (Not the index: `git status` touches it,
    // and every build after one would compile the crate again.) Local edits are not marked.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        for file in ["HEAD", "logs/HEAD"] {
            let path = std::path::Path::new(&dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
