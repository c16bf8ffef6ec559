//! The watcher's actions on a key: the lock (the shipped playbook's own first step, alone) and
//! the whole response, each run as a journaled run with the signal as its cause.
//!
//! Both go through [`crate::respond::respond`], the one path every response takes: the run
//! folder, the journal (its `run_started` names the signal in `cause`), the one-responder-per-key
//! lock file, the notifications, the report (the lock's playbook ends with the `report` step:
//! the signal at its top, `lockdown unlock RUN` and the full response under "left to do"). The lock's playbook is written from the venue's shipped playbook
//! (its `restrict_key` step, word for word) into `<state_dir>/watch/`, so a run can be resumed
//! and its playbook's hash checked like any other. A venue whose key cannot be locked by API
//! (Kraken, BitMEX: a person deletes it) has no lock playbook: the watcher notifies instead.

use std::path::{Path, PathBuf};

use super::signal::Signal;
use crate::engine::{Confirm, Outcome};
use crate::error::Error;
use crate::exchanges::{Capability, ExchangeId, Mode, Support};
use crate::respond::{Request, respond};
use crate::secret::KeyId;
use crate::ui::Ui;

/// The lock playbook's text for `venue`: its shipped playbook's `restrict_key` step alone, then
/// (in `finally`) the report, as a response writes it. `None` where the venue locks no key by
/// API, or its playbook does not start with a lock.
pub fn lock_playbook(venue: ExchangeId) -> Option<String> {
    if venue.venue().support(Capability::LockKey) != Support::Api {
        return None;
    }
    let (_, text) = venue.spec().playbook;
    let steps = text.find("\nsteps:\n")? + "\nsteps:\n".len();
    let rest = &text[steps..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    let step = &rest[..end];
    if !step.trim_start().starts_with("- id:") || !step.contains("restrict_key:") {
        return None;
    }
    Some(format!(
        "# Written by `lockdown watch`: the lock of {venue}'s shipped playbook, alone. A watcher runs it
# when its policy says `lock`; `lockdown unlock RUN` undoes it.
version: 1
name: watch-lock-{venue}
description: Bind a watched key to the responder's address (lockdown watch)
exchange: {venue}
inputs:
  key:
    required: true
    description: API key id of the watched key
steps:
{step}

# Always, also when the lock failed: the report, with the signal at its top and what is left
# (the full response, or `lockdown unlock RUN`).
finally:
  - id: report
    name: Write the lock's report
    report:
      formats: [markdown, json, html]
"
    ))
}

/// Writes the lock playbook for `venue` under `state_dir` (replaced when it changed) and says
/// where.
fn write_lock_playbook(state_dir: &Path, venue: ExchangeId) -> Result<PathBuf, Error> {
    let text = lock_playbook(venue).ok_or_else(|| Error::Usage {
        message: format!("{venue} keys cannot be locked by API"),
        help: Some(format!(
            "set the watch policy to `notify` for {venue}: a person deletes the key (see `lockdown capabilities`)"
        )),
    })?;
    let dir = state_dir.join("watch");
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { what, path, source }
    };
    crate::private::create_dir(&dir).map_err(io("create the folder", &dir))?;
    let path = dir.join(format!("lock-{venue}.yaml"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        crate::private::write(&path, text).map_err(io("write", &path))?;
    }
    Ok(path)
}

/// What the watcher runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// The lock alone.
    Lock,
    /// The profile's whole playbook.
    Respond,
}

/// Runs the lock (or the whole response) for `key` of `profile` in `config`, with `signal` as
/// the cause journaled in `run_started`.
pub async fn run(
    what: Run,
    config: &Path,
    profile: &crate::config::Profile,
    key: &KeyId,
    signal: &Signal,
    confirm: Confirm,
    ui: &Ui,
) -> Result<Outcome, Error> {
    let playbook = match what {
        Run::Lock => Some(write_lock_playbook(&profile.state_dir, profile.exchange)?),
        Run::Respond => None,
    };
    let cause = serde_json::json!({
        "by": "lockdown watch",
        "signal": signal,
    });
    respond(
        Request {
            config: config.to_owned(),
            profile: Some(profile.name.clone()),
            playbook,
            key: key.clone(),
            inputs: Default::default(),
            confirm,
            mode: Mode::Live,
            otp: None,
            operator: None,
            incident: None,
            rehearsal: None,
            cause: Some(cause),
        },
        ui,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venues_that_lock_by_api_get_their_shipped_lock_step_alone() {
        for venue in ExchangeId::ALL {
            let text = lock_playbook(*venue);
            let api = venue.venue().support(Capability::LockKey) == Support::Api;
            match text {
                Some(text) => {
                    assert!(api, "{venue}");
                    let playbook = crate::playbook::parse("lock.yaml", &text)
                        .unwrap_or_else(|err| panic!("{venue}: {err:?}\n{text}"));
                    assert_eq!(playbook.steps.len(), 1, "{venue}");
                    assert_eq!(playbook.finally.len(), 1, "{venue}");
                    assert_eq!(playbook.finally[0].id.to_string(), "report", "{venue}");
                }
                None => assert!(
                    !api || !venue.spec().playbook.1.contains("restrict_key"),
                    "{venue} locks by API but has no lock playbook"
                ),
            }
        }
    }
}
