//! The generic `webhook` channel: a JSON POST signed per the Standard Webhooks spec, so that
//! any receiver can check with a stock library that the message is lockdown's and unchanged.
//!
//! The body is `{"type", "timestamp", "data"}` (the spec's suggested envelope; `data` is the
//! [`Message`]). `webhook-id` is derived from the message, so every retry (and a resumed run)
//! carries the same id and a receiver can drop duplicates; `webhook-timestamp` is the attempt's
//! time (the spec's replay window), and `webhook-signature` is
//! `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` keyed with the `whsec_` secret's bytes.
//! The secret and the URL (whose path often is a credential) never show in errors or `Debug`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Channel, Message, SendError, Sending};
use crate::config::SecretRef;
use crate::secret::SecretString;

/// The entry's fields, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    /// Where to POST (https, or http to loopback); a reference (`env:`, `file:`) or a value.
    url: String,
    /// The signing secret, `whsec_<base64>`, as a reference.
    secret: String,
}

/// A configured webhook.
pub struct Webhook {
    name: String,
    url: SecretString,
    /// The secret's decoded bytes (the HMAC key).
    key: SecretString,
    host: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Builds the channel from its config entry.
pub fn build(
    name: &str,
    fields: &serde_json::Value,
    dir: &Path,
) -> Result<Box<dyn Channel>, String> {
    let fields: Fields = serde_json::from_value(fields.clone()).map_err(|err| {
        format!("{err}; a webhook takes `url` and `secret` (`env:NAME` or `file:PATH` holding `whsec_<base64>`), and optionally `timeout`, `retries`")
    })?;
    let url = if SecretRef::is_reference(&fields.url) {
        let value = super::secret("`url`", &fields.url, dir)?;
        #[allow(clippy::disallowed_methods)] // the URL is checked, never shown
        let text = value.expose_secret().to_owned();
        text
    } else {
        fields.url.clone()
    };
    super::check_url(&url).map_err(|err| format!("`url`: {err}"))?;
    let host = url::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let secret = SecretRef::parse(&fields.secret, dir)
        .and_then(|r| r.resolve())
        .map_err(|err| {
            format!(
                "`secret`: {err}; give it as `env:NAME` or `file:PATH` holding `whsec_<base64>`"
            )
        })?;
    #[allow(clippy::disallowed_methods)] // decoding the signing key
    let key = decode_secret(secret.expose_secret())?;
    Ok(Box::new(Webhook {
        name: name.to_owned(),
        url: SecretString::from(url),
        key: SecretString::from(hex::encode(key)),
        host,
    }))
}

/// The HMAC key of a `whsec_<base64>` secret.
fn decode_secret(text: &str) -> Result<Vec<u8>, String> {
    let encoded = text.trim().strip_prefix("whsec_").unwrap_or(text.trim());
    match STANDARD.decode(encoded) {
        // The spec: random, at least 24 bytes and at most 64.
        Ok(bytes) if (24..=64).contains(&bytes.len()) => Ok(bytes),
        Ok(bytes) => Err(format!(
            "`secret` decodes to {} bytes; the spec asks for 24 to 64 random bytes, e.g. `whsec_$(openssl rand -base64 32)`",
            bytes.len()
        )),
        Err(_) => Err(
            "`secret` is not `whsec_` followed by base64; e.g. `whsec_$(openssl rand -base64 32)`"
                .to_owned(),
        ),
    }
}

/// The id of `message`'s delivery: the same for every attempt and every resume (derived from
/// the message's own id).
pub fn message_id(message: &Message) -> String {
    let mut hash = Sha256::new();
    for part in [
        message.dedup_key.as_str(),
        message.event.as_str(),
        message.id.as_str(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    format!("msg_{}", &hex::encode(hash.finalize())[..32])
}

/// The body: the spec's envelope around the message.
pub fn body(message: &Message) -> String {
    serde_json::json!({
        "type": format!("lockdown.{}", message.event.as_str()),
        "timestamp": message.at,
        "data": message,
    })
    .to_string()
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl Channel for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "webhook"
    }

    fn send<'a>(&'a self, message: &'a Message, http: &'a reqwest::Client) -> Sending<'a> {
        Box::pin(async move {
            let id = message_id(message);
            let timestamp = chrono::Utc::now().timestamp();
            let body = body(message);
            #[allow(clippy::disallowed_methods)] // signing the body
            let key = hex::decode(self.key.expose_secret()).unwrap_or_default();
            let signature = signature(&key, &id, timestamp, &body);
            #[allow(clippy::disallowed_methods)] // the URL goes on the wire only
            let url = self.url.expose_secret().to_owned();
            let answer = http
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await;
            let host = &self.host;
            let response = match answer {
                Ok(response) => response,
                Err(err) => {
                    let what = if err.is_timeout() {
                        "timed out"
                    } else if err.is_connect() {
                        "connection failed"
                    } else {
                        "request failed"
                    };
                    return Err(SendError::Retry {
                        reason: format!("webhook to {host}: {what}"),
                        after: None,
                    });
                }
            };
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let after = super::retry_after(response.headers());
            let code = status.as_u16();
            if code == 429 || code == 408 || status.is_server_error() {
                Err(SendError::Retry {
                    reason: format!("webhook to {host}: HTTP {code}"),
                    after,
                })
            } else {
                Err(SendError::Fatal {
                    reason: format!(
                        "webhook to {host}: HTTP {code}; check the channel's `url` and `secret`"
                    ),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_spec_example() {
        // The spec's reference libraries' test vector (secret, id, timestamp, payload).
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let sig = signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn the_id_is_stable_and_the_debug_holds_no_secret() {
        let message = Message {
            event: super::super::Event::Test,
            severity: super::super::Severity::Info,
            phase: super::super::Phase::Note,
            title: "t".into(),
            text: String::new(),
            fields: vec![],
            dedup_key: "run-1".into(),
            profile: None,
            at: "2026-01-01T00:00:00Z".into(),
            id: "run-1/test".into(),
            drill: false,
        };
        assert_eq!(message_id(&message), message_id(&message.clone()));
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("s");
        std::fs::write(&secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let channel = build(
            "hook",
            &serde_json::json!({"url": "http://127.0.0.1:9/hooks/SECRETPATH", "secret": "file:s"}),
            dir.path(),
        )
        .unwrap();
        let shown = format!("{channel:?}");
        assert!(
            !shown.contains("SECRETPATH") && !shown.contains("MfKQ"),
            "{shown}"
        );
        let literal = build(
            "hook",
            &serde_json::json!({"url": "http://127.0.0.1:9/", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            dir.path(),
        );
        assert!(literal.unwrap_err().contains("reference"));
        let plain = build(
            "hook",
            &serde_json::json!({"url": "http://example.com/", "secret": "file:s"}),
            dir.path(),
        );
        assert!(plain.unwrap_err().starts_with("`url`"));
    }
}
