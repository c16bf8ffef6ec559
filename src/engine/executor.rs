//! Running a playbook: the per-step protocol and the run's bookkeeping.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::future::join_all;
use serde_json::{Value, json};

use super::outcome::{Outcome, StepRecord, StepStatus};
use super::template::{self, Context};
use crate::actions::{
    ActionError, ActionSpec, Containment, JournalHandle, Outputs, Plan, Preflight, RunInfo,
    StepContext, Vault,
};
use crate::clock;
use crate::config::Profile;
use crate::exchanges::{CallSink, Client};
use crate::exit::Exit;
use crate::journal::EventKind;
use crate::playbook::{OnError, Playbook, Step, StepBody};
use crate::ui::Ui;

/// How confirmations are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// `--yes`: accepted without asking (and journaled as such).
    Yes,
    /// Ask on the terminal.
    Ask,
    /// A drill's simulated operator accepts (journaled as `drill`).
    Drill,
}

/// One run of a playbook.
#[derive(Debug)]
pub struct Run<'a> {
    /// The playbook.
    pub playbook: &'a Playbook,
    /// The profile.
    pub profile: &'a Profile,
    /// The exchange client.
    pub client: &'a Client,
    /// The run's id and folder.
    pub info: RunInfo,
    /// The journal.
    pub journal: JournalHandle,
    /// Input values (defaults applied by [`preflight`]).
    pub inputs: BTreeMap<String, String>,
    /// How confirmations are answered.
    pub confirm: Confirm,
    /// Where people's output goes.
    pub ui: &'a Ui,
}

/// Problems found before anything was sent.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join("; "))]
pub struct PreflightError {
    /// Each problem with its hint.
    pub problems: Vec<(String, Option<String>)>,
}

#[derive(Debug, Default)]
struct State {
    outputs: BTreeMap<String, Outputs>,
    records: Vec<StepRecord>,
    aborted: bool,
    contained_ms: Option<u64>,
    journal_error: Option<String>,
}

