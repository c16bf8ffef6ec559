//! The chat channels against receivers on 127.0.0.1 that answer as Telegram, Discord and Slack
//! do: each receiver checks the request the way its service does (path, method, content type,
//! the JSON fields and their limits; Telegram parses MarkdownV2 and HTML as its Bot API does and
//! refuses a reserved character left unescaped) and answers, in turn, as the service documents:
//! success, its rate-limit answer, then its refusals. `send` must map each to Ok, Retry (with
//! the service's wait) or Fatal, and no secret may show in an error, a reason or `Debug`.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use lockdown::notify::{Channel, Event, Message, Phase, SendError, Severity, build_channel};
use serde_json::{Value, json};

const TELEGRAM_TOKEN: &str = "7000000001:CANARYtelegramTOKENxyz";
const DISCORD_PATH: &str = "/api/webhooks/112233445566778899/CANARYdiscordTOKENabcdef";
const SLACK_PATH: &str = "/services/T0CANARY1/B0CANARY2/CANARYslackTOKENxyz";
const SECRETS: &[&str] = &[
    "CANARYtelegramTOKEN",
    "CANARYdiscordTOKEN",
    "CANARYslackTOKEN",
    "112233445566778899",
];

/// Every character Telegram's MarkdownV2 reserves, a backslash, an HTML tag, entities and a
/// mention: all must arrive as the very text written.
const NASTY: &str =
    "_*[]()~`>#+-=|{}.!\\ <script>alert(1)</script> &amp; & <!channel> @everyone *no* _bold_";

/// One request as the receiver got it, and what it made of it.
#[derive(Debug, Clone)]
struct Seen {
    body: Value,
    /// What a reader sees (the text parsed as the service parses it), when it parsed.
    visible: String,
    /// Why the service refused the request as malformed, if it did.
    refused: Option<String>,
}

/// An answer a receiver gives.
#[derive(Debug, Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    fn new(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn into_response(self, content_type: &str) -> Response {
        let mut response = (
            StatusCode::from_u16(self.status).unwrap(),
            [("content-type", content_type.to_owned())],
            self.body,
        )
            .into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value.parse().unwrap());
        }
        response
    }
}

/// How a service judges a request: `Ok(visible text)` or `Err(its refusal)`.
type Check = fn(&Method, &Uri, &HeaderMap, &[u8]) -> Result<(Value, String), (Value, Reply)>;

