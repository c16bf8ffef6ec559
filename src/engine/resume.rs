//! Taking an interrupted run up again: what its journal says was done.
//!
//! A step with a `step_finished` event is done and keeps its outputs; one that started without
//! an end, or failed, is unfinished and is probed before it runs again (see `Action::probe`).
//! Two facts need more than the step's own events: a replacement key whose secret never reached
//! the store is useless (the secret lived only in the crashed process), so its `create_key` step
//! counts as unfinished; and a report describes the whole journal, so it is written again.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Prior;
use crate::journal::{Event, EventKind};

/// What a journal's events say about each step.
pub fn prior(events: &[Event]) -> Prior {
    let mut prior = Prior::default();
    let mut started: Vec<String> = Vec::new();
    let mut stored_from: BTreeSet<String> = BTreeSet::new();
    let mut actions: Vec<(String, String)> = Vec::new();
    for event in events {
        let step = event
            .data
            .get("step")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let action = event
            .data
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match event.kind {
            EventKind::StepStarted => {
                started.push(step.to_owned());
                actions.push((step.to_owned(), action.to_owned()));
            }
            EventKind::StepFinished => {
                started.retain(|s| s != step);
                prior.unfinished.retain(|s| s != step);
                let live = event.data.get("status").and_then(Value::as_str) == Some("ok");
                if live {
                    let outputs = event
                        .data
                        .get("outputs")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    prior.done.insert(step.to_owned(), outputs);
                }
            }
            EventKind::StepFailed => {
                started.retain(|s| s != step);
                if !prior.unfinished.iter().any(|s| s == step) {
                    prior.unfinished.push(step.to_owned());
                }
            }
            EventKind::SecretStored => {
                if let Some(from) = event.data.get("from").and_then(Value::as_str) {
                    stored_from.insert(from.to_owned());
                }
            }
            _ => {}
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
    use super::*;
    use crate::journal::GENESIS;
    use serde_json::json;

    fn event(seq: u64, kind: EventKind, data: Value) -> Event {
        Event::new(seq, String::new(), kind, data, GENESIS)
    }

    #[test]
    fn sorts_steps_into_done_and_unfinished() {
        let events = vec![
            event(
                1,
                EventKind::StepStarted,
                json!({"step": "lock", "action": "restrict_key"}),
            ),
            event(
                2,
                EventKind::StepFinished,
                json!({"step": "lock", "status": "ok", "outputs": {"account": "1"}}),
            ),
            event(
                3,
                EventKind::StepStarted,
                json!({"step": "cancel", "action": "cancel_orders"}),
            ),
            event(4, EventKind::StepFailed, json!({"step": "cancel"})),
            event(
                5,
                EventKind::StepStarted,
                json!({"step": "replace", "action": "create_key"}),
            ),
            event(
                6,
                EventKind::KeyCreated,
                json!({"step": "replace", "key_id": "K"}),
            ),
            event(
                7,
                EventKind::StepFinished,
                json!({"step": "replace", "status": "ok", "outputs": {}}),
            ),
            event(
                8,
                EventKind::StepStarted,
                json!({"step": "revoke", "action": "revoke_key"}),
            ),
        ];
        let prior = prior(&events);
        assert_eq!(prior.done.keys().collect::<Vec<_>>(), ["lock"]);
        assert_eq!(prior.done["lock"]["account"], "1");
        // Failed, secret never stored, and started without an end.
        assert_eq!(prior.unfinished, ["cancel", "revoke", "replace"]);
    }

    #[test]
    fn a_stored_key_is_done() {
        let events = vec![
            event(
                1,
                EventKind::StepStarted,
                json!({"step": "replace", "action": "create_key"}),
            ),
            event(
                2,
                EventKind::StepFinished,
                json!({"step": "replace", "status": "ok", "outputs": {}}),
            ),
            event(
                3,
                EventKind::StepStarted,
                json!({"step": "store", "action": "store_secret"}),
            ),
            event(
                4,
                EventKind::SecretStored,
                json!({"step": "store", "from": "replace"}),
            ),
            event(
                5,
                EventKind::StepFinished,
                json!({"step": "store", "status": "ok", "outputs": {}}),
            ),
        ];
        let prior = prior(&events);
        assert!(prior.done.contains_key("replace") && prior.done.contains_key("store"));
        assert!(prior.unfinished.is_empty());
    }
}
