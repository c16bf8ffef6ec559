//! One step: prepare (when, plan, journal the start, confirm), act (apply with timeout and
//! retries, probing before repeating a mutation whose outcome is unknown; plan only in a dry
//! run), finish (journal the end with the step's calls and outputs).
//!
//! This file starts and ends a step; acting is in `attempt.rs`, a step done by hand in
//! `manual.rs`, and steps that do not act (skipped, not run) in `skip.rs`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;

use super::executor::{Confirm, Run, State, elapsed_ms, lock};
use super::outcome::{StepRecord, StepStatus};
use crate::actions::{ActionError, ActionSpec, Containment, Outputs, Plan, StepContext, Vault};
use crate::clock;
use crate::exchanges::{CallSink, Client, Mode};
use crate::exit::Exit;
use crate::journal::record;
use crate::playbook::{OnError, Step};
use crate::template::Context;
use crate::ui::StepProgress;

/// A step that has started: planned, journaled and confirmed; ready to act.
pub(super) struct Prepared<'s> {
    pub(super) step: &'s Step,
    pub(super) action: &'s ActionSpec,
    pub(super) started: Instant,
    pub(super) started_at: String,
    pub(super) sink: CallSink,
    pub(super) client: Client,
    /// What the step shows while it runs (its paged reads, its waits).
    pub(super) progress: StepProgress,
    /// Earlier steps' outputs, shared (a clone of this map copies pointers, not outputs).
    pub(super) outputs: BTreeMap<String, Arc<Outputs>>,
    pub(super) templates: Context,
    pub(super) plan: Plan,
    pub(super) probe_first: bool,
    /// In an incident: the run's clock of waits for the venue's shared limits, and what it
    /// read when the step began.
    pub(super) held: Option<Arc<crate::exchanges::client::HeldClock>>,
    pub(super) held_before: Option<std::time::Duration>,
}

/// A step's result with its own end: a parallel group journals its members in order once all
/// have ended, so each keeps the duration and end time it really had.
pub(super) struct Acted {
    result: Result<Done, (ActionError, u32)>,
    duration_ms: u64,
    ended_at: String,
}

impl Acted {
    /// The result of step `p`, ending now.
    pub(super) fn now(p: &Prepared<'_>, result: Result<Done, (ActionError, u32)>) -> Acted {
        Acted {
            result,
            duration_ms: elapsed_ms(p.started),
            ended_at: crate::clock::now_rfc3339(),
        }
    }
}

/// What every step's end journals, whichever way it ended: when, and the calls it made.
struct Ending {
    ended_at: String,
    calls: Vec<Value>,
}

/// How a step's work ended.
pub(super) enum Done {
    /// It acted (or a probe found it had); these are its outputs.
    Applied {
        /// The outputs.
        outputs: Outputs,
        /// Attempts made.
        attempts: u32,
        /// Whether a probe found the effect already there.
        probed: bool,
    },
    /// Dry run: planned, not sent; what later steps see of it.
    Planned(Outputs),
}

