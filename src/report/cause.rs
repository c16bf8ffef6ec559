//! Why a run started when no person started it: the watcher's signal and its evidence, at the
//! top of the report, and what its run leaves to do.
//!
//! A lock run that `lockdown watch` started (docs/watch.md §4) journals the whole signal in its
//! `run_started` (`cause`). Whoever opens its report was not there when it ran: they need the
//! claim (kind, confidence, when, from which source), the order as the exchange showed it, the
//! reasons in words, and the two ways forward: the full response when it is an attack, `lockdown
//! unlock` when it is not. Read from the journal alone, like the rest of the report.

use serde::Serialize;
use serde_json::Value;

use crate::engine::left::Todo;

/// The cause of a run, as the report shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cause {
    /// Who started the run (`lockdown watch`).
    pub by: String,
    /// The signal's id (`<masked key>/<kind>/<order id>`).
    pub signal_id: String,
    /// Its kind (`unauthorized_order`).
    pub kind: String,
    /// How sure the watcher was.
    pub confidence: String,
    /// When the watcher raised it, RFC 3339 UTC.
    pub raised_at: String,
    /// Where it saw the order (`rest_poll`, a stream).
    pub source: String,
    /// The order, as the exchange showed it.
    pub order: Option<Value>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
    /// Whether the run diffed the account's orders (a lock run does not: its report then says
    /// "not read", not "none found").
    pub diffed: bool,
    /// The config the run read, absolute (the respond command names it).
    #[serde(skip)]
    pub config: String,
    /// The key, whole (reports carry whole ids: the respond command needs it).
    #[serde(skip)]
    pub key: String,
    /// The run's folder, when the report is written in it (the unlock command names it).
    #[serde(skip)]
    pub run_dir: Option<String>,
}

impl Cause {
    /// The cause journaled in `run_started`, when the run has one.
    pub fn read(cause: &Value) -> Cause {
        let text = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let signal = cause.get("signal").cloned().unwrap_or(Value::Null);
        Cause {
            by: text(cause, "by"),
            signal_id: text(&signal, "id"),
            kind: text(&signal, "kind"),
            confidence: text(&signal, "confidence"),
            raised_at: text(&signal, "at"),
            source: text(&signal, "source"),
            order: signal.get("order").filter(|o| o.is_object()).cloned(),
            reasons: signal
                .get("reasons")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            ..Cause::default()
        }
    }

    /// Whether the watcher started the run.
    pub fn is_watch(&self) -> bool {
        self.by == "lockdown watch"
    }

    /// One sentence: `Started by lockdown watch, not by a person: signal ...`.
    pub fn sentence(&self) -> String {
        let by = if self.by.is_empty() {
            "not a person"
        } else {
            &self.by
        };
        format!(
            "Started by {by}, not by a person: signal `{}` ({} confidence), raised at {} from {} (`{}`).",
            self.kind, self.confidence, self.raised_at, self.source, self.signal_id
        )
    }
}

/// What a watcher's run in `profile` leaves to do, beyond its steps' own: the full response
/// when the signal was an attack (unless the run revoked the key), and `lockdown unlock` when
/// it was not (when the run locked the key).
pub fn left(cause: &Cause, profile: &str, locked: bool, revoked: bool) -> Vec<Todo> {
    if !cause.is_watch() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let key = &cause.key;
    if !revoked {
        let config = if cause.config.is_empty() {
            String::new()
        } else {
            format!("--config {} ", cause.config)
        };
        out.push(Todo {
            what: format!(
                "if signal `{}` is an attack: the full response (cancel the attacker's orders, keep the evidence, revoke and replace the key) has not run",
                cause.kind
            ),
            how: format!("`lockdown respond {config}--profile {profile} --key {key}`"),
        });
    }
    if locked && !revoked {
        out.push(Todo {
            what: "if it was a false alarm: the key is bound to the responder's address, and the bots elsewhere cannot trade with it".to_owned(),
            how: format!(
                "`lockdown unlock {}` (binds it to its addresses from before the lock)",
                cause.run_dir.as_deref().unwrap_or("RUN_DIR")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn watch_cause() -> Cause {
        Cause::read(&json!({
            "by": "lockdown watch",
            "signal": {
                "id": "AbCd…wxyz/unauthorized_order/77",
                "kind": "unauthorized_order",
                "confidence": "high",
                "at": "2026-12-06T03:00:00.000Z",
                "source": "rest_poll",
                "order": {"order_id": "77", "symbol": "ETHUSDT"},
                "reasons": ["not in the ledger", "no client order id"]
            }
        }))
    }

    #[test]
    fn a_watch_cause_reads_whole_and_names_both_ways_forward() {
        let mut cause = watch_cause();
        assert!(cause.is_watch());
        assert_eq!(cause.reasons.len(), 2);
        assert_eq!(cause.order.as_ref().unwrap()["order_id"], "77");
        assert!(
            cause
                .sentence()
                .contains("`unauthorized_order` (high confidence)")
        );
        cause.config = "/c.yaml".into();
        cause.key = "KEY123".into();
        cause.run_dir = Some("/s/runs/r1".into());
        let left = left(&cause, "main", true, false);
        assert_eq!(left.len(), 2, "{left:?}");
        assert_eq!(
            left[0].how,
            "`lockdown respond --config /c.yaml --profile main --key KEY123`"
        );
        assert!(
            left[1].how.starts_with("`lockdown unlock /s/runs/r1`"),
            "{left:?}"
        );
        // A lock that failed leaves nothing to unlock; a revoke leaves neither.
        assert_eq!(left_of(&cause, false, false).len(), 1);
        assert!(left_of(&cause, true, true).is_empty());
        // A run a person started has no cause to speak of.
        assert!(left_of(&Cause::read(&json!({"by": "someone"})), true, false).is_empty());
    }

    fn left_of(cause: &Cause, locked: bool, revoked: bool) -> Vec<Todo> {
        left(cause, "p", locked, revoked)
    }
}