#[derive(Clone)]
struct Receiver {
    check: Check,
    content_type: &'static str,
    script: Arc<Mutex<VecDeque<Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Receiver {
    /// Serves on 127.0.0.1, port 0, answering with `script` in turn; the base URL.
    async fn start(
        check: Check,
        content_type: &'static str,
        script: Vec<Reply>,
    ) -> (Receiver, String) {
        let receiver = Receiver {
            check,
            content_type,
            script: Arc::new(Mutex::new(script.into())),
            seen: Arc::default(),
        };
        let app = Router::new().fallback(answer).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, format!("http://{addr}"))
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn answer(
    State(receiver): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (seen, reply) = match (receiver.check)(&method, &uri, &headers, &body) {
        Ok((body, visible)) => {
            let reply = receiver.script.lock().unwrap().pop_front();
            let reply = reply.unwrap_or_else(|| Reply::new(500, "the test ran out of answers"));
            (
                Seen {
                    body,
                    visible,
                    refused: None,
                },
                reply,
            )
        }
        Err((body, reply)) => (
            Seen {
                body,
                visible: String::new(),
                refused: Some(reply.body.clone()),
            },
            reply,
        ),
    };
    receiver.seen.lock().unwrap().push(seen);
    reply.into_response(receiver.content_type)
}

/// A client as the notification queue builds one: rustls, bounded, no redirects.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Writes a secret file the owner alone may read; its reference.
fn secret_file(dir: &Path, name: &str, value: &str) -> String {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&path)
        .unwrap();
    file.write_all(value.as_bytes()).unwrap();
    format!("file:{name}")
}

fn message(title: &str, text: &str) -> Message {
    Message {
        event: Event::KeyLocked,
        severity: Severity::Critical,
        phase: Phase::Trigger,
        title: title.to_owned(),
        text: text.to_owned(),
        fields: vec![
            ("venue".to_owned(), "bybit".to_owned()),
            ("time to contain".to_owned(), "212 ms".to_owned()),
            ("odd".to_owned(), NASTY.to_owned()),
        ],
        dedup_key: "run-20261205-170000".to_owned(),
        profile: Some("bybit-main".to_owned()),
        at: "2026-12-05T17:00:00Z".to_owned(),
        id: "run-1/test".into(),
        drill: false,
    }
}

/// Asserts no secret shows in `text`.
fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

/// Sends `message` once per scripted answer and returns the outcomes.
async fn send_all(
    channel: &dyn Channel,
    message: &Message,
    times: usize,
) -> Vec<Result<(), SendError>> {
    let http = client();
    let mut out = Vec::new();
    for _ in 0..times {
        let outcome = channel.send(message, &http).await;
        if let Err(err) = &outcome {
            assert_no_secret("a send error", &format!("{err} {err:?}"));
        }
        out.push(outcome);
    }
    out
}

fn json_body(headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/json") {
        return Err(format!(
            "content-type `{content_type}` is not application/json"
        ));
    }
    serde_json::from_slice(body).map_err(|err| format!("not JSON: {err}"))
}

// --- Telegram -----------------------------------------------------------------------------

/// Telegram's refusal, shaped as the Bot API shapes every answer.
fn telegram_error(code: u16, description: &str) -> Reply {
    Reply::new(
        code,
        json!({ "ok": false, "error_code": code, "description": description }).to_string(),
    )
}

fn telegram_check(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, String), (Value, Reply)> {
    if uri.path() != format!("/bot{TELEGRAM_TOKEN}/sendMessage") {
        return Err((Value::Null, telegram_error(404, "Not Found")));
    }
    if method != Method::POST {
        return Err((
            Value::Null,
            telegram_error(400, "Bad Request: POST expected"),
        ));
    }
    let body = json_body(headers, body).map_err(|err| {
        (
            Value::Null,
            telegram_error(400, &format!("Bad Request: {err}")),
        )
    })?;
    let refuse = |why: String| {
        (
            body.clone(),
            telegram_error(400, &format!("Bad Request: {why}")),
        )
    };
    if body["chat_id"] != json!(-1001234567890i64) {
        return Err(refuse("chat not found".into()));
    }
    if body["link_preview_options"]["is_disabled"] != json!(true) {
        return Err(refuse("link previews were not disabled".into()));
    }
    if body["message_thread_id"] != json!(42) {
        return Err(refuse("message thread not found".into()));
    }
    let text = body["text"]
        .as_str()
        .ok_or_else(|| refuse("message text is empty".into()))?;
    let visible = match body["parse_mode"].as_str() {
        Some("MarkdownV2") => parse_markdown_v2(text),
        Some("HTML") => parse_html(text),
        other => Err(format!("unsupported parse_mode {other:?}")),
    }
    .map_err(|why| refuse(format!("can't parse entities: {why}")))?;
    if visible.encode_utf16().count() > 4096 {
        return Err(refuse("message is too long".into()));
    }
    if visible.trim().is_empty() {
        return Err(refuse("message text is empty".into()));
    }
    Ok((body, visible))
}

