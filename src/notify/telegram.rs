//! The `telegram` channel: a bot posts each message to a chat with the Bot API's `sendMessage`
//! (`POST {base_url}/bot<token>/sendMessage`, JSON), where traders already are.
//!
//! The text is escaped for the chosen `parse_mode` (HTML by default: three characters to escape,
//! `<`, `>` and `&`, where MarkdownV2 has eighteen and one missed makes Telegram refuse the whole
//! message), and cut to Telegram's 4096 characters before escaping, so a cut never splits an
//! escape sequence. The token is in the URL's path: the URL is never shown, in an error, a
//! reason or `Debug`. Answers: `ok: true`; 429 with `parameters.retry_after` (flood control) and
//! 5xx are worth a retry; 400/401/403/404 are not, and say what to fix.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;

use super::chat::{self, CUT_MARKER};
use super::{Channel, Message, SendError, Sending};
use crate::secret::SecretString;

/// Where the Bot API lives unless `base_url` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.telegram.org";

/// The longest message text, counted after entity parsing (what the reader sees).
pub const TEXT_LIMIT: usize = 4096;

/// The config entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    token: String,
    chat_id: serde_json::Value,
    #[serde(default)]
    message_thread_id: Option<i64>,
    #[serde(default)]
    parse_mode: Option<String>,
    #[serde(default)]
    base_url: Option<String>,
}

/// Where messages go: a numeric chat id or a public channel's `@username`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ChatId {
    Number(i64),
    Username(String),
}

/// How the text is marked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    /// `HTML`: `<b>`, `<i>`; `<`, `>`, `&` escaped as entities.
    Html,
    /// `MarkdownV2`: `*bold*`, `_italic_`; eighteen characters and `\` escaped with `\`.
    MarkdownV2,
}

impl ParseMode {
    fn as_str(self) -> &'static str {
        match self {
            ParseMode::Html => "HTML",
            ParseMode::MarkdownV2 => "MarkdownV2",
        }
    }
}

/// A Telegram bot posting to one chat.
pub struct Telegram {
    name: String,
    token: SecretString,
    chat_id: ChatId,
    message_thread_id: Option<i64>,
    parse_mode: ParseMode,
    base_url: String,
}

impl fmt::Debug for Telegram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telegram")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("chat_id", &self.chat_id)
            .field("message_thread_id", &self.message_thread_id)
            .field("parse_mode", &self.parse_mode)
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Builds the channel from its config entry: `token` (a secret reference), `chat_id`, and
/// optional `message_thread_id`, `parse_mode` (`HTML` or `MarkdownV2`) and `base_url`.
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let raw: Raw = serde_json::from_value(fields.clone())
        .map_err(|err| format!("telegram channel `{name}`: {err}"))?;
    let token = super::secret("`token`", &raw.token, dir)?;
    let chat_id = chat_id(&raw.chat_id).ok_or_else(|| {
        "`chat_id` must be a chat's number (`-1001234567890`) or a public channel's `@username`"
            .to_owned()
    })?;
    let parse_mode = match raw.parse_mode.as_deref().map(str::trim) {
        None => ParseMode::Html,
        Some(mode) if mode.eq_ignore_ascii_case("html") => ParseMode::Html,
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") => ParseMode::MarkdownV2,
        Some(other) => {
            return Err(format!(
                "`parse_mode` `{other}` is not supported; use `HTML` or `MarkdownV2`"
            ));
        }
    };
    let base_url = raw
        .base_url
        .as_deref()
        .unwrap_or(DEFAULT_BASE_URL)
        .trim()
        .trim_end_matches('/')
        .to_owned();
    super::check_url(&base_url).map_err(|err| format!("`base_url`: {err}"))?;
    Ok(Box::new(Telegram {
        name: name.to_owned(),
        token,
        chat_id,
        message_thread_id: raw.message_thread_id,
        parse_mode,
        base_url,
    }))
}

