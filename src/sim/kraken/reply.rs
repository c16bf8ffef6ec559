//! Kraken's answers: the `{"error": [...], "result": {...}}` envelope, the error strings the
//! simulator uses (reference §7.8), and the shapes of injected faults.
//!
//! Kraken answers every API-level outcome with HTTP 200, success and refusal alike; a non-200
//! status means the request never reached the API (a gateway, a proxy's 429), which is what the
//! injected faults look like: 429 with `Retry-After: 1` and a text body, a gateway's 502/503
//! page, or no answer at all. The access log needs numbers, so each error string also has one
//! (0 for success); Kraken itself has no numeric codes. Nothing here ever holds a secret.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::injector::Injected;

/// Why Kraken refused a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KrakenError {
    /// `EAPI:Invalid key`: unknown or deleted key (also a missing `API-Key`).
    InvalidKey,
    /// `EAPI:Invalid signature`.
    InvalidSignature,
    /// `EAPI:Invalid nonce`: missing, or not above the key's last.
    InvalidNonce,
    /// `EGeneral:Permission denied`: the key lacks the right, or the peer is not on its IP
    /// allow-list (Kraken documents no string for that, reference §7.8; this one is chosen so a
    /// restricted key is never mistaken for a deleted one).
    PermissionDenied,
    /// `EAPI:Rate limit exceeded`.
    RateLimit,
    /// `EGeneral:Unknown method`.
    UnknownMethod,
    /// `EGeneral:Invalid arguments:<name>`.
    InvalidArguments(String),
    /// `EQuery:Unknown asset pair`.
    UnknownAssetPair,
    /// `EOrder:Insufficient funds`.
    InsufficientFunds,
    /// `EOrder:Unknown order`.
    UnknownOrder,
    /// `EFunding:Insufficient funds`.
    FundingInsufficient,
}

impl KrakenError {
    /// `EGeneral:Invalid arguments:<name>`.
    pub(crate) fn invalid(name: &str) -> KrakenError {
        KrakenError::InvalidArguments(name.to_owned())
    }

    /// The string Kraken sends.
    pub(crate) fn text(&self) -> String {
        match self {
            KrakenError::InvalidKey => "EAPI:Invalid key".to_owned(),
            KrakenError::InvalidSignature => "EAPI:Invalid signature".to_owned(),
            KrakenError::InvalidNonce => "EAPI:Invalid nonce".to_owned(),
            KrakenError::PermissionDenied => "EGeneral:Permission denied".to_owned(),
            KrakenError::RateLimit => "EAPI:Rate limit exceeded".to_owned(),
            KrakenError::UnknownMethod => "EGeneral:Unknown method".to_owned(),
            KrakenError::InvalidArguments(name) => format!("EGeneral:Invalid arguments:{name}"),
            KrakenError::UnknownAssetPair => "EQuery:Unknown asset pair".to_owned(),
            KrakenError::InsufficientFunds => "EOrder:Insufficient funds".to_owned(),
            KrakenError::UnknownOrder => "EOrder:Unknown order".to_owned(),
            KrakenError::FundingInsufficient => "EFunding:Insufficient funds".to_owned(),
        }
    }

    /// The access log's number for it.
    pub(crate) fn number(&self) -> i64 {
        match self {
            KrakenError::InvalidKey => 1,
            KrakenError::InvalidSignature => 2,
            KrakenError::InvalidNonce => 3,
            KrakenError::PermissionDenied => 4,
            KrakenError::RateLimit => 5,
            KrakenError::UnknownMethod => 6,
            KrakenError::InvalidArguments(_) => 7,
            KrakenError::UnknownAssetPair => 8,
            KrakenError::InsufficientFunds => 9,
            KrakenError::UnknownOrder => 10,
            KrakenError::FundingInsufficient => 11,
        }
    }
}

/// What an answer carries after its status line.
#[derive(Clone, Debug)]
enum Payload {
    Empty,
    Json(Value),
    Text {
        content_type: &'static str,
        text: String,
    },
    Dropped,
}

/// A complete answer before it becomes an HTTP response.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    /// 0 for success, the error's number, `None` without an envelope.
    pub(crate) code: Option<i64>,
    payload: Payload,
    retry_after_s: Option<u32>,
}

impl Reply {
    /// A bodiless answer (404).
    pub(crate) fn bare(status: StatusCode) -> Reply {
        Reply {
            status,
            code: None,
            payload: Payload::Empty,
            retry_after_s: None,
        }
    }

    /// Success with `result`.
    pub(crate) fn ok(result: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            code: Some(0),
            payload: Payload::Json(json!({ "error": [], "result": result })),
            retry_after_s: None,
        }
    }

    /// A refusal: the error string alone, HTTP 200 (reference §7.8).
    pub(crate) fn error(err: &KrakenError) -> Reply {
        Reply {
            status: StatusCode::OK,
            code: Some(err.number()),
            payload: Payload::Json(json!({ "error": [err.text()] })),
            retry_after_s: None,
        }
    }

    /// The answer an injected fault gives instead of Kraken's.
    pub(crate) fn fault(injected: Injected) -> Reply {
        let text = |status: StatusCode, content_type, text: String| Reply {
            status,
            code: None,
            payload: Payload::Text { content_type, text },
            retry_after_s: None,
        };
        match injected {
            Injected::RateLimited => Reply {
                retry_after_s: Some(1),
                ..text(
                    StatusCode::TOO_MANY_REQUESTS,
                    "text/plain; charset=utf-8",
                    "429 Too Many Requests\n".to_owned(),
                )
            },
            Injected::ServerError { gateway, .. } => {
                let (status, page) = crate::sim::front::gateway_page(gateway);
                text(status, "text/html", page)
            }
            Injected::Reset { .. } => Reply {
                payload: Payload::Dropped,
                ..Reply::bare(StatusCode::OK)
            },
        }
    }

    /// The HTTP status the client saw, for the access log: 0 when it saw none.
    pub(crate) fn seen_status(&self) -> u16 {
        match self.payload {
            Payload::Dropped => 0,
            _ => self.status.as_u16(),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(s) = self.retry_after_s {
            headers.insert(RETRY_AFTER, HeaderValue::from(s));
        }
        match self.payload {
            Payload::Json(body) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                (self.status, headers, body.to_string()).into_response()
            }
            Payload::Text { content_type, text } => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                (self.status, headers, text).into_response()
            }
            Payload::Empty => (self.status, headers).into_response(),
            Payload::Dropped => {
                let failing = futures_util::stream::iter([Err::<Bytes, std::io::Error>(
                    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset"),
                )]);
                Response::new(Body::from_stream(failing))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_kraken_strings_with_http_200() {
        assert_eq!(
            KrakenError::invalid("volume").text(),
            "EGeneral:Invalid arguments:volume"
        );
        let reply = Reply::error(&KrakenError::InvalidKey);
        assert_eq!(reply.seen_status(), 200);
        assert_eq!(reply.code, Some(1));
        assert_eq!(Reply::ok(json!({})).code, Some(0));
    }
}