/// Parses MarkdownV2 as the Bot API documents it: `\` escapes any character of code 1 to 126;
/// `*`, `_`, `__`, `~`, `||` open and close entities (properly nested), `` ` `` code; every
/// other reserved character outside an entity mark must be escaped. The text a reader sees.
fn parse_markdown_v2(text: &str) -> Result<String, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mark = match c {
            '\\' => {
                let next = chars.get(i + 1).copied();
                match next {
                    Some(n) if (1..=126).contains(&(n as u32)) => {
                        out.push(n);
                        i += 2;
                        continue;
                    }
                    _ => return Err("character '\\' is reserved and must be escaped".into()),
                }
            }
            '*' => "*",
            '_' if chars.get(i + 1) == Some(&'_') => "__",
            '_' => "_",
            '~' => "~",
            '|' if chars.get(i + 1) == Some(&'|') => "||",
            '`' => {
                // Inline code: up to the next unescaped backquote; only ` and \ are escaped.
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err("can't find end of code entity".into()),
                        Some('`') => break,
                        Some('\\') => {
                            out.push(*chars.get(j + 1).ok_or("bad escape in code")?);
                            j += 2;
                        }
                        Some(other) => {
                            out.push(*other);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
                continue;
            }
            c if "[]()>#+-=|{}.!".contains(c) => {
                return Err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                ));
            }
            c => {
                out.push(c);
                i += 1;
                continue;
            }
        };
        match open.iter().rposition(|m| *m == mark) {
            Some(at) if at == open.len() - 1 => {
                open.pop();
            }
            Some(_) => return Err(format!("entity {mark} is not properly nested")),
            None => open.push(mark),
        }
        i += mark.len();
    }
    if let Some(mark) = open.last() {
        return Err(format!("can't find end of the entity starting with {mark}"));
    }
    Ok(out)
}

/// Parses Telegram's HTML: the documented tags only, `&lt;`, `&gt;`, `&amp;`, `&quot;` and
/// numeric entities; a bare `<`, `>` or `&` is refused. The text a reader sees.
fn parse_html(text: &str) -> Result<String, String> {
    const TAGS: &[&str] = &[
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "tg-spoiler",
        "blockquote",
    ];
    let mut out = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => {
                let end = rest.find('>').ok_or("unclosed start tag")?;
                let tag = &rest[1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    if open.pop().as_deref() != Some(name) {
                        return Err(format!("unmatched end tag \"{name}\""));
                    }
                } else if TAGS.contains(&tag) {
                    open.push(tag.to_owned());
                } else {
                    return Err(format!("Unsupported start tag \"{tag}\""));
                }
                rest = &rest[end + 1..];
            }
            '>' => return Err("a bare '>' must be written &gt;".into()),
            '&' => {
                let end = rest.find(';').ok_or("unterminated entity")?;
                let entity = &rest[1..end];
                let decoded = match entity {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    _ => entity
                        .strip_prefix('#')
                        .and_then(|n| n.parse::<u32>().ok())
                        .and_then(char::from_u32)
                        .ok_or(format!("unknown entity &{entity};"))?,
                };
                out.push(decoded);
                rest = &rest[end + 1..];
            }
            c => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(format!(
            "can't find end tag corresponding to start tag \"{tag}\""
        ));
    }
    Ok(out)
}

#[test]
fn the_markdown_v2_parser_refuses_what_telegram_refuses() {
    assert_eq!(parse_markdown_v2("*a\\.b* c").unwrap(), "a.b c");
    assert!(parse_markdown_v2("a.b").is_err());
    assert!(parse_markdown_v2("*a").is_err());
    assert!(parse_markdown_v2("a\\").is_err());
    assert_eq!(parse_html("<b>&lt;x&gt;</b> &amp;").unwrap(), "<x> &");
    assert!(parse_html("<script>").is_err());
    assert!(parse_html("a & b").is_err());
}

fn telegram_channel(dir: &Path, base_url: &str, parse_mode: &str) -> Box<dyn Channel> {
    let token = secret_file(dir, "telegram.token", TELEGRAM_TOKEN);
    build_channel(
        "telegram",
        "traders",
        &json!({
            "token": token,
            "chat_id": "-1001234567890",
            "message_thread_id": 42,
            "parse_mode": parse_mode,
            "base_url": base_url,
        }),
        dir,
    )
    .unwrap()
}