/// Reads `chat_id`: a number (also written as a string), or `@username`.
fn chat_id(value: &serde_json::Value) -> Option<ChatId> {
    if let Some(id) = value.as_i64() {
        return Some(ChatId::Number(id));
    }
    let text = value.as_str()?.trim();
    if let Ok(id) = text.parse::<i64>() {
        return Some(ChatId::Number(id));
    }
    let name = text.strip_prefix('@')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| ChatId::Username(text.to_owned()))
}

impl Channel for Telegram {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "telegram"
    }

    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let body = self.payload(message);
            // The one place the token is read: it is part of the Bot API's URL.
            #[allow(clippy::disallowed_methods)]
            let token = secrecy::ExposeSecret::expose_secret(&self.token);
            let url = format!("{}/bot{token}/sendMessage", self.base_url);
            let answered = chat::post_json("telegram", http, &url, &body).await?;
            judge(answered.status, &answered.body, answered.retry_after, token)
        })
    }
}

impl Telegram {
    /// The `sendMessage` body for `message`.
    fn payload(&self, message: &Message) -> serde_json::Value {
        let mut body = json!({
            "chat_id": match &self.chat_id {
                ChatId::Number(id) => json!(id),
                ChatId::Username(name) => json!(name),
            },
            "text": render(message, self.parse_mode),
            "parse_mode": self.parse_mode.as_str(),
            "link_preview_options": { "is_disabled": true },
            // Information only: delivered without a sound.
            "disable_notification": message.severity == super::Severity::Info,
        });
        if let Some(thread) = self.message_thread_id {
            body["message_thread_id"] = json!(thread);
        }
        body
    }
}

/// The Bot API's answer (every method answers this shape).
#[derive(Debug, Deserialize)]
struct Answer {
    ok: bool,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Debug, Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<f64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

/// Maps an answer to Ok, Retry or Fatal.
fn judge(
    status: u16,
    body: &[u8],
    header_wait: Option<std::time::Duration>,
    token: &str,
) -> Result<(), SendError> {
    let answer: Option<Answer> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) && answer.as_ref().is_some_and(|a| a.ok) {
        return Ok(());
    }
    let code = answer.as_ref().and_then(|a| a.error_code).unwrap_or(status);
    let description = answer
        .as_ref()
        .and_then(|a| a.description.as_deref())
        .map(|text| chat::shown(text, &[token]))
        .unwrap_or_else(|| format!("HTTP {status}"));
    let parameters = answer.as_ref().and_then(|a| a.parameters.as_ref());
    if status == 429 || code == 429 {
        let after = parameters
            .and_then(|p| p.retry_after)
            .and_then(chat::seconds)
            .or(header_wait);
        return Err(SendError::Retry {
            reason: format!("telegram: flood control ({description})"),
            after,
        });
    }
    if status >= 500 || answer.is_none() && (200..300).contains(&status) {
        return Err(SendError::Retry {
            reason: format!("telegram: server error ({description})"),
            after: header_wait,
        });
    }
    let hint = if let Some(id) = parameters.and_then(|p| p.migrate_to_chat_id) {
        format!("the group became a supergroup: set `chat_id` to {id}")
    } else {
        match code {
            401 => "check `token` (the bot's token from @BotFather)".to_owned(),
            403 => "add the bot to the chat (or unblock it) and let it post".to_owned(),
            404 => "check `token` and `base_url`".to_owned(),
            _ if description.contains("chat not found") => {
                "check `chat_id`, and that the bot is a member of the chat".to_owned()
            }
            _ if description.contains("parse entities") => {
                "lockdown escaped the text wrongly; try `parse_mode: HTML` and report it".to_owned()
            }
            _ => "check the channel's settings".to_owned(),
        }
    };
    Err(SendError::Fatal {
        reason: format!("telegram refused the message ({code}: {description}); {hint}"),
    })
}

/// How a piece of the message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    Italic,
}

