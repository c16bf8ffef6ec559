//! `wait_for_use`: before a planned rotation revokes the old key, give the bot time to move.
//!
//! Revoking the old key while the bot still signs with it stops the bot; so the rotation waits
//! until the bot is *seen* using the new key, or a grace period ends. No venue lockdown supports
//! shows by API when a key was last used (the key listings carry no such field, and Kraken's
//! `lastUsed` is the calling key's; see `config/handoff.rs`), so what can show it is the bot:
//! when the profile's `handoff.health_url` answers 2xx with the new key's id in its body (a bot
//! that reports the key it signs with; the id is not a secret), the wait ends at once. Anything
//! else waits the whole grace period and says the bot was not seen.
//!
//! The grace period counts from the step's first start in this run's journal, so a resumed
//! rotation does not wait it again from the start. The step never calls the exchange.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Action, ActionError, Containment, Effect, Outputs, Plan, Preflight, RunEnd, StepContext,
    StepEnd, StepRef, Todo,
};
use crate::journal::record::{self, Record};
use crate::playbook::schema::{object, string};
use crate::template::Tpl;

/// The longest wait between two looks at the health URL.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// The longest one health request may take.
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

/// Parameters of `wait_for_use`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WaitForUse {
    /// The `create_key` step whose key the bot should be seen using.
    from: String,
    /// How long to wait at most (`10m`; `0s` revokes at once).
    grace: Tpl<String>,
}

impl WaitForUse {
    /// The JSON Schema of the parameters (see `playbook::schema`).
    pub fn schema() -> Value {
        object(
            json!({
                "from": { "type": "string", "description": "the `create_key` step whose key the bot should be seen using" },
                "grace": string("how long to wait at most for the bot to be seen using it (`10m`)"),
            }),
            &["from", "grace"],
        )
    }

    /// The steps this reads by id.
    pub fn step_refs(&self) -> Vec<StepRef> {
        vec![StepRef {
            param: "from".into(),
            step: self.from.clone(),
            action: "create_key",
        }]
    }

    fn grace(&self, text: Result<String, ActionError>) -> Result<Duration, ActionError> {
        crate::clock::parse_duration(&text?).map_err(|message| ActionError::Input {
            message: format!("`grace`: {message}"),
            hint: "give the grace period as `--grace 10m`".into(),
        })
    }
}

impl Action for WaitForUse {
    const OUTPUTS: &'static [&'static str] = &["seen", "seen_by", "grace", "waited_ms"];

    /// It stands between the new key and the revoke: a failure stops the revoke after it.
    const CONTAINMENT: Containment = Containment::Completes;

    fn note(outputs: &Outputs) -> String {
        let grace = outputs
            .get("grace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match outputs.get("seen_by").and_then(Value::as_str) {
            Some(by) => format!("the bot was seen using the new key ({by})"),
            None => {
                format!("the bot was not seen using the new key; the grace period ({grace}) ended")
            }
        }
    }

    fn undone(end: &StepEnd<'_>, _run: &RunEnd<'_>) -> Option<Todo> {
        Some(end.todo(
            format!("the old key was not revoked: {}", end.why()),
            "`lockdown resume RUN_DIR` once the bot uses its new key",
        ))
    }

    fn effect(&self) -> Effect {
        Effect::Write
    }

    fn preflight(&self, pre: &Preflight<'_>) -> Result<(), ActionError> {
        match pre.render(&self.grace) {
            Some(text) => self.grace(text).map(drop),
            None => Ok(()),
        }
    }

    async fn plan(&self, cx: &StepContext<'_>) -> Result<Plan, ActionError> {
        let grace = self.grace(cx.render(&self.grace))?;
        let how = match health_url(cx) {
            Some(url) => format!(
                "wait up to {} for GET {url} to name the new key",
                humantime::format_duration(grace)
            ),
            None => format!(
                "wait {} (no `handoff.health_url` can show the bot using the new key)",
                humantime::format_duration(grace)
            ),
        };
        let mut outputs = Outputs::new();
        outputs.insert(
            "grace".into(),
            json!(humantime::format_duration(grace).to_string()),
        );
        Ok(Plan::sends(vec![how], outputs))
    }

    async fn apply(&self, cx: &StepContext<'_>) -> Result<Outputs, ActionError> {
        let grace = self.grace(cx.render(&self.grace))?;
        let started = Instant::now();
        let end = started + grace.saturating_sub(already_waited(cx));
        let key = cx
            .outputs
            .get(&self.from)
            .and_then(|o| o.get("key_id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let seen_by = match (health_url(cx), &key) {
            (Some(url), Some(key)) => {
                let _shown = cx
                    .progress
                    .countdown("waiting for the bot to use the new key", end);
                seen_at(&url, key, end).await?
            }
            _ => {
                let _shown = cx
                    .progress
                    .countdown("grace period before the old key is revoked", end);
                tokio::time::sleep_until(end.into()).await;
                None
            }
        };
        let mut out = Outputs::new();
        out.insert("seen".into(), json!(seen_by.is_some()));
        if let Some(by) = seen_by {
            out.insert("seen_by".into(), json!(by));
        }
        out.insert(
            "grace".into(),
            json!(humantime::format_duration(grace).to_string()),
        );
        out.insert(
            "waited_ms".into(),
            json!(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)),
        );
        Ok(out)
    }
}

fn health_url(cx: &StepContext<'_>) -> Option<String> {
    cx.profile.handoff.as_ref()?.health_url.clone()
}

/// How long this step already waited in this run: since its first `step_started` in the
/// journal (an interrupted attempt's), zero for a first attempt.
fn already_waited(cx: &StepContext<'_>) -> Duration {
    let Ok(text) = std::fs::read_to_string(cx.journal.path()) else {
        return Duration::ZERO;
    };
    let first = text
        .lines()
        .filter_map(|line| serde_json::from_str::<crate::journal::Event>(line).ok())
        .find(|event| record::StepStarted::of(event).is_some_and(|s| s.step == cx.step));
    let Some(at) = first.and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.at).ok()) else {
        return Duration::ZERO;
    };
    (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
        .to_std()
        .unwrap_or_default()
}

/// Asks `url` until it answers 2xx naming `key` (`Some("health_url")`) or `end` passes (`None`).
async fn seen_at(url: &str, key: &str, end: Instant) -> Result<Option<String>, ActionError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|err| ActionError::Check {
            message: format!("the health URL cannot be asked ({err})"),
            hint: "check `handoff.health_url` in the profile".into(),
        })?;
    let mut wait = Duration::from_millis(100);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        if let Ok(response) = client
            .get(url)
            .timeout(left.min(REQUEST_LIMIT))
            .send()
            .await
            && response.status().is_success()
            && let Ok(body) = response.text().await
            && body.contains(key)
        {
            return Ok(Some("health_url".to_owned()));
        }
        let left = end.saturating_duration_since(Instant::now());
        tokio::time::sleep(wait.min(left)).await;
        wait = (wait * 2).min(MAX_WAIT);
    }
}
