//! The `discord` channel: each message is posted through a channel's webhook (`POST {url}?wait=true`,
//! JSON `content` and one embed), where trading communities already are.
//!
//! The webhook URL is the secret (anyone holding it can post): it comes from a reference and is
//! never shown. `allowed_mentions: {parse: []}` makes sure nothing in a message pings anyone,
//! whatever it contains (`@everyone` in a title included); only `mention_role`, when set, is
//! pinged, and only for a critical message that starts an incident. Text is escaped for Discord's
//! markdown and cut to its limits (content 2000, title 256, description 4096, 25 fields of
//! 256/1024, 6000 in all). `?wait=true` makes Discord answer after the message is stored, so a
//! refusal comes back; 429 (`retry_after` in the body, `Retry-After`) and 5xx are worth a retry.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use super::chat;
use super::{Channel, Message, Phase, SendError, Sending, Severity};
use crate::secret::SecretString;

/// Discord's limits on a message and its embed (characters).
const CONTENT_LIMIT: usize = 2000;
const TITLE_LIMIT: usize = 256;
const DESCRIPTION_LIMIT: usize = 4096;
const FIELD_NAME_LIMIT: usize = 256;
const FIELD_VALUE_LIMIT: usize = 1024;
const FIELDS_LIMIT: usize = 25;
const FOOTER_LIMIT: usize = 2048;
const EMBED_TOTAL_LIMIT: usize = 6000;
const USERNAME_LIMIT: usize = 80;

/// The config entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    mention_role: Option<serde_json::Value>,
}

/// A Discord webhook.
pub struct Discord {
    name: String,
    url: SecretString,
    username: Option<String>,
    mention_role: Option<String>,
}

impl fmt::Debug for Discord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discord")
            .field("name", &self.name)
            .field("url", &"<redacted>")
            .field("username", &self.username)
            .field("mention_role", &self.mention_role)
            .finish()
    }
}

/// Builds the channel from its config entry: `url` (a secret reference holding the whole
/// webhook URL), and optional `username` and `mention_role` (a role id pinged by critical
/// messages that start an incident).
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let raw: Raw = serde_json::from_value(fields.clone())
        .map_err(|err| format!("discord channel `{name}`: {err}"))?;
    let url = super::secret("`url`", &raw.url, dir)?;
    #[allow(clippy::disallowed_methods)]
    let mut parsed = chat::check_secret_url("url", secrecy::ExposeSecret::expose_secret(&url))?;
    // Discord answers after storing the message, so a refusal is not lost.
    if !parsed.query_pairs().any(|(key, _)| key == "wait") {
        parsed.query_pairs_mut().append_pair("wait", "true");
    }
    let username = match raw.username.map(|u| u.trim().to_owned()) {
        Some(u) if u.is_empty() || u.chars().count() > USERNAME_LIMIT => {
            return Err(format!(
                "`username` must be 1 to {USERNAME_LIMIT} characters"
            ));
        }
        other => other,
    };
    let mention_role = match raw.mention_role {
        None => None,
        Some(value) => {
            let id = match &value {
                serde_json::Value::Number(n) => n.as_u64().map(|n| n.to_string()),
                serde_json::Value::String(text) => Some(text.trim().to_owned()),
                _ => None,
            }
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()));
            Some(id.ok_or_else(|| {
                "`mention_role` must be a role's id (digits; Discord: Server Settings → Roles → Copy Role ID)"
                    .to_owned()
            })?)
        }
    };
    Ok(Box::new(Discord {
        name: name.to_owned(),
        url: SecretString::from(parsed.to_string()),
        username,
        mention_role,
    }))
}

impl Channel for Discord {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "discord"
    }

    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let body = payload(
                message,
                self.username.as_deref(),
                self.mention_role.as_deref(),
            );
            // The one place the webhook URL is read: it is where the message goes.
            #[allow(clippy::disallowed_methods)]
            let url = secrecy::ExposeSecret::expose_secret(&self.url);
            let answered = chat::post_json("discord", http, url, &body).await?;
            judge(
                answered.status,
                &answered.body,
                answered.retry_after,
                &secret_parts(url),
            )
        })
    }
}

/// The parts of a webhook URL's path that may not be shown (its id and token).
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

/// Discord's error body.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    code: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    retry_after: Option<f64>,
}