/// Applies input defaults and checks everything that can be checked without the network:
/// required inputs, the playbook's venue, profile fields and files the steps need, and whether
/// confirmations can be asked. Nothing is sent and nothing is written.
pub fn preflight(
    playbook: &Playbook,
    profile: &Profile,
    info: &RunInfo,
    inputs: &mut BTreeMap<String, String>,
    confirm: Confirm,
    interactive: bool,
) -> Result<(), PreflightError> {
    let mut problems = Vec::new();
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
    let templates = context(inputs, profile, info, &BTreeMap::new());
    let pre = Preflight {
        profile,
        templates: &templates,
    };
    for (step, action) in playbook.action_steps() {
        if let Err(err) = action.preflight(&pre) {
            problems.push((format!("step `{}`: {err}", step.id), err.hint()));
        }
        if action.needs_confirmation() && confirm == Confirm::Ask && !interactive {
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
    if problems.is_empty() {
        Ok(())
    } else {
        Err(PreflightError { problems })
    }
}

/// What templates render against.
fn context(
    inputs: &BTreeMap<String, String>,
    profile: &Profile,
    info: &RunInfo,
    outputs: &BTreeMap<String, Outputs>,
) -> Context {
    Context::new(&json!({
        "inputs": inputs,
        "profile": profile.template_view(),
        "run": info.template_view(),
        "steps": outputs,
    }))
}

impl Run<'_> {
    /// Runs every step and reports how the run ended. Never panics on step failures.
    pub async fn execute(&self) -> Outcome {
        let started = self.info.started;
        let state = Arc::new(Mutex::new(State::default()));
        let vault = Vault::default();
        let key = self.inputs.get("key").cloned().unwrap_or_default();
        let started_event = self.journal.append(
            EventKind::RunStarted,
            json!({
                "run_id": self.info.id,
                "playbook": self.playbook.name,
                "playbook_origin": self.playbook.origin,
                "exchange": self.profile.exchange.as_str(),
                "profile": self.profile.name,
                "base_url": self.profile.base_url,
                "key": crate::secret::mask(&key),
                "mode": match self.client.mode() {
                    crate::exchanges::Mode::Live => "live",
                    crate::exchanges::Mode::DryRun => "dry-run",
                },
                "inputs": self.inputs.iter()
                    .filter(|(name, _)| name.as_str() != "key")
                    .collect::<BTreeMap<_, _>>(),
            }),
        );
        if let Err(err) = started_event {
            lock(&state).journal_error = Some(err.to_string());
        }

        for step in &self.playbook.steps {
            if lock(&state).aborted {
                self.not_run(step, &state);
                continue;
            }
            match &step.body {
                StepBody::Action(action) => {
                    self.run_step(step, action, &state, &vault, started).await;
                }
                StepBody::Parallel(members) => {
                    if !self.when_holds(step, &state).await {
                        continue;
                    }
                    let runs = members.iter().filter_map(|member| match &member.body {
                        StepBody::Action(action) => {
                            Some(self.run_step(member, action, &state, &vault, started))
                        }
                        StepBody::Parallel(_) => None,
                    });
                    join_all(runs).await;
                }
            }
        }

        let duration_ms = elapsed_ms(started);
        let summary = {
            let state = lock(&state);
            json!({
                "contained": state.contained_ms.is_some(),
                "contained_ms": state.contained_ms,
                "duration_ms": duration_ms,
                "aborted": state.aborted,
            })
        };
        if let Err(err) = self.journal.append(EventKind::RunFinished, summary) {
            lock(&state).journal_error.get_or_insert(err.to_string());
        }
        let (seq, hash) = self.journal.head();
        let state = std::mem::take(&mut *lock(&state));
        Outcome {
            run_id: self.info.id.clone(),
            run_dir: self.info.dir.display().to_string(),
            playbook: self.playbook.name.clone(),
            contained: state.contained_ms.is_some(),
            contained_ms: state.contained_ms,
            duration_ms,
            steps: state.records,
            aborted: state.aborted,
            journal_error: state.journal_error,
            journal_seq: seq,
            journal_hash: hash,
        }
    }

    fn template_context(&self, outputs: &BTreeMap<String, Outputs>) -> Context {
        context(&self.inputs, self.profile, &self.info, outputs)
    }

    fn not_run(&self, step: &Step, state: &Mutex<State>) {
        let mut state = lock(state);
        for inner in step.flatten() {
            if let StepBody::Action(action) = &inner.body {
                state
                    .records
                    .push(record(inner, action, StepStatus::NotRun, String::new(), 0));
            }
        }
    }

    /// Evaluates a step's `when`; journals a skip when it is false.
    async fn when_holds(&self, step: &Step, state: &Mutex<State>) -> bool {
        let Some(when) = &step.when else { return true };
        let templates = self.template_context(&lock(state).outputs);
        let (holds, reason) = match template::truthy(when, &templates) {
            Ok(true) => return true,
            Ok(false) => (false, format!("`{when}` is false")),
            Err(err) => (false, format!("`when` could not be evaluated: {err}")),
        };
        let data = json!({"step": step.id.as_str(), "action": step.kind(), "reason": reason});
        self.append(state, EventKind::StepSkipped, data);
        self.ui.step_ended(step.id.as_str(), "skipped", 0, &reason);
        let mut state = lock(state);
        for inner in step.flatten() {
            if let StepBody::Action(action) = &inner.body {
                state.records.push(record(
                    inner,
                    action,
                    StepStatus::Skipped,
                    clock::now_rfc3339(),
                    0,
                ));
            }
        }
        holds
    }

    async fn run_step(
        &self,
        step: &Step,
        action: &ActionSpec,
        state: &Mutex<State>,
        vault: &Vault,
        run_started: Instant,
    ) {
        if lock(state).aborted || !self.when_holds(step, state).await {
            return;
        }
        let id = step.id.as_str();
        let started_at = clock::now_rfc3339();
        let started = Instant::now();
        self.ui.step_started(id, step.name.as_deref());

        let sink: CallSink = Arc::default();
        let client = self.client.recording(Arc::clone(&sink));
        let outputs = lock(state).outputs.clone();
        let templates = self.template_context(&outputs);
        let cx = StepContext {
            step: id,
            client: &client,
            profile: self.profile,
            run: &self.info,
            templates: &templates,
            outputs: &outputs,
            vault,
            journal: &self.journal,
        };

        // The plan goes into the start event: one sync to disk before the step acts, not two
        // (the lock is the first step, and it should not wait on the disk twice).
        let plan = action.plan(&cx).await;
        let (requests, instructions) = match &plan {
            Ok(plan) => (plan.requests.clone(), plan.instructions.clone()),
            Err(_) => (Vec::new(), None),
        };
        let data = json!({
            "step": id,
            "action": action.name(),
            "name": step.name,
            "requests": requests,
            "instructions": instructions,
        });
        if !self.append(state, EventKind::StepStarted, data) {
            return;
        }
        for request in &requests {
            self.ui
                .detail(&format!("    {}", request.replace('\n', "\n    ")));
        }

        let result = match plan {
            Err(err) => Err(err),
            Ok(plan) => {
                let work = self.confirm_apply(step, action, &cx, plan, state);
                match step.timeout {
                    Some(limit) => match tokio::time::timeout(limit, work).await {
                        Ok(result) => result,
                        Err(_) => Err(ActionError::Check {
                            message: format!(
                                "timed out after {}",
                                humantime::format_duration(limit)
                            ),
                            hint: "raise the step's `timeout`, or check the exchange's status"
                                .into(),
                        }),
                    },
                    None => work.await,
                }
            }
        };
        let duration_ms = elapsed_ms(started);
        let calls = lock_calls(&sink);

        let mut rec = record(step, action, StepStatus::Ok, started_at, duration_ms);
        match result {
            Ok(outputs) => {
                let data = json!({
                    "step": id,
                    "action": action.name(),
                    "status": "ok",
                    "duration_ms": duration_ms,
                    "outputs": outputs,
                    "calls": calls,
                });
                if !self.append(state, EventKind::StepFinished, data) {
                    return;
                }
                let note = note(action, &outputs);
                self.ui.step_ended(id, "ok", duration_ms, &note);
                rec.outputs = Value::Object(outputs.clone());
                let mut state = lock(state);
                if action.containment() == Containment::Contains && state.contained_ms.is_none() {
                    // The moment the exchange acknowledged, not the end of the step.
                    let at = outputs.get("contained_after_ms").and_then(Value::as_u64);
                    state.contained_ms = Some(at.unwrap_or_else(|| elapsed_ms(run_started)));
                }
                state.outputs.insert(id.to_owned(), outputs);
                state.records.push(rec);
            }
            Err(err) => {
                let status = match err {
                    ActionError::Declined { .. } => StepStatus::Declined,
                    _ => StepStatus::Failed,
                };
                let data = json!({
                    "step": id,
                    "action": action.name(),
                    "status": status.as_str(),
                    "duration_ms": duration_ms,
                    "error": err.to_string(),
                    "hint": err.hint(),
                    "code": err.code(),
                    "calls": calls,
                });
                if !self.append(state, EventKind::StepFailed, data) {
                    return;
                }
                self.ui
                    .step_ended(id, status.as_str(), duration_ms, &err.to_string());
                if let Some(hint) = err.hint() {
                    self.ui.info(&format!("    hint: {hint}"));
                }
                rec.status = status;
                rec.error = Some(err.to_string());
                rec.hint = err.hint();
                rec.failure = Some(failure_exit(&err));
                let mut state = lock(state);
                if step.on_error == OnError::Abort {
                    state.aborted = true;
                }
                state.records.push(rec);
            }
        }
    }

    async fn confirm_apply(
        &self,
        step: &Step,
        action: &ActionSpec,
        cx: &StepContext<'_>,
        plan: Plan,
        state: &Mutex<State>,
    ) -> Result<Outputs, ActionError> {
        let id = step.id.as_str();
        if action.needs_confirmation() {
            if let Some(text) = &plan.instructions {
                self.ui.block("To do by hand:", text);
            }
            let (accepted, by) = match self.confirm {
                Confirm::Yes => (true, "--yes"),
                Confirm::Drill => (true, "drill"),
                Confirm::Ask => {
                    let question = match action {
                        ActionSpec::Manual(_) => format!("`{id}`: done?"),
                        _ => {
                            self.ui.block("About to send:", &plan.requests.join("\n"));
                            format!("`{id}`: send this {}?", action.name())
                        }
                    };
                    let answer = self
                        .ui
                        .confirm(&question)
                        .map_err(|err| ActionError::Input {
                            message: err.to_string(),
                            hint: "pass `--yes` to accept confirmations without a terminal".into(),
                        })?;
                    (answer, "operator")
                }
            };
            let data = json!({"step": id, "accepted": accepted, "by": by});
            if !self.append(state, EventKind::Confirmation, data) {
                return Err(ActionError::Check {
                    message: "the journal could not be written".into(),
                    hint: "free disk space or fix permissions of the state folder".into(),
                });
            }
            if !accepted {
                return Err(ActionError::Declined {
                    what: format!("step `{id}` ({})", action.name()),
                });
            }
        }
        action.apply(cx).await
    }

    /// Appends to the journal; on failure stops the run (exit 4) and says so.
    fn append(&self, state: &Mutex<State>, kind: EventKind, data: Value) -> bool {
        match self.journal.append(kind, data) {
            Ok(_) => true,
            Err(err) => {
                let mut state = lock(state);
                state.journal_error.get_or_insert(err.to_string());
                state.aborted = true;
                false
            }
        }
    }
}

fn record(
    step: &Step,
    action: &ActionSpec,
    status: StepStatus,
    started_at: String,
    duration_ms: u64,
) -> StepRecord {
    StepRecord {
        id: step.id.as_str().to_owned(),
        action: action.name().to_owned(),
        status,
        started_at,
        duration_ms,
        error: None,
        hint: None,
        outputs: Value::Null,
        failure: None,
    }
}

/// The exit class of a failure that stopped a run before containment.
fn failure_exit(err: &ActionError) -> Exit {
    match err {
        ActionError::Exchange { .. } | ActionError::Check { .. } => Exit::Exchange,
        ActionError::Template(_) | ActionError::Input { .. } => Exit::BadInput,
        ActionError::Io { .. } | ActionError::Journal(_) => Exit::Io,
        ActionError::Declined { .. } => Exit::Incomplete,
    }
}

/// A few words about a step's result for people.
fn note(action: &ActionSpec, outputs: &Outputs) -> String {
    let get = |key: &str| outputs.get(key).cloned().unwrap_or(Value::Null);
    match action.name() {
        "restrict_key" => format!("locked to {}", get("ips")),
        "cancel_orders" => format!("{} cancelled, {} left", get("cancelled"), get("open_left")),
        "snapshot" => format!("{}", get("counts")),
        "diff_orders" => format!(
            "{} unauthorized, {} missing, {} mismatched",
            get("unauthorized").as_array().map_or(0, Vec::len),
            get("missing").as_array().map_or(0, Vec::len),
            get("mismatched").as_array().map_or(0, Vec::len)
        ),
        "create_key" => format!("new key {}", get("key").as_str().unwrap_or_default()),
        "store_secret" => format!("stored in {}", get("store").as_str().unwrap_or_default()),
        "report" => get("markdown").as_str().unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock_calls(sink: &CallSink) -> Value {
    let calls = sink.lock().map(|calls| calls.clone()).unwrap_or_default();
    serde_json::to_value(calls).unwrap_or(Value::Null)
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