#[tokio::test]
async fn telegram_gets_every_character_intact_and_its_answers_are_mapped() {
    for mode in ["HTML", "MarkdownV2"] {
        let dir = tempfile::tempdir().unwrap();
        let script = vec![
            Reply::new(
                200,
                json!({ "ok": true, "result": { "message_id": 7 } }).to_string(),
            ),
            Reply::new(
                429,
                json!({
                    "ok": false,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": { "retry_after": 7 },
                })
                .to_string(),
            ),
            telegram_error(400, "Bad Request: chat not found"),
            telegram_error(401, "Unauthorized"),
            telegram_error(403, "Forbidden: bot was kicked from the supergroup chat"),
            telegram_error(502, "Bad Gateway"),
        ];
        let (receiver, url) = Receiver::start(telegram_check, "application/json", script).await;
        let channel = telegram_channel(dir.path(), &url, mode);
        assert_no_secret("Debug", &format!("{channel:?}"));
        let title = format!("bybit-main: key AbCd…wxyz locked {NASTY}");
        let text = format!("line one\n{NASTY}\nline three.");
        let outcomes = send_all(channel.as_ref(), &message(&title, &text), 6).await;

        let seen = receiver.seen();
        for request in &seen {
            assert_eq!(request.refused, None, "{mode}: {:?}", request.body);
        }
        let visible = &seen[0].visible;
        assert!(visible.starts_with("🚨 CRITICAL: "), "{mode}: {visible}");
        assert!(visible.contains(&title), "{mode}: {visible}");
        assert!(visible.contains(&text), "{mode}: {visible}");
        assert!(
            visible.contains(&format!("odd: {NASTY}")),
            "{mode}: {visible}"
        );
        assert!(
            visible.ends_with("bybit-main · key_locked · 2026-12-05T17:00:00Z"),
            "{visible}"
        );
        assert_eq!(seen[0].body["parse_mode"], mode);
        assert_eq!(seen[0].body["disable_notification"], false);

        assert_eq!(outcomes[0], Ok(()), "{mode}");
        match &outcomes[1] {
            Err(SendError::Retry { after, .. }) => {
                assert_eq!(*after, Some(Duration::from_secs(7)), "{mode}")
            }
            other => panic!("{mode}: a 429 must be retried: {other:?}"),
        }
        let fatal = |i: usize| match &outcomes[i] {
            Err(SendError::Fatal { reason }) => reason.clone(),
            other => panic!("{mode}: answer {i} must be fatal: {other:?}"),
        };
        assert!(
            fatal(2).contains("chat not found") && fatal(2).contains("`chat_id`"),
            "{}",
            fatal(2)
        );
        assert!(
            fatal(3).contains("Unauthorized") && fatal(3).contains("`token`"),
            "{}",
            fatal(3)
        );
        assert!(fatal(4).contains("add the bot"), "{}", fatal(4));
        assert!(
            matches!(outcomes[5], Err(SendError::Retry { .. })),
            "{mode}: a 5xx is worth a retry: {:?}",
            outcomes[5]
        );
    }
}

#[tokio::test]
async fn telegram_cuts_a_long_message_to_what_it_accepts() {
    for mode in ["HTML", "MarkdownV2"] {
        let dir = tempfile::tempdir().unwrap();
        let ok = Reply::new(200, json!({ "ok": true, "result": {} }).to_string());
        let (receiver, url) = Receiver::start(telegram_check, "application/json", vec![ok]).await;
        let channel = telegram_channel(dir.path(), &url, mode);
        // Every character needs an escape in MarkdownV2; an emoji is two UTF-16 units.
        let text = ".🚀<&".repeat(3000);
        let outcomes = send_all(channel.as_ref(), &message("long", &text), 1).await;
        let seen = receiver.seen();
        assert_eq!(seen[0].refused, None, "{mode}");
        assert_eq!(outcomes[0], Ok(()), "{mode}");
        let visible = &seen[0].visible;
        assert!(visible.contains("… (cut)"), "{mode}");
        assert!(
            visible.ends_with("2026-12-05T17:00:00Z"),
            "{mode}: the footer stays"
        );
        assert!(visible.encode_utf16().count() <= 4096, "{mode}");
    }
}

