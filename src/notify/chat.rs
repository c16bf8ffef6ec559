//! What the chat channels (Telegram, Discord, Slack) share: the badge that makes a message's
//! severity and phase visible at a glance, cutting text to a service's limit without ever
//! splitting an escape sequence, and the two ways a secret could leak from a send (the webhook
//! URL or bot token in a transport error, or echoed back in an answer), closed here once.
//!
//! A chat service's secret is its URL (Discord, Slack) or sits in its URL's path (Telegram), and
//! reqwest's error text names the URL: [`transport`] drops it before anything sees the error.

use std::time::Duration;

use super::{Phase, SendError, Severity};

/// The emoji and word that lead a chat message: `✅ RESOLVED` when the incident is over, else
/// the severity's (`🚨 CRITICAL`, `⚠️ WARNING`, `ℹ️ INFO`).
pub(crate) fn badge(severity: Severity, phase: Phase) -> (&'static str, &'static str) {
    if phase == Phase::Resolve {
        return ("✅", "RESOLVED");
    }
    match severity {
        Severity::Critical => ("🚨", "CRITICAL"),
        Severity::Warning => ("⚠️", "WARNING"),
        Severity::Info => ("ℹ️", "INFO"),
    }
}

/// What ends a text that was cut to fit a service's limit.
pub(crate) const CUT_MARKER: &str = "… (cut)";

/// Escapes `text` with `escape` (one character in, its escaped form out) and cuts it so the
/// result holds at most `limit` characters, [`CUT_MARKER`] included; a character and its
/// escape are kept or dropped together, so no escape sequence is ever split.
pub(crate) fn fit(text: &str, limit: usize, mut escape: impl FnMut(char, &mut String)) -> String {
    let budget = limit.saturating_sub(CUT_MARKER.chars().count());
    let mut out = String::with_capacity(text.len());
    let mut piece = String::new();
    let mut count = 0;
    // Where the output stood when it last fitted the budget (bytes, characters).
    let mut fitted = (0, 0);
    for c in text.chars() {
        piece.clear();
        escape(c, &mut piece);
        count += piece.chars().count();
        out.push_str(&piece);
        if count <= budget {
            fitted = (out.len(), count);
        }
    }
    if count <= limit {
        return out;
    }
    out.truncate(fitted.0);
    out.push_str(CUT_MARKER);
    out
}

/// [`fit`] with no escaping (plain text fields).
pub(crate) fn fit_plain(text: &str, limit: usize) -> String {
    fit(text, limit, |c, out| out.push(c))
}

/// A transport failure (timeout, refused connection, reset) as a retryable error, without the
/// URL reqwest puts in its message.
pub(crate) fn transport(service: &str, err: reqwest::Error) -> SendError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let err = err.without_url();
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    SendError::Retry {
        reason: format!("{service}: {kind} ({detail})"),
        after: None,
    }
}

/// What a chat service answered: its status, its `Retry-After`, its body.
pub(crate) struct Answered {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) body: Vec<u8>,
}

/// POSTs `body` as JSON to `url` once; a transport failure is a retry, without the URL.
pub(crate) async fn post_json(
    service: &str,
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> Result<Answered, SendError> {
    let response = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|err| transport(service, err))?;
    let status = response.status().as_u16();
    let retry_after = retry_after_header(response.headers());
    let body = response
        .bytes()
        .await
        .map_err(|err| transport(service, err))?
        .to_vec();
    Ok(Answered {
        status,
        retry_after,
        body,
    })
}

/// The `Retry-After` header: seconds (a fraction allowed, as Discord sends them) or an HTTP date
/// ([`super::retry_after`]).
pub(crate) fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    match text.trim().parse::<f64>() {
        Ok(secs) => seconds(secs),
        Err(_) => super::retry_after(headers),
    }
}

/// A wait of `secs` seconds, when it is a sane number.
pub(crate) fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && (0.0..86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// A service's answer text made safe to show: `secret` (a token, a webhook URL's path) blanked
/// wherever the service echoed it, control characters dropped, at most 200 characters.
pub(crate) fn shown(text: &str, secrets: &[&str]) -> String {
    let mut text = text.trim().to_owned();
    for secret in secrets {
        if secret.len() >= 4 {
            text = text.replace(secret, "<redacted>");
        }
    }
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    fit_plain(&clean, 200)
}

/// Checks a webhook URL that is itself a secret: https (or http to loopback), with a host. The
/// error never shows the URL, only its scheme and host.
pub(crate) fn check_secret_url(field: &str, text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|_| {
        format!("`{field}` does not hold a URL; put the whole webhook URL in the secret")
    })?;
    let origin = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        (None, _) => {
            return Err(format!(
                "`{field}` holds a URL without a host; put the whole webhook URL in the secret"
            ));
        }
    };
    super::check_url(&origin).map_err(|err| format!("`{field}`: {err}"))?;
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_never_splits_an_escape() {
        let escape = |c: char, out: &mut String| {
            if c == '*' {
                out.push('\\');
            }
            out.push(c);
        };
        for (label, text, limit) in [
            ("fits", "a*b", 10),
            ("exact", "a*b", 4),
            ("cut inside", "**********************", 12),
            ("tiny", "abcdef", 3),
        ] {
            let out = fit(text, limit, escape);
            assert!(
                out.chars().count() <= limit.max(CUT_MARKER.chars().count()),
                "{label}"
            );
            let body = out.strip_suffix(CUT_MARKER).unwrap_or(&out);
            // Every backslash is followed by the character it escapes.
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    assert_eq!(chars.next(), Some('*'), "{label}: {out}");
                }
            }
        }
        assert_eq!(fit("a*b", 10, escape), "a\\*b");
    }

    #[test]
    fn badges_show_severity_and_resolution() {
        assert_eq!(badge(Severity::Critical, Phase::Trigger).1, "CRITICAL");
        assert_eq!(badge(Severity::Critical, Phase::Resolve).1, "RESOLVED");
        assert_eq!(badge(Severity::Info, Phase::Note).1, "INFO");
    }

    #[test]
    fn secret_urls_are_checked_without_showing_them() {
        let err = check_secret_url("url", "http://hooks.example.com/services/T/B/SECRETPATH")
            .unwrap_err();
        assert!(!err.contains("SECRETPATH"), "{err}");
        assert!(err.contains("hooks.example.com"), "{err}");
        assert!(check_secret_url("url", "http://127.0.0.1:9/services/T/B/X").is_ok());
        let err = check_secret_url("url", "SECRET-not-a-url").unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn answers_are_shown_without_secrets() {
        assert_eq!(
            shown("bad token 123:abc\n", &["123:abc"]),
            "bad token <redacted>"
        );
    }
}
