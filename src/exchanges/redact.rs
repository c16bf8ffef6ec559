//! Redaction of exchange answers before any excerpt of one is kept, printed or journaled.
//!
//! An error keeps the start of an answer it could not read (a gateway page, a body cut short),
//! and that answer may be the one that carries a new key's secret or a session token. Whatever
//! the text is, valid JSON or not, [`redact`] replaces the value after every secret-bearing name
//! (`"client_secret":"…"`, `secretKey=…`) with `<redacted>`: a quoted value up to its closing
//! quote, or to the end of the text when the quote is missing (a body cut inside the secret); an
//! unquoted one up to the next quote, comma, semicolon, brace, bracket, parenthesis, `&` or white
//! space. It never parses, so no shape of answer can make it fail, and it runs in one pass over
//! the text. Requests are shown through it too (`request.rs`).

/// The names whose values are secrets, compared without case, `_` or `-`: every field the
/// venues' create-key and login answers use for a secret (Bybit `secret`, OKX and Binance
/// `secretKey`, OKX `passphrase`, Deribit `client_secret`, `access_token`, `refresh_token`,
/// Kraken `token`), Binance's `listenKey`, the one-time code Deribit's requests carry (`authorization_data`) and the
/// usual other spellings.
pub const SECRET_NAMES: &[&str] = &[
    "secret",
    "api_secret",
    "apiSecret",
    "secretKey",
    "secret_key",
    "client_secret",
    "passphrase",
    "password",
    "private_key",
    "access_token",
    "refresh_token",
    "token",
    "signature",
    "sign",
    "authorization_data",
    "listenKey",
];

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Whether a field of this name holds a secret: one of [`SECRET_NAMES`], or any name that
/// contains `secret`, `passphrase`, `password` or `token`.
pub fn is_secret_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_NAMES.iter().any(|secret| {
        secret
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .eq(folded.chars())
    }) || ["secret", "passphrase", "password", "token"]
        .iter()
        .any(|word| folded.contains(word))
}

/// The text with the value after every secret-bearing name replaced by [`REDACTED`].
pub fn redact(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `copied` is where the text not yet written to `out` starts.
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) || (i > 0 && is_name_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        let name = &text[start..i];
        let Some(value_at) = value_start(bytes, i) else {
            continue;
        };
        if !is_secret_name(name) {
            continue;
        }
        let end = value_end(bytes, value_at);
        if end == value_at {
            continue;
        }
        out.push_str(&text[copied..value_at]);
        let quoted = bytes[value_at] == b'"';
        if quoted {
            out.push('"');
        }
        out.push_str(REDACTED);
        if quoted && end > value_at + 1 && bytes[end - 1] == b'"' {
            out.push('"');
        }
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The values after every secret-bearing name in `text` (what [`redact`] replaces), without
/// their quotes: the secrets a request's query or body carries (`signature=`, a login's
/// `client_secret`).
pub fn secret_values(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut values = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) || (i > 0 && is_name_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        let Some(value_at) = value_start(bytes, i) else {
            continue;
        };
        if !is_secret_name(&text[start..i]) {
            continue;
        }
        let end = value_end(bytes, value_at);
        let value = text[value_at..end].trim_matches(|c| c == '"' || c == '\\');
        if !value.is_empty() {
            values.push(value.to_owned());
        }
        i = end.max(i);
    }
    values
}

/// The shortest value [`scrub`] replaces: a shorter one would match ordinary text, so text
/// that must lose one is not kept at all ([`can_scrub`]).
pub const MIN_SCRUBBED: usize = 6;

/// Whether every value of `carried` is long enough to be found and replaced in text.
pub fn can_scrub(carried: &[String]) -> bool {
    carried
        .iter()
        .all(|value| value.chars().count() >= MIN_SCRUBBED)
}

/// `text` with every occurrence of every value of `carried` replaced by [`REDACTED`]: as sent,
/// and as an echo may have written it (JSON- or HTML-escaped, percent-encoded).
pub fn scrub(text: &str, carried: &[String]) -> String {
    scrub_with(text, carried, REDACTED)
}

/// [`scrub`], with `mark` in place of each value (a mark without `<` survives dropping tags).
pub fn scrub_with(text: &str, carried: &[String], mark: &str) -> String {
    let mut forms: Vec<String> = Vec::new();
    for value in carried.iter().filter(|v| !v.is_empty()) {
        let json = serde_json::to_string(value).unwrap_or_default();
        let html = value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;");
        let percent: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let folded = value.split_whitespace().collect::<Vec<_>>().join(" ");
        for form in [
            value.clone(),
            json.trim_matches('"').to_owned(),
            html,
            percent,
            folded,
        ] {
            if !form.is_empty() && !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    // Longest first, so that a value containing another goes whole.
    forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
    let mut out = text.to_owned();
    for form in &forms {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), mark);
        }
    }
    out
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Where the value after a name ending at `at` starts: past an optional closing quote (plain
/// or escaped, `\"`), white space, then `:` or `=`, then white space and an escaped opening
/// quote's backslash. `None` when no separator follows: the word was not a name.
fn value_start(bytes: &[u8], mut at: usize) -> Option<usize> {
    if bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&b'"') {
        at += 2;
    } else if bytes.get(at) == Some(&b'"') {
        at += 1;
    }
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    if !matches!(bytes.get(at), Some(b':' | b'=')) {
        return None;
    }
    at += 1;
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    if bytes.get(at) == Some(&b'\\') && bytes.get(at + 1) == Some(&b'"') {
        // JSON inside a JSON string: the value ends at the next escaped quote.
        at += 1;
    }
    Some(at)
}

