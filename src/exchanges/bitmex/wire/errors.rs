//! How BitMEX says no (docs/venues/bitmex.md §7, §8): `{"error": {"message", "name"}}` with an
//! HTTP status, mapped to a typed [`ExchangeError`] by status and message. The message is the
//! code recorded. Which error an answer becomes decides what the response does next (wait,
//! stop, ask the operator), so it is kept apart from the decoders of what BitMEX says yes with.

use super::*;

/// How long to wait after a 429 that names no reset: a second, the order routes' window.
pub const RATE_LIMIT_WAIT_MS: u64 = 1_000;

/// Maps an error answer to a typed error.
pub fn api_error(response: &Response, message: &str) -> ExchangeError {
    let code = message.trim().to_owned();
    let lower = code.to_ascii_lowercase();
    match response.status {
        429 => ExchangeError::RateLimited {
            code,
            // `x-ratelimit-reset`: Unix seconds when the budget is whole again.
            reset_ms: response
                .header("x-ratelimit-reset")
                .and_then(|s| s.trim().parse::<i64>().ok())
                .map(|s| s * 1000),
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        503 => ExchangeError::Unavailable {
            code,
            message: "BitMEX is overloaded; the request did not reach the engine".to_owned(),
        },
        _ if lower.starts_with("invalid api key") || lower.contains("key is disabled") => {
            ExchangeError::InvalidKey { code }
        }
        _ if lower.starts_with("signature not valid") => ExchangeError::Signature { code },
        _ if lower.contains("expired") && lower.contains("expires") => {
            ExchangeError::Timestamp { code }
        }
        _ if lower.contains("ip address") || lower.contains("cidr") => {
            ExchangeError::IpRejected { code }
        }
        401 | 403 => ExchangeError::Permission {
            message: code.clone(),
            code,
        },
        status if status >= 500 => ExchangeError::Unavailable {
            message: code.clone(),
            code,
        },
        _ => ExchangeError::Api {
            message: code.clone(),
            code,
        },
    }
}

/// How an answer that is not BitMEX's JSON reads.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::new("BitMEX's JSON", 200..300, &[429], Some(RATE_LIMIT_WAIT_MS));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitmex::wire::tests::response;

    #[test]
    fn maps_errors() {
        for (status, message, want) in [
            (401, "Invalid API Key.", "InvalidKey"),
            (403, "This key is disabled.", "InvalidKey"),
            (401, "Signature not valid.", "Signature"),
            (
                401,
                "This request has expired - `expires` is in the past. Current time: 1764972000",
                "Timestamp",
            ),
            (403, "Access Denied", "Permission"),
            (
                401,
                "This IP address is not allowed for this API key.",
                "IpRejected",
            ),
            (
                429,
                "Rate limit exceeded, retry in 1 seconds.",
                "RateLimited",
            ),
            (
                503,
                "The system is currently overloaded. Please try again later.",
                "Unavailable",
            ),
            (400, "Invalid orderQty", "Api"),
        ] {
            let body = serde_json::json!({"error": {"message": message, "name": "HTTPError"}});
            let decoded = decode(&Op::WhoAmI, &response(status, &body.to_string()));
            let err = decoded.reply.unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{message}: {err:?}");
            assert_eq!(decoded.code.as_deref(), Some(message));
        }
    }

    #[test]
    fn not_an_error_body() {
        let err = decode(&Op::WhoAmI, &response(502, "<html>502 Bad Gateway</html>"))
            .reply
            .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Http { status: 502, .. }),
            "{err:?}"
        );
        let err = decode(&Op::WhoAmI, &response(429, "Too Many Requests"))
            .reply
            .unwrap_err();
        assert!(matches!(err, ExchangeError::RateLimited { .. }), "{err:?}");
    }
}
