//! One step: prepare (when, plan, journal the start, confirm), act (apply with timeout and
//! retries, probing before repeating a mutation whose outcome is unknown; plan only in a dry
//! run), finish (journal the end with the step's calls and outputs).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};

use super::executor::{Confirm, Run, State, elapsed_ms, left, lock};
use super::outcome::{StepRecord, StepStatus};
use super::retry;
use crate::template::{self, Context};
use crate::actions::{
    ActionError, ActionSpec, Containment, Effect, ManualStep, Outputs, Plan, Probe, RetryClass,
    StepContext, Vault,
};
use crate::clock;
use crate::exchanges::{CallSink, Client, Mode, Tfa};
use crate::exit::Exit;
use crate::journal::record;
use crate::playbook::{OnError, Retry, Step, StepBody};

/// How often a probe that failed for a passing reason is asked again (see `Run::probe`).
const PROBE_TRIES: u32 = 5;

/// A step that has started: planned, journaled and confirmed; ready to act.
pub(super) struct Prepared<'s> {
    step: &'s Step,
    action: &'s ActionSpec,
    started: Instant,
    started_at: String,
    sink: CallSink,
    client: Client,
    outputs: BTreeMap<String, Outputs>,
    templates: Context,
    plan: Plan,
    probe_first: bool,
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
    fn cx<'c>(&'c self, p: &'c Prepared<'_>, vault: &'c Vault) -> StepContext<'c> {
        StepContext {
            step: p.step.id.as_str(),
            client: &p.client,
            profile: self.profile,
            run: &self.info,
            templates: &p.templates,
            outputs: &p.outputs,
            vault,
            journal: &self.journal,
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
            let mut rec = record(step, action, StepStatus::Ok, String::new(), 0);
            rec.incomplete = incomplete(&outputs);
            rec.outputs = Value::Object(outputs.clone());
            if action.containment() == Containment::Contains && state.contained_ms.is_none() {
                state.contained_ms = outputs.get("contained_after_ms").and_then(Value::as_u64);
            }
            state.outputs.insert(id.to_owned(), outputs);
            state.records.push(rec);
            return None;
        }
        if !self.when_holds(step, state).await {
            return None;
        }
        self.ui.step_started(id, step.name.as_deref());
        let sink: CallSink = Arc::default();
        let outputs = lock(state).outputs.clone();
        let mut p = Prepared {
            step,
            action,
            started: Instant::now(),
            started_at: clock::now_rfc3339(),
            client: self.client.recording(Arc::clone(&sink)),
            sink,
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

    /// Does the step's work.
    /// [`Self::act`], noting when the step ended.
    pub(super) async fn act_timed(
        &self,
        p: &Prepared<'_>,
        vault: &Vault,
        deadline: Option<Instant>,
    ) -> Acted {
        let result = self.act(p, vault, deadline).await;
        Acted::now(p, result)
    }

    pub(super) async fn act(
        &self,
        p: &Prepared<'_>,
        vault: &Vault,
        deadline: Option<Instant>,
    ) -> Result<Done, (ActionError, u32)> {
        let effect = p.action.effect();
        let mode = self.client.mode();
        if mode == Mode::Offline || (mode == Mode::DryRun && effect == Effect::Write) {
            return Ok(Done::Planned(p.plan.outputs.clone().unwrap_or_default()));
        }
        let cx = self.cx(p, vault);
        if let Some(manual) = &p.plan.manual {
            return self.manual(p, &cx, manual).await.map_err(|err| (err, 1));
        }
        let mut client = p.client.clone();
        let mut tfa_answers = 0;
        let policy = p.step.retry.unwrap_or(Retry {
            attempts: 1,
            backoff: std::time::Duration::ZERO,
            max_backoff: std::time::Duration::ZERO,
        });
        let mut attempt = 1;
        if p.probe_first {
            match self.probe(p, &cx, &policy, deadline).await {
                Ok(Probe::Done(outputs)) => {
                    return Ok(Done::Applied {
                        outputs,
                        attempts: 0,
                        probed: true,
                    });
                }
                Ok(Probe::NotDone) => {}
                Err(err) => return Err((err, attempt)),
            }
        }
        loop {
            let limit = match (p.step.timeout, left(deadline)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let cx = StepContext {
                client: &client,
                ..self.cx(p, vault)
            };
            let result = match limit {
                Some(limit) => match tokio::time::timeout(limit, p.action.apply(&cx)).await {
                    Ok(result) => result,
                    Err(_) => Err(ActionError::TimedOut { after: limit }),
                },
                None => p.action.apply(&cx).await,
            };
            let err = match result {
                Ok(outputs) => {
                    return Ok(Done::Applied {
                        outputs,
                        attempts: attempt,
                        probed: false,
                    });
                }
                Err(err) => err,
            };
            // A two-factor challenge is not a failure: answer it and send the step again.
            if let Some(challenge) = err.tfa_challenge()
                && tfa_answers < 2
            {
                tfa_answers += 1;
                let tfa = self.answer_tfa(p, challenge).map_err(|e| (e, attempt))?;
                client = p.client.with_tfa(tfa);
                continue;
            }
            let class = err.retry_class(effect);
            // Never send a mutation again blindly, and never give up on one whose outcome is
            // unknown without asking the exchange whether it happened, on the last attempt too:
            // a revoke that went through is a revoke.
            if class == RetryClass::UnknownOutcome {
                match self.probe(p, &cx, &policy, deadline).await {
                    Ok(Probe::Done(outputs)) => {
                        return Ok(Done::Applied {
                            outputs,
                            attempts: attempt,
                            probed: true,
                        });
                    }
                    Ok(Probe::NotDone) => {}
                    Err(_) => return Err((err, attempt)),
                }
            }
            if class == RetryClass::Never
                || attempt >= policy.attempts
                || left(deadline).is_some_and(|l| l.is_zero())
            {
                return Err((err, attempt));
            }
            self.back_off(
                p,
                &policy,
                attempt,
                &err,
                &format!("attempt {attempt} failed"),
            )
            .await;
            attempt += 1;
        }
    }

    /// Waits out the `n`th failure (`what` failed with `err`) as the step's retry policy says,
    /// and says so.
    async fn back_off(
        &self,
        p: &Prepared<'_>,
        policy: &Retry,
        n: u32,
        err: &ActionError,
        what: &str,
    ) {
        let wait = retry::delay(policy, n, err);
        self.ui.detail(&format!(
            "    `{}`: {what} ({err}); again in {} ms",
            p.step.id,
            wait.as_millis()
        ));
        tokio::time::sleep(wait).await;
    }

    /// Asks the exchange whether a mutation whose outcome is unknown took effect. A probe is a
    /// read: one that fails for a passing reason (a rate limit, a dropped connection, a 5xx) is
    /// asked again, up to [`PROBE_TRIES`] times with the step's backoff and apart from the step's
    /// own attempts, so bad answers to the *question* never give up on a revoke or a
    /// replacement (fail toward containment); the mutation is not sent again until a probe has
    /// answered "not done".
    async fn probe(
        &self,
        p: &Prepared<'_>,
        cx: &StepContext<'_>,
        policy: &Retry,
        deadline: Option<Instant>,
    ) -> Result<Probe, ActionError> {
        let mut tries = 1;
        loop {
            let err = match p.action.probe(cx).await {
                Ok(found) => return Ok(found),
                Err(err) => err,
            };
            let out_of_time = left(deadline).is_some_and(|l| l.is_zero());
            if tries >= PROBE_TRIES
                || out_of_time
                || err.retry_class(Effect::Read) == RetryClass::Never
            {
                return Err(err);
            }
            self.back_off(
                p,
                policy,
                tries,
                &err,
                "asking whether it took effect failed",
            )
            .await;
            tries += 1;
        }
    }

    /// A step only a person can do: show the guide, get it done (the operator at the terminal,
    /// `--yes`, or a drill's simulated operator), and, where the exchange can show it, verify
    /// with the action's probe, asking again until it holds or the person gives up. Without a
    /// terminal and without `--yes` the step is left pending: the run stops, resumable.
    async fn manual(
        &self,
        p: &Prepared<'_>,
        cx: &StepContext<'_>,
        manual: &ManualStep,
    ) -> Result<Done, ActionError> {
        const ROUNDS: u32 = 5;
        let id = p.step.id.as_str();
        let started = Instant::now();
        self.ui.block("To do by hand:", &manual.text());
        for round in 1..=ROUNDS {
            let by = match self.confirm {
                Confirm::Ask if !self.ui.interactive() => {
                    return Err(ActionError::Pending {
                        what: format!("step `{id}`: {}", manual.guide.title),
                    });
                }
                Confirm::Ask => {
                    let done = self.ui.confirm(&format!("`{id}`: done?")).map_err(|err| {
                        ActionError::Input {
                            message: err.to_string(),
                            hint: "pass `--yes` once the step is done by hand".into(),
                        }
                    })?;
                    if !done {
                        self.journal
                            .record(&record::Confirmation {
                                step: id.to_owned(),
                                accepted: false,
                                by: "operator".to_owned(),
                                round: Some(round),
                            })
                            .map_err(ActionError::Journal)?;
                        return Err(ActionError::Declined {
                            what: format!("step `{id}` ({})", manual.guide.title),
                        });
                    }
                    "operator".to_owned()
                }
                Confirm::Yes => "--yes".to_owned(),
                Confirm::Drill => match &self.operator {
                    Some(operator) => format!("drill operator: {}", operator.perform(manual).await),
                    None => "drill".to_owned(),
                },
            };
            self.journal
                .record(&record::Confirmation {
                    step: id.to_owned(),
                    accepted: true,
                    by: by.clone(),
                    round: Some(round),
                })
                .map_err(ActionError::Journal)?;
            let waited = elapsed_ms(started);
            if !manual.task.verifiable() {
                let mut outputs = Outputs::new();
                outputs.insert("done".into(), json!(true));
                outputs.insert("by".into(), json!(by));
                outputs.insert("manual_wait_ms".into(), json!(waited));
                return Ok(Done::Applied {
                    outputs,
                    attempts: round,
                    probed: false,
                });
            }
            match p.action.probe(cx).await? {
                Probe::Done(mut outputs) => {
                    outputs.insert("by".into(), json!(by));
                    outputs.insert("manual_wait_ms".into(), json!(waited));
                    return Ok(Done::Applied {
                        outputs,
                        attempts: round,
                        probed: true,
                    });
                }
                Probe::NotDone => {
                    self.ui.warn(&format!(
                        "`{id}`: the exchange does not show it done yet ({})",
                        manual.guide.title
                    ));
                    if self.confirm != Confirm::Ask {
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        }
        Err(ActionError::Check {
            message: format!(
                "`{id}`: still not done after {ROUNDS} rounds ({})",
                manual.guide.title
            ),
            hint: "do it in the exchange's web interface, then `lockdown resume` the run".into(),
        })
    }

    /// Gets a one-time code for a venue's two-factor challenge: `--otp`, or the operator.
    fn answer_tfa(&self, p: &Prepared<'_>, challenge: String) -> Result<Tfa, ActionError> {
        let id = p.step.id.as_str();
        let (code, by) = match &self.otp {
            Some(code) => (code.clone(), "--otp"),
            None => {
                let code = self
                    .ui
                    .code(&format!(
                        "`{id}`: the exchange asks for your two-factor code"
                    ))
                    .map_err(|err| ActionError::Input {
                        message: format!("the exchange asks for a two-factor code: {err}"),
                        hint: "pass the current code with `--otp CODE`".into(),
                    })?;
                (code, "operator")
            }
        };
        self.journal
            .record(&record::TfaAnswered {
                step: id.to_owned(),
                by: by.to_owned(),
            })
            .map_err(ActionError::Journal)?;
        Ok(Tfa { challenge, code })
    }

    /// Ends a step: journal, people's line, bookkeeping.
    pub(super) fn finish(&self, p: Prepared<'_>, acted: Acted, state: &Mutex<State>) {
        let id = p.step.id.as_str();
        let action = p.action;
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
        let mut rec = record(p.step, action, StepStatus::Ok, p.started_at, duration_ms);
        match result {
            Ok(done) => {
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
                }
                state.outputs.insert(id.to_owned(), outputs);
                state.records.push(rec);
            }
            Err((err, attempts)) => {
                let status = match err {
                    ActionError::Declined { .. } => StepStatus::Declined,
                    ActionError::Pending { .. } => StepStatus::Pending,
                    _ => StepStatus::Failed,
                };
                let hint = self.locked_out(&err, state).or_else(|| err.hint());
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
                rec.failure = Some(failure_exit(&err));
                let mut state = lock(state);
                if p.step.on_error == OnError::Abort {
                    state.aborted = true;
                    state.stopped_by.get_or_insert_with(|| id.to_owned());
                    state.containment_stopped |= action.failure_stops_containment();
                }
                state.records.push(rec);
            }
        }
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

    /// Evaluates a step's `when`; journals a skip when it is false. A `when` that cannot be
    /// evaluated is a failure of the step, never a skip: a skipped cancel must not look like a
    /// clean run.
    pub(super) async fn when_holds(&self, step: &Step, state: &Mutex<State>) -> bool {
        let Some(when) = &step.when else { return true };
        let templates = self.template_context(&lock(state).outputs);
        let err = match template::truthy(when, &templates) {
            Ok(true) => return true,
            Ok(false) => {
                let reason = format!("`{when}` is false");
                let skipped = record::StepSkipped {
                    step: step.id.as_str().to_owned(),
                    action: step.kind().to_owned(),
                    reason: reason.clone(),
                    status: None,
                };
                self.record(state, &skipped);
                self.ui.step_ended(step.id.as_str(), StepStatus::Skipped, 0, &reason);
                self.record_all(step, state, StepStatus::Skipped, None);
                return false;
            }
            Err(err) => err,
        };
        let error = format!("its `when` could not be evaluated: {err}");
        let hint = "fix the condition (`lockdown validate` checks what steps produce); the step did not run";
        let failed = record::StepFailed {
            step: step.id.as_str().to_owned(),
            action: step.kind().to_owned(),
            status: StepStatus::Failed,
            duration_ms: 0,
            ended_at: Some(clock::now_rfc3339()),
            attempts: 0,
            error: error.clone(),
            hint: Some(hint.to_owned()),
            code: None,
            calls: Vec::new(),
        };
        self.record(state, &failed);
        self.ui.step_ended(step.id.as_str(), StepStatus::Failed, 0, &error);
        self.ui.info(&format!("    hint: {hint}"));
        let mut state = lock(state);
        for inner in step.flatten() {
            if let StepBody::Action(action) = &inner.body {
                let mut rec = record(inner, action, StepStatus::Failed, clock::now_rfc3339(), 0);
                rec.error = Some(error.clone());
                rec.hint = Some(hint.to_owned());
                rec.failure = Some(Exit::BadInput);
                state.records.push(rec);
                if step.on_error == OnError::Abort {
                    state.aborted = true;
                    state
                        .stopped_by
                        .get_or_insert_with(|| inner.id.as_str().to_owned());
                    state.containment_stopped |= action.failure_stops_containment();
                }
            }
        }
        false
    }

    /// Records a step (and a group's members) that an earlier stop kept from running, and
    /// journals it, so the journal (and the report) names every step of the playbook.
    pub(super) fn not_run(&self, step: &Step, state: &Mutex<State>) {
        let (deadline, stopped_by, journal_ok) = {
            let state = lock(state);
            (
                state.deadline_passed,
                state.stopped_by.clone(),
                state.journal_error.is_none(),
            )
        };
        let reason = match (&stopped_by, deadline) {
            (Some(by), _) => format!("the run stopped when `{by}` failed"),
            (None, true) => {
                "the playbook's deadline passed; only the containment steps ran".to_owned()
            }
            (None, false) => "the run stopped".to_owned(),
        };
        if journal_ok {
            for inner in step.flatten() {
                if let StepBody::Action(action) = &inner.body {
                    let skipped = record::StepSkipped {
                        step: inner.id.as_str().to_owned(),
                        action: action.name().to_owned(),
                        reason: reason.clone(),
                        status: Some(StepStatus::NotRun),
                    };
                    if !self.record(state, &skipped) {
                        break;
                    }
                }
            }
        }
        let error = match (&stopped_by, deadline) {
            (None, true) => "deadline passed".to_owned(),
            _ => reason,
        };
        self.record_all(step, state, StepStatus::NotRun, Some(error));
    }

    /// Notes that the playbook's deadline passed: the run stops, but the containment steps
    /// still run, each bounded by its own `timeout`.
    pub(super) fn deadline_passed(&self, state: &Mutex<State>) {
        {
            let mut state = lock(state);
            if state.deadline_passed {
                return;
            }
            state.deadline_passed = true;
            state.aborted = true;
        }
        self.ui.warn(
            "the playbook's deadline passed: the remaining steps do not run, but the containment steps do",
        );
    }

    fn record_all(
        &self,
        step: &Step,
        state: &Mutex<State>,
        status: StepStatus,
        error: Option<String>,
    ) {
        let mut state = lock(state);
        for inner in step.flatten() {
            if let StepBody::Action(action) = &inner.body {
                let mut rec = record(inner, action, status, clock::now_rfc3339(), 0);
                rec.error.clone_from(&error);
                if error.is_some() {
                    rec.failure = Some(Exit::Incomplete);
                }
                state.records.push(rec);
            }
        }
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