impl Run<'_> {
    /// What the step's action sees: its client, the templates and the outputs so far.
    pub(super) fn cx<'c>(&'c self, p: &'c Prepared<'_>, vault: &'c Vault) -> StepContext<'c> {
        StepContext {
            step: p.step.id.as_str(),
            client: &p.client,
            profile: self.profile,
            run: &self.info,
            templates: &p.templates,
            outputs: &p.outputs,
            vault,
            journal: &self.journal,
            progress: &p.progress,
        }
    }

    /// Starts a step: `None` when it does not run (skipped, done earlier, stopped, or it
    /// failed before acting, which `finish` has already recorded).
    pub(super) async fn prepare<'s>(
        &self,
        step: &'s Step,
        action: &'s ActionSpec,
        state: &Mutex<State>,
        vault: &Vault,
    ) -> Option<Prepared<'s>> {
        let id = step.id.as_str();
        let stopped = {
            let state = lock(state);
            let contains = action.runs_after_a_stop() && !state.containment_stopped;
            state.journal_error.is_some() || (state.aborted && !state.finally && !contains)
        };
        if stopped {
            self.not_run(step, state);
            return None;
        }
        let done_before = lock(state).prior.done.get(id).cloned();
        if let Some(outputs) = done_before {
            self.ui
                .step_ended(id, StepStatus::Ok, 0, "done before the interruption");
            let mut state = lock(state);
            // The summary says when it ran before the interruption, and how long it took.
            let (at, took) = state.prior.timing.get(id).cloned().unwrap_or_default();
            let mut rec = step_record(step, action, StepStatus::Ok, at, took);
            rec.incomplete = incomplete(&outputs);
            rec.outputs = Value::Object(outputs.clone());
            if action.containment() == Containment::Contains && state.contained_ms.is_none() {
                state.contained_ms = outputs.get("contained_after_ms").and_then(Value::as_u64);
            }
            state.outputs.insert(id.to_owned(), Arc::new(outputs));
            state.records.push(rec);
            return None;
        }
        if !self.when_holds(step, state).await {
            return None;
        }
        self.ui.step_started(id, step.name.as_deref());
        let sink: CallSink = Arc::default();
        let outputs = lock(state).outputs.clone();
        // Nothing is drawn until a read or a wait lasts; making these never waits for the UI.
        // The lock and the revoke count no pages: their reads are few and short, and nothing
        // on their path reaches the progress display.
        let progress = self.ui.step_progress(id);
        let pages = if action.containment() == Containment::Contains {
            None
        } else {
            progress.pages()
        };
        let held = lock(state).held.clone();
        let mut p = Prepared {
            held_before: held.as_ref().map(|h| h.total()),
            held: held.clone(),
            step,
            action,
            started: Instant::now(),
            started_at: clock::now_rfc3339(),
            client: self
                .client
                .recording(Arc::clone(&sink))
                .watching_pages(pages)
                .timing_holds(held.clone()),
            sink,
            progress,
            templates: self.template_context(&outputs),
            outputs,
            plan: Plan::default(),
            probe_first: lock(state).prior.unfinished.iter().any(|u| u == id),
        };

        // The plan goes into the start event: one sync to disk before the step acts, not two
        // (the lock is the first step; it should not wait on the disk twice).
        let planned = action.plan(&self.cx(&p, vault)).await;
        let (requests, instructions) = match &planned {
            Ok(plan) => (plan.requests.clone(), plan.instructions.clone()),
            Err(_) => (Vec::new(), None),
        };
        let started = record::StepStarted {
            step: id.to_owned(),
            action: action.name().to_owned(),
            name: step.name.clone(),
            requests: requests.clone(),
            instructions,
            probe_first: p.probe_first,
        };
        if !self.record(state, &started) {
            return None;
        }
        for request in &requests {
            self.ui
                .detail(&format!("    {}", request.replace('\n', "\n    ")));
        }
        match planned {
            Ok(plan) => p.plan = plan,
            Err(err) => {
                let acted = Acted::now(&p, Err((err, 1)));
                self.finish(p, acted, state);
                return None;
            }
        }
        // A manual step is confirmed (and verified) when it acts; anything else that needs a
        // person's yes asks now, before it sends.
        if self.client.mode() == Mode::Live
            && p.plan.manual.is_none()
            && action.needs_confirmation()
            && let Err(err) = self.confirm(&p, state)
        {
            let acted = Acted::now(&p, Err((err, 1)));
            self.finish(p, acted, state);
            return None;
        }
        Some(p)
    }

    fn confirm(&self, p: &Prepared<'_>, state: &Mutex<State>) -> Result<(), ActionError> {
        let id = p.step.id.as_str();
        if let Some(text) = &p.plan.instructions {
            self.ui.block("To do by hand:", text);
        }
        let (accepted, by) = match self.confirm {
            Confirm::Yes => (true, "--yes"),
            Confirm::Drill => (true, "drill"),
            Confirm::Ask => {
                let question = match p.action {
                    ActionSpec::Manual(_) => format!("`{id}`: done?"),
                    _ => {
                        self.ui.block("About to send:", &p.plan.requests.join("\n"));
                        format!("`{id}`: send this {}?", p.action.name())
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
        let answer = record::Confirmation {
            step: id.to_owned(),
            accepted,
            by: by.to_owned(),
            round: None,
        };
        if !self.record(state, &answer) {
            return Err(journal_failed());
        }
        if accepted {
            Ok(())
        } else {
            Err(ActionError::Declined {
                what: format!("step `{id}` ({})", p.action.name()),
            })
        }
    }

    /// Ends a step: journal, people's line, bookkeeping.
    pub(super) fn finish(&self, p: Prepared<'_>, acted: Acted, state: &Mutex<State>) {
        let Acted {
            result,
            duration_ms,
            ended_at,
        } = acted;
        let calls: Vec<Value> = {
            let calls = p.sink.lock().map(|c| c.clone()).unwrap_or_default();
            calls
                .iter()
                .filter_map(|call| serde_json::to_value(call).ok())
                .collect()
        };
        let rec = step_record(
            p.step,
            p.action,
            StepStatus::Ok,
            p.started_at.clone(),
            duration_ms,
        );
        let ending = Ending { ended_at, calls };
        match result {
            Ok(done) => self.finished(&p, done, rec, ending, state),
            Err((err, attempts)) => self.failed(&p, (&err, attempts), rec, ending, state),
        }
    }

    /// Ends a step that acted (or planned): `step_finished`, its note, its outputs for the
    /// steps after it, and the moment of containment.
    fn finished(
        &self,
        p: &Prepared<'_>,
        done: Done,
        mut rec: StepRecord,
        Ending { ended_at, calls }: Ending,
        state: &Mutex<State>,
    ) {
        let (id, action, duration_ms) = (p.step.id.as_str(), p.action, rec.duration_ms);
        let (status, outputs, attempts, probed) = match done {
            Done::Applied {
                outputs,
                attempts,
                probed,
            } => (StepStatus::Ok, outputs, attempts, probed),
            Done::Planned(outputs) => (StepStatus::Planned, outputs, 0, false),
        };
        let finished = record::StepFinished {
            step: id.to_owned(),
            action: action.name().to_owned(),
            status,
            duration_ms,
            ended_at: Some(ended_at),
            attempts,
            probed,
            outputs: outputs.clone(),
            calls,
        };
        if !self.record(state, &finished) {
            return;
        }
        let note = match status {
            StepStatus::Planned => "planned, not sent (dry run)".to_owned(),
            // A step done by hand is verified by the same probe: it was not done before.
            _ if probed && p.plan.manual.is_none() => {
                format!(
                    "already done ({})",
                    ActionSpec::note_of(action.name(), &outputs)
                )
            }
            _ => ActionSpec::note_of(action.name(), &outputs),
        };
        self.ui.step_ended(id, status, duration_ms, &note);
        if status == StepStatus::Planned {
            // The point of a dry run: the exact requests, secrets redacted.
            for request in &p.plan.requests {
                self.ui.block("would send:", request);
            }
            if let Some(text) = &p.plan.instructions {
                self.ui.block("would ask:", text);
            }
        }
        rec.status = status;
        rec.incomplete = incomplete(&outputs);
        if let Some(why) = &rec.incomplete {
            self.ui.warn(&format!("    `{id}` is incomplete: {why}"));
        }
        rec.outputs = Value::Object(outputs.clone());
        let mut state = lock(state);
        if status == StepStatus::Ok
            && action.containment() == Containment::Contains
            && state.contained_ms.is_none()
        {
            // The moment the exchange acknowledged, not the end of the step.
            let at = outputs.get("contained_after_ms").and_then(Value::as_u64);
            state.contained_ms = Some(at.unwrap_or_else(|| self.info.elapsed_ms()));
            crate::notify::events::key_locked(id, state.contained_ms);
            self.ui.key_contained();
        }
        state.outputs.insert(id.to_owned(), Arc::new(outputs));
        state.records.push(rec);
    }

    /// Ends a step that failed (or was declined, or waits for a person): `step_failed` with
    /// its hint, and, under `on_error: abort`, the stop of the run.
    fn failed(
        &self,
        p: &Prepared<'_>,
        (err, attempts): (&ActionError, u32),
        mut rec: StepRecord,
        Ending { ended_at, calls }: Ending,
        state: &Mutex<State>,
    ) {
        let (id, action, duration_ms) = (p.step.id.as_str(), p.action, rec.duration_ms);
        let status = match err {
            ActionError::Declined { .. } => StepStatus::Declined,
            ActionError::Pending { .. } => StepStatus::Pending,
            _ => StepStatus::Failed,
        };
        let hint = self.locked_out(err, state).or_else(|| err.hint());
        let failed = record::StepFailed {
            step: id.to_owned(),
            action: action.name().to_owned(),
            status,
            duration_ms,
            ended_at: Some(ended_at),
            attempts,
            error: err.to_string(),
            hint: hint.clone(),
            code: err.code().map(str::to_owned),
            calls,
        };
        if !self.record(state, &failed) {
            return;
        }
        self.ui
            .step_ended(id, status, duration_ms, &err.to_string());
        if let Some(hint) = &hint {
            self.ui.info(&format!("    hint: {hint}"));
        }
        rec.status = status;
        rec.error = Some(err.to_string());
        rec.hint = hint;
        rec.failure = Some(failure_exit(err));
        let mut state = lock(state);
        if p.step.on_error == OnError::Abort {
            state.stop_at(id, action);
        }
        state.records.push(rec);
    }

    /// The hint for a step refused for its address after this run locked the key: the lock
    /// bound the key to an address that is not this machine's, so the responder locked itself
    /// out (a wrong `responder_ip`).
    fn locked_out(&self, err: &ActionError, state: &Mutex<State>) -> Option<String> {
        use crate::exchanges::ExchangeError;
        // Binance answers one code for an unknown key, a wrong address and a missing permission
        // (`KeyRefused`); right after this run's own lock, the address is the likely cause.
        let surely = match err {
            ActionError::Exchange { source, .. } => match source {
                ExchangeError::IpRejected { .. } => true,
                ExchangeError::KeyRefused { .. } => false,
                _ => return None,
            },
            _ => return None,
        };
        let state = lock(state);
        let ips = self
            .playbook
            .action_steps()
            .into_iter()
            .find_map(|(step, action)| {
                let outputs = state.outputs.get(step.id.as_str())?;
                matches!(action, ActionSpec::RestrictKey(_)).then(|| outputs.get("ips").cloned())?
            })?;
        Some(format!(
            "this run locked the key to {ips} (the profile's `responder_ip`), which {} not this machine's address: the responder locked itself out; fix `responder_ip` before the next incident",
            if surely { "is" } else { "is most likely" }
        ))
    }
}

/// Why a step that ended is not whole, from its `incomplete` output.
fn incomplete(outputs: &Outputs) -> Option<String> {
    outputs
        .get("incomplete")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn journal_failed() -> ActionError {
    ActionError::Check {
        message: "the journal could not be written".into(),
        hint: "free disk space or fix permissions of the state folder".into(),
    }
}

/// A step's record before it ends: no error, no outputs.
pub(super) fn step_record(
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
        incomplete: None,
        outputs: Value::Null,
        failure: None,
    }
}

/// The exit class of a failure that stopped a run before containment.
fn failure_exit(err: &ActionError) -> Exit {
    match err {
        // The request could not even be built from the profile: nothing was sent.
        ActionError::Exchange {
            source:
                crate::exchanges::ExchangeError::NeedsInput { .. }
                | crate::exchanges::ExchangeError::OutOfRange { .. },
            ..
        } => Exit::BadInput,
        ActionError::Exchange { .. } | ActionError::Check { .. } | ActionError::TimedOut { .. } => {
            Exit::Exchange
        }
        ActionError::Template(_) | ActionError::Input { .. } => Exit::BadInput,
        ActionError::Io { .. } | ActionError::Journal(_) => Exit::Io,
        ActionError::Declined { .. } | ActionError::Pending { .. } => Exit::Incomplete,
    }
}