/// The message as the reader sees it, in styled pieces, before any escaping.
fn pieces(message: &Message) -> Vec<(Style, String)> {
    let (emoji, label) = chat::badge(message.severity, message.phase);
    let mut out = vec![(Style::Bold, format!("{emoji} {label}: {}", message.title))];
    if !message.text.trim().is_empty() {
        out.push((Style::Plain, format!("\n{}", message.text.trim_end())));
    }
    if !message.fields.is_empty() {
        out.push((Style::Plain, "\n".to_owned()));
    }
    for (name, value) in &message.fields {
        out.push((Style::Plain, "\n".to_owned()));
        out.push((Style::Bold, format!("{name}:")));
        out.push((Style::Plain, format!(" {value}")));
    }
    let mut footer = format!("{} · {}", message.event.as_str(), message.at);
    if let Some(profile) = &message.profile {
        footer = format!("{profile} · {footer}");
    }
    out.push((Style::Plain, "\n".to_owned()));
    out.push((Style::Italic, footer));
    out
}

/// Length as Telegram counts it (UTF-16 code units, the unit of its entity offsets; never
/// fewer than characters, so a text within it is within 4096 characters too).
fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Cuts the pieces so what the reader sees fits [`TEXT_LIMIT`], the marker included: the body
/// text (the longest piece) gives way first, so the badge, fields and footer stay; when they
/// alone are too long, everything past the limit goes.
fn cut(mut pieces: Vec<(Style, String)>) -> Vec<(Style, String)> {
    let total: usize = pieces.iter().map(|(_, text)| units(text)).sum();
    if total <= TEXT_LIMIT {
        return pieces;
    }
    let marker = format!(" {CUT_MARKER}");
    let longest = (0..pieces.len())
        .max_by_key(|&i| units(&pieces[i].1))
        .unwrap_or(0);
    let others = total - units(&pieces[longest].1);
    if others + units(&marker) < TEXT_LIMIT {
        let mut text = take_units(&pieces[longest].1, TEXT_LIMIT - others - units(&marker));
        text.push_str(&marker);
        pieces[longest].1 = text;
        return pieces;
    }
    let mut budget = TEXT_LIMIT - units(&marker);
    let mut out = Vec::new();
    for (style, text) in pieces {
        let len = units(&text);
        if len <= budget {
            budget -= len;
            out.push((style, text));
            continue;
        }
        let kept = take_units(&text, budget);
        if !kept.trim().is_empty() {
            out.push((style, kept));
        }
        break;
    }
    out.push((Style::Plain, marker));
    out
}

/// The longest prefix of `text` within `budget` UTF-16 units.
fn take_units(text: &str, mut budget: usize) -> String {
    let mut kept = String::new();
    for c in text.chars() {
        if c.len_utf16() > budget {
            break;
        }
        budget -= c.len_utf16();
        kept.push(c);
    }
    kept
}

/// The message's text, marked up and escaped for `mode`, within Telegram's limit.
pub fn render(message: &Message, mode: ParseMode) -> String {
    let mut out = String::new();
    for (style, text) in cut(pieces(message)) {
        // An entity must hold something: a piece of white space only is shown plain.
        let style = if text.trim().is_empty() {
            Style::Plain
        } else {
            style
        };
        let (open, close) = match (mode, style) {
            (_, Style::Plain) => ("", ""),
            (ParseMode::Html, Style::Bold) => ("<b>", "</b>"),
            (ParseMode::Html, Style::Italic) => ("<i>", "</i>"),
            (ParseMode::MarkdownV2, Style::Bold) => ("*", "*"),
            (ParseMode::MarkdownV2, Style::Italic) => ("_", "_"),
        };
        out.push_str(open);
        match mode {
            ParseMode::Html => escape_html(&text, &mut out),
            ParseMode::MarkdownV2 => escape_markdown_v2(&text, &mut out),
        }
        out.push_str(close);
    }
    out
}

/// The characters MarkdownV2 reserves outside entities (each needs a `\`), and `\` itself.
pub const MARKDOWN_V2_RESERVED: &str = "_*[]()~`>#+-=|{}.!\\";

