//! Steps that do not act: a `when` that is false (skipped) or cannot be evaluated (failed), and
//! steps an earlier stop or the deadline kept from running (not run). Each is journaled and
//! recorded all the same, so the journal and the report name every step of the playbook.

use std::sync::Mutex;

use super::executor::{Run, State, lock};
use super::outcome::StepStatus;
use super::step::step_record;
use crate::clock;
use crate::exit::Exit;
use crate::journal::record;
use crate::playbook::{OnError, Step, StepBody};
use crate::template;

impl Run<'_> {
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
                self.ui
                    .step_ended(step.id.as_str(), StepStatus::Skipped, 0, &reason);
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
        self.ui
            .step_ended(step.id.as_str(), StepStatus::Failed, 0, &error);
        self.ui.info(&format!("    hint: {hint}"));
        let mut state = lock(state);
        for inner in step.flatten() {
            if let StepBody::Action(action) = &inner.body {
                let mut rec =
                    step_record(inner, action, StepStatus::Failed, clock::now_rfc3339(), 0);
                rec.error = Some(error.clone());
                rec.hint = Some(hint.to_owned());
                rec.failure = Some(Exit::BadInput);
                state.records.push(rec);
                if step.on_error == OnError::Abort {
                    state.stop_at(inner.id.as_str(), action);
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
                let mut rec = step_record(inner, action, status, clock::now_rfc3339(), 0);
                rec.error.clone_from(&error);
                if error.is_some() {
                    rec.failure = Some(Exit::Incomplete);
                }
                state.records.push(rec);
            }
        }
    }
}