/// Maps an answer to Ok, Retry or Fatal.
fn judge(
    status: u16,
    body: &[u8],
    header_wait: Option<std::time::Duration>,
    secrets: &[&str],
) -> Result<(), SendError> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    let said = answer
        .as_ref()
        .and_then(|a| a.message.as_deref())
        .map(|text| chat::shown(text, secrets))
        .unwrap_or_else(|| format!("HTTP {status}"));
    if status == 429 {
        // The body's `retry_after` (seconds, a float) is the precise one.
        let after = answer
            .as_ref()
            .and_then(|a| a.retry_after)
            .and_then(chat::seconds)
            .or(header_wait);
        return Err(SendError::Retry {
            reason: format!("discord: rate limited ({said})"),
            after,
        });
    }
    if status >= 500 {
        return Err(SendError::Retry {
            reason: format!("discord: server error ({said})"),
            after: header_wait,
        });
    }
    let number = answer.as_ref().and_then(|a| a.code);
    let code = number
        .map(|code| format!(", code {code}"))
        .unwrap_or_default();
    // Discord's JSON codes say it whatever the status: 10015 unknown webhook, 50027 invalid
    // webhook token.
    let hint = match (status, number) {
        (_, Some(10015 | 50027)) | (401 | 404, _) => {
            "the webhook URL is wrong or the webhook was deleted: make a new one and put its URL in `url`'s secret"
        }
        (403, _) => "the webhook may not post in its channel: check the channel's permissions",
        _ => "Discord refused what lockdown sent; report it",
    };
    Err(SendError::Fatal {
        reason: format!("discord refused the message ({status}{code}: {said}); {hint}"),
    })
}

/// The embed colour of a message (Discord's palette).
fn colour(message: &Message) -> u32 {
    if message.phase == Phase::Resolve {
        return 0x57F287;
    }
    match message.severity {
        Severity::Critical => 0xED4245,
        Severity::Warning => 0xFEE75C,
        Severity::Info => 0x5865F2,
    }
}

/// Escapes Discord markdown in `text` and cuts it to `limit` characters: `\` before each
/// character that means something anywhere (`\ * _ ~ ` | [ <`), and before `>`, `#` and `-`
/// where they start a line (a quote, a heading, a list). `:` and `.` stay, so links still work.
fn fit(text: &str, limit: usize) -> String {
    let mut line_start = true;
    chat::fit(text, limit, |c, out| {
        let special = "\\*_~`|[<".contains(c) || (line_start && ">#-".contains(c));
        if special {
            out.push('\\');
        }
        out.push(c);
        line_start = c == '\n' || (line_start && c == ' ');
    })
}

