//! What each journal event says, as types the writer and every reader share.
//!
//! The engine writes a step's start and end, `resume` decides from them which side effects are
//! done, and the report draws its timeline from them: all through these types, never through
//! string keys, so a field renamed on one side cannot be read as missing on the other. The
//! format on disk stays the readable JSON it always was: fields added since the first journals
//! default when absent, so old journals still verify, resume and report.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Event, EventKind};
use crate::engine::StepStatus;
use crate::engine::left::Todo;

/// The data of one kind of event.
pub trait Record: Serialize + DeserializeOwned {
    /// The kind of event it is the data of.
    const KIND: EventKind;

    /// Reads an event's data as this record; `None` for another kind of event, or data that
    /// does not have this shape (a journal written by something else).
    fn of(event: &Event) -> Option<Self> {
        (event.kind == Self::KIND)
            .then(|| serde_json::from_value(event.data.clone()).ok())
            .flatten()
    }

    /// The data as it is written.
    fn to_data(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

macro_rules! record {
    ($($ty:ident => $kind:ident),+ $(,)?) => {
        $(impl Record for $ty {
            const KIND: EventKind = EventKind::$kind;
        })+
    };
}

record! {
    RunStarted => RunStarted,
    Resumed => Resumed,
    StepStarted => StepStarted,
    Confirmation => Confirmation,
    TfaAnswered => TfaAnswered,
    StepFinished => StepFinished,
    StepFailed => StepFailed,
    StepSkipped => StepSkipped,
    KeyCreated => KeyCreated,
    KeyDeleted => KeyDeleted,
    SecretStored => SecretStored,
    RunFinished => RunFinished,
    Interrupted => Interrupted,
}

/// What a `step_finished` without a status meant.
fn ok() -> StepStatus {
    StepStatus::Ok
}

/// What a `step_failed` without a status meant.
fn failed() -> StepStatus {
    StepStatus::Failed
}

/// A run began: what `resume` needs to take it up again, and who ran what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStarted {
    /// The run's id.
    pub run_id: String,
    /// The playbook's name.
    pub playbook: String,
    /// Where it came from: a path, or `builtin:<venue>`.
    pub playbook_origin: String,
    /// SHA-256 of the playbook's text.
    #[serde(default)]
    pub playbook_sha256: Option<String>,
    /// The venue.
    pub exchange: String,
    /// The config file, absolute.
    pub config: String,
    /// The profile.
    pub profile: String,
    /// The exchange's base URL.
    pub base_url: String,
    /// The leaked key, masked.
    pub key: String,
    /// Every input, whole (ids are not secrets; `resume` needs them).
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    /// `live`, `dry-run` or `offline`.
    pub mode: crate::exchanges::Mode,
    /// When the run started, RFC 3339 UTC.
    pub started_at: String,
    /// lockdown's version.
    #[serde(default)]
    pub lockdown: Option<String>,
    /// Who ran it (`user@host`).
    #[serde(default)]
    pub operator: Option<String>,
    /// The fingerprint of the key every event is keyed with.
    #[serde(default)]
    pub journal_key: Option<String>,
    /// What started the run when no person did: the watcher's signal, with its evidence
    /// (`lockdown watch`, docs/watch.md). Absent for a run someone started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Value>,
}

/// An interrupted run was taken up again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resumed {
    /// The run's id.
    pub run_id: String,
    /// Steps done before, not run again.
    #[serde(default)]
    pub done: Vec<String>,
    /// Steps probed before they run again.
    #[serde(default)]
    pub unfinished: Vec<String>,
    /// A line the crash tore, kept where it is.
    #[serde(default)]
    pub torn_line: Option<usize>,
    /// lockdown's version.
    #[serde(default)]
    pub lockdown: Option<String>,
    /// Who resumed it.
    #[serde(default)]
    pub operator: Option<String>,
    /// The fingerprint of the journal key.
    #[serde(default)]
    pub journal_key: Option<String>,
}

/// A step is about to act.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepStarted {
    /// Step id.
    pub step: String,
    /// Action name.
    pub action: String,
    /// Its name for people.
    #[serde(default)]
    pub name: Option<String>,
    /// The mutating requests it will send, rendered, secrets redacted.
    #[serde(default)]
    pub requests: Vec<String>,
    /// What a person is asked to do, for a step done by hand.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Whether it is probed before it acts (an earlier attempt's outcome is unknown).
    #[serde(default)]
    pub probe_first: bool,
}

/// A person's (or `--yes`'s, or a drill's) answer to a confirmation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Step id.
    pub step: String,
    /// Yes or no.
    pub accepted: bool,
    /// Who answered: `operator`, `--yes`, `drill`, `drill operator: …`.
    pub by: String,
    /// Which round of a step done by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
}

/// A two-factor challenge was answered (by whom; never the code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TfaAnswered {
    /// Step id.
    pub step: String,
    /// `--otp-from` or `operator`.
    pub by: String,
}

