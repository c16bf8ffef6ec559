//! How OKX says no (docs/venues/okx.md §7, §8): an envelope or item code other than `"0"`
//! mapped to a typed [`ExchangeError`], and an answer that is not an OKX envelope at all. Kept
//! apart from the decoders of what OKX says yes with, because which error a code becomes decides
//! what the response does next (wait, stop, or ask the operator).

use super::*;

/// How long to wait after `50011` when the answer does not say: OKX counts per 2 seconds and
/// publishes no reset time (docs/venues/okx.md §7), so a quarter of that window, at most five
/// times.
const RATE_LIMIT_WAIT_MS: u64 = 500;

/// Maps an OKX code to a typed error (docs/venues/okx.md §4, §7, §8).
pub(super) fn api_error(code: &str, message: String, response: &Response) -> ExchangeError {
    let code_text = code.to_owned();
    match code {
        "50011" | "50013" | "50061" => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: None,
            retry_after_ms: decode::retry_after(response).or(Some(RATE_LIMIT_WAIT_MS)),
        },
        "50102" | "50107" | "50112" => ExchangeError::Timestamp { code: code_text },
        "50101" | "50103" | "50111" | "50119" => ExchangeError::InvalidKey { code: code_text },
        "50104" | "50105" => ExchangeError::Passphrase {
            code: code_text,
            message,
        },
        "50106" | "50113" => ExchangeError::Signature { code: code_text },
        "50110" => ExchangeError::IpRejected { code: code_text },
        "50035" => ExchangeError::KeyNotIpBound { code: code_text },
        "50030" | "50100" | "50120" | "59500" | "59504" => ExchangeError::Permission {
            code: code_text,
            message,
        },
        "59506" => ExchangeError::UnknownTarget {
            code: code_text,
            what: "the API key named in the request".to_owned(),
        },
        "59510" => ExchangeError::UnknownTarget {
            code: code_text,
            what: "the sub-account named in the request".to_owned(),
        },
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// How an answer that is not an OKX envelope reads.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::envelope("an OKX envelope", Some(RATE_LIMIT_WAIT_MS));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::okx::wire::tests::response;

    #[test]
    fn maps_codes() {
        let cases = [
            ("50011", 429, "RateLimited"),
            ("50102", 401, "Timestamp"),
            ("50103", 401, "InvalidKey"),
            ("50104", 401, "Passphrase"),
            ("50105", 401, "Passphrase"),
            ("50106", 401, "Signature"),
            ("50107", 401, "Timestamp"),
            ("50110", 401, "IpRejected"),
            ("50111", 401, "InvalidKey"),
            ("50113", 401, "Signature"),
            ("50119", 200, "InvalidKey"),
            ("50120", 200, "Permission"),
            ("50035", 403, "KeyNotIpBound"),
            ("59500", 200, "Permission"),
            ("59506", 200, "UnknownTarget"),
            ("59510", 200, "UnknownTarget"),
            ("51000", 400, "Api"),
        ];
        for (code, status, want) in cases {
            let body = format!(r#"{{"code":"{code}","msg":"m","data":[]}}"#);
            let decoded = decode(&Op::WhoAmI, &response(status, &body));
            let err = decoded.reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
            assert_eq!(decoded.code.as_deref(), Some(code));
        }
        let err = decode(
            &Op::WhoAmI,
            &response(
                429,
                r#"{"code":"50011","msg":"Too Many Requests","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            err,
            ExchangeError::RateLimited {
                code: "50011".into(),
                reset_ms: None,
                retry_after_ms: Some(RATE_LIMIT_WAIT_MS),
            }
        );
    }

    #[test]
    fn unbound_master_says_what_to_do() {
        let body = r#"{"code":"50035","msg":"This endpoint requires that APIKey must be bound to IP","data":[]}"#;
        let err = decode(&Op::WhoAmI, &response(403, body)).reply.unwrap_err();
        assert!(err.to_string().contains("bound to IP addresses"), "{err}");
        assert!(err.hint().unwrap().contains("bind the master API key"));
    }

    #[test]
    fn not_an_envelope() {
        let err = decode(
            &Op::WhoAmI,
            &response(502, "<html><h1>502 Bad Gateway</h1></html>"),
        )
        .reply
        .unwrap_err();
        assert_eq!(
            err,
            ExchangeError::Http {
                status: 502,
                detail: "no content type, 37 bytes: 502 Bad Gateway".into()
            }
        );
    }
}
