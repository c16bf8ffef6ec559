//! The run as a timeline, read from journal events only.

use serde::Serialize;
use serde_json::Value;

use crate::journal::{Event, EventKind};

/// The report's content.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    /// The run.
    pub run: RunHeader,
    /// Whether a containment step succeeded, and when.
    pub contained_at: Option<String>,
    /// Each step.
    pub steps: Vec<StepSummary>,
    /// Every event worth a line, in order.
    pub entries: Vec<Entry>,
    /// Orders the owner did not place.
    pub unauthorized: Vec<Value>,
    /// Orders that could not be checked: there was no usable ledger.
    pub unverified: Vec<Value>,
    /// Why the ledger could not be used.
    pub ledger_problem: Option<String>,
    /// Ledger orders the exchange does not show.
    pub missing: Vec<Value>,
    /// Orders whose fields differ from the ledger.
    pub mismatched: Vec<Value>,
    /// Notional traded by the unauthorized orders, per symbol (quote currency).
    pub unauthorized_notional: Value,
    /// What the exchange said about the leaked key (`key_info` snapshots): `{source, info}`.
    pub key_info: Vec<Value>,
    /// The replacement key, if one was made.
    pub replacement: Option<Value>,
    /// Where its secret went.
    pub secret_store: Option<String>,
    /// The journal's head when the report was made.
    pub journal: JournalHead,
}

/// The exchange's security-log entries an `access_log` snapshot recorded, as timeline lines.
fn access_entries(outputs: &Value) -> Vec<Entry> {
    let events = outputs
        .get("access_log")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    events
        .iter()
        .filter_map(|event| {
            let at = crate::clock::rfc3339_ms(event.get("time_ms")?.as_i64()?);
            let what = text(event, "event");
            let mut line = format!("exchange access log: `{what}`");
            if let Some(ip) = event.get("ip").and_then(Value::as_str) {
                line.push_str(&format!(" from {ip}"));
            }
            if let Some(place) = event.get("place").and_then(Value::as_str) {
                line.push_str(&format!(" ({place})"));
            }
            // Logins and key events name a key: masked like every key id in the report.
            if let Some(detail) = event.get("detail").and_then(Value::as_str) {
                line.push_str(&format!(": key {}", crate::secret::mask(detail)));
            }
            Some(Entry {
                server_time: Some(at.clone()),
                at,
                what: line,
            })
        })
        .collect()
}

/// Who and what the run was about.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunHeader {
    /// Run id.
    pub id: String,
    /// Playbook name.
    pub playbook: String,
    /// Venue.
    pub exchange: String,
    /// Profile.
    pub profile: String,
    /// The leaked key, masked.
    pub key: String,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Live or dry-run.
    pub mode: String,
}

/// One step's outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepSummary {
    /// Step id.
    pub id: String,
    /// Action.
    pub action: String,
    /// `ok`, `failed`, `skipped`, `declined`.
    pub status: String,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Duration.
    pub duration_ms: Option<u64>,
    /// The calls it made.
    pub calls: Vec<Value>,
    /// Why it failed.
    pub error: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// Why it ended but is not whole.
    pub incomplete: Option<String>,
}

/// One line of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Local time, RFC 3339 UTC.
    pub at: String,
    /// The exchange's time, where it said.
    pub server_time: Option<String>,
    /// What happened.
    pub what: String,
}

/// The journal position a report covers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JournalHead {
    /// Events covered.
    pub seq: u64,
    /// The last one's hash.
    pub hash: String,
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

impl Timeline {
    /// What the run leaves to do, as far as its journal shows (see `engine::left`).
    pub fn left(&self) -> Vec<crate::engine::left::Todo> {
        if self.run.mode != "live" {
            return Vec::new();
        }
        let ends: Vec<_> = self
            .steps
            .iter()
            // The report and what follows it are still running while it is written.
            .filter(|s| s.status != "running")
            .map(|s| crate::engine::left::StepEnd {
                id: &s.id,
                action: &s.action,
                status: &s.status,
                error: s.error.as_deref(),
                hint: s.hint.as_deref(),
                incomplete: s.incomplete.as_deref(),
            })
            .collect();
        crate::engine::left::left(&ends, &self.run.exchange)
    }

