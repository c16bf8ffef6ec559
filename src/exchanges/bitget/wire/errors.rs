//! How Bitget says no (docs/venues/bitget.md §7, §8): an envelope code other than `"00000"`
//! mapped to a typed [`ExchangeError`], and an answer that is not a Bitget envelope at all.
//! Which error a code becomes decides what the response does next (wait, stop, ask the
//! operator), so it is kept apart from the decoders of what Bitget says yes with.
//!
//! `40037` ("Apikey does not exist") is the signing key's own refusal on any call, but on the
//! master's key-management calls it names the sub-account key the request is about: there it is
//! an unknown target, not a dead master.

use super::*;

/// How long to wait after a 429 that names no wait: Bitget counts per second.
const RATE_LIMIT_WAIT_MS: u64 = 1_000;

/// Maps a Bitget code to a typed error.
pub(super) fn api_error(
    op: &Op,
    code: &str,
    message: String,
    response: &Response,
) -> ExchangeError {
    let code_text = code.to_owned();
    let key_admin = matches!(
        op,
        Op::SubKeys { .. } | Op::RestrictKey { .. } | Op::CreateKey { .. }
    );
    match code {
        "429" | "50009" | "25004" => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        _ if response.status == 429 => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        "40003" | "40005" | "40008" => ExchangeError::Timestamp { code: code_text },
        "40037" if key_admin => ExchangeError::UnknownTarget {
            code: code_text,
            what: "the sub-account API key named in the request".to_owned(),
        },
        "40001" | "40006" | "40037" => ExchangeError::InvalidKey { code: code_text },
        "40011" | "40012" => ExchangeError::Passphrase {
            code: code_text,
            message,
        },
        "40002" | "40009" | "40010" => ExchangeError::Signature { code: code_text },
        "40018" => ExchangeError::IpRejected { code: code_text },
        "40013" | "40014" | "40301" | "25620" => ExchangeError::Permission {
            code: code_text,
            message,
        },
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// How an answer that is not a Bitget envelope reads: Bitget answers errors with HTTP 400 too.
pub(super) const NOT_JSON: decode::NotJson = decode::NotJson::new(
    "a Bitget envelope",
    200..500,
    &[429],
    Some(RATE_LIMIT_WAIT_MS),
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitget::wire::tests::response;

    #[test]
    fn maps_codes() {
        for (code, status, want) in [
            ("429", 429, "RateLimited"),
            ("40005", 400, "Timestamp"),
            ("40008", 400, "Timestamp"),
            ("40006", 400, "InvalidKey"),
            ("40037", 400, "InvalidKey"),
            ("40012", 400, "Passphrase"),
            ("40009", 400, "Signature"),
            ("40018", 400, "IpRejected"),
            ("40014", 400, "Permission"),
            ("43012", 400, "Api"),
        ] {
            let body = format!(r#"{{"code":"{code}","msg":"m","requestTime":1,"data":null}}"#);
            let decoded = decode(&Op::WhoAmI, &response(status, &body));
            let shown = format!("{:?}", decoded.reply.unwrap_err());
            assert!(shown.starts_with(want), "code {code}: {shown}");
            assert_eq!(decoded.code.as_deref(), Some(code));
        }
        let body = r#"{"code":"40037","msg":"Apikey does not exist","requestTime":1,"data":null}"#;
        let op = Op::SubKeys {
            account: "1".into(),
            cursor: None,
        };
        assert!(matches!(
            decode(&op, &response(400, body)).reply,
            Err(ExchangeError::UnknownTarget { .. })
        ));
    }

    #[test]
    fn not_an_envelope() {
        let err = decode(&Op::WhoAmI, &response(502, "<html>502 Bad Gateway</html>"))
            .reply
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Http { status: 502, .. }),
            "{err:?}"
        );
    }
}
