//! Running a playbook: the order of steps, parallel groups, the deadline, `finally`, and the
//! run's bookkeeping. What happens within one step is in `step.rs` (acting in `attempt.rs`, by
//! hand in `manual.rs`, not at all in `skip.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;

use super::outcome::{Outcome, StepRecord};
use super::preflight::context;
use crate::actions::{ActionSpec, JournalHandle, Outputs, RunInfo, Vault};
use crate::config::Profile;
use crate::exchanges::{Client, Mode};
use crate::journal::record::{self, Record};
use crate::playbook::{Playbook, Step, StepBody};
use crate::template::Context;
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

/// Someone who carries out manual steps: a drill's simulated operator.
pub trait Operator: Send + Sync + std::fmt::Debug {
    /// Does the step (after a human-like delay) and says what was done, for the journal.
    fn perform<'a>(
        &'a self,
        step: &'a crate::actions::ManualStep,
    ) -> std::pin::Pin<Box<dyn Future<Output = String> + Send + 'a>>;

    /// How long [`Operator::perform`] takes for `step`, when it is known: the wait is shown as
    /// a countdown.
    fn takes(&self, _step: &crate::actions::ManualStep) -> Option<std::time::Duration> {
        None
    }
}

/// Where a run of one incident's many keys waits after its first step (its lock).
pub trait Gate: Send + Sync + std::fmt::Debug {
    /// Returns once the run may go on past its first step: every key's lock has gone out and a
    /// slot is free. The returned guard holds the slot until the run's steps are over. Called
    /// at most once per run.
    fn pass(&self) -> std::pin::Pin<Box<dyn Future<Output = Box<dyn Send>> + Send + '_>>;
}

/// What an earlier attempt of this run left, step by step (empty for a fresh run).
#[derive(Debug, Clone, Default)]
pub struct Prior {
    /// Steps that finished, with their outputs: not run again.
    pub done: BTreeMap<String, Outputs>,
    /// When each finished step started (RFC 3339 UTC) and how long it took, for the summary.
    pub timing: BTreeMap<String, (String, u64)>,
    /// Steps that started (or failed) without a result that can be trusted: probed first.
    pub unfinished: Vec<String>,
}

/// How a run begins in the journal.
#[derive(Debug, Clone)]
pub enum Start {
    /// A new run: `run_started`, with what `resume` needs to take it up again.
    Fresh {
        /// The config file, as given.
        config: String,
        /// What started the run when no person did (the watcher's signal), journaled with it.
        cause: Option<serde_json::Value>,
    },
    /// An interrupted run taken up again: `resumed`.
    Resumed {
        /// What the earlier attempt did.
        prior: Prior,
        /// The line of a torn last event, if the crash left one.
        torn_line: Option<usize>,
    },
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
    /// Input values (defaults applied by [`super::preflight`]).
    pub inputs: BTreeMap<String, String>,
    /// How confirmations are answered.
    pub confirm: Confirm,
    /// Who carries out manual steps in a drill (a simulated operator); `None` elsewhere.
    pub operator: Option<std::sync::Arc<dyn Operator>>,
    /// A one-time code for a venue's two-factor challenge (`--otp-from`); asked for when absent.
    pub otp: Option<crate::secret::SecretString>,
    /// Several keys at once: the steps after the first (the lock, in every shipped playbook)
    /// wait at the incident's gate, so every key's lock goes out first and the rest runs bounded.
    pub gate: Option<std::sync::Arc<dyn Gate>>,
    /// Where people's output goes.
    pub ui: &'a Ui,
}

/// The run's shared bookkeeping.
#[derive(Debug, Default)]
pub(super) struct State {
    /// Each finished step's outputs, shared with the steps after it (never copied per step).
    pub(super) outputs: BTreeMap<String, Arc<Outputs>>,
    pub(super) records: Vec<StepRecord>,
    /// A step failed under `on_error: abort` (or the deadline passed): only the containment
    /// steps still run, unless `containment_stopped`.
    pub(super) aborted: bool,
    /// A containment step (the revoke or what completes it) failed: the ones after it do not
    /// run either.
    pub(super) containment_stopped: bool,
    /// The deadline passed (noted once).
    pub(super) deadline_passed: bool,
    /// The step whose failure stopped the run.
    pub(super) stopped_by: Option<String>,
    pub(super) contained_ms: Option<u64>,
    pub(super) journal_error: Option<String>,
    pub(super) prior: Prior,
    /// Running `finally`: an abort no longer stops steps.
    pub(super) finally: bool,
    /// In an incident: how long this run's calls waited for the venue's limits the keys' runs
    /// share (`budget::held_back`).
    pub(super) held: Option<Arc<crate::exchanges::client::HeldClock>>,
}

