//! The `pagerduty` channel: PagerDuty Events API v2 (`POST /v2/enqueue`), so a response pages
//! the on-call person and the same alert is acknowledged when the key is locked and resolved when
//! the response is contained.
//!
//! A message's [`Phase`] is the event's `event_action`; its `dedup_key` (the run or schedule id)
//! ties the trigger, the acknowledge and the resolve of one run to one alert. A `Note` pages no
//! one, so it is not sent at all, except `lockdown notify test`, which triggers an `info` alert
//! so people see the integration work. A drill's rehearsed response (`drill --notify`) is not
//! sent either, so nobody is paged by a rehearsal, unless the channel says `drills: page` (to
//! rehearse the page itself). The routing key is a secret: it lives in a
//! [`SecretString`], is exposed only to build the request body, and is scrubbed from anything
//! PagerDuty answers before that answer becomes an error's text.

use std::path::Path;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Channel, Event, Message, Phase, SendError, Sending, Severity};
use crate::secret::SecretString;

/// Where PagerDuty's Events API lives.
const DEFAULT_BASE_URL: &str = "https://events.pagerduty.com";
/// `payload.summary`'s documented maximum, in characters.
const SUMMARY_MAX: usize = 1024;
/// `dedup_key`'s documented maximum, in characters.
const DEDUP_KEY_MAX: usize = 255;
/// An integration (routing) key's documented length.
const ROUTING_KEY_LEN: usize = 32;
/// PagerDuty's advice after a 429 when it names no delay: try again 30 seconds later.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(30);
/// How much of an unexpected answer an error quotes.
const EXCERPT: usize = 200;

/// The channel's config entry, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// The integration key, as a secret reference.
    routing_key: String,
    /// The Events API's address (a proxy, or a receiver in tests).
    #[serde(default)]
    base_url: Option<String>,
    /// `payload.source`; the message's profile when absent.
    #[serde(default)]
    source: Option<String>,
    /// `payload.component`.
    #[serde(default)]
    component: Option<String>,
    /// `payload.group`.
    #[serde(default)]
    group: Option<String>,
    /// A drill's messages: `skip` (default, nobody is paged by a rehearsal) or `page`.
    #[serde(default)]
    drills: Option<String>,
}

/// A configured PagerDuty integration.
pub struct PagerDuty {
    name: String,
    routing_key: SecretString,
    enqueue_url: String,
    source: Option<String>,
    component: String,
    group: Option<String>,
    /// Whether a drill's messages are sent (`drills: page`).
    page_drills: bool,
}

impl std::fmt::Debug for PagerDuty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagerDuty")
            .field("name", &self.name)
            .field("routing_key", &"****")
            .field("enqueue_url", &self.enqueue_url)
            .finish_non_exhaustive()
    }
}

/// Builds the channel from its config entry.
pub fn build(name: &str, fields: &Value, dir: &Path) -> Result<Box<dyn Channel>, String> {
    let raw: Raw = serde_json::from_value(fields.clone())
        .map_err(|err| format!("channel `{name}` (pagerduty): {err}"))?;
    let routing_key = super::secret(
        &format!("channel `{name}` (pagerduty) `routing_key`"),
        &raw.routing_key,
        dir,
    )?;
    #[allow(clippy::disallowed_methods)] // its shape is checked, nothing of it is shown
    let (length, alphanumeric) = {
        let key = routing_key.expose_secret();
        (
            key.chars().count(),
            key.chars().all(|c| c.is_ascii_alphanumeric()),
        )
    };
    if length != ROUTING_KEY_LEN || !alphanumeric {
        return Err(format!(
            "channel `{name}` (pagerduty) `routing_key` is not an integration key ({length} characters, \
             PagerDuty's are 32 letters and digits); copy the Integration Key of the service's \
             Events API v2 integration"
        ));
    }
    let page_drills = match raw.drills.as_deref() {
        None | Some("skip") => false,
        Some("page") => true,
        Some(other) => {
            return Err(format!(
                "channel `{name}` (pagerduty) `drills` is `skip` (a drill pages no one, the \
                 default) or `page`, not `{other}`"
            ));
        }
    };
    let base_url = raw.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    super::check_url(&base_url)
        .map_err(|err| format!("channel `{name}` (pagerduty) `base_url`: {err}"))?;
    Ok(Box::new(PagerDuty {
        name: name.to_owned(),
        routing_key,
        enqueue_url: format!("{}/v2/enqueue", base_url.trim_end_matches('/')),
        source: raw.source,
        component: raw.component.unwrap_or_else(|| "lockdown".to_owned()),
        group: raw.group,
        page_drills,
    }))
}

