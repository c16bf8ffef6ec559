//! Binance's answers: bare JSON on success, `{code, msg}` with an HTTP 4xx on refusal, and the
//! codes the simulator uses (reference §5.8; Binance's `errors.md`).
//!
//! Key and permission refusals are HTTP 401, a rate limit 429 with `Retry-After`, an IP ban 418
//! with `Retry-After`, parameter and order refusals 400. Every answer the weight limiter counted
//! carries its `X-MBX-USED-WEIGHT-1M` (or SAPI) header. Injected faults have their own shapes:
//! a 429 in Binance's words with `Retry-After: 1`, a gateway's 502/503 page, or no answer at all.
//! Nothing here ever holds a secret, except the one create answer that returns a new key's.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::injector::Injected;

/// The codes the simulator answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// `-1002`: the key may not call this (a master-only endpoint, a withdrawal without the
    /// permission).
    Unauthorized,
    /// `-1003`: too much request weight (429), or banned (418).
    TooManyRequests,
    /// `-1021`: the timestamp is outside `recvWindow`, or more than 1 s ahead.
    InvalidTimestamp,
    /// `-1022`: the signature does not verify.
    InvalidSignature,
    /// `-1102`: a mandatory parameter is missing or empty.
    MandatoryParam,
    /// `-1121`: no such symbol.
    InvalidSymbol,
    /// `-1127`: the time window is wider than the endpoint allows.
    IntervalTooBig,
    /// `-1128`: parameters that do not go together.
    BadCombination,
    /// `-1130`: a parameter's value is not valid (an unknown sub-account or key).
    InvalidParameter,
    /// `-1131`: `recvWindow` over 60000.
    BadRecvWindow,
    /// `-2010`: an order (or withdrawal) the account cannot fund.
    NewOrderRejected,
    /// `-2011`: nothing to cancel.
    CancelRejected,
    /// `-2014`: the key header is missing or not a key.
    BadApiKeyFormat,
    /// `-2015`: unknown or deleted key, address outside its IP list, or missing permission.
    RejectedKey,
}

impl Code {
    /// Binance's number for the code.
    pub(crate) fn number(self) -> i64 {
        match self {
            Code::Unauthorized => -1002,
            Code::TooManyRequests => -1003,
            Code::InvalidTimestamp => -1021,
            Code::InvalidSignature => -1022,
            Code::MandatoryParam => -1102,
            Code::InvalidSymbol => -1121,
            Code::IntervalTooBig => -1127,
            Code::BadCombination => -1128,
            Code::InvalidParameter => -1130,
            Code::BadRecvWindow => -1131,
            Code::NewOrderRejected => -2010,
            Code::CancelRejected => -2011,
            Code::BadApiKeyFormat => -2014,
            Code::RejectedKey => -2015,
        }
    }

    /// The HTTP status Binance answers the code with.
    fn status(self) -> StatusCode {
        match self {
            Code::Unauthorized | Code::BadApiKeyFormat | Code::RejectedKey => {
                StatusCode::UNAUTHORIZED
            }
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// A refused request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: Code,
    pub(crate) msg: String,
}

impl ApiError {
    /// A refusal with Binance's message.
    pub(crate) fn new(code: Code, msg: impl Into<String>) -> ApiError {
        ApiError {
            code,
            msg: msg.into(),
        }
    }

    /// `-1102` for a missing parameter.
    pub(crate) fn missing(name: &str) -> ApiError {
        ApiError::new(
            Code::MandatoryParam,
            format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
        )
    }

    /// `-1130` for a bad value.
    pub(crate) fn invalid(name: &str) -> ApiError {
        ApiError::new(
            Code::InvalidParameter,
            format!("Data sent for parameter '{name}' is not valid."),
        )
    }

    /// `-2015`, one message for every reason (reference §5.8).
    pub(crate) fn rejected_key() -> ApiError {
        ApiError::new(
            Code::RejectedKey,
            "Invalid API-key, IP, or permissions for action.",
        )
    }

    /// `-1002`.
    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            Code::Unauthorized,
            "You are not authorized to execute this request.",
        )
    }