impl State {
    /// Stops the run at step `id` (its failure under `on_error: abort`): only the containment
    /// steps still run, and not even those when `action`'s failure stops containment.
    pub(super) fn stop_at(&mut self, id: &str, action: &ActionSpec) {
        self.aborted = true;
        self.stopped_by.get_or_insert_with(|| id.to_owned());
        self.containment_stopped |= action.failure_stops_containment();
    }
}

impl Run<'_> {
    /// Runs every step, then `finally`, and reports how the run ended. Step failures never
    /// escape as errors: they are journaled and decide the exit code.
    pub async fn execute(&self, start: Start) -> Outcome {
        let started = self.info.started;
        let held = self.gate.as_ref().map(|_| Arc::default());
        let state = Mutex::new(State {
            held: held.clone(),
            ..State::default()
        });
        let vault = Vault::default();
        self.begin_run(&start, &state);
        if let Start::Resumed { prior, .. } = start {
            lock(&state).prior = prior;
        }

        let mut deadline = self.playbook.deadline.map(|d| started + d);
        let mut permit = None;
        for (index, step) in self.playbook.steps.iter().enumerate() {
            if index > 0
                && permit.is_none()
                && let Some(gate) = &self.gate
            {
                let arrived = Instant::now();
                permit = Some(gate.pass().await);
                // The incident's gate held this run for the other keys' locks and a free slot:
                // time spent on nobody's steps of its own, so the run's deadline moves on by as
                // much. Otherwise the keys let through last found their deadline gone before
                // their evidence began (twenty Binance keys, four at a time).
                deadline = deadline.map(|d| d + arrived.elapsed());
            }
            // In an incident, time the venue's shared limits held this run's calls moves its
            // deadline on too (`budget::held_back`).
            let deadline =
                super::budget::held_back(deadline, self.playbook.deadline, held.as_deref());
            if deadline.is_some_and(|d| Instant::now() >= d) {
                self.deadline_passed(&state);
            }
            // After a stop only containment steps run (fail toward containment), and no longer
            // under the passed deadline: each is bounded by its own `timeout`.
            if lock(&state).aborted && !self.runs_after_a_stop(step, &state) {
                self.not_run(step, &state);
                continue;
            }
            let deadline = deadline.filter(|_| !lock(&state).deadline_passed);
            self.run_top(step, &state, &vault, deadline).await;
        }
        drop(permit);
        // `finally` runs whatever happened above, unless the journal itself failed.
        lock(&state).finally = true;
        for step in &self.playbook.finally {
            if lock(&state).journal_error.is_some() {
                self.not_run(step, &state);
                continue;
            }
            self.run_top(step, &state, &vault, None).await;
        }

        let duration_ms = elapsed_ms(started);
        let venue = self.profile.exchange.as_str();
        let left = if self.client.mode() == Mode::Live {
            let state = lock(&state);
            let ends: Vec<_> = state.records.iter().map(StepRecord::end).collect();
            super::left::left(&ends, venue)
        } else {
            Vec::new()
        };
        let summary = {
            let state = lock(&state);
            record::RunFinished {
                contained: state.contained_ms.is_some(),
                contained_ms: state.contained_ms,
                duration_ms,
                aborted: state.aborted,
                left: left.clone(),
            }
        };
        if let Err(err) = self.journal.record(&summary) {
            lock(&state).journal_error.get_or_insert(err.to_string());
        }
        self.rewrite_reports(&state);
        let (seq, hash) = self.journal.head();
        let state = std::mem::take(&mut *lock(&state));
        Outcome {
            run_id: self.info.id.clone(),
            run_dir: self.info.dir.display().to_string(),
            playbook: self.playbook.name.clone(),
            mode: self.client.mode(),
            left,
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

    fn begin_run(&self, start: &Start, state: &Mutex<State>) {
        // Who ran which lockdown, and the fingerprint of the key every event is keyed with.
        let journal_key = self.journal.key_fingerprint();
        let version = env!("CARGO_PKG_VERSION");
        let operator = crate::whoami::operator();
        let written = match start {
            Start::Fresh { config, cause } => self.journal.record(&record::RunStarted {
                run_id: self.info.id.clone(),
                playbook: self.playbook.name.clone(),
                playbook_origin: self.playbook.origin.clone(),
                playbook_sha256: Some(self.playbook.sha256.clone()),
                exchange: self.profile.exchange.as_str().to_owned(),
                config: config.clone(),
                profile: self.profile.name.clone(),
                base_url: self.profile.base_url.clone(),
                key: crate::secret::mask(self.inputs.get("key").map_or("", String::as_str)),
                // Ids are not secrets; `resume` needs them whole.
                inputs: self.inputs.clone(),
                mode: self.client.mode(),
                started_at: self.info.started_at.clone(),
                lockdown: Some(version.to_owned()),
                operator: Some(operator),
                journal_key: journal_key.clone(),
                cause: cause.clone(),
            }),
            Start::Resumed { prior, torn_line } => self.journal.record(&record::Resumed {
                run_id: self.info.id.clone(),
                done: prior.done.keys().cloned().collect(),
                unfinished: prior.unfinished.clone(),
                torn_line: *torn_line,
                lockdown: Some(version.to_owned()),
                operator: Some(operator),
                journal_key: journal_key.clone(),
            }),
        };
        if let Err(err) = written {
            let mut state = lock(state);
            state.journal_error = Some(err.to_string());
            state.aborted = true;
        }
    }

    /// The report writes itself last: once the run is sealed, the reports its `report` step
    /// wrote are rendered again, so they show that step and the ones after it (the support
    /// hand-off) done. Nothing waits on it but the exit; a failure is said and the step's own
    /// reports stay.
    fn rewrite_reports(&self, state: &Mutex<State>) {
        if lock(state).journal_error.is_some() {
            return;
        }
        if let Err(err) = crate::report::rewrite(&self.info.dir) {
            self.ui.warn(&format!(
                "the reports were not written again after the run: {err}; the `report` step's stay"
            ));
        }
    }

    /// Whether `step` (or a member of its group) still runs after the run was stopped.
    pub(super) fn runs_after_a_stop(&self, step: &Step, state: &Mutex<State>) -> bool {
        let state = lock(state);
        state.journal_error.is_none()
            && !state.containment_stopped
            && step.flatten().iter().any(|inner| {
                matches!(&inner.body, StepBody::Action(action) if action.runs_after_a_stop())
            })
    }

    /// A top-level step: one action, or a parallel group.
    async fn run_top(
        &self,
        step: &Step,
        state: &Mutex<State>,
        vault: &Vault,
        deadline: Option<Instant>,
    ) {
        match &step.body {
            StepBody::Action(action) => {
                if let Some(prepared) = self.prepare(step, action, state, vault).await {
                    let acted = self.act_timed(&prepared, vault, deadline).await;
                    self.finish(prepared, acted, state);
                }
            }
            StepBody::Parallel { steps, max } => {
                if !self.when_holds(step, state).await {
                    return;
                }
                // Members start in order (each journaled and confirmed), act at most `max` at a
                // time, and end in order: the journal reads the same whatever finishes first.
                let mut prepared = Vec::new();
                for member in steps {
                    if let StepBody::Action(action) = &member.body
                        && let Some(p) = self.prepare(member, action, state, vault).await
                    {
                        prepared.push(p);
                    }
                }
                let results: Vec<_> =
                    stream::iter(prepared.iter().map(|p| self.act_timed(p, vault, deadline)))
                        .buffered((*max).max(1))
                        .collect()
                        .await;
                for (p, acted) in prepared.into_iter().zip(results) {
                    self.finish(p, acted, state);
                }
            }
        }
    }

    pub(super) fn template_context(&self, outputs: &BTreeMap<String, Arc<Outputs>>) -> Context {
        context(&self.inputs, self.profile, &self.info, outputs)
    }

    /// Writes an event to the journal; on failure stops the run (exit 4) and says so.
    pub(super) fn record<R: Record>(&self, state: &Mutex<State>, data: &R) -> bool {
        match self.journal.record(data) {
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

pub(super) fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Time left before `deadline`.
pub(super) fn left(deadline: Option<Instant>) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}