// --- Discord ------------------------------------------------------------------------------

fn discord_error(status: u16, code: u64, message: &str) -> Reply {
    Reply::new(
        status,
        json!({ "code": code, "message": message }).to_string(),
    )
}

/// Discord's limits (characters), as its message resource documents them.
fn discord_check(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, String), (Value, Reply)> {
    if method != Method::POST || uri.path() != DISCORD_PATH {
        return Err((Value::Null, discord_error(404, 10015, "Unknown Webhook")));
    }
    if uri.query() != Some("wait=true") {
        return Err((
            Value::Null,
            discord_error(400, 50035, "Invalid Form Body: wait=true expected"),
        ));
    }
    let body = json_body(headers, body).map_err(|err| {
        (
            Value::Null,
            discord_error(
                400,
                50109,
                &format!("The request body contains invalid JSON: {err}"),
            ),
        )
    })?;
    let refuse = |why: String| {
        (
            body.clone(),
            discord_error(400, 50035, &format!("Invalid Form Body: {why}")),
        )
    };
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    for key in body.as_object().unwrap().keys() {
        if !["content", "embeds", "allowed_mentions", "username"].contains(&key.as_str()) {
            return Err(refuse(format!("unexpected field {key}")));
        }
    }
    if len(&body["content"]) > 2000 {
        return Err(refuse("content: Must be 2000 or fewer in length.".into()));
    }
    if body["allowed_mentions"]["parse"] != json!([]) {
        return Err(refuse(
            "allowed_mentions.parse must be empty: nobody is pinged".into(),
        ));
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.is_empty() && len(&body["content"]) == 0 {
        return Err((
            body.clone(),
            discord_error(400, 50006, "Cannot send an empty message"),
        ));
    }
    if embeds.len() > 10 {
        return Err(refuse("embeds: Must be 10 or fewer in length.".into()));
    }
    let mut total = 0;
    for embed in &embeds {
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        if len(&embed["title"]) > 256
            || len(&embed["description"]) > 4096
            || len(&embed["footer"]["text"]) > 2048
            || fields.len() > 25
        {
            return Err(refuse("embeds.0: a limit is exceeded".into()));
        }
        total += len(&embed["title"]) + len(&embed["description"]) + len(&embed["footer"]["text"]);
        for field in &fields {
            if len(&field["name"]) == 0
                || len(&field["name"]) > 256
                || len(&field["value"]) == 0
                || len(&field["value"]) > 1024
            {
                return Err(refuse("embeds.0.fields: a limit is exceeded".into()));
            }
            total += len(&field["name"]) + len(&field["value"]);
        }
        if embed["color"].as_u64().is_none_or(|c| c > 0xFFFFFF) {
            return Err(refuse("embeds.0.color: not a colour".into()));
        }
    }
    if total > 6000 {
        return Err(refuse(
            "embeds: Embed size exceeds maximum size of 6000".into(),
        ));
    }
    // What a reader sees: Discord drops the `\` before a markdown character.
    let mut visible = String::new();
    let mut chars = body["content"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(n)) if n.is_ascii_punctuation() => visible.push(chars.next().unwrap()),
            _ => visible.push(c),
        }
    }
    Ok((body, visible))
}

