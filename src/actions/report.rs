//! `report`: write the incident report exchange support can act on.
//!
//! The report is a pure function of the journal and the snapshots (see `crate::report`); this
//! step only renders it into the run folder, as Markdown and JSON.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Action, ActionError, Effect, Outputs, Plan, StepContext};
use crate::playbook::schema::object;
use crate::report::{self, Format};

/// Parameters of `report`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The formats to write (default: markdown, json and html).
    #[serde(default = "default_formats")]
    formats: Vec<Format>,
}

fn default_formats() -> Vec<Format> {
    vec![Format::Markdown, Format::Json, Format::Html]
}

impl Report {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> serde_json::Value {
        object(
            json!({
                "formats": { "type": "array", "items": { "enum": ["markdown", "json", "html"] } },
            }),
            &[],
        )
    }
}

impl Action for Report {
    const OUTPUTS: &'static [&'static str] =
        &["markdown", "json", "html", "journal_seq", "journal_hash"];

    fn note(outputs: &Outputs) -> String {
        outputs
            .get("markdown")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn effect(&self) -> Effect {
        Effect::Read
    }

    async fn plan(&self, _cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        Ok(Plan::default())
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let written =
            report::write(&cx.run.dir, &self.formats).map_err(|err| ActionError::Check {
                message: err.to_string(),
                hint: "the journal must verify before a report is written; run `lockdown verify`"
                    .into(),
            })?;
        let mut out = Outputs::new();
        for (format, path) in &written.files {
            out.insert(format.as_str().into(), json!(path.display().to_string()));
        }
        out.insert("journal_seq".into(), json!(written.seq));
        out.insert("journal_hash".into(), json!(written.hash));
        Ok(out)
    }
}
