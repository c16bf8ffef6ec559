//! `manual`: a step only a person can do, guided and confirmed, never skipped.
//!
//! The instructions (title, where, a checklist) are shown, the operator confirms when done (or
//! `--yes` accepts), and the answer is journaled. Without a terminal and without `--yes` the run
//! refuses to start rather than stop half-way.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Action, ActionError, Effect, ManualStep, ManualTask, Outputs, Plan, StepContext};
use crate::exchanges::Guide;
use crate::playbook::schema::{object, string, strings};
use crate::template::Tpl;

/// Parameters of `manual`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manual {
    /// What to do, in one line.
    title: Tpl<String>,
    /// Where to do it.
    #[serde(default)]
    url: Option<Tpl<String>>,
    /// The steps, in order.
    #[serde(default)]
    checklist: Option<Tpl<Vec<String>>>,
}

impl Manual {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "title": string("what to do, in one line"),
                "url": string("where to do it"),
                "checklist": strings("the steps, in order"),
            }),
            &["title"],
        )
    }
}

impl Action for Manual {
    const OUTPUTS: &'static [&'static str] = &["title", "done"];

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn needs_confirmation(&self) -> bool {
        true
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let step = ManualStep {
            guide: Guide {
                title: cx.render(&self.title)?,
                url: self
                    .url
                    .as_ref()
                    .map(|u| cx.render(u))
                    .transpose()?
                    .unwrap_or_default(),
                steps: self
                    .checklist
                    .as_ref()
                    .map(|c| cx.render(c))
                    .transpose()?
                    .unwrap_or_default(),
            },
            task: ManualTask::Other,
        };
        let mut outputs = Outputs::new();
        outputs.insert("done".into(), json!(false));
        Ok(Plan {
            requests: Vec::new(),
            instructions: Some(step.text()),
            outputs: Some(outputs),
            manual: Some(step),
        })
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let mut out = Outputs::new();
        out.insert("title".into(), json!(cx.render(&self.title)?));
        out.insert("done".into(), json!(true));
        Ok(out)
    }
}