#[tokio::test]
async fn discord_keeps_its_limits_pings_nobody_and_its_answers_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let script = vec![
        Reply::new(200, json!({ "id": "1", "content": "…" }).to_string()),
        Reply::new(
            429,
            json!({ "message": "You are being rate limited.", "retry_after": 1.5, "global": false })
                .to_string(),
        )
        .with_header("retry-after", "2"),
        discord_error(404, 10015, "Unknown Webhook"),
        discord_error(401, 50027, "Invalid Webhook Token"),
        Reply::new(503, "upstream connect error"),
    ];
    let (receiver, url) = Receiver::start(discord_check, "application/json", script).await;
    let hook = secret_file(dir.path(), "discord.url", &format!("{url}{DISCORD_PATH}"));
    let channel = build_channel(
        "discord",
        "community",
        &json!({ "url": hook, "username": "lockdown", "mention_role": "123456789012345678" }),
        dir.path(),
    )
    .unwrap();
    assert_no_secret("Debug", &format!("{channel:?}"));
    let mut long = message(&format!("{NASTY} {}", "t".repeat(3000)), &"x".repeat(9000));
    long.fields = (0..40)
        .map(|i| (format!("f{i}"), "v".repeat(2000)))
        .collect();
    let outcomes = send_all(channel.as_ref(), &long, 5).await;

    let seen = receiver.seen();
    for request in &seen {
        assert_eq!(
            request.refused, None,
            "{:?}",
            request.body["embeds"][0]["fields"]
        );
    }
    let body = &seen[0].body;
    // A critical trigger pings the configured role, and only it.
    assert_eq!(
        body["allowed_mentions"],
        json!({ "parse": [], "roles": ["123456789012345678"] })
    );
    assert!(
        seen[0]
            .visible
            .starts_with("<@&123456789012345678> 🚨 **CRITICAL** ")
    );
    assert!(seen[0].visible.contains(NASTY), "{}", seen[0].visible);
    assert_eq!(body["username"], "lockdown");
    assert_eq!(body["embeds"][0]["color"], json!(0xED4245));
    assert_eq!(body["embeds"][0]["timestamp"], "2026-12-05T17:00:00Z");

    assert_eq!(outcomes[0], Ok(()));
    match &outcomes[1] {
        Err(SendError::Retry { after, .. }) => {
            assert_eq!(
                *after,
                Some(Duration::from_millis(1500)),
                "the body's float wins"
            )
        }
        other => panic!("a 429 must be retried: {other:?}"),
    }
    for i in [2, 3] {
        match &outcomes[i] {
            Err(SendError::Fatal { reason }) => {
                assert!(reason.contains("make a new one"), "{reason}")
            }
            other => panic!("answer {i} must be fatal: {other:?}"),
        }
    }
    assert!(
        matches!(outcomes[4], Err(SendError::Retry { .. })),
        "{:?}",
        outcomes[4]
    );
}

// --- Slack --------------------------------------------------------------------------------