/// A step finished: its outputs and the calls it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFinished {
    /// Step id.
    pub step: String,
    /// Action name.
    pub action: String,
    /// `ok`, or `planned` in a dry run.
    #[serde(default = "ok")]
    pub status: StepStatus,
    /// How long it took.
    #[serde(default)]
    pub duration_ms: u64,
    /// When it ended (a parallel group journals its members after the slowest).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Attempts made (0: a probe found it done).
    #[serde(default)]
    pub attempts: u32,
    /// Whether a probe found the effect already there.
    #[serde(default)]
    pub probed: bool,
    /// What later steps read as `steps.<id>.<output>`.
    #[serde(default)]
    pub outputs: Map<String, Value>,
    /// The calls it made.
    #[serde(default)]
    pub calls: Vec<Value>,
}

/// A step failed (or was declined, or waits for a person).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFailed {
    /// Step id.
    pub step: String,
    /// Action name.
    pub action: String,
    /// `failed`, `declined` or `pending`.
    #[serde(default = "failed")]
    pub status: StepStatus,
    /// How long it took.
    #[serde(default)]
    pub duration_ms: u64,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Attempts made.
    #[serde(default)]
    pub attempts: u32,
    /// Why.
    #[serde(default)]
    pub error: String,
    /// What to do about it.
    #[serde(default)]
    pub hint: Option<String>,
    /// The exchange's code, where it gave one.
    #[serde(default)]
    pub code: Option<String>,
    /// The calls it made.
    #[serde(default)]
    pub calls: Vec<Value>,
}

/// A step did not run: its `when` was false, or a stop kept it from running.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepSkipped {
    /// Step id.
    pub step: String,
    /// Action name (`parallel` for a group).
    pub action: String,
    /// Why.
    pub reason: String,
    /// `not_run` when a stop kept it from running; absent for a false `when`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StepStatus>,
}

/// An exchange created a key: its id, never its secret, on disk before the secret is stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyCreated {
    /// Step id.
    pub step: String,
    /// The new key's id, whole.
    pub key_id: String,
    /// Its label.
    #[serde(default)]
    pub label: String,
    /// Its account.
    #[serde(default)]
    pub account: Option<String>,
    /// Its permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The addresses it is bound to.
    #[serde(default)]
    pub ips: Vec<String>,
}

/// A key this run made was deleted again (its secret was lost with a crashed attempt).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyDeleted {
    /// Step id.
    pub step: String,
    /// The key's id.
    pub key_id: String,
    /// Why.
    pub why: String,
}

/// A secret was written to the store: where, never what.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretStored {
    /// Step id.
    pub step: String,
    /// The `create_key` step whose key it is.
    pub from: String,
    /// The key, masked.
    #[serde(default)]
    pub key: String,
    /// The store, described.
    #[serde(default)]
    pub store: String,
    /// The store's version id of what was written (Vault's KV version, AWS's `VersionId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The run ended: the seal of a whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFinished {
    /// Whether a lock or revoke step succeeded.
    #[serde(default)]
    pub contained: bool,
    /// Run start → containment acknowledged.
    #[serde(default)]
    pub contained_ms: Option<u64>,
    /// The whole run.
    #[serde(default)]
    pub duration_ms: u64,
    /// Whether a step stopped the run.
    #[serde(default)]
    pub aborted: bool,
    /// What is left for people to finish.
    #[serde(default)]
    pub left: Vec<Todo>,
}

/// The run was interrupted by a signal: the seal of an interrupted run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interrupted {
    /// `ctrl-c` or `sigterm`.
    pub by: String,
    /// A second signal, during the graceful stop.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub second: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: EventKind, data: Value) -> Event {
        Event {
            seq: 1,
            at: String::new(),
            kind,
            data,
            prev: String::new(),
            hash: String::new(),
            mac: None,
        }
    }

    #[test]
    fn old_journal_lines_still_read() {
        // As the first journals wrote them: no `ended_at`, no `probe_first`, no `hint`.
        let started = event(
            EventKind::StepStarted,
            json!({"step": "lock", "action": "restrict_key", "name": null, "requests": []}),
        );
        let read = StepStarted::of(&started).unwrap();
        assert_eq!(read.step, "lock");
        assert!(!read.probe_first);
        let failed = event(
            EventKind::StepFailed,
            json!({"step": "cancel", "action": "cancel_orders", "status": "failed", "duration_ms": 3, "attempts": 1, "error": "boom", "calls": []}),
        );
        let read = StepFailed::of(&failed).unwrap();
        assert_eq!(read.status, StepStatus::Failed);
        assert_eq!(read.hint, None);
    }

    #[test]
    fn a_record_reads_only_its_own_kind_and_round_trips() {
        let finished = StepFinished {
            step: "revoke".into(),
            action: "revoke_key".into(),
            status: StepStatus::Ok,
            duration_ms: 4,
            ended_at: Some("2026-12-05T00:00:00.000Z".into()),
            attempts: 1,
            probed: false,
            outputs: Map::new(),
            calls: Vec::new(),
        };
        let e = event(EventKind::StepFinished, finished.to_data());
        assert_eq!(StepFinished::of(&e), Some(finished));
        assert_eq!(StepFailed::of(&e), None, "another kind");
        let skipped = event(
            EventKind::StepSkipped,
            json!({"step": "cancel", "action": "cancel_orders", "reason": "stopped", "status": "not_run"}),
        );
        assert_eq!(
            StepSkipped::of(&skipped).unwrap().status,
            Some(StepStatus::NotRun)
        );
    }
}
