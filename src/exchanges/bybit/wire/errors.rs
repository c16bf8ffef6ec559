//! How Bybit says no (docs/venues/bybit.md §7, §8): a `retCode` other than 0 mapped to a typed
//! [`ExchangeError`], and an answer that is not a Bybit envelope at all. Kept apart from the
//! decoders of what Bybit says yes with, because which error a code becomes decides what the
//! response does next (wait, stop, or ask the operator).

use super::*;

/// Maps a Bybit `retCode` to a typed error (docs/venues/bybit.md §8, §4 for 1410xx).
pub(super) fn api_error(code: i64, message: String, response: &Response) -> ExchangeError {
    let code_text = code.to_string();
    match code {
        10002 | -1 => ExchangeError::Timestamp { code: code_text },
        10003 => ExchangeError::InvalidKey { code: code_text },
        10004 => ExchangeError::Signature { code: code_text },
        10005 => ExchangeError::Permission {
            code: code_text,
            message,
        },
        10006 => ExchangeError::RateLimited {
            code: code_text,
            reset_ms: response
                .header("x-bapi-limit-reset-timestamp")
                .and_then(|value| value.trim().parse().ok()),
            retry_after_ms: None,
        },
        10010 => ExchangeError::IpRejected { code: code_text },
        // Bybit's error table has two codes for an expired key: 33004 for derivatives and -2015
        // for spot (docs/venues/bybit.md §8).
        33004 | -2015 => ExchangeError::KeyExpired { code: code_text },
        141019 => ExchangeError::WebUiOnly {
            code: code_text,
            what: "editing this key's IP whitelist".to_owned(),
        },
        141020 => ExchangeError::WebUiOnly {
            code: code_text,
            what: "changing this key's read/write permission".to_owned(),
        },
        _ => ExchangeError::Api {
            code: code_text,
            message,
        },
    }
}

/// How an answer that is not a Bybit envelope reads (docs/venues/bybit.md §7): 403 is the per-IP
/// limit, 429 system protection; `Retry-After` says for how many seconds.
pub(super) const NOT_JSON: decode::NotJson =
    decode::NotJson::new("a Bybit envelope", 200..201, &[403, 429], None);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bybit::wire::tests::response;

    #[test]
    fn maps_ret_codes() {
        let cases = [
            (10002, "Timestamp"),
            (10003, "InvalidKey"),
            (10004, "Signature"),
            (10005, "Permission"),
            (10006, "RateLimited"),
            (10010, "IpRejected"),
            (33004, "KeyExpired"),
            (-2015, "KeyExpired"),
            (141019, "WebUiOnly"),
            (141020, "WebUiOnly"),
            (170213, "Api"),
        ];
        for (code, want) in cases {
            let body = format!(r#"{{"retCode":{code},"retMsg":"m","result":{{}},"time":1}}"#);
            let err = decode(&Op::WhoAmI, &response(&body)).reply.unwrap_err();
            let shown = format!("{err:?}");
            assert!(shown.starts_with(want), "code {code}: {shown}");
        }
        let body = r#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"time":1}"#;
        let err = decode(&Op::WhoAmI, &response(body)).reply.unwrap_err();
        assert_eq!(
            err,
            ExchangeError::RateLimited {
                code: "10006".into(),
                reset_ms: Some(1_700_000_000_500),
                retry_after_ms: None,
            }
        );
    }
}