    /// Builds the timeline from a verified journal.
    pub fn from_events(events: &[Event]) -> Timeline {
        let mut t = Timeline {
            unauthorized_notional: Value::Object(Default::default()),
            ..Timeline::default()
        };
        let mut access = Vec::new();
        for event in events {
            let data = &event.data;
            let step = text(data, "step");
            match event.kind {
                EventKind::RunStarted => {
                    t.run = RunHeader {
                        id: text(data, "run_id"),
                        playbook: text(data, "playbook"),
                        exchange: text(data, "exchange"),
                        profile: text(data, "profile"),
                        key: text(data, "key"),
                        started_at: event.at.clone(),
                        mode: text(data, "mode"),
                    };
                    t.entry(
                        event,
                        None,
                        format!("response started for key {}", t.run.key),
                    );
                }
                EventKind::TfaAnswered => {
                    t.entry(
                        event,
                        None,
                        format!("`{step}`: two-factor code given ({})", text(data, "by")),
                    );
                }
                EventKind::StepStarted => {
                    t.steps.push(StepSummary {
                        id: step.clone(),
                        action: text(data, "action"),
                        status: "running".into(),
                        started_at: event.at.clone(),
                        ..StepSummary::default()
                    });
                }
                EventKind::KeyCreated => {
                    let key = crate::secret::mask(&text(data, "key_id"));
                    t.entry(
                        event,
                        None,
                        format!("replacement key {key} created by `{step}`"),
                    );
                }
                EventKind::Confirmation => {
                    let accepted = data.get("accepted").and_then(Value::as_bool) == Some(true);
                    let by = text(data, "by");
                    t.entry(
                        event,
                        None,
                        format!(
                            "`{step}` {} ({by})",
                            if accepted { "confirmed" } else { "declined" }
                        ),
                    );
                    if !accepted {
                        t.finish(&step, "declined", data);
                    }
                }
                EventKind::StepFinished | EventKind::StepFailed => {
                    let status = if event.kind == EventKind::StepFinished {
                        "ok"
                    } else {
                        "failed"
                    };
                    for call in data
                        .get("calls")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        t.entries.push(Entry {
                            at: text(call, "sent_at"),
                            server_time: call
                                .get("server_time")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                            what: format!(
                                "`{step}`: {} {} → {} in {} ms",
                                text(call, "method"),
                                text(call, "path"),
                                call.get("code")
                                    .and_then(Value::as_str)
                                    .map_or_else(|| text(call, "outcome"), |c| format!("code {c}")),
                                call.get("duration_ms").and_then(Value::as_u64).unwrap_or(0)
                            ),
                        });
                    }
                    // A step can fail before it starts (a `when` that cannot be evaluated).
                    if !t.steps.iter().any(|s| s.id == step) {
                        t.steps.push(StepSummary {
                            id: step.clone(),
                            action: text(data, "action"),
                            started_at: event.at.clone(),
                            ..StepSummary::default()
                        });
                    }
                    // `pending` and `declined` are failures that say more.
                    let status = match data.get("status").and_then(Value::as_str) {
                        Some(word @ ("pending" | "declined")) => word,
                        _ => status,
                    };
                    t.finish(&step, status, data);
                    let outputs = data.get("outputs").cloned().unwrap_or(Value::Null);
                    let action = text(data, "action");
                    let contains = crate::actions::ActionSpec::containment_of(&action)
                        == crate::actions::Containment::Contains;
                    match action.as_str() {
                        _ if contains && status == "ok" && t.contained_at.is_none() => {
                            // The step's own end: a parallel group journals it after the
                            // slowest member.
                            let ended = data.get("ended_at").and_then(Value::as_str);
                            t.contained_at = Some(ended.unwrap_or(&event.at).to_owned());
                        }
                        "diff_orders" if status == "ok" => {
                            let list = |k: &str| {
                                outputs
                                    .get(k)
                                    .and_then(Value::as_array)
                                    .cloned()
                                    .unwrap_or_default()
                            };
                            t.unauthorized = list("unauthorized");
                            t.unverified = list("unverified");
                            t.ledger_problem = outputs
                                .get("ledger")
                                .and_then(|l| l.get("problem"))
                                .and_then(Value::as_str)
                                .map(str::to_owned);
                            t.missing = list("missing");
                            t.mismatched = list("mismatched");
                            t.unauthorized_notional = outputs
                                .get("unauthorized_notional")
                                .cloned()
                                .unwrap_or(Value::Null);
                        }
                        "snapshot" if status == "ok" => {
                            access.extend(access_entries(&outputs));
                            if let Some(rows) = outputs.get("key_info").and_then(Value::as_array) {
                                t.key_info.extend(rows.iter().cloned());
                            }
                        }
                        "create_key" if status == "ok" => {
                            let mut key = outputs.clone();
                            if let Value::Object(map) = &mut key {
                                map.remove("key_id");
                            }
                            t.replacement = Some(key);
                        }
                        _ => {}
                    }
                    let what = match status {
                        "ok" => format!("`{step}` done"),
                        _ => format!("`{step}` failed: {}", text(data, "error")),
                    };
                    t.entries.push(Entry {
                        at: data
                            .get("ended_at")
                            .and_then(Value::as_str)
                            .unwrap_or(&event.at)
                            .to_owned(),
                        server_time: None,
                        what,
                    });
                }
                EventKind::StepSkipped => {
                    // `not_run`: an earlier stop kept it from running.
                    let status = data.get("status").and_then(Value::as_str);
                    t.steps.push(StepSummary {
                        id: step.clone(),
                        action: text(data, "action"),
                        status: status.unwrap_or("skipped").into(),
                        started_at: event.at.clone(),
                        ..StepSummary::default()
                    });
                    t.entry(
                        event,
                        None,
                        format!("`{step}` skipped ({})", text(data, "reason")),
                    );
                }
                EventKind::SecretStored => {
                    t.secret_store = Some(text(data, "store"));
                    t.entry(
                        event,
                        None,
                        format!(
                            "replacement key {} stored in {}",
                            text(data, "key"),
                            text(data, "store")
                        ),
                    );
                }
                EventKind::KeyDeleted => {
                    let key = crate::secret::mask(&text(data, "key_id"));
                    t.entry(
                        event,
                        None,
                        format!("key {key} deleted by `{step}`: {}", text(data, "why")),
                    );
                }
                EventKind::Resumed => t.entry(event, None, "response resumed".into()),
                EventKind::RunFinished => t.entry(event, None, "response finished".into()),
                EventKind::Interrupted => t.entry(event, None, "response interrupted".into()),
            }
            t.journal = JournalHead {
                seq: event.seq,
                hash: event.hash.clone(),
            };
        }
        // In time order (stable: lines of one instant keep the journal's order), so members of
        // a parallel group interleave as they happened. The exchange's own log happened before
        // the response took it: each entry goes before the first line that is later.
        t.entries.sort_by(|a, b| a.at.cmp(&b.at));
        access.sort_by(|a, b| a.at.cmp(&b.at));
        for entry in access {
            let at = t
                .entries
                .iter()
                .position(|e| e.at > entry.at)
                .unwrap_or(t.entries.len());
            t.entries.insert(at, entry);
        }
        t
    }

    fn entry(&mut self, event: &Event, server_time: Option<String>, what: String) {
        self.entries.push(Entry {
            at: event.at.clone(),
            server_time,
            what,
        });
    }

    fn finish(&mut self, step: &str, status: &str, data: &Value) {
        if let Some(summary) = self.steps.iter_mut().rev().find(|s| s.id == step) {
            summary.status = status.to_owned();
            summary.duration_ms = data.get("duration_ms").and_then(Value::as_u64);
            summary.calls = data
                .get("calls")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            summary.error = data.get("error").and_then(Value::as_str).map(str::to_owned);
            summary.hint = data.get("hint").and_then(Value::as_str).map(str::to_owned);
            summary.incomplete = data
                .get("outputs")
                .and_then(|o| o.get("incomplete"))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(seq: u64, at: &str, kind: EventKind, data: Value) -> Event {
        Event {
            seq,
            at: at.to_owned(),
            kind,
            data,
            prev: String::new(),
            hash: String::new(),
            mac: None,
        }
    }

    /// Members of a parallel group are journaled once the slowest has ended: the report keeps
    /// each member's own end, and containment is when the revoke ended, not the group.
    #[test]
    fn parallel_members_keep_their_own_end() {
        let group_end = "2026-11-28T05:08:33.390Z";
        let events = [
            event(
                1,
                group_end,
                EventKind::StepFinished,
                json!({"step": "revoke", "action": "revoke_key", "ended_at": "2026-11-28T05:08:32.389Z", "outputs": {}}),
            ),
            event(
                2,
                group_end,
                EventKind::StepFinished,
                json!({"step": "cancel", "action": "cancel_orders", "ended_at": "2026-11-28T05:08:30.388Z", "outputs": {}}),
            ),
        ];
        let t = Timeline::from_events(&events);
        assert_eq!(t.contained_at.as_deref(), Some("2026-11-28T05:08:32.389Z"));
        let lines: Vec<&str> = t.entries.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(lines, ["`cancel` done", "`revoke` done"]);
        // A journal from before `ended_at` existed still reads: the event's own time.
        let old = [event(
            1,
            group_end,
            EventKind::StepFinished,
            json!({"step": "revoke", "action": "revoke_key", "outputs": {}}),
        )];
        assert_eq!(
            Timeline::from_events(&old).contained_at.as_deref(),
            Some(group_end)
        );
    }
}
