//! The run as a timeline, read from journal events only.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::engine::StepStatus;
use crate::exchanges::Mode;
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
    /// Bot orders someone else cancelled or amended (status, qty or price not the ledger's).
    pub tampered: Vec<Value>,
    /// Orders seen only through their fills, one row per order.
    pub fills_only: Vec<Value>,
    /// Orders not yet in the ledger but inside its lag and of the bots' kind: reported, never
    /// counted as an attack.
    pub unconfirmed: Vec<Value>,
    /// Orders that could not be checked: there was no usable ledger.
    pub unverified: Vec<Value>,
    /// Why the ledger could not be used.
    pub ledger_problem: Option<String>,
    /// Ledger orders the exchange does not show.
    pub missing: Vec<Value>,
    /// Notional traded by the unauthorized orders, per symbol (quote currency).
    pub unauthorized_notional: Value,
    /// How many rows each of the diff's lists has in all (the lists above hold the first few).
    pub diff_counts: BTreeMap<String, usize>,
    /// Where each of the diff's lists is whole, under the run folder, and its SHA-256.
    pub diff_files: BTreeMap<String, (String, String)>,
    /// What the exchange said about the leaked key (`key_info` snapshots): `{source, info}`.
    pub key_info: Vec<Value>,
    /// The exchange's clock as the history snapshots used it (their `clock` output): the
    /// offset, when it was measured, and the windows' margin.
    pub exchange_clock: Option<Value>,
    /// The replacement key, if one was made.
    pub replacement: Option<Value>,
    /// Where its secret went.
    pub secret_store: Option<String>,
    /// The journal's head when the report was made.
    pub journal: JournalHead,
    /// The box support reads first (see [`super::content`]).
    pub summary: super::content::SummaryBox,
    /// The leaked key as it was before the lock.
    pub key_before: Option<super::content::KeyBefore>,
    /// Unauthorized and tampered orders, fills and transfers, one table.
    pub activity: Vec<super::content::ActivityRow>,
    /// The attacker's orders and fills, the response's steps and the exchange's
    /// acknowledgements, in exchange time. (`entries` holds lockdown's own calls: the appendix.)
    pub merged: Vec<super::content::MergedEvent>,
    /// What to ask the venue's support for.
    pub support: Option<super::content::SupportSection>,
    /// The appendix file of lockdown's raw calls, under the run folder.
    pub appendix: Option<String>,
    /// Why the run started when no person started it (`lockdown watch`'s signal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<super::cause::Cause>,
    /// The exchange's own log lines, merged into `entries` in time order at the end.
    #[serde(skip)]
    access: Vec<Entry>,
    /// lockdown's own calls, a line each in time order: the appendix (`calls.md`, and
    /// `appendix.calls` in report.json), so the timeline stays short.
    #[serde(skip)]
    pub calls: Vec<Entry>,
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
    /// Live, dry-run or offline; `None` (shown empty) until the run's start is read.
    #[serde(serialize_with = "mode_or_empty")]
    pub mode: Option<Mode>,
}

