//! How BingX says no (docs/venues/bingx.md §7, §8): `code` and `msg` in the envelope, mapped to
//! a typed [`ExchangeError`]. Two codes mean one thing in the docs and another in answers CCXT
//! observed (`100410` "rate limited" or "the current system is busy", `100421` "timestamp
//! mismatch" or "this pair is currently restricted from API trading"), so those are read by
//! code and words together. Which error an answer becomes decides what the response does next
//! (wait, stop, ask the operator).

use super::*;

/// How long to wait after a rate-limit refusal that names no wait: a second, the per-UID
/// limits' window.
pub const RATE_LIMIT_WAIT_MS: u64 = 1_000;

/// Maps a refusal to a typed error.
pub fn api_error(response: &Response, code: &str, msg: &str) -> ExchangeError {
    let lower = msg.to_ascii_lowercase();
    let code = code.to_owned();
    match code.as_str() {
        "100413" => ExchangeError::InvalidKey { code },
        "100001" | "100412" => ExchangeError::Signature { code },
        "100421" | "80014" if lower.contains("timestamp") => ExchangeError::Timestamp { code },
        "100419" => ExchangeError::IpRejected { code },
        "100004" | "100414" => ExchangeError::Permission {
            message: msg.to_owned(),
            code,
        },
        "100410" if lower.contains("busy") => ExchangeError::Unavailable {
            message: msg.to_owned(),
            code,
        },
        "100410" => ExchangeError::RateLimited {
            code,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        "100500" | "100503" => ExchangeError::Unavailable {
            message: msg.to_owned(),
            code,
        },
        _ if response.status == 429 => ExchangeError::RateLimited {
            code,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        _ => ExchangeError::Api {
            message: msg.to_owned(),
            code,
        },
    }
}

/// How an answer that is not BingX's JSON reads: 429 rate-limited, 418 an IP ban.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::envelope("BingX's JSON", Some(RATE_LIMIT_WAIT_MS)).banned_on(418);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bingx::wire::tests::response;

    #[test]
    fn maps_errors() {
        for (status, code, msg, want) in [
            (200, 100413, "Incorrect apiKey", "InvalidKey"),
            (200, 100001, "Signature verification failed", "Signature"),
            (200, 100412, "Null signature", "Signature"),
            (
                200,
                100421,
                "Null timestamp or timestamp mismatch",
                "Timestamp",
            ),
            (
                200,
                100421,
                "This pair is currently restricted from API trading",
                "Api",
            ),
            (200, 100419, "IP does not match IP whitelist", "IpRejected"),
            (
                200,
                100004,
                "Permission denied as the API key was created without the permission",
                "Permission",
            ),
            (200, 100410, "rate limited", "RateLimited"),
            (429, 100410, "rate limited", "RateLimited"),
            (200, 100410, "The current system is busy", "Unavailable"),
            (200, 80016, "Order does not exist", "Api"),
        ] {
            let body = serde_json::json!({"code": code, "msg": msg, "timestamp": 1});
            let decoded = decode(&Op::WhoAmI, &response(status, &body.to_string()));
            let err = decoded.reply.unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{msg}: {err:?}");
            assert_eq!(decoded.code, Some(code.to_string()));
        }
    }

    #[test]
    fn not_json() {
        let err = decode(&Op::WhoAmI, &response(502, "<html>502</html>"))
            .reply
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Http { status: 502, .. }),
            "{err:?}"
        );
        let err = decode(&Op::WhoAmI, &response(418, "banned"))
            .reply
            .unwrap_err();
        assert!(matches!(err, ExchangeError::IpBanned { .. }), "{err:?}");
    }
}
