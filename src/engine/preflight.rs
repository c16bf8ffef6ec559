//! Checks before a run sends anything: inputs, the playbook's venue, what each step needs from
//! the profile and the disk, and whether its confirmations can be asked. Bad input found here
//! leaves nothing behind (exit 2, no run folder, no request).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::Confirm;
use crate::actions::{Outputs, Preflight, RunInfo};
use crate::config::Profile;
use crate::playbook::Playbook;
use crate::template::Context;

/// Problems found before anything was sent.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join("; "))]
pub struct PreflightError {
    /// Each problem with its hint.
    pub problems: Vec<(String, Option<String>)>,
}

/// A problem that does not stop the run (a step's [`crate::actions::Action::advise`]), with its
/// hint: said before the first request.
pub type Advice = (String, Option<String>);

/// Applies input defaults and checks everything that can be checked without the network:
/// required inputs, the playbook's venue, profile fields and files the steps need, and whether
/// confirmations can be asked. Nothing is sent and nothing is written. What must not stop a
/// response (a missing ledger) comes back as advice.
pub fn preflight(
    playbook: &Playbook,
    profile: &Profile,
    info: &RunInfo,
    inputs: &mut BTreeMap<String, String>,
    confirm: Confirm,
    interactive: bool,
) -> Result<Vec<Advice>, PreflightError> {
    let mut problems = Vec::new();
    let mut advice = Vec::new();
    for input in &playbook.inputs {
        if !inputs.contains_key(&input.name) {
            match &input.default {
                Some(default) => {
                    inputs.insert(input.name.clone(), default.clone());
                }
                None if input.required => problems.push((
                    format!("the playbook needs input `{}`", input.name),
                    Some(match input.name.as_str() {
                        "key" => "pass the leaked key's id with `--key`".to_owned(),
                        name => format!("pass it with `--input {name}=VALUE`"),
                    }),
                )),
                None => {}
            }
        }
    }
    if playbook.exchange != profile.exchange {
        problems.push((
            format!(
                "playbook `{}` is for {}, profile `{}` is {}",
                playbook.name, playbook.exchange, profile.name, profile.exchange
            ),
            Some("choose the playbook for this exchange, or leave `--playbook` out".into()),
        ));
    }
    for field in &profile.ignored_fields {
        let readers = crate::venues::VenueSpec::readers_of(field).join(", ");
        advice.push((
            format!(
                "profile `{}`: `{field}` is not read on {}; it changes nothing here",
                profile.name, profile.exchange
            ),
            Some(format!(
                "it applies to {readers} only; remove it from the profile"
            )),
        ));
    }
    for unread in &profile.unread_keys {
        advice.push((
            format!(
                "profile `{}`: the secret of key {} could not be read ({}); the response goes on without it: the lock and the revoke need the master only, and a step that needs the key's own secret says so",
                profile.name, unread.key, unread.why
            ),
            Some(unread.hint.clone()),
        ));
    }
    let templates = context(inputs, profile, info, &BTreeMap::new());
    let pre = Preflight {
        profile,
        templates: &templates,
    };
    // The same problem in several steps (a key not in the profile) is said once, naming them.
    let mut by_step: Vec<(Vec<String>, String, Option<String>)> = Vec::new();
    let mut advised: Vec<(Vec<String>, String, Option<String>)> = Vec::new();
    for (step, action) in playbook.action_steps() {
        if let Err(err) = action.preflight(&pre) {
            let (message, hint) = (err.to_string(), err.hint());
            match by_step
                .iter_mut()
                .find(|(_, m, h)| *m == message && *h == hint)
            {
                Some((steps, _, _)) => steps.push(step.id.to_string()),
                None => by_step.push((vec![step.id.to_string()], message, hint)),
            }
        }
        if let Some(err) = action.advise(&pre) {
            let (message, hint) = (err.to_string(), err.hint());
            match advised
                .iter_mut()
                .find(|(_, m, h)| *m == message && *h == hint)
            {
                Some((steps, _, _)) => steps.push(step.id.to_string()),
                None => advised.push((vec![step.id.to_string()], message, hint)),
            }
        }
        // Steps done by hand (the `manual` action, or what the venue has no API for) do not
        // stop a run from starting: without a terminal they wait, pending and resumable.
        let by_hand = action.by_hand(profile.exchange.venue().as_ref());
        if action.needs_confirmation() && !by_hand && confirm == Confirm::Ask && !interactive {
            problems.push((
                format!(
                    "step `{}` ({}) needs a confirmation and there is no terminal to ask on",
                    step.id,
                    action.name()
                ),
                Some("pass `--yes` to accept every confirmation (it is journaled)".into()),
            ));
        }
    }
    for (steps, message, hint) in by_step {
        problems.push((format!("{}: {message}", which_steps(&steps)), hint));
    }
    for (steps, message, hint) in advised {
        advice.push((format!("{}: {message}", which_steps(&steps)), hint));
    }
    if problems.is_empty() {
        Ok(advice)
    } else {
        Err(PreflightError { problems })
    }
}

/// `step `a`` or `steps `a`, `b``.
fn which_steps(steps: &[String]) -> String {
    let named: Vec<String> = steps.iter().map(|s| format!("`{s}`")).collect();
    match named.len() {
        1 => format!("step {}", named[0]),
        _ => format!("steps {}", named.join(", ")),
    }
}

/// What templates render against: earlier steps' outputs are shared with the context, and
/// become template values only when a template reads them.
pub(super) fn context(
    inputs: &BTreeMap<String, String>,
    profile: &Profile,
    info: &RunInfo,
    outputs: &BTreeMap<String, Arc<Outputs>>,
) -> Context {
    let data = json!({
        "inputs": inputs,
        "profile": profile.template_view(),
        "run": info.template_view(),
    });
    Context::with_steps(&data, outputs)
}