impl Channel for PagerDuty {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "pagerduty"
    }

    fn takes(&self, message: &Message) -> bool {
        self.event(message).is_some()
    }

    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let Some(body) = self.event(message) else {
                return Ok(());
            };
            let answer = http
                .post(&self.enqueue_url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .map_err(transport)?;
            let status = answer.status().as_u16();
            let retry_after = super::retry_after(answer.headers());
            let text = answer.text().await.unwrap_or_default();
            let text = self.scrub(&text);
            judge(status, retry_after, &text)
        })
    }
}

impl PagerDuty {
    /// The event PagerDuty gets for `message`, or `None` for a note, which pages no one, and
    /// for a drill's message unless the channel pages drills.
    pub fn event(&self, message: &Message) -> Option<Value> {
        if message.drill && !self.page_drills {
            return None;
        }
        let action = match (message.phase, message.event) {
            (_, Event::Test) | (Phase::Trigger, _) => "trigger",
            (Phase::Acknowledge, _) => "acknowledge",
            (Phase::Resolve, _) => "resolve",
            (Phase::Note, _) => return None,
        };
        // Exposed only here: the body carries the key, as PagerDuty authenticates by it.
        #[allow(clippy::disallowed_methods)]
        let routing_key = self.routing_key.expose_secret();
        let dedup_key = truncate(&message.dedup_key, DEDUP_KEY_MAX);
        if action != "trigger" {
            return Some(json!({
                "routing_key": routing_key,
                "event_action": action,
                "dedup_key": dedup_key,
            }));
        }
        let severity = match message.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        };
        let mut details = Map::new();
        for (label, value) in &message.fields {
            details.insert(label.clone(), Value::String(value.clone()));
        }
        if !message.text.is_empty() && !details.contains_key("details") {
            details.insert("details".to_owned(), Value::String(message.text.clone()));
        }
        let source = self
            .source
            .clone()
            .or_else(|| message.profile.clone())
            .unwrap_or_else(|| "lockdown".to_owned());
        let mut payload = json!({
            "summary": truncate(&message.title, SUMMARY_MAX),
            "source": source,
            "severity": severity,
            "timestamp": message.at,
            "component": self.component,
            "class": message.event.as_str(),
            "custom_details": details,
        });
        if let Some(group) = self.group.clone().or_else(|| message.profile.clone()) {
            payload["group"] = Value::String(group);
        }
        Some(json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key,
            "client": "lockdown",
            "payload": payload,
        }))
    }

    /// `text` without the routing key, should an answer ever quote it.
    fn scrub(&self, text: &str) -> String {
        // Exposed to compare only: nothing of it leaves this function.
        #[allow(clippy::disallowed_methods)]
        let key = self.routing_key.expose_secret();
        text.replace(key, "****")
    }
}

/// What PagerDuty's answer means: 202 delivered, 400 a bad event (fatal, with its `errors`), 429
/// and 5xx worth another try, any other 4xx fatal.
fn judge(status: u16, retry_after: Option<Duration>, text: &str) -> Result<(), SendError> {
    match status {
        200..=299 => Ok(()),
        400 => Err(SendError::Fatal {
            reason: format!("pagerduty refused the event (400): {}", explain(text)),
        }),
        429 => Err(SendError::Retry {
            reason: "pagerduty is rate limiting this integration key (429)".to_owned(),
            after: Some(retry_after.unwrap_or(RATE_LIMIT_PAUSE)),
        }),
        500..=599 => Err(SendError::Retry {
            reason: format!("pagerduty answered {status}: {}", explain(text)),
            after: retry_after,
        }),
        _ => Err(SendError::Fatal {
            reason: format!(
                "pagerduty answered {status}: {}; check `base_url` and the routing key",
                explain(text)
            ),
        }),
    }
}

/// The answer's `message` and `errors` when it is PagerDuty's error JSON, else an excerpt.
fn explain(text: &str) -> String {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        errors: Vec<String>,
    }
    match serde_json::from_str::<Answer>(text) {
        Ok(answer) if answer.message.is_some() || !answer.errors.is_empty() => {
            let mut out = answer.message.unwrap_or_default();
            if !answer.errors.is_empty() {
                if !out.is_empty() {
                    out.push_str(": ");
                }
                out.push_str(&answer.errors.join("; "));
            }
            truncate(&out, EXCERPT * 2)
        }
        _ if text.trim().is_empty() => "no answer body".to_owned(),
        _ => truncate(text.trim(), EXCERPT),
    }
}

/// A transport failure: always worth another try; the URL is left out.
fn transport(err: reqwest::Error) -> SendError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    SendError::Retry {
        reason: format!("pagerduty {kind}: {}", err.without_url()),
        after: None,
    }
}