/// Where a value starting at `at` ends (exclusive): a quoted one after its closing quote, or at
/// the end of the text; an object or array after its closing bracket, or at the end; anything
/// else at the next delimiter. A quote escaped with `\` does not close a value; a value that
/// starts after `\` (escaped JSON) ends before the next `\`.
fn value_end(bytes: &[u8], at: usize) -> usize {
    let escaped_json = at > 0 && bytes[at - 1] == b'\\';
    match bytes.get(at) {
        None => at,
        Some(b'"') if escaped_json => {
            let rest = &bytes[at + 1..];
            rest.iter()
                .position(|b| *b == b'\\')
                .map_or(bytes.len(), |p| at + 1 + p)
        }
        Some(b'"') => {
            let mut i = at + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            bytes.len()
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut in_string = false;
            let mut i = at;
            while i < bytes.len() {
                match (bytes[i], in_string) {
                    (b'\\', true) => i += 1,
                    (b'"', _) => in_string = !in_string,
                    (b'{' | b'[', false) => depth += 1,
                    (b'}' | b']', false) => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            bytes.len()
        }
        Some(_) => {
            let rest = &bytes[at..];
            rest.iter()
                .position(|b| {
                    matches!(
                        b,
                        b'"' | b'\'' | b',' | b';' | b')' | b'}' | b']' | b'&' | b'\\' | b'<'
                    ) || b.is_ascii_whitespace()
                })
                .map_or(bytes.len(), |p| at + p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zq8sK2vX9mPf4LwR7tYb3NcJ6hGd1AeU";

    /// The venues' create-key and login answers, shaped as their wire parsers read them (and as
    /// the simulator answers, keys in serde_json's sorted order), each with the secret values
    /// it carries.
    fn answers() -> Vec<(&'static str, String)> {
        let s = SECRET;
        vec![
            (
                "bybit create-sub-api",
                format!(
                    r#"{{"result":{{"apiKey":"ABCDEFGHIJKLMNOPQR","id":"7","ips":["*"],"note":"lockdown","readOnly":0,"secret":"{s}"}},"retCode":0,"retMsg":"OK","time":1700000000000}}"#
                ),
            ),
            (
                "okx create apikey",
                format!(
                    r#"{{"code":"0","data":[{{"apiKey":"0e3b-11","ip":"127.0.0.1","label":"lockdown-1","passphrase":"{s}","perm":"read_only,trade","secretKey":"{s}","subAcct":"gridbot01","ts":"1700000000000"}}],"msg":""}}"#
                ),
            ),
            (
                "binance sub-account api",
                format!(
                    r#"{{"apiKey":"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A","apiName":"lockdown","canTrade":true,"ipList":["127.0.0.1"],"secretKey":"{s}","status":"2"}}"#
                ),
            ),
            (
                "binance broker api",
                format!(
                    r#"{{"apiKey":"k","canTrade":true,"futuresTrade":false,"marginTrade":false,"secretKey":"{s}","subaccountId":"1"}}"#
                ),
            ),
            (
                "deribit create_api_key",
                format!(
                    r#"{{"id":4,"jsonrpc":"2.0","result":{{"client_id":"wQ3dSx1a","client_secret":"{s}","default":false,"enabled":true,"id":9,"max_scope":"account:read trade:read_write","name":"lockdown"}},"usIn":1,"usOut":2}}"#
                ),
            ),
            (
                "deribit auth",
                format!(
                    r#"{{"id":1,"jsonrpc":"2.0","result":{{"access_token":"{s}","expires_in":900,"refresh_token":"{s}","scope":"session:x","token_type":"bearer"}}}}"#
                ),
            ),
            (
                "kraken websockets token",
                format!(r#"{{"error":[],"result":{{"expires":900,"token":"{s}"}}}}"#),
            ),
            ("yaml-ish text", format!("secret: {s}\napi_secret = {s}")),
            ("form", format!("a=1&signature={s}&apiSecret={s}")),
            (
                "json in a json string",
                format!(r#"{{"msg":"bad body {{\"client_secret\":\"{s}\"}}"}}"#),
            ),
            (
                "escaped quote in a passphrase",
                format!(r#"{{"passphrase":"ab\"{s}","x":1}}"#),
            ),
            (
                "secret as an object",
                format!(r#"{{"secret":{{"value":"{s}","x":[1,"]"]}},"ok":1}}"#),
            ),
        ]
    }

    #[test]
    fn the_secrets_a_request_carries_are_found_and_scrubbed_in_any_echo() {
        assert_eq!(
            secret_values("symbol=BTCUSDT&timestamp=1&signature=f00dbeef12"),
            vec!["f00dbeef12"]
        );
        assert_eq!(
            secret_values(r#"{"client_id":"wQ3dSx1a","client_secret":"Sec ret&1","x":1}"#),
            vec!["Sec ret&1"]
        );
        assert!(secret_values(r#"{"a":1,"label":"bot"}"#).is_empty());
        let carried = vec!["Pass<phr&se\"1".to_owned(), "ABCDEFGHIJ".to_owned()];
        for (label, echo) in [
            ("raw", "key ABCDEFGHIJ pass Pass<phr&se\"1 end"),
            ("json", r#"{"h":"Pass<phr&se\"1","k":"ABCDEFGHIJ"} end"#),
            (
                "html",
                "<td>Pass&lt;phr&amp;se&quot;1</td><td>ABCDEFGHIJ</td> end",
            ),
            ("percent", "q=Pass%3Cphr%26se%221&k=ABCDEFGHIJ end"),
        ] {
            let out = scrub(echo, &carried);
            assert!(!out.contains("ABCDEFGHIJ"), "{label}: {out}");
            assert!(!out.contains("phr"), "{label}: {out}");
            assert!(
                out.contains(REDACTED) && out.ends_with(" end"),
                "{label}: {out}"
            );
        }
        assert!(can_scrub(&carried));
        assert!(!can_scrub(&["abc".to_owned()]));
    }

    #[test]
    fn no_cut_of_any_answer_keeps_any_of_the_secret() {
        // The secret's shortest piece that could be recognised: a quarter of it.
        let pieces: Vec<&str> = (0..=SECRET.len() - 8).map(|i| &SECRET[i..i + 8]).collect();
        for (label, answer) in answers() {
            for cut in 0..=answer.len() {
                let Some(text) = answer.get(..cut) else {
                    continue;
                };
                let shown = redact(text);
                for piece in &pieces {
                    assert!(
                        !shown.contains(piece),
                        "{label}, cut at {cut}: `{piece}` left in {shown}"
                    );
                }
            }
        }
    }

    #[test]
    fn whole_answers_keep_everything_else() {
        let cases = [
            (
                "json",
                r#"{"apiKey":"K1","secret":"S1","ips":["*"]}"#,
                r#"{"apiKey":"K1","secret":"<redacted>","ips":["*"]}"#,
            ),
            (
                "cut inside the value",
                r#"{"id":4,"result":{"client_id":"c","client_secret":"abc"#,
                r#"{"id":4,"result":{"client_id":"c","client_secret":"<redacted>"#,
            ),
            (
                "cut after the name",
                r#"{"client_secret":"#,
                r#"{"client_secret":"#,
            ),
            ("unquoted", "token=abc, next=1", "token=<redacted>, next=1"),
            (
                "spaces around the colon",
                r#"{ "secretKey" : "abc" }"#,
                r#"{ "secretKey" : "<redacted>" }"#,
            ),
            (
                "a number",
                r#"{"passphrase":12345}"#,
                r#"{"passphrase":<redacted>}"#,
            ),
            (
                "an object",
                r#"{"secret":{"a":"b"},"x":1}"#,
                r#"{"secret":<redacted>,"x":1}"#,
            ),
            (
                "words that are not names",
                "502 Bad Gateway: the secret is out",
                "502 Bad Gateway: the secret is out",
            ),
            (
                "public fields stay",
                r#"{"public_key":"P","client_id":"C","apiKey":"K"}"#,
                r#"{"public_key":"P","client_id":"C","apiKey":"K"}"#,
            ),
            (
                "name inside a longer word",
                r#"{"mysecretnote":"x","notoken":"y"}"#,
                r#"{"mysecretnote":"<redacted>","notoken":"<redacted>"}"#,
            ),
            ("non-ascii", "é secret: ü", "é secret: <redacted>"),
            (
                "a url in a transport error",
                "error sending request for url (http://h/api?a=1&signature=f00)",
                "error sending request for url (http://h/api?a=1&signature=<redacted>)",
            ),
        ];
        for (label, text, want) in cases {
            assert_eq!(redact(text), want, "{label}");
        }
    }

    #[test]
    fn secret_names_fold_case_and_separators() {
        for name in [
            "secret",
            "Secret",
            "API_SECRET",
            "apiSecret",
            "secret-key",
            "clientSecret",
            "access_token",
            "refreshToken",
            "sign",
            "signature",
            "privateKey",
            "private_key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["apiKey", "client_id", "public_key", "id", "signed", "label"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