/// Slack's Block Kit limits, and its plain-text refusals.
fn slack_check(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, String), (Value, Reply)> {
    if method != Method::POST {
        return Err((Value::Null, Reply::new(405, "invalid_method")));
    }
    if uri.path() != SLACK_PATH {
        return Err((Value::Null, Reply::new(403, "invalid_token")));
    }
    let body =
        json_body(headers, body).map_err(|_| (Value::Null, Reply::new(400, "invalid_payload")))?;
    let refuse = |word: &str| (body.clone(), Reply::new(400, word));
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let mrkdwn_ok = |v: &Value| {
        let text = v.as_str().unwrap_or_default();
        !text.contains('<')
            && !text.contains('>')
            && text.split('&').skip(1).all(|part| {
                part.starts_with("amp;") || part.starts_with("lt;") || part.starts_with("gt;")
            })
    };
    if len(&body["text"]) == 0 {
        return Err(refuse("no_text"));
    }
    if !mrkdwn_ok(&body["text"]) {
        return Err(refuse("invalid_payload"));
    }
    let blocks = body["blocks"].as_array().cloned().unwrap_or_default();
    if blocks.is_empty() || blocks.len() > 50 {
        return Err(refuse("invalid_blocks"));
    }
    let mut visible = String::new();
    for block in &blocks {
        let ok = match block["type"].as_str() {
            Some("header") => {
                visible.push_str(block["text"]["text"].as_str().unwrap_or_default());
                block["text"]["type"] == "plain_text"
                    && (1..=150).contains(&len(&block["text"]["text"]))
            }
            Some("section") => {
                let fields = block["fields"].as_array().cloned().unwrap_or_default();
                let text_ok = block["text"].is_null()
                    || (block["text"]["type"] == "mrkdwn"
                        && (1..=3000).contains(&len(&block["text"]["text"]))
                        && mrkdwn_ok(&block["text"]["text"]));
                if !block["text"].is_null() {
                    visible.push('\n');
                    visible.push_str(block["text"]["text"].as_str().unwrap_or_default());
                }
                for field in &fields {
                    visible.push('\n');
                    visible.push_str(field["text"].as_str().unwrap_or_default());
                }
                text_ok
                    && (!block["text"].is_null() || !fields.is_empty())
                    && fields.len() <= 10
                    && fields.iter().all(|f| {
                        f["type"] == "mrkdwn"
                            && (1..=2000).contains(&len(&f["text"]))
                            && mrkdwn_ok(&f["text"])
                    })
            }
            Some("context") => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                (1..=10).contains(&elements.len())
                    && elements
                        .iter()
                        .all(|e| e["type"] == "mrkdwn" && mrkdwn_ok(&e["text"]))
            }
            _ => false,
        };
        if !ok {
            return Err(refuse("invalid_blocks"));
        }
    }
    let visible = visible
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    Ok((body, visible))
}

#[tokio::test]
async fn slack_gets_escaped_blocks_and_its_answers_are_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let script = vec![
        Reply::new(200, "ok"),
        Reply::new(429, "rate_limited").with_header("retry-after", "3"),
        Reply::new(404, "channel_not_found"),
        Reply::new(403, "invalid_token"),
        Reply::new(400, "invalid_payload"),
        Reply::new(500, "rollup_error"),
    ];
    let (receiver, url) = Receiver::start(slack_check, "text/html", script).await;
    let hook = secret_file(dir.path(), "slack.url", &format!("{url}{SLACK_PATH}"));
    let channel = build_channel("slack", "on-call", &json!({ "url": hook }), dir.path()).unwrap();
    assert_no_secret("Debug", &format!("{channel:?}"));
    let mut m = message(
        &format!("key locked {NASTY}"),
        &format!("{NASTY}\n{}", "y".repeat(5000)),
    );
    m.phase = Phase::Resolve;
    m.fields
        .extend((0..12).map(|i| (format!("f{i}"), format!("<v{i}>"))));
    let outcomes = send_all(channel.as_ref(), &m, 6).await;

    let seen = receiver.seen();
    for request in &seen {
        assert_eq!(request.refused, None, "{:?}", request.body);
    }
    let visible = &seen[0].visible;
    assert!(visible.starts_with("✅ RESOLVED: key locked "), "{visible}");
    assert!(visible.contains(NASTY), "{visible}");
    assert!(visible.contains("*odd*\n"), "{visible}");
    assert!(visible.contains("*f11*\n<v11>"), "{visible}");

    assert_eq!(outcomes[0], Ok(()));
    assert_eq!(
        outcomes[1],
        Err(SendError::Retry {
            reason: "slack: rate limited (rate_limited)".into(),
            after: Some(Duration::from_secs(3)),
        })
    );
    let fatal = |i: usize| match &outcomes[i] {
        Err(SendError::Fatal { reason }) => reason.clone(),
        other => panic!("answer {i} must be fatal: {other:?}"),
    };
    assert!(fatal(2).contains("channel_not_found") && fatal(2).contains("channel is gone"));
    assert!(fatal(3).contains("invalid_token") && fatal(3).contains("make a new one"));
    assert!(fatal(4).contains("invalid_payload"));
    assert!(
        matches!(outcomes[5], Err(SendError::Retry { .. })),
        "{:?}",
        outcomes[5]
    );
}

