//! Pieces every adapter shares, so that a malformed answer reads the same whichever venue sent
//! it: the exchange's result parsed into a wire type, a field that is missing or malformed, the
//! empty strings venues send for "none", an answer that is not the venue's JSON at all (an HTTP
//! error, often a gateway's page, summed up by [`Response::gist`]), and the decimals every
//! venue's order parameters are written as. One copy here instead of one per venue keeps the
//! venues from drifting apart.

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ExchangeError, Response};

/// Parses `value` into a wire type; `what` names the answer (`Bybit result`).
pub(crate) fn parse<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, ExchangeError> {
    serde_json::from_value(value).map_err(|err| ExchangeError::Protocol {
        detail: format!("{what}: {err}"),
    })
}

/// A field the answer lacks or that is not what the venue documents.
pub(crate) fn bad_field(what: &str, field: &str) -> ExchangeError {
    ExchangeError::Protocol {
        detail: format!("{what}: bad or missing `{field}`"),
    }
}

/// An empty string as absent.
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// A decimal with at most 8 places, without trailing zeros, as order sizes and prices are sent.
pub(crate) fn decimal(value: f64) -> String {
    let text = format!("{value:.8}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Seconds in `Retry-After`, as milliseconds.
pub(crate) fn retry_after(response: &Response) -> Option<u64> {
    response
        .header("retry-after")
        .and_then(|secs| secs.trim().parse::<u64>().ok())
        .map(|secs| secs * 1000)
}

/// How one venue reads an answer whose body is not its JSON.
pub(crate) struct NotJson {
    /// What the body should have been, after "not " (`a Kraken envelope`).
    pub what: &'static str,
    /// The statuses whose body was meant to be JSON, so that a body that is not is a protocol
    /// fault rather than an HTTP error.
    pub answered: Range<u16>,
    /// The statuses that mean "too many requests".
    pub rate_limited: &'static [u16],
    /// How long to wait when a rate limit names no `Retry-After`.
    pub wait_ms: Option<u64>,
}

/// The error for an answer that is not the venue's JSON: a rate limit, a protocol fault or an
/// HTTP error with the body's [`Response::gist`].
pub(crate) fn http_error(response: &Response, venue: &NotJson) -> ExchangeError {
    let detail = response.gist();
    match response.status {
        status if venue.rate_limited.contains(&status) => ExchangeError::RateLimited {
            code: format!("HTTP {status}"),
            reset_ms: None,
            retry_after_ms: retry_after(response).or(venue.wait_ms),
        },
        status if venue.answered.contains(&status) => ExchangeError::Protocol {
            detail: format!("not {}: {detail}", venue.what),
        },
        status => ExchangeError::Http { status, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_answers_name_the_venue_and_the_field() {
        let err = parse::<u64>("Kraken result", Value::from("x")).unwrap_err();
        assert!(
            err.to_string().contains("Kraken result: invalid type"),
            "{err}"
        );
        let err = bad_field("OKX data", "triggerTime");
        assert!(
            err.to_string()
                .contains("OKX data: bad or missing `triggerTime`"),
            "{err}"
        );
        assert_eq!(non_empty(String::new()), None);
        assert_eq!(non_empty("a".into()).as_deref(), Some("a"));
    }

    #[test]
    fn decimals_have_at_most_eight_places_and_no_trailing_zeros() {
        for (label, value, text) in [
            ("whole", 2.0, "2"),
            ("fraction", 0.25, "0.25"),
            ("rounded", 0.123456789, "0.12345679"),
            ("zero", 0.0, "0"),
            ("tiny", 0.000000001, "0"),
        ] {
            assert_eq!(decimal(value), text, "{label}");
        }
    }

    #[test]
    fn an_answer_that_is_not_json_is_a_rate_limit_a_protocol_fault_or_an_http_error() {
        let venue = NotJson {
            what: "a Test envelope",
            answered: 200..201,
            rate_limited: &[429],
            wait_ms: Some(500),
        };
        let response = |status: u16, headers: Vec<(String, String)>| Response {
            status,
            headers,
            body: b"<html><h1>oops</h1></html>".to_vec(),
        };
        let err = http_error(&response(429, Vec::new()), &venue);
        assert!(
            matches!(&err, ExchangeError::RateLimited { code, retry_after_ms: Some(500), .. } if code == "HTTP 429"),
            "{err:?}"
        );
        let waited = response(429, vec![("retry-after".into(), " 3 ".into())]);
        assert!(matches!(
            http_error(&waited, &venue),
            ExchangeError::RateLimited {
                retry_after_ms: Some(3000),
                ..
            }
        ));
        let err = http_error(&response(200, Vec::new()), &venue);
        assert!(
            err.to_string().contains("not a Test envelope: oops"),
            "{err}"
        );
        assert!(matches!(
            http_error(&response(502, Vec::new()), &venue),
            ExchangeError::Http { status: 502, detail } if detail == "oops"
        ));
    }
}
