//! `cancel_after`: arm the venue's dead-man switch, so that every open order of the account is
//! cancelled after a timeout unless someone arms it again.
//!
//! Only venues that declare [`Capability::DeadMan`] by API can (Kraken `CancelAllOrdersAfter`,
//! docs/venues/kraken.md §5; OKX `cancel-all-after`, docs/venues/okx.md §5, which takes only 0 or
//! 10 to 120 seconds); elsewhere the step fails before sending anything, never skips silently, and
//! so does a timeout the venue does not accept. It is signed with the key the playbook names: on
//! Kraken the owner's own key, since a switch armed with the leaked key can be disarmed by whoever
//! holds it (docs/venues/README.md §1). Arming is idempotent (the timer is set again), so retries
//! need no probe; `seconds: 0` disarms.

use super::{RunEnd, StepEnd, Todo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Effect, Outputs, Plan, Preflight, StepContext};
use crate::exchanges::{Auth, Capability, Op, Support};
use crate::playbook::schema::{object, string};
use crate::secret::KeyId;
use crate::template::Tpl;

/// Parameters of `cancel_after`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CancelAfter {
    /// The key that arms it (its account's orders are cancelled).
    key: Tpl<String>,
    /// Seconds until the orders are cancelled; 0 disarms.
    #[serde(default = "default_seconds")]
    seconds: u32,
}

fn default_seconds() -> u32 {
    60
}

impl CancelAfter {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "key": string("the key that arms it; its account's open orders are cancelled"),
                "seconds": { "type": "integer", "minimum": 0, "description": "seconds until every open order is cancelled (default 60); 0 disarms" },
            }),
            &["key"],
        )
    }

    fn check_support(&self, cx: &StepContext<'_>) -> Result<(), ActionError> {
        match cx.client.venue().support(Capability::DeadMan) {
            Support::Api => Ok(()),
            Support::Manual(_) | Support::Unavailable(_) => Err(ActionError::Input {
                message: format!("{} has no dead-man switch by API", cx.client.venue().id()),
                hint: "remove the `cancel_after` step from this venue's playbook".into(),
            }),
        }
    }
}

impl Action for CancelAfter {
    const OUTPUTS: &'static [&'static str] = &["key", "seconds", "armed", "trigger_at"];

    fn note(outputs: &Outputs) -> String {
        match outputs.get("trigger_at").and_then(Value::as_str) {
            Some(at) => format!("armed: every open order is cancelled at {at}"),
            None => "disarmed".to_owned(),
        }
    }

    fn undone(end: &StepEnd<'_>, run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("the dead-man switch is not armed: {}", end.why()),
            &format!(
                "cancel open orders by hand in {}'s web interface",
                run.venue
            ),
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn advise(&self, pre: &Preflight<'_>) -> Option<ActionError> {
        pre.key_credential(&self.key)
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        self.check_support(cx)?;
        let key = KeyId::new(cx.render(&self.key)?);
        let request = cx
            .client
            .prepare(
                &Op::CancelAfter {
                    seconds: self.seconds,
                },
                Auth::Key(cx.key_credential(&key)?),
            )
            .map_err(ActionError::exchange("build the dead-man switch request"))?;
        let mut outputs = Outputs::new();
        outputs.insert("seconds".into(), json!(self.seconds));
        Ok(Plan::sends(vec![request.to_string()], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        self.check_support(cx)?;
        let key = KeyId::new(cx.render(&self.key)?);
        let trigger = cx
            .client
            .call(
                &Op::CancelAfter {
                    seconds: self.seconds,
                },
                Auth::Key(cx.key_credential(&key)?),
            )
            .await
            .map_err(ActionError::exchange("arm the dead-man switch"))?
            .into_armed()
            .map_err(ActionError::exchange("read the dead-man switch answer"))?;
        let mut out = Outputs::new();
        out.insert("key".into(), json!(key.masked()));
        out.insert("seconds".into(), json!(self.seconds));
        out.insert("armed".into(), json!(trigger.is_some()));
        out.insert(
            "trigger_at".into(),
            json!(trigger.map(crate::clock::rfc3339_ms)),
        );
        Ok(out)
    }
}
