//! How Deribit says no (docs/venues/deribit.md §7, §8): a JSON-RPC `error` mapped to a typed
//! [`ExchangeError`], a two-factor challenge in a result, and an answer that is not a JSON-RPC
//! envelope at all. Kept apart from the decoders of what Deribit says yes with, because which
//! error a code becomes decides what the response does next (wait, stop, or ask the operator).

use super::*;

/// How long to wait after `10028 too_many_requests` when the answer names no wait.
const CREDITS_WAIT_MS: u64 = 1_000;

/// A JSON-RPC error object.
#[derive(Debug, Deserialize)]
pub(super) struct DeribitError {
    pub(super) code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<Value>,
}

impl DeribitError {
    /// `data.reason` (or `data` itself when it is a string), lowercase.
    fn reason(&self) -> String {
        match &self.data {
            Some(Value::Object(map)) => map
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase(),
            Some(Value::String(text)) => text.to_ascii_lowercase(),
            _ => String::new(),
        }
    }
}

/// A two-factor challenge instead of a result (docs/venues/deribit.md §4, "TFA / security keys").
pub(super) fn challenge(result: &Value) -> Option<ExchangeError> {
    let asked = result
        .get("security_key_authorization_required")
        .and_then(Value::as_bool)
        == Some(true);
    asked.then(|| ExchangeError::TfaRequired {
        challenge: result
            .get("challenge")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Maps a JSON-RPC error to a typed error (docs/venues/deribit.md §8; the long-standing code list).
///
/// The docs name no code for an address outside a key's whitelist nor for a stale timestamp
/// (docs/venues/deribit.md §10); the simulator answers `13021 forbidden` and `13009 unauthorized`
/// with a `data.reason` naming the cause, which is read here, and any other reason keeps the code's
/// plain meaning.
pub(super) fn api_error(error: &DeribitError) -> ExchangeError {
    let code = error.code.to_string();
    let reason = error.reason();
    let message = if reason.is_empty() {
        error.message.clone()
    } else {
        format!("{} ({reason})", error.message)
    };
    match error.code {
        // `authorization_required`: no or malformed credentials.
        10000 => ExchangeError::Signature { code },
        // `invalid_credentials`: unknown, removed or disabled key at login.
        13004 => ExchangeError::InvalidKey { code },
        // `unauthorized`: a token that expired or was revoked, a bad signature, a stale
        // timestamp.
        13009 => {
            let text = format!("{} {reason}", error.message.to_ascii_lowercase());
            if text.contains("token") {
                ExchangeError::SessionExpired { code }
            } else if text.contains("timestamp") {
                ExchangeError::Timestamp { code }
            } else {
                ExchangeError::Signature { code }
            }
        }
        13021 if reason.starts_with("ip_") || reason.contains("whitelist") => {
            ExchangeError::IpRejected { code }
        }
        // `forbidden`, `permission_denied`, `scope_exceeded`.
        13021 | 11042 | 13403 => ExchangeError::Permission { code, message },
        13003 => ExchangeError::TfaRequired {
            challenge: error
                .data
                .as_ref()
                .and_then(|d| d.get("challenge"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        },
        // `too_many_requests`: the account's credits are spent. Deribit names no wait; credits
        // come back continuously (about 20 requests a second, docs/venues/deribit.md §7), so a
        // second lets a burst through. `too_many_concurrent_requests` and `retry` (not processed):
        // the default wait.
        10028 | 10066 | 10040 => ExchangeError::RateLimited {
            retry_after_ms: error
                .data
                .as_ref()
                .and_then(|d| d.get("wait_ms"))
                .and_then(Value::as_u64)
                .or((error.code == 10028).then_some(CREDITS_WAIT_MS)),
            code,
            reset_ms: None,
        },
        // `temporarily_unavailable`: processing may or may not have happened.
        13028 => ExchangeError::Unavailable { code, message },
        _ => ExchangeError::Api { code, message },
    }
}

/// How an answer that is not a JSON-RPC envelope reads.
pub(super) const NOT_JSON: decode::NotJson = decode::NotJson::envelope("a JSON-RPC envelope", None);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::deribit::wire::tests::{error, response};

    #[test]
    fn maps_error_codes() {
        let cases = [
            (10000, "authorization_required", "null", "Signature"),
            (13004, "invalid_credentials", "null", "InvalidKey"),
            (13009, "invalid_token", "null", "SessionExpired"),
            (
                13009,
                "unauthorized",
                r#"{"reason":"invalid_signature"}"#,
                "Signature",
            ),
            (
                13009,
                "unauthorized",
                r#"{"reason":"timestamp_out_of_window"}"#,
                "Timestamp",
            ),
            (
                13021,
                "forbidden",
                r#"{"reason":"ip_not_whitelisted"}"#,
                "IpRejected",
            ),
            (13021, "forbidden", r#"{"reason":"scope"}"#, "Permission"),
            (11042, "permission_denied", "null", "Permission"),
            (13403, "scope_exceeded", "null", "Permission"),
            (13003, "tfa_required", "null", "TfaRequired"),
            (10028, "too_many_requests", "null", "RateLimited"),
            (10040, "retry", "null", "RateLimited"),
            (13028, "temporarily_unavailable", "null", "Unavailable"),
            (10009, "not_enough_funds", "null", "Api"),
        ];
        for (code, message, data, want) in cases {
            let shown = format!("{:?}", error(code, message, data));
            assert!(shown.starts_with(want), "{code} {message}: {shown}");
        }
        assert_eq!(
            error(13028, "temporarily_unavailable", "null").outcome(),
            crate::exchanges::CallOutcome::Unknown
        );
    }

    #[test]
    fn a_challenge_is_a_two_factor_request() {
        let body = r#"{"jsonrpc":"2.0","result":{"security_key_authorization_required":true,"challenge":"c-42","rp_id":"deribit.com"},"usIn":1,"usOut":2000,"usDiff":1}"#;
        let decoded = decode(&Op::WhoAmI, &response(body));
        assert_eq!(decoded.server_ms, Some(2));
        assert_eq!(
            decoded.reply.unwrap_err(),
            ExchangeError::TfaRequired {
                challenge: "c-42".into()
            }
        );
    }
}
