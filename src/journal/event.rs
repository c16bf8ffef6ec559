//! One journal event and its hash.
//!
//! The hash covers the previous event's hash and this event's canonical JSON (fields in the
//! order `seq, at, type, data, prev`, object keys sorted), so re-serialising a parsed event
//! reproduces the hashed bytes exactly. The `mac` (see `key.rs`) is outside the hashed fields,
//! so journals written before journal keys hash the same as they always did.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev` of the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A run began: playbook, venue, profile, masked key.
    RunStarted,
    /// A step is about to act, with what it will send (mutating requests rendered, redacted).
    StepStarted,
    /// An operator's answer to a confirmation.
    Confirmation,
    /// A two-factor challenge was answered (by whom; never the code).
    TfaAnswered,
    /// A step finished, with its outputs and calls.
    StepFinished,
    /// A step failed, with the error and its calls.
    StepFailed,
    /// A step's `when` was false.
    StepSkipped,
    /// An exchange created a key (its id, never its secret): written before the secret is stored.
    KeyCreated,
    /// A key the run made was deleted again (its secret was lost with a crashed attempt).
    KeyDeleted,
    /// A run was taken up again by `lockdown resume`.
    Resumed,
    /// A secret was written to the store (where, never what).
    SecretStored,
    /// The run ended.
    RunFinished,
    /// The run was interrupted (Ctrl-C).
    Interrupted,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 1 for the first event, then +1.
    pub seq: u64,
    /// When it was written, RFC 3339 UTC with milliseconds.
    pub at: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The details.
    pub data: Value,
    /// The previous event's hash ([`GENESIS`] for the first).
    pub prev: String,
    /// SHA-256 over `prev` and this event's canonical JSON, lowercase hex.
    pub hash: String,
    /// HMAC-SHA256 of `hash` under the state dir's journal key, lowercase hex; absent in
    /// journals written before journal keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    at: &'a str,
    #[serde(rename = "type")]
    kind: EventKind,
    data: &'a Value,
    prev: &'a str,
}

impl Event {
    /// Builds an event chained to `prev` and computes its hash.
    pub fn new(seq: u64, at: String, kind: EventKind, data: Value, prev: &str) -> Event {
        let mut event = Event {
            seq,
            at,
            kind,
            data,
            prev: prev.to_owned(),
            hash: String::new(),
            mac: None,
        };
        event.hash = event.compute_hash();
        event
    }

    /// The hash this event should carry.
    pub fn compute_hash(&self) -> String {
        let body = Body {
            seq: self.seq,
            at: &self.at,
            kind: self.kind,
            data: &self.data,
            prev: &self.prev,
        };
        // Serialising plain data into a Vec cannot fail.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut hasher = Sha256::new();
        hasher.update(self.prev.as_bytes());
        hasher.update(&bytes);
        hex::encode(hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hash_covers_prev_and_every_field() {
        let event = Event::new(
            1,
            "t".into(),
            EventKind::RunStarted,
            json!({"a": 1}),
            GENESIS,
        );
        let mut changed = event.clone();
        changed.data = json!({"a": 2});
        assert_ne!(changed.compute_hash(), event.hash);
        let mut moved = event.clone();
        moved.prev = "f".repeat(64);
        assert_ne!(moved.compute_hash(), event.hash);
        assert_eq!(event.compute_hash(), event.hash);
    }

    #[test]
    fn reparsed_event_hashes_the_same() {
        let event = Event::new(
            7,
            "2026-11-28T00:00:00.000Z".into(),
            EventKind::StepFinished,
            json!({"z": [1, 2.5, "x"], "a": {"k": null}}),
            GENESIS,
        );
        let line = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&line).unwrap();
        assert_eq!(back.compute_hash(), event.hash);
        assert!(
            !line.contains("mac"),
            "no `mac` field without a key: {line}"
        );
        let keyed = Event {
            mac: Some("ab".into()),
            ..event.clone()
        };
        assert_eq!(keyed.compute_hash(), event.hash, "the mac is not hashed");
    }
}
