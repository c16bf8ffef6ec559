//! Binance's answers: bare JSON on success, `{code, msg}` with an HTTP 4xx on refusal, and the
//! codes the simulator uses (docs/venues/binance.md §8; Binance's `errors.md`).
//!
//! Key and permission refusals are HTTP 401, a rate limit 429 with `Retry-After`, an IP ban 418
//! with `Retry-After`, parameter and order refusals 400. Every answer the weight limiter counted
//! carries its `X-MBX-USED-WEIGHT-1M` (or SAPI) header. Injected faults have the shared shapes
//! (`sim/answer.rs`), the 429 in Binance's words (`rate_limited`). Nothing here ever holds a
//! secret, except the one create answer that returns a new key's.

use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::sim::answer::Answer;

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
    /// `-2008`: SAPI's answer for a key id it does not know (unknown or deleted), with HTTP 400
    /// as reported answers show.
    InvalidKeyId,
    /// `-3003`: the account has not opened a cross-margin account (the margin error codes).
    NoMarginAccount,
    /// `-1106`: a parameter was sent that the request does not take (`reduceOnly` on spot).
    NotRequired,
    /// `-2022`: a reduce-only order with nothing to reduce (futures).
    ReduceOnlyRejected,
    /// `-5022`: a futures post-only (`GTX`) order that would take.
    GtxRejected,
    /// `-1020`: a WebSocket API method the simulator does not serve.
    Unsupported,
    /// `-2035`: the account already has a User Data Stream subscription on this connection.
    SubscriptionActive,
    /// `-2036`: no such User Data Stream subscription.
    SubscriptionInactive,
    /// `-2042`: a connection's subscription ids are used up.
    TooManySubscriptions,
    /// `-1125`: no such listen key.
    NoListenKey,
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
            Code::InvalidKeyId => -2008,
            Code::NoMarginAccount => -3003,
            Code::NotRequired => -1106,
            Code::ReduceOnlyRejected => -2022,
            Code::GtxRejected => -5022,
            Code::Unsupported => -1020,
            Code::SubscriptionActive => -2035,
            Code::SubscriptionInactive => -2036,
            Code::TooManySubscriptions => -2042,
            Code::NoListenKey => -1125,
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

    /// `-2015`, one message for every reason (docs/venues/binance.md §8).
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

    /// `-1020`.
    pub(crate) fn unsupported() -> ApiError {
        ApiError::new(Code::Unsupported, "This operation is not supported.")
    }

    /// `-1121`.
    pub(crate) fn invalid_symbol() -> ApiError {
        ApiError::new(Code::InvalidSymbol, "Invalid symbol.")
    }
}

/// A success: bare JSON.
pub(crate) fn ok(body: Value) -> Answer {
    Answer::json(StatusCode::OK, 0, body)
}

/// A refusal.
pub(crate) fn error(err: &ApiError) -> Answer {
    refusal(err.code.status(), err)
}

/// A refusal with `status`.
fn refusal(status: StatusCode, err: &ApiError) -> Answer {
    let number = err.code.number();
    Answer::json(status, number, json!({ "code": number, "msg": err.msg }))
}

/// Too much weight: 429 with `Retry-After`.
pub(crate) fn too_many(limit: u32, retry_after_s: u64) -> Answer {
    error(&ApiError::new(
        Code::TooManyRequests,
        format!(
            "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
        ),
    ))
    .with_retry_after(retry_after_s)
}

/// An IP ban: 418 with `Retry-After`.
pub(crate) fn banned(until_ms: i64, retry_after_s: u64) -> Answer {
    let err = ApiError::new(
        Code::TooManyRequests,
        format!(
            "Way too much request weight used; IP banned until {until_ms}. Please use WebSocket Streams for live updates to avoid bans."
        ),
    );
    refusal(StatusCode::IM_A_TEAPOT, &err).with_retry_after(retry_after_s)
}

/// `answer` reporting a meter's used weight.
pub(crate) fn with_weight(answer: Answer, header: &'static str, used: u32) -> Answer {
    answer.with_header(HeaderName::from_static(header), HeaderValue::from(used))
}

/// The answer an injected 429 gives, in Binance's words, before `Retry-After: 1` is added.
pub(crate) fn rate_limited() -> Answer {
    error(&ApiError::new(
        Code::TooManyRequests,
        "Too many requests; please use the websocket for live updates.",
    ))
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
        assert_eq!(banned(1, 120).seen_status(), 418);
        assert_eq!(too_many(6000, 3).seen_status(), 429);
    }
}