/// Escapes `text` for MarkdownV2 (every reserved character gets a `\`).
pub fn escape_markdown_v2(text: &str, out: &mut String) {
    for c in text.chars() {
        if MARKDOWN_V2_RESERVED.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Escapes `text` for Telegram's HTML (`<`, `>`, `&` as entities).
pub fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::{Event, Phase, Severity};

    fn message(title: &str, text: &str) -> Message {
        Message {
            event: Event::KeyLocked,
            severity: Severity::Critical,
            phase: Phase::Acknowledge,
            title: title.to_owned(),
            text: text.to_owned(),
            fields: vec![("venue".into(), "bybit".into())],
            dedup_key: "run-1".into(),
            profile: Some("bybit-main".into()),
            at: "2026-12-05T17:00:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        }
    }

    #[test]
    fn escapes_every_reserved_character() {
        let mut out = String::new();
        escape_markdown_v2("a_b*c[d]e(f)g~h`i>j#k+l-m=n|o{p}q.r!s\\t", &mut out);
        assert_eq!(
            out,
            "a\\_b\\*c\\[d\\]e\\(f\\)g\\~h\\`i\\>j\\#k\\+l\\-m\\=n\\|o\\{p\\}q\\.r\\!s\\\\t"
        );
        let mut out = String::new();
        escape_html("<script>&amp;</script>", &mut out);
        assert_eq!(out, "&lt;script&gt;&amp;amp;&lt;/script&gt;");
    }

    #[test]
    fn renders_both_modes() {
        let m = message("bybit-main: key AbCd…wxyz locked in 212 ms", "cancel next.");
        let html = render(&m, ParseMode::Html);
        assert!(html.starts_with("<b>🚨 CRITICAL: bybit-main"), "{html}");
        assert!(html.contains("<b>venue:</b> bybit"), "{html}");
        let md = render(&m, ParseMode::MarkdownV2);
        assert!(md.starts_with("*🚨 CRITICAL: bybit\\-main"), "{md}");
        assert!(md.contains("cancel next\\."), "{md}");
        assert!(
            md.ends_with("_bybit\\-main · key\\_locked · 2026\\-12\\-05T17:00:00Z_"),
            "{md}"
        );
    }

    #[test]
    fn long_text_is_cut_to_the_limit_without_splitting_an_escape() {
        let m = message("t", &".".repeat(10_000));
        let md = render(&m, ParseMode::MarkdownV2);
        assert!(
            md.contains("\\. … \\(cut\\)\n"),
            "{}",
            &md[md.len() - 120..]
        );
        assert!(md.ends_with("T17:00:00Z_"), "the footer stays");
        // What the reader sees: the text without the escapes and the entity marks.
        let seen = md.replace('\\', "").replace(['*', '_'], "");
        assert_eq!(
            units(&seen),
            TEXT_LIMIT - 1,
            "the footer's `key_locked` lost its `_`"
        );
        let html = render(&m, ParseMode::Html);
        let seen = html
            .replace("<b>", "")
            .replace("</b>", "")
            .replace("<i>", "")
            .replace("</i>", "");
        assert_eq!(units(&seen), TEXT_LIMIT);
    }

    #[test]
    fn answers_map_to_retry_or_fatal_with_the_fix() {
        let token = "1:SECRET";
        let fatal = |status, body: serde_json::Value| match judge(
            status,
            body.to_string().as_bytes(),
            None,
            token,
        ) {
            Err(SendError::Fatal { reason }) => reason,
            other => panic!("{other:?}"),
        };
        let migrated = json!({ "ok": false, "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": { "migrate_to_chat_id": -1009876543210i64 } });
        assert!(fatal(400, migrated).contains("set `chat_id` to -1009876543210"));
        let echoed =
            json!({ "ok": false, "error_code": 401, "description": "Unauthorized 1:SECRET" });
        let reason = fatal(401, echoed);
        assert!(
            !reason.contains("SECRET") && reason.contains("`token`"),
            "{reason}"
        );
        // A proxy's page instead of the Bot API's JSON: worth another try.
        assert!(matches!(
            judge(200, b"<html>", None, token),
            Err(SendError::Retry { .. })
        ));
        assert_eq!(
            judge(200, br#"{"ok":true,"result":{}}"#, None, token),
            Ok(())
        );
    }
}
