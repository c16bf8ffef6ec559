//! Does the playbook plan? The profile's playbook runs as `lockdown plan --offline` runs it,
//! through [`crate::respond`] with no call at all, for a placeholder leaked key (the profile's
//! first bot key, else a dummy id): templates render, inputs resolve, every step's preflight and
//! plan hold. Its run folder goes to a temporary state dir removed afterwards, so `check` leaves
//! no run in the user's state dir and creates no journal key there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Finding;
use crate::config::Profile;
use crate::engine::{Confirm, Outcome};
use crate::error::Error;
use crate::exchanges::Mode;
use crate::exit::Exit;
use crate::respond::{Request, respond_for};
use crate::secret::KeyId;
use crate::ui::Ui;

/// The check's id.
const CHECK: &str = "playbook.plan";

/// The leaked key planned for when the profile names no bot key.
const PLACEHOLDER_KEY: &str = "check-placeholder-key";

/// Plans the profile's playbook offline.
pub(super) async fn check(config: &Path, profile: &Profile, ui: &Ui) -> Finding {
    let key = profile
        .keys
        .first()
        .map_or_else(|| KeyId::new(PLACEHOLDER_KEY), |k| k.id.clone());
    let scratch = match Scratch::create() {
        Ok(scratch) => scratch,
        Err(err) => {
            return Finding::warning(
                &profile.name,
                CHECK,
                format!("the offline plan could not run: no temporary folder ({err})"),
                "set `TMPDIR` to a writable folder",
            );
        }
    };
    let mut twin = profile.clone();
    twin.state_dir = scratch.0.clone();
    let request = Request {
        config: config.to_owned(),
        profile: Some(profile.name.clone()),
        playbook: None,
        key: key.clone(),
        inputs: BTreeMap::new(),
        confirm: Confirm::Yes,
        mode: Mode::Offline,
        otp: None,
        operator: None,
        incident: None,
        rehearsal: None,
        cause: None,
    };
    let planned = respond_for(twin, request, &ui.silent()).await;
    drop(scratch);
    let playbook = profile
        .playbook
        .as_ref()
        .map_or_else(|| "PLAYBOOK".to_owned(), |p| p.display().to_string());
    let rerun = format!(
        "`lockdown plan --offline --config {} --profile {} --key KEY {playbook}` shows the whole plan",
        config.display(),
        profile.name,
    );
    match planned {
        Ok(outcome) if outcome.exit() == Exit::Ok => Finding::ok(
            &profile.name,
            CHECK,
            format!("`plan --offline` plans every step for key {}", key.masked()),
        ),
        Ok(outcome) => failed_step(profile, &outcome, rerun),
        Err(err) => refused(profile, &err, rerun),
    }
}

/// The finding of a plan that ran but did not end well: its first failed step.
fn failed_step(profile: &Profile, outcome: &Outcome, rerun: String) -> Finding {
    let step = outcome.steps.iter().find(|s| s.error.is_some());
    let message = match step {
        Some(s) => format!(
            "`plan --offline` fails at step `{}` ({}): {}",
            s.id,
            s.action,
            s.error.as_deref().unwrap_or_default()
        ),
        None => format!(
            "`plan --offline` does not end well (exit {})",
            outcome.exit().code()
        ),
    };
    let fix = step
        .and_then(|s| s.hint.clone())
        .map_or(rerun.clone(), |hint| format!("{hint}; {rerun}"));
    Finding::critical(&profile.name, CHECK, message, fix)
}

/// The finding of a plan refused before it started (preflight, a template, an input).
fn refused(profile: &Profile, err: &Error, rerun: String) -> Finding {
    let (message, hint) = match err {
        Error::Preflight { problems } => (
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            problems.iter().find_map(|p| p.help.clone()),
        ),
        other => (
            other.to_string(),
            miette::Diagnostic::help(other).map(|h| h.to_string()),
        ),
    };
    let fix = hint.map_or(rerun.clone(), |hint| format!("{hint}; {rerun}"));
    Finding::critical(
        &profile.name,
        CHECK,
        format!("`plan --offline` cannot start: {message}"),
        fix,
    )
}

/// A private temporary folder, removed with everything in it when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> std::io::Result<Scratch> {
        let dir = std::env::temp_dir().join(super::probe::unique_name("lockdown-check"));
        crate::private::create_dir(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