/// The webhook body for `message`.
pub fn payload(
    message: &Message,
    username: Option<&str>,
    mention_role: Option<&str>,
) -> serde_json::Value {
    let (emoji, label) = chat::badge(message.severity, message.phase);
    let ping = mention_role
        .filter(|_| message.severity == Severity::Critical && message.phase == Phase::Trigger);
    let mut content = String::new();
    if let Some(role) = ping {
        content.push_str(&format!("<@&{role}> "));
    }
    content.push_str(&format!("{emoji} **{label}** "));
    let room = CONTENT_LIMIT - content.chars().count();
    content.push_str(&fit(&message.title, room));

    let title = fit(&message.title, TITLE_LIMIT);
    let mut footer = format!(
        "lockdown · {} · {}",
        message.event.as_str(),
        message.dedup_key
    );
    if let Some(profile) = &message.profile {
        footer = format!("{footer} · {profile}");
    }
    let footer = chat::fit_plain(&footer, FOOTER_LIMIT);
    let mut used = title.chars().count() + footer.chars().count();
    let mut fields = Vec::new();
    for (name, value) in message.fields.iter().take(FIELDS_LIMIT) {
        let name = fit(name, FIELD_NAME_LIMIT);
        let value = fit(value, FIELD_VALUE_LIMIT);
        let size = name.chars().count() + value.chars().count();
        // Fields take what the description leaves, keeping room for a useful one.
        if used + size > EMBED_TOTAL_LIMIT - 1000 {
            break;
        }
        used += size;
        fields.push(json!({ "name": name, "value": value, "inline": value.chars().count() <= 40 }));
    }
    let room = DESCRIPTION_LIMIT.min(EMBED_TOTAL_LIMIT - used);
    let description = fit(message.text.trim_end(), room);
    let mut embed = json!({
        "title": title,
        "color": colour(message),
        "fields": fields,
        "footer": { "text": footer },
    });
    if !description.is_empty() {
        embed["description"] = json!(description);
    }
    if chrono::DateTime::parse_from_rfc3339(&message.at).is_ok() {
        embed["timestamp"] = json!(message.at);
    }
    let mut body = json!({
        "content": content,
        "embeds": [embed],
        "allowed_mentions": match ping {
            Some(role) => json!({ "parse": [], "roles": [role] }),
            None => json!({ "parse": [] }),
        },
    });
    if let Some(username) = username {
        body["username"] = json!(username);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Event;

    fn message(severity: Severity, phase: Phase) -> Message {
        Message {
            event: Event::RunStarted,
            severity,
            phase,
            title: "@everyone *bold* key locked".into(),
            text: "x".repeat(9000),
            fields: (0..30)
                .map(|i| (format!("f{i}"), "v".repeat(900)))
                .collect(),
            dedup_key: "run-1".into(),
            profile: None,
            at: "2026-12-05T17:00:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        }
    }

    #[test]
    fn a_webhook_token_refused_by_code_says_to_make_a_new_webhook() {
        let body = br#"{"message": "Invalid Webhook Token", "code": 50027}"#;
        for status in [400, 401] {
            let Err(SendError::Fatal { reason }) = judge(status, body, None, &[]) else {
                panic!("fatal");
            };
            assert!(reason.contains("code 50027"), "{reason}");
            assert!(reason.contains("make a new one"), "{reason}");
        }
    }

    #[test]
    fn keeps_every_limit_and_pings_nobody() {
        let body = payload(
            &message(Severity::Warning, Phase::Trigger),
            None,
            Some("42"),
        );
        assert_eq!(body["allowed_mentions"], json!({ "parse": [] }));
        let content = body["content"].as_str().unwrap();
        assert!(content.contains("@everyone \\*bold\\*"), "{content}");
        let embed = &body["embeds"][0];
        let total: usize = ["title", "description"]
            .iter()
            .map(|k| embed[*k].as_str().unwrap_or("").chars().count())
            .sum::<usize>()
            + embed["footer"]["text"].as_str().unwrap().chars().count()
            + embed["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    f["name"].as_str().unwrap().chars().count()
                        + f["value"].as_str().unwrap().chars().count()
                })
                .sum::<usize>();
        assert!(total <= EMBED_TOTAL_LIMIT, "{total}");
        assert!(embed["fields"].as_array().unwrap().len() <= FIELDS_LIMIT);
        assert!(embed["description"].as_str().unwrap().chars().count() <= DESCRIPTION_LIMIT);
    }

    #[test]
    fn a_critical_trigger_pings_the_role_only() {
        let body = payload(
            &message(Severity::Critical, Phase::Trigger),
            Some("lockdown"),
            Some("42"),
        );
        assert_eq!(
            body["allowed_mentions"],
            json!({ "parse": [], "roles": ["42"] })
        );
        assert!(
            body["content"]
                .as_str()
                .unwrap()
                .starts_with("<@&42> 🚨 **CRITICAL**")
        );
        let resolved = payload(
            &message(Severity::Critical, Phase::Resolve),
            None,
            Some("42"),
        );
        assert!(
            resolved["content"]
                .as_str()
                .unwrap()
                .starts_with("✅ **RESOLVED**")
        );
        assert_eq!(resolved["embeds"][0]["color"], json!(0x57F287));
    }

    #[test]
    fn markdown_is_escaped_where_it_means_something_and_links_stay() {
        for (label, text, escaped) in [
            (
                "link",
                "see https://x.example/a.b:8",
                "see https://x.example/a.b:8",
            ),
            (
                "emphasis",
                "*a* _b_ ~c~ `d` ||e||",
                "\\*a\\* \\_b\\_ \\~c\\~ \\`d\\` \\|\\|e\\|\\|",
            ),
            (
                "line starts",
                "> q\n# h\n - l\na-b > c",
                "\\> q\n\\# h\n \\- l\na-b > c",
            ),
            ("mention", "<@123> [x](y)", "\\<@123> \\[x](y)"),
        ] {
            assert_eq!(fit(text, 100), escaped, "{label}");
        }
    }
}