    /// `-1121`.
    pub(crate) fn invalid_symbol() -> ApiError {
        ApiError::new(Code::InvalidSymbol, "Invalid symbol.")
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
    /// Binance's code, for the access log (0 on success).
    pub(crate) code: Option<i64>,
    payload: Payload,
    retry_after_s: Option<u64>,
    /// The used-weight header the limiter reported, if it counted the request.
    weight: Option<(&'static str, u32)>,
}

impl Reply {
    /// A bodiless answer (404).
    pub(crate) fn bare(status: StatusCode) -> Reply {
        Reply {
            status,
            code: None,
            payload: Payload::Empty,
            retry_after_s: None,
            weight: None,
        }
    }

    /// A success: bare JSON.
    pub(crate) fn ok(body: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            code: Some(0),
            payload: Payload::Json(body),
            retry_after_s: None,
            weight: None,
        }
    }

    /// A refusal.
    pub(crate) fn error(err: &ApiError) -> Reply {
        Reply {
            status: err.code.status(),
            code: Some(err.code.number()),
            payload: Payload::Json(json!({ "code": err.code.number(), "msg": err.msg })),
            retry_after_s: None,
            weight: None,
        }
    }

    /// Too much weight: 429 with `Retry-After`.
    pub(crate) fn too_many(limit: u32, retry_after_s: u64) -> Reply {
        Reply {
            retry_after_s: Some(retry_after_s),
            ..Reply::error(&ApiError::new(
                Code::TooManyRequests,
                format!(
                    "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
                ),
            ))
        }
    }

    /// An IP ban: 418 with `Retry-After`.
    pub(crate) fn banned(until_ms: i64, retry_after_s: u64) -> Reply {
        Reply {
            status: StatusCode::IM_A_TEAPOT,
            retry_after_s: Some(retry_after_s),
            ..Reply::error(&ApiError::new(
                Code::TooManyRequests,
                format!(
                    "Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."
                ),
            ))
        }
    }

    /// The same answer reporting a meter's used weight.
    pub(crate) fn with_weight(mut self, header: &'static str, used: u32) -> Reply {
        self.weight = Some((header, used));
        self
    }

    /// The answer an injected fault gives instead of the exchange's: a 429 in Binance's words
    /// with `Retry-After: 1`, a gateway's 502 or 503 page, or no answer at all.
    pub(crate) fn fault(injected: Injected) -> Reply {
        match injected {
            Injected::RateLimited => Reply {
                retry_after_s: Some(1),
                ..Reply::error(&ApiError::new(
                    Code::TooManyRequests,
                    "Too many requests; please use the websocket for live updates.",
                ))
            },
            Injected::ServerError { gateway, .. } => {
                let (status, page) = crate::sim::front::gateway_page(gateway);
                Reply {
                    status,
                    code: None,
                    payload: Payload::Text {
                        content_type: "text/html",
                        text: page,
                    },
                    retry_after_s: None,
                    weight: None,
                }
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
        if let Some((name, used)) = self.weight {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(used));
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
            Payload::Dropped => dropped_connection(),
        }
    }
}

/// A response whose body fails at once: the client sees the connection end with no answer.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::iter([Err::<Bytes, std::io::Error>(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "injected reset",
    ))]);
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_binance() {
        for (code, status) in [
            (Code::RejectedKey, 401),
            (Code::BadApiKeyFormat, 401),
            (Code::Unauthorized, 401),
            (Code::InvalidSignature, 400),
            (Code::InvalidTimestamp, 400),
            (Code::TooManyRequests, 429),
            (Code::CancelRejected, 400),
        ] {
            assert_eq!(code.status().as_u16(), status, "{}", code.number());
        }
        assert_eq!(Reply::banned(1, 120).seen_status(), 418);
        assert_eq!(Reply::too_many(6000, 3).seen_status(), 429);
    }
}
