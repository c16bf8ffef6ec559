//! The `slack` channel: each message is posted through an incoming webhook (`POST {url}`, JSON
//! `text` as the notification's fallback and Block Kit `blocks`: a header, the text, the fields,
//! a context line), where on-call teams already are.
//!
//! The webhook URL is the secret (anyone holding it can post): it comes from a reference and is
//! never shown. Text is escaped for mrkdwn (`&`, `<`, `>` as entities, which also keeps a message
//! from mentioning `<!channel>` or a user) and cut to Block Kit's limits (header 150, section text
//! 3000, 10 fields of 2000 per section, 50 blocks). Slack answers in plain text: `ok`; a 4xx
//! with a word (`invalid_payload`, `no_text`, `invalid_token`, `channel_not_found`, …) is not
//! worth a retry; 429 (`Retry-After`) and 5xx are.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use super::chat;
use super::{Channel, Message, SendError, Sending};
use crate::secret::SecretString;

/// Block Kit's limits (characters, items).
const HEADER_LIMIT: usize = 150;
const SECTION_TEXT_LIMIT: usize = 3000;
const FIELD_LIMIT: usize = 2000;
const FIELDS_PER_SECTION: usize = 10;
const FIELD_SECTIONS_LIMIT: usize = 45;
const CONTEXT_TEXT_LIMIT: usize = 3000;

/// The config entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: String,
}

/// A Slack incoming webhook.
pub struct Slack {
    name: String,
    url: SecretString,
}

impl fmt::Debug for Slack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slack")
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .finish()
    }
}

/// Builds the channel from its config entry: `url`, a secret reference holding the whole
/// webhook URL (`https://hooks.slack.com/services/…`).
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let raw: Raw = serde_json::from_value(fields.clone())
        .map_err(|err| format!("slack channel `{name}`: {err}"))?;
    let url = super::secret("`url`", &raw.url, dir)?;
    #[allow(clippy::disallowed_methods)]
    chat::check_secret_url("url", secrecy::ExposeSecret::expose_secret(&url))?;
    Ok(Box::new(Slack {
        name: name.to_owned(),
        url,
    }))
}

impl Channel for Slack {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "slack"
    }

    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let body = payload(message);
            // The one place the webhook URL is read: it is where the message goes.
            #[allow(clippy::disallowed_methods)]
            let url = secrecy::ExposeSecret::expose_secret(&self.url);
            let answered = chat::post_json("slack", http, url, &body).await?;
            let said = chat::shown(&String::from_utf8_lossy(&answered.body), &secret_parts(url));
            judge(answered.status, &said, answered.retry_after)
        })
    }
}

/// The parts of a webhook URL's path that may not be shown (`T…/B…/token`).
fn secret_parts(url: &str) -> Vec<&str> {
    let path = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split_once('/'));
    path.map(|(_, path)| {
        path.split(['/', '?'])
            .filter(|part| part.len() >= 8)
            .collect()
    })
    .unwrap_or_default()
}

/// Maps an answer (status and its plain-text body, already made safe to show) to Ok, Retry or
/// Fatal.
fn judge(
    status: u16,
    said: &str,
    header_wait: Option<std::time::Duration>,
) -> Result<(), SendError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let said = if said.is_empty() {
        format!("HTTP {status}")
    } else {
        said.to_owned()
    };
    if status == 429 {
        return Err(SendError::Retry {
            reason: format!("slack: rate limited ({said})"),
            after: header_wait,
        });
    }
    if status >= 500 {
        return Err(SendError::Retry {
            reason: format!("slack: server error ({said})"),
            after: header_wait,
        });
    }
    let hint = match said.as_str() {
        "invalid_token" | "no_service" | "no_service_id" | "no_team" | "team_disabled" => {
            "the webhook was revoked or its URL is wrong: make a new one and put its URL in `url`'s secret"
        }
        "channel_not_found" | "channel_is_archived" => {
            "the webhook's channel is gone: make a webhook for a live channel"
        }
        "action_prohibited" | "posting_to_general_channel_denied" => {
            "the workspace forbids this webhook to post there: ask a workspace admin"
        }
        _ => "Slack refused what lockdown sent; report it",
    };
    Err(SendError::Fatal {
        reason: format!("slack refused the message ({status}: {said}); {hint}"),
    })
}

/// Escapes mrkdwn's three control characters.
fn escape(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

/// The webhook body for `message`.
pub fn payload(message: &Message) -> serde_json::Value {
    let (emoji, label) = chat::badge(message.severity, message.phase);
    let headline = format!("{emoji} {label}: {}", message.title);
    let mut blocks = vec![json!({
        "type": "header",
        // plain_text is shown as written: no mrkdwn, nothing to escape.
        "text": { "type": "plain_text", "text": chat::fit_plain(&headline, HEADER_LIMIT), "emoji": true },
    })];
    let text = message.text.trim_end();
    if !text.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": chat::fit(text, SECTION_TEXT_LIMIT, escape) },
        }));
    }
    for chunk in message
        .fields
        .chunks(FIELDS_PER_SECTION)
        .take(FIELD_SECTIONS_LIMIT)
    {
        let fields: Vec<_> = chunk
            .iter()
            .map(|(name, value)| {
                let mut text = String::from("*");
                text.push_str(&chat::fit(name, 200, escape));
                text.push_str("*\n");
                let room = FIELD_LIMIT - text.chars().count();
                text.push_str(&chat::fit(value, room, escape));
                json!({ "type": "mrkdwn", "text": text })
            })
            .collect();
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    let mut context = format!(
        "lockdown · {} · {}",
        message.event.as_str(),
        message.dedup_key
    );
    if let Some(profile) = &message.profile {
        context = format!("{context} · {profile}");
    }
    context = format!("{context} · {}", message.at);
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": chat::fit(&context, CONTEXT_TEXT_LIMIT, escape) }],
    }));
    json!({
        // The notification's text, and what clients without blocks show.
        "text": chat::fit(&headline, SECTION_TEXT_LIMIT, escape),
        "blocks": blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Event, Phase, Severity};

    #[test]
    fn escapes_mrkdwn_and_keeps_block_limits() {
        let m = Message {
            event: Event::DrillFailed,
            severity: Severity::Warning,
            phase: Phase::Trigger,
            title: "<!channel> a & b".repeat(20),
            text: "<script>".repeat(1000),
            fields: (0..25).map(|i| (format!("f{i}"), "v".into())).collect(),
            dedup_key: "drill-1".into(),
            profile: Some("p".into()),
            at: "2026-12-05T17:00:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        };
        let body = payload(&m);
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with("⚠️ WARNING: &lt;!channel&gt; a &amp; b")
        );
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= HEADER_LIMIT);
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(section.chars().count() <= SECTION_TEXT_LIMIT);
        assert!(!section.contains('<'));
        // 25 fields: three sections of at most ten.
        assert_eq!(blocks[2]["fields"].as_array().unwrap().len(), 10);
        assert_eq!(blocks[4]["fields"].as_array().unwrap().len(), 5);
        assert_eq!(blocks.last().unwrap()["type"], "context");
    }
}
