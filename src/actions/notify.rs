//! `notify`: a custom message to the config's notification channels, mid-playbook ("bots
//! stopped, replacement key next"), routed as the `custom` event.
//!
//! It only queues (the notifier sends in the background) and never fails: a message that cannot
//! be rendered or a run without channels is a step that queued nothing, never a stopped
//! response. Nothing secret may go into it: the template sees what every step sees.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Effect, Outputs, Plan, RunEnd, StepContext, StepEnd, Todo};
use crate::notify::Severity;
use crate::playbook::schema::{object, string};
use crate::template::Tpl;

/// Parameters of `notify`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// The text (a template); its first line is the title.
    message: Tpl<String>,
    /// How urgent (default `warning`).
    #[serde(default = "default_severity")]
    severity: Severity,
}

fn default_severity() -> Severity {
    Severity::Warning
}

impl Notify {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "message": string("the text sent to the channels routed for `custom` (a template; the first line is the title)"),
                "severity": { "enum": ["info", "warning", "critical"], "description": "how urgent (default warning)" },
            }),
            &["message"],
        )
    }
}

impl Action for Notify {
    const OUTPUTS: &'static [&'static str] = &["queued"];

    fn note(outputs: &Outputs) -> String {
        match outputs.get("queued").and_then(Value::as_bool) {
            Some(true) => "queued for the notification channels".to_owned(),
            _ => "nothing queued (no notifications in this run)".to_owned(),
        }
    }

    fn undone(_end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        None
    }

    fn effect(&self) -> Effect {
        Effect::Read
    }

    async fn plan(&self, _cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        Ok(Plan::default())
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let queued = match cx.render(&self.message) {
            Ok(text) => crate::notify::events::custom(cx.step, &text, self.severity),
            Err(_) => false,
        };
        let mut out = Outputs::new();
        out.insert("queued".into(), json!(queued));
        Ok(out)
    }
}
