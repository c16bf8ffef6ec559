//! Taking an interrupted run up again: what its journal says was done.
//!
//! A step with a `step_finished` event is done and keeps its outputs; one that started without
//! an end, or failed, is unfinished and is probed before it runs again (see `Action::probe`).
//! Two facts need more than the step's own events: a replacement key whose secret never reached
//! the store is useless (the secret lived only in the crashed process), so its `create_key` step
//! counts as unfinished; and a report describes the whole journal, so it is written again.

use std::collections::BTreeSet;

use super::Prior;
use super::StepStatus;
use crate::journal::Event;
use crate::journal::record::{self, Record};

/// What a journal's events say about each step.
pub fn prior(events: &[Event]) -> Prior {
    let mut prior = Prior::default();
    let mut started: Vec<String> = Vec::new();
    let mut stored_from: BTreeSet<String> = BTreeSet::new();
    let mut actions: Vec<(String, String)> = Vec::new();
    let mut started_at: std::collections::BTreeMap<String, String> = Default::default();
    for event in events {
        if let Some(start) = record::StepStarted::of(event) {
            started.push(start.step.clone());
            started_at.insert(start.step.clone(), event.at.clone());
            actions.push((start.step, start.action));
        } else if let Some(end) = record::StepFinished::of(event) {
            started.retain(|s| *s != end.step);
            prior.unfinished.retain(|s| *s != end.step);
            // A dry run's `planned` is not done.
            if end.status == StepStatus::Ok {
                let at = started_at
                    .get(&end.step)
                    .cloned()
                    .unwrap_or_else(|| event.at.clone());
                prior.timing.insert(end.step.clone(), (at, end.duration_ms));
                prior.done.insert(end.step, end.outputs);
            }
        } else if let Some(end) = record::StepFailed::of(event) {
            started.retain(|s| *s != end.step);
            if !prior.unfinished.contains(&end.step) {
                prior.unfinished.push(end.step);
            }
        } else if let Some(stored) = record::SecretStored::of(event) {
            stored_from.insert(stored.from);
        }
    }
    for step in started {
        if !prior.unfinished.contains(&step) {
            prior.unfinished.push(step);
        }
    }
    for (step, action) in &actions {
        let stale = match action.as_str() {
            "create_key" => !stored_from.contains(step),
            "report" => true,
            _ => false,
        };
        if stale && prior.done.remove(step).is_some() && !prior.unfinished.contains(step) {
            prior.unfinished.push(step.clone());
        }
    }
    prior
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::journal::GENESIS;

    /// Events built through the journal's own record types, numbered in order.
    fn journal(records: &[(crate::journal::EventKind, serde_json::Value)]) -> Vec<Event> {
        records
            .iter()
            .enumerate()
            .map(|(i, (kind, data))| {
                Event::new(i as u64 + 1, String::new(), *kind, data.clone(), GENESIS)
            })
            .collect()
    }

    fn of<R: Record>(data: R) -> (crate::journal::EventKind, serde_json::Value) {
        (R::KIND, data.to_data())
    }

    fn started(step: &str, action: &str) -> (crate::journal::EventKind, serde_json::Value) {
        of(record::StepStarted {
            step: step.into(),
            action: action.into(),
            ..Default::default()
        })
    }

    fn finished(
        step: &str,
        action: &str,
        outputs: serde_json::Value,
    ) -> (crate::journal::EventKind, serde_json::Value) {
        let outputs: Map<String, serde_json::Value> = serde_json::from_value(outputs).unwrap();
        of(record::StepFinished {
            step: step.into(),
            action: action.into(),
            status: StepStatus::Ok,
            duration_ms: 1,
            ended_at: None,
            attempts: 1,
            probed: false,
            outputs,
            calls: Vec::new(),
        })
    }

    #[test]
    fn sorts_steps_into_done_and_unfinished() {
        let events = journal(&[
            started("lock", "restrict_key"),
            finished("lock", "restrict_key", json!({"account": "1"})),
            started("cancel", "cancel_orders"),
            of(record::StepFailed {
                step: "cancel".into(),
                action: "cancel_orders".into(),
                status: StepStatus::Failed,
                duration_ms: 1,
                ended_at: None,
                attempts: 1,
                error: "refused".into(),
                hint: None,
                code: None,
                calls: Vec::new(),
            }),
            started("replace", "create_key"),
            of(record::KeyCreated {
                step: "replace".into(),
                key_id: "K".into(),
                ..Default::default()
            }),
            finished("replace", "create_key", json!({})),
            started("revoke", "revoke_key"),
        ]);
        let prior = prior(&events);
        assert_eq!(prior.done.keys().collect::<Vec<_>>(), ["lock"]);
        assert_eq!(prior.done["lock"]["account"], "1");
        // Failed, secret never stored, and started without an end.
        assert_eq!(prior.unfinished, ["cancel", "revoke", "replace"]);
    }

    #[test]
    fn a_stored_key_is_done() {
        let events = journal(&[
            started("replace", "create_key"),
            finished("replace", "create_key", json!({})),
            started("store", "store_secret"),
            of(record::SecretStored {
                step: "store".into(),
                from: "replace".into(),
                ..Default::default()
            }),
            finished("store", "store_secret", json!({})),
        ]);
        let prior = prior(&events);
        assert!(prior.done.contains_key("replace") && prior.done.contains_key("store"));
        assert!(prior.unfinished.is_empty());
    }

    #[test]
    fn an_end_that_cannot_be_read_leaves_the_step_to_be_probed() {
        // A line whose data lost its shape never counts as done: the step is probed.
        let events = journal(&[
            started("revoke", "revoke_key"),
            (
                crate::journal::EventKind::StepFinished,
                json!({"step": "revoke", "status": "okay"}),
            ),
        ]);
        let prior = prior(&events);
        assert!(prior.done.is_empty());
        assert_eq!(prior.unfinished, ["revoke"]);
    }
}