/// `text` cut to `max` characters, an ellipsis marking the cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel() -> PagerDuty {
        PagerDuty {
            name: "oncall".into(),
            routing_key: SecretString::from("abcdefghijklmnopqrstuvwxyz012345".to_owned()),
            enqueue_url: "http://127.0.0.1:9/v2/enqueue".into(),
            source: None,
            component: "lockdown".into(),
            group: None,
            page_drills: false,
        }
    }

    #[test]
    fn a_drill_pages_no_one_unless_the_channel_pages_drills() {
        let drill = Message {
            drill: true,
            title: "[drill] sim: responding".into(),
            ..message(Phase::Trigger, Severity::Critical)
        };
        let mut pd = channel();
        assert_eq!(pd.event(&drill), None);
        assert!(!pd.takes(&drill));
        pd.page_drills = true;
        let event = pd.event(&drill).unwrap();
        assert_eq!(event["event_action"], "trigger");
        assert_eq!(event["payload"]["summary"], "[drill] sim: responding");
        let dir = tempfile::tempdir().unwrap();
        crate::private::write(&dir.path().join("k"), "abcdefghijklmnopqrstuvwxyz012345").unwrap();
        let build = |drills: &str| {
            let fields = serde_json::json!({"routing_key": "file:k", "drills": drills});
            build("oncall", &fields, dir.path()).map(|_| ())
        };
        build("page").unwrap();
        build("skip").unwrap();
        assert!(
            build("sometimes")
                .unwrap_err()
                .contains("`drills` is `skip`")
        );
    }

    fn message(phase: Phase, severity: Severity) -> Message {
        Message {
            event: Event::RunStarted,
            severity,
            phase,
            title: "bybit-main: responding to leaked key AbCd…wxyz".into(),
            text: "lock, cancel, revoke".into(),
            fields: vec![("venue".into(), "bybit".into())],
            dedup_key: "run-20261205-1".into(),
            profile: Some("bybit-main".into()),
            at: "2026-12-05T17:00:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        }
    }

    #[test]
    fn phases_are_event_actions_and_notes_page_no_one() {
        let pd = channel();
        let trigger = pd
            .event(&message(Phase::Trigger, Severity::Critical))
            .unwrap();
        assert_eq!(trigger["event_action"], "trigger");
        assert_eq!(trigger["payload"]["severity"], "critical");
        assert_eq!(trigger["payload"]["source"], "bybit-main");
        assert_eq!(trigger["payload"]["class"], "run_started");
        assert_eq!(trigger["payload"]["custom_details"]["venue"], "bybit");
        assert_eq!(trigger["dedup_key"], "run-20261205-1");
        for (phase, action) in [
            (Phase::Acknowledge, "acknowledge"),
            (Phase::Resolve, "resolve"),
        ] {
            let event = pd.event(&message(phase, Severity::Info)).unwrap();
            let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 3, "{phase:?}: only the three fields: {event}");
            assert_eq!(event["event_action"], action);
        }
        assert!(pd.event(&message(Phase::Note, Severity::Info)).is_none());
        let mut test = message(Phase::Note, Severity::Info);
        test.event = Event::Test;
        assert_eq!(pd.event(&test).unwrap()["payload"]["severity"], "info");
    }

    #[test]
    fn long_summaries_are_cut_to_the_documented_limit() {
        let mut long = message(Phase::Trigger, Severity::Warning);
        long.title = "é".repeat(3000);
        let event = channel().event(&long).unwrap();
        let summary = event["payload"]["summary"].as_str().unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_MAX);
        assert!(summary.ends_with('…'));
    }

    #[test]
    fn answers_are_judged_as_documented() {
        for (label, status, body, retry) in [
            ("accepted", 202, r#"{"status":"success"}"#, None),
            ("invalid event", 400, r#"{"errors":["x"]}"#, Some(false)),
            ("rate limited", 429, "", Some(true)),
            ("server error", 503, "", Some(true)),
            ("not found", 404, "", Some(false)),
        ] {
            let verdict = judge(status, None, body);
            match (verdict, retry) {
                (Ok(()), None) => {}
                (Err(SendError::Retry { .. }), Some(true)) => {}
                (Err(SendError::Fatal { .. }), Some(false)) => {}
                (other, _) => panic!("{label}: {other:?}"),
            }
        }
        let Err(SendError::Retry { after, .. }) = judge(429, None, "") else {
            panic!("429 retries");
        };
        assert_eq!(after, Some(RATE_LIMIT_PAUSE));
    }

    #[test]
    fn the_routing_key_never_shows() {
        let pd = channel();
        assert!(!format!("{pd:?}").contains("abcdefghij"));
        assert_eq!(
            pd.scrub("bad key abcdefghijklmnopqrstuvwxyz012345"),
            "bad key ****"
        );
    }
}
