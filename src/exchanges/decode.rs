//! Pieces every adapter shares, so that a malformed answer reads the same whichever venue sent
//! it: the exchange's result parsed into a wire type, a field that is missing or malformed, the
//! empty strings venues send for "none", an answer that is not the venue's JSON at all (an HTTP
//! error, often a gateway's page, summed up by [`Response::gist`]), and the decimals every
//! venue's order parameters are written as. One copy here instead of one per venue keeps the
//! venues from drifting apart.

use std::ops::Range;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Decoded, ExchangeError, Reply, Response};

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

/// A string, number or bool as text; anything else (null, arrays, objects) empty. Venues send
/// ids and amounts as either.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        _ => String::new(),
    }
}

/// Deserializes a string, number, bool or null as text ([`text_of`]), for
/// `#[serde(deserialize_with = "…")]`.
pub(crate) fn flex_string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    Ok(text_of(&Value::deserialize(de)?))
}

/// An empty string as absent.
pub(crate) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// What a venue made of an answer it could read: the reply, the exchange's clock (a server-time
/// reply's own time, else what the envelope said) and the venue's code.
pub(crate) fn decoded(
    reply: Result<Reply, ExchangeError>,
    server_ms: Option<i64>,
    code: Option<String>,
) -> Decoded {
    let server_ms = match &reply {
        Ok(Reply::ServerTime(ms)) => Some(*ms),
        _ => server_ms,
    };
    Decoded {
        reply,
        server_ms,
        code,
    }
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
    what: &'static str,
    /// The statuses whose body was meant to be JSON, so that a body that is not is a protocol
    /// fault rather than an HTTP error.
    answered: Range<u16>,
    /// The statuses that mean "too many requests".
    rate_limited: &'static [u16],
    /// How long to wait when a rate limit names no `Retry-After`.
    wait_ms: Option<u64>,
    /// The status that means the caller's address is banned for a while (Binance's 418).
    banned: Option<u16>,
}

impl NotJson {
    /// A venue's reading: what its body should have been, the statuses meant to carry it, those
    /// that mean "too many requests" and how long to wait after one that names no wait.
    pub(crate) const fn new(
        what: &'static str,
        answered: Range<u16>,
        rate_limited: &'static [u16],
        wait_ms: Option<u64>,
    ) -> NotJson {
        NotJson {
            what,
            answered,
            rate_limited,
            wait_ms,
            banned: None,
        }
    }

    /// A venue that answers in an envelope with HTTP 200 and says "too many requests" with 429.
    pub(crate) const fn envelope(what: &'static str, wait_ms: Option<u64>) -> NotJson {
        NotJson::new(what, 200..201, &[429], wait_ms)
    }

    /// The same, with a status that means an IP ban.
    pub(crate) const fn banned_on(self, status: u16) -> NotJson {
        NotJson {
            banned: Some(status),
            ..self
        }
    }

    /// The error for an answer that is not the venue's JSON: an IP ban, a rate limit, a
    /// protocol fault or an HTTP error with the body's [`Response::gist`].
    pub(crate) fn error(&self, response: &Response) -> ExchangeError {
        let detail = response.gist();
        match response.status {
            status if self.banned == Some(status) => ExchangeError::IpBanned {
                code: format!("HTTP {status}"),
                retry_after_ms: retry_after(response),
            },
            status if self.rate_limited.contains(&status) => ExchangeError::RateLimited {
                code: format!("HTTP {status}"),
                reset_ms: None,
                retry_after_ms: retry_after(response).or(self.wait_ms),
            },
            status if self.answered.contains(&status) => ExchangeError::Protocol {
                detail: format!("not {}: {detail}", self.what),
            },
            status => ExchangeError::Http { status, detail },
        }
    }

    /// What the venue made of such an answer: the error, no clock, no code.
    pub(crate) fn decoded(&self, response: &Response) -> Decoded {
        Decoded {
            reply: Err(self.error(response)),
            server_ms: None,
            code: None,
        }
    }
}

/// An answer as a venue sends it, without headers, for the decoders' tests.
#[cfg(test)]
pub(crate) fn answer(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
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
        for (label, value, text) in [
            ("string", Value::from("7"), "7"),
            ("number", Value::from(7), "7"),
            ("bool", Value::from(true), "true"),
            ("null", Value::Null, ""),
        ] {
            assert_eq!(text_of(&value), text, "{label}");
        }
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
    fn an_answer_that_is_not_json_is_a_ban_a_rate_limit_a_protocol_fault_or_an_http_error() {
        let venue = NotJson::new("a Test envelope", 200..201, &[429], Some(500)).banned_on(418);
        let response = |status: u16, headers: Vec<(String, String)>| Response {
            status,
            headers,
            body: b"<html><h1>oops</h1></html>".to_vec(),
        };
        let err = venue.error(&response(429, Vec::new()));
        assert!(
            matches!(&err, ExchangeError::RateLimited { code, retry_after_ms: Some(500), .. } if code == "HTTP 429"),
            "{err:?}"
        );
        let waited = response(429, vec![("retry-after".into(), " 3 ".into())]);
        assert!(matches!(
            venue.error(&waited),
            ExchangeError::RateLimited {
                retry_after_ms: Some(3000),
                ..
            }
        ));
        let err = venue.error(&response(200, Vec::new()));
        assert!(
            err.to_string()
                .contains("not a Test envelope: no content type, 26 bytes: oops"),
            "{err}"
        );
        assert!(matches!(
            venue.error(&response(502, Vec::new())),
            ExchangeError::Http { status: 502, detail } if detail == "no content type, 26 bytes: oops"
        ));
        assert!(matches!(
            venue.decoded(&response(418, Vec::new())).reply,
            Err(ExchangeError::IpBanned { ref code, .. }) if code == "HTTP 418"
        ));
    }
}