/// A run's mode as the report shows it: its name, or empty before the run's start is read.
fn mode_or_empty<S: serde::Serializer>(mode: &Option<Mode>, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(mode.map_or("", Mode::as_str))
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
    /// How many rows the diff's list `name` has in all (`shown` holds the first few).
    pub fn total(&self, name: &str, shown: &[Value]) -> usize {
        self.diff_counts
            .get(name)
            .copied()
            .unwrap_or(shown.len())
            .max(shown.len())
    }

    /// What the run leaves to do, as far as its journal shows (see `engine::left`).
    pub fn left(&self) -> Vec<crate::engine::left::Todo> {
        if self.run.mode != Some(Mode::Live) {
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
                // A status word lockdown does not know counts as not done: when in doubt, the
                // report says what may be left.
                status: StepStatus::parse(&s.status).unwrap_or(StepStatus::Failed),
                error: s.error.as_deref(),
                hint: s.hint.as_deref(),
                incomplete: s.incomplete.as_deref(),
            })
            .collect();
        let mut left = crate::engine::left::left(&ends, &self.run.exchange);
        if let Some(cause) = &self.cause {
            let done = |action: &str| {
                ends.iter()
                    .any(|s| s.action == action && s.status == StepStatus::Ok)
            };
            let locked = done("restrict_key");
            let revoked = done("revoke_key");
            left.extend(super::cause::left(
                cause,
                &self.run.profile,
                locked,
                revoked,
            ));
        }
        left
    }

    /// Builds the timeline from a verified journal, reading each event through its record type
    /// (`journal::record`); what a finished step adds to the report is its action's
    /// ([`crate::actions::Action::report`]).
    pub fn from_events(events: &[Event]) -> Timeline {
        Timeline::build(events, None)
    }

    /// [`Timeline::from_events`] for the run in `run_dir` (what is left can name its folder).
    pub fn from_run(events: &[Event], run_dir: &std::path::Path) -> Timeline {
        Timeline::build(events, Some(run_dir.display().to_string()))
    }

    fn build(events: &[Event], run_dir: Option<String>) -> Timeline {
        let mut t = Timeline {
            unauthorized_notional: Value::Object(Default::default()),
            ..Timeline::default()
        };
        for event in events {
            t.read(event);
            t.journal = JournalHead {
                seq: event.seq,
                hash: event.hash.clone(),
            };
        }
        // In time order (stable: lines of one instant keep the journal's order), so members of
        // a parallel group interleave as they happened. The exchange's own log happened before
        // the response took it: each entry goes before the first line that is later.
        t.entries.sort_by(|a, b| a.at.cmp(&b.at));
        t.calls.sort_by(|a, b| a.at.cmp(&b.at));
        let mut access = std::mem::take(&mut t.access);
        access.sort_by(|a, b| a.at.cmp(&b.at));
        for entry in access {
            let at = t
                .entries
                .iter()
                .position(|e| e.at > entry.at)
                .unwrap_or(t.entries.len());
            t.entries.insert(at, entry);
        }
        let diffed = t.steps.iter().any(|s| s.action == "diff_orders");
        if let Some(cause) = &mut t.cause {
            cause.run_dir = run_dir;
            cause.diffed = diffed;
        }
        super::content::fill(&mut t, events);
        // Last: it reads the rest.
        t.merged = super::merged::merged(&t);
        t
    }

    /// Adds one event.
    fn read(&mut self, event: &Event) {
        use crate::journal::record::{self, Record};
        if let Some(run) = record::RunStarted::of(event) {
            let whole = run
                .inputs
                .get("key")
                .cloned()
                .unwrap_or_else(|| run.key.clone());
            self.run = RunHeader {
                id: run.run_id,
                playbook: run.playbook,
                exchange: run.exchange,
                profile: run.profile,
                key: run.key,
                started_at: event.at.clone(),
                mode: Some(run.mode),
            };
            self.cause = run.cause.as_ref().map(|value| super::cause::Cause {
                config: run.config.clone(),
                key: whole.clone(),
                ..super::cause::Cause::read(value)
            });
            let what = match &self.cause {
                Some(cause) => format!(
                    "run started by {} for key {whole} (signal `{}`)",
                    cause.by, cause.signal_id
                ),
                None => format!("response started for key {whole}"),
            };
            self.entry(event, None, what);
        } else if let Some(tfa) = record::TfaAnswered::of(event) {
            let what = format!("`{}`: two-factor code given ({})", tfa.step, tfa.by);
            self.entry(event, None, what);
        } else if let Some(start) = record::StepStarted::of(event) {
            self.steps.push(StepSummary {
                id: start.step,
                action: start.action,
                status: "running".into(),
                started_at: event.at.clone(),
                ..StepSummary::default()
            });
        } else if let Some(created) = record::KeyCreated::of(event) {
            let what = format!(
                "replacement key {} created by `{}`",
                created.key_id, created.step
            );
            self.entry(event, None, what);
        } else if let Some(answer) = record::Confirmation::of(event) {
            let word = if answer.accepted {
                "confirmed"
            } else {
                "declined"
            };
            let what = format!("`{}` {word} ({})", answer.step, answer.by);
            self.entry(event, None, what);
            if !answer.accepted
                && let Some(summary) = self.summary(&answer.step)
            {
                summary.status = "declined".into();
            }
        } else if let Some(end) = record::StepFinished::of(event) {
            let (ended, summary) = self.ended(
                event,
                (&end.step, &end.action, end.status),
                end.duration_ms,
                end.ended_at.as_deref(),
                &end.calls,
            );
            summary.incomplete = end
                .outputs
                .get("incomplete")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if end.status == StepStatus::Ok {
                let contains = crate::actions::ActionSpec::containment_of(&end.action)
                    == crate::actions::Containment::Contains;
                if contains && self.contained_at.is_none() {
                    // The step's own end: a parallel group journals it after the slowest member.
                    self.contained_at = Some(ended.clone());
                }
                crate::actions::ActionSpec::report_of(&end.action, &end.outputs, self);
            }
            self.entries.push(Entry {
                at: ended,
                server_time: None,
                what: format!("`{}` done", end.step),
            });
        } else if let Some(end) = record::StepFailed::of(event) {
            let (ended, summary) = self.ended(
                event,
                (&end.step, &end.action, end.status),
                end.duration_ms,
                end.ended_at.as_deref(),
                &end.calls,
            );
            summary.error = Some(end.error.clone());
            summary.hint.clone_from(&end.hint);
            self.entries.push(Entry {
                at: ended,
                server_time: None,
                what: format!("`{}` {}: {}", end.step, end.status.as_str(), end.error),
            });
        } else if let Some(skipped) = record::StepSkipped::of(event) {
            // `not_run`: an earlier stop kept it from running.
            let status = skipped.status.unwrap_or(StepStatus::Skipped);
            let what = format!(
                "`{}` {} ({})",
                skipped.step,
                status.as_str().replace('_', " "),
                skipped.reason
            );
            self.steps.push(StepSummary {
                id: skipped.step,
                action: skipped.action,
                status: status.as_str().to_owned(),
                started_at: event.at.clone(),
                ..StepSummary::default()
            });
            self.entry(event, None, what);
        } else if let Some(stored) = record::SecretStored::of(event) {
            let what = format!("replacement key {} stored in {}", stored.key, stored.store);
            self.secret_store = Some(stored.store);
            self.entry(event, None, what);
        } else if let Some(deleted) = record::KeyDeleted::of(event) {
            let what = format!(
                "key {} deleted by `{}`: {}",
                deleted.key_id, deleted.step, deleted.why
            );
            self.entry(event, None, what);
        } else {
            let what = match event.kind {
                EventKind::Resumed => "response resumed",
                EventKind::RunFinished => "response finished",
                EventKind::Interrupted => "response interrupted",
                // Data that does not have its kind's shape: said, not dropped.
                _ => "an event lockdown could not read",
            };
            self.entry(event, None, what.to_owned());
        }
    }

    /// The latest summary of `step`.
    fn summary(&mut self, step: &str) -> Option<&mut StepSummary> {
        self.steps.iter_mut().rev().find(|s| s.id == step)
    }

    /// A step's end: its calls on the timeline, its summary's status, duration and calls; the
    /// time it ended (its own, else the event's) and the summary, for what else the end says.
    fn ended(
        &mut self,
        event: &Event,
        (step, action, status): (&str, &str, StepStatus),
        duration_ms: u64,
        ended_at: Option<&str>,
        calls: &[Value],
    ) -> (String, &mut StepSummary) {
        self.calls(step, calls);
        let ended = ended_at.unwrap_or(&event.at).to_owned();
        // A step can end without a start (a `when` that cannot be evaluated fails it).
        let summary = self.started(step, action, event);
        summary.status = status.as_str().to_owned();
        summary.duration_ms = Some(duration_ms);
        summary.calls = calls.to_vec();
        (ended, summary)
    }

    /// The summary of a step that ends now, made if it never started.
    fn started(&mut self, step: &str, action: &str, event: &Event) -> &mut StepSummary {
        if self.summary(step).is_none() {
            self.steps.push(StepSummary {
                id: step.to_owned(),
                action: action.to_owned(),
                started_at: event.at.clone(),
                ..StepSummary::default()
            });
        }
        self.steps
            .iter_mut()
            .rev()
            .find(|s| s.id == step)
            .unwrap_or_else(|| unreachable!("pushed above"))
    }

    /// An appendix line per call a step made.
    fn calls(&mut self, step: &str, calls: &[Value]) {
        for call in calls {
            self.calls.push(Entry {
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
    }

    /// Keeps the exchange's clock a snapshot computed its window with (`clock`: its `clock`
    /// output): a measured offset wins over a missing one; otherwise the first stays.
    pub fn exchange_clock(&mut self, clock: &Value) {
        let measured = |c: &Value| c.get("offset_ms").is_some_and(Value::is_i64);
        if self.exchange_clock.is_none()
            || (measured(clock) && !self.exchange_clock.as_ref().is_some_and(measured))
        {
            self.exchange_clock = Some(clock.clone());
        }
    }

    /// Adds the exchange's security-log entries an `access_log` snapshot recorded (`events`:
    /// its `access_log` output), as timeline lines merged in time order.
    pub fn access_log(&mut self, events: &Value) {
        let events = events.as_array().cloned().unwrap_or_default();
        let entries = events
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
                // Logins and key events name a key: whole, like every key id in the report
                // (support cannot act on a masked one).
                if let Some(detail) = event.get("detail").and_then(Value::as_str) {
                    line.push_str(&format!(": key {detail}"));
                }
                Some(Entry {
                    server_time: Some(at.clone()),
                    at,
                    what: line,
                })
            })
            .collect::<Vec<_>>();
        self.access.extend(entries);
    }

    fn entry(&mut self, event: &Event, server_time: Option<String>, what: String) {
        self.entries.push(Entry {
            at: event.at.clone(),
            server_time,
            what,
        });
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

    fn finished(step: &str, action: &str, ended_at: Option<&str>) -> Value {
        use crate::journal::record::{Record, StepFinished};
        StepFinished {
            step: step.into(),
            action: action.into(),
            status: StepStatus::Ok,
            duration_ms: 1,
            ended_at: ended_at.map(str::to_owned),
            attempts: 1,
            probed: false,
            outputs: serde_json::Map::new(),
            calls: Vec::new(),
        }
        .to_data()
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
                finished("revoke", "revoke_key", Some("2026-11-28T05:08:32.389Z")),
            ),
            event(
                2,
                group_end,
                EventKind::StepFinished,
                finished("cancel", "cancel_orders", Some("2026-11-28T05:08:30.388Z")),
            ),
        ];
        let t = Timeline::from_events(&events);
        assert_eq!(t.contained_at.as_deref(), Some("2026-11-28T05:08:32.389Z"));
        let lines: Vec<&str> = t.entries.iter().map(|e| e.what.as_str()).collect();
        assert_eq!(lines, ["`cancel` done", "`revoke` done"]);
        // A journal from before `ended_at` (and `status`) existed still reads: the event's own
        // time.
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

    #[test]
    fn a_step_a_stop_kept_from_running_and_a_when_that_failed_are_in_the_steps() {
        use crate::journal::record::{Record, StepFailed, StepSkipped};
        let at = "2026-12-05T00:00:00.000Z";
        let events = [
            event(
                1,
                at,
                EventKind::StepFailed,
                StepFailed {
                    step: "cancel".into(),
                    action: "cancel_orders".into(),
                    status: StepStatus::Failed,
                    duration_ms: 0,
                    ended_at: None,
                    attempts: 0,
                    error: "its `when` could not be evaluated".into(),
                    hint: Some("fix the condition".into()),
                    code: None,
                    calls: Vec::new(),
                }
                .to_data(),
            ),
            event(
                2,
                at,
                EventKind::StepSkipped,
                StepSkipped {
                    step: "history".into(),
                    action: "snapshot".into(),
                    reason: "the run stopped when `cancel` failed".into(),
                    status: Some(StepStatus::NotRun),
                }
                .to_data(),
            ),
        ];
        let t = Timeline::from_events(&events);
        let steps: Vec<(&str, &str)> = t
            .steps
            .iter()
            .map(|s| (s.id.as_str(), s.status.as_str()))
            .collect();
        assert_eq!(steps, [("cancel", "failed"), ("history", "not_run")]);
        assert_eq!(t.steps[0].hint.as_deref(), Some("fix the condition"));
    }
}