// --- Every channel --------------------------------------------------------------------------

#[tokio::test]
async fn a_dead_chat_service_is_a_retry_without_its_url() {
    let dir = tempfile::tempdir().unwrap();
    // Bound, then dropped: nothing listens there any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let hook = secret_file(dir.path(), "discord.url", &format!("{url}{DISCORD_PATH}"));
    let slack = secret_file(dir.path(), "slack.url", &format!("{url}{SLACK_PATH}"));
    let channels = [
        telegram_channel(dir.path(), &url, "HTML"),
        build_channel("discord", "d", &json!({ "url": hook }), dir.path()).unwrap(),
        build_channel("slack", "s", &json!({ "url": slack }), dir.path()).unwrap(),
    ];
    for channel in &channels {
        let outcome = send_all(channel.as_ref(), &message("t", "x"), 1).await;
        assert!(
            matches!(&outcome[0], Err(SendError::Retry { reason, after: None }) if reason.contains("could not connect")),
            "{}: {:?}",
            channel.kind(),
            outcome[0]
        );
    }
}

#[test]
fn chat_channels_refuse_bad_settings_without_showing_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let remote = secret_file(
        dir,
        "remote.url",
        "http://hooks.example.com/services/T/B/CANARYslackTOKENxyz",
    );
    let loose = dir.join("loose.token");
    std::fs::write(&loose, TELEGRAM_TOKEN).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let token = secret_file(dir, "tg.token", TELEGRAM_TOKEN);
    for (label, kind, fields, expected) in [
        (
            "literal token",
            "telegram",
            json!({ "token": TELEGRAM_TOKEN, "chat_id": 1 }),
            "`token`: a secret must be a reference",
        ),
        (
            "token file others can read",
            "telegram",
            json!({ "token": "file:loose.token", "chat_id": 1 }),
            "chmod 600",
        ),
        (
            "plain http base_url",
            "telegram",
            json!({ "token": token, "chat_id": 1, "base_url": "http://api.example.com" }),
            "`base_url`",
        ),
        (
            "bad chat id",
            "telegram",
            json!({ "token": token, "chat_id": "my chat" }),
            "`chat_id` must be",
        ),
        (
            "chat id of the wrong type",
            "telegram",
            json!({ "token": token, "chat_id": [1] }),
            "`chat_id` must be",
        ),
        (
            "bad parse mode",
            "telegram",
            json!({ "token": token, "chat_id": 1, "parse_mode": "Markdown" }),
            "`parse_mode`",
        ),
        (
            "literal webhook",
            "slack",
            json!({ "url": "https://hooks.slack.com/services/T/B/CANARYslackTOKENxyz" }),
            "`url`: a secret must be a reference",
        ),
        (
            "plain http webhook",
            "slack",
            json!({ "url": remote }),
            "plain http to a non-loopback host",
        ),
        (
            "plain http discord",
            "discord",
            json!({ "url": remote }),
            "http://hooks.example.com",
        ),
        (
            "unknown field",
            "discord",
            json!({ "url": remote, "webhook": "x" }),
            "unknown field `webhook`",
        ),
        (
            "bad role",
            "discord",
            json!({ "url": secret_file(dir, "ok.url", "https://discord.com/api/webhooks/1/CANARYdiscordTOKENabcdef"), "mention_role": "@admins" }),
            "`mention_role` must be",
        ),
    ] {
        let err = build_channel(kind, "c", &fields, dir).unwrap_err();
        assert!(err.contains(expected), "{label}: {err}");
        assert_no_secret(label, &err);
    }
}
