//! How Kraken says no (docs/venues/kraken.md §7, §8): the `error` list's first `E…:…` text mapped
//! to a typed [`ExchangeError`], and an answer that is not a Kraken envelope at all. Kept apart
//! from the decoders of what Kraken says yes with, because which error a text becomes decides
//! what the response does next (wait, stop, or ask the operator).

use super::*;

/// How long to wait after `EAPI:Rate limit exceeded`: one point of the counter at the slowest
/// tier's decay (0.33 a second, docs/venues/kraken.md §7).
pub const RATE_LIMIT_WAIT_MS: u64 = 3_000;

/// Maps a Kraken error string to a typed error (docs/venues/kraken.md §7, §8).
pub fn api_error(text: &str) -> ExchangeError {
    let code = text.trim().to_owned();
    // `EService: Throttled: 1700000000` has spaces after its colons.
    let compact: String = code.split(':').map(str::trim).collect::<Vec<_>>().join(":");
    let message = compact
        .split_once(':')
        .map_or_else(|| compact.clone(), |(_, m)| m.to_owned());
    match compact.as_str() {
        "EAPI:Invalid key" => ExchangeError::InvalidKey { code },
        "EAPI:Invalid signature" => ExchangeError::Signature { code },
        "EAPI:Invalid nonce" => ExchangeError::Nonce { code },
        "EGeneral:Permission denied" | "EAccount:Invalid permissions" => {
            ExchangeError::Permission { code, message }
        }
        "EAPI:Rate limit exceeded" | "EOrder:Rate limit exceeded" => ExchangeError::RateLimited {
            code,
            reset_ms: None,
            retry_after_ms: Some(RATE_LIMIT_WAIT_MS),
        },
        "EService:Unavailable" | "EService:Busy" => ExchangeError::Unavailable { code, message },
        // `EService:Throttled:<unix seconds>`: too many requests at once; again after then.
        throttled if throttled.starts_with("EService:Throttled") => ExchangeError::RateLimited {
            reset_ms: throttled
                .rsplit(':')
                .next()
                .and_then(|ts| ts.trim().parse::<f64>().ok())
                .map(seconds_to_ms),
            retry_after_ms: None,
            code,
        },
        _ => ExchangeError::Api { code, message },
    }
}

/// How an answer that is not a Kraken envelope reads.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::envelope("a Kraken envelope", Some(RATE_LIMIT_WAIT_MS));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::kraken::wire::tests::response;

    #[test]
    fn maps_errors() {
        for (text, want) in [
            ("EAPI:Invalid key", "InvalidKey"),
            ("EAPI:Invalid signature", "Signature"),
            ("EAPI:Invalid nonce", "Nonce"),
            ("EGeneral:Permission denied", "Permission"),
            ("EAccount:Invalid permissions", "Permission"),
            ("EAPI:Rate limit exceeded", "RateLimited"),
            ("EOrder:Rate limit exceeded", "RateLimited"),
            ("EService: Throttled: 1700000000", "RateLimited"),
            ("EService:Unavailable", "Unavailable"),
            ("EGeneral:Temporary lockout", "Api"),
            ("EOrder:Unknown order", "Api"),
        ] {
            let body = format!(r#"{{"error":["{text}"]}}"#);
            let decoded = decode(&Op::WhoAmI, &response(200, &body));
            let err = decoded.reply.unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{text}: {err:?}");
            assert_eq!(decoded.code.as_deref(), Some(text));
        }
        assert!(api_error("EAPI:Invalid key").is_unauthenticated());
        assert!(!api_error("EGeneral:Permission denied").is_unauthenticated());
        assert_eq!(
            api_error("EService: Throttled: 1700000000"),
            ExchangeError::RateLimited {
                code: "EService: Throttled: 1700000000".into(),
                reset_ms: Some(1_700_000_000_000),
                retry_after_ms: None,
            }
        );
        assert_eq!(
            api_error("EAPI:Invalid nonce").outcome(),
            crate::exchanges::CallOutcome::Refused
        );
        // Warnings do not fail a call.
        let warned = r#"{"error":["WGeneral:Something"],"result":{"unixtime":1700000000}}"#;
        assert_eq!(
            decode(&Op::ServerTime, &response(200, warned)).server_ms,
            Some(1_700_000_000_000)
        );
    }

    #[test]
    fn not_an_envelope() {
        let err = decode(
            &Op::WhoAmI,
            &response(502, "<html><h1>502 Bad Gateway</h1></html>"),
        )
        .reply
        .unwrap_err();
        assert!(
            matches!(err, ExchangeError::Http { status: 502, .. }),
            "{err:?}"
        );
        let err = decode(&Op::WhoAmI, &response(429, "429 Too Many Requests"))
            .reply
            .unwrap_err();
        assert!(matches!(err, ExchangeError::RateLimited { .. }), "{err:?}");
    }
}
