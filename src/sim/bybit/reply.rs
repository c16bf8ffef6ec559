//! Bybit's answers: the `retCode` envelope, the codes the simulator uses, the rate-limit headers.
//!
//! Every enveloped answer is HTTP 200, errors included, as Bybit does (docs/venues/bybit.md §8);
//! only missing auth headers (401) and unknown paths (404) break that, with an empty body. Messages
//! name the offending parameter in backticks. Injected faults have the shared shapes
//! (`sim/answer.rs`), with Bybit's words in the 429 (see `rate_limited`). Nothing here ever
//! holds a secret.

use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::sim::answer::{Answer, PLAIN_TEXT};
use crate::sim::ratelimit::Verdict;

/// The `retCode` values the simulator answers with (docs/venues/bybit.md §4, §8; trade and asset
/// codes from Bybit's error page, docs `error.mdx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetCode {
    Ok,
    ParamError,
    TimestampOutOfWindow,
    InvalidApiKey,
    BadSignature,
    PermissionDenied,
    TooManyVisits,
    UnmatchedIp,
    KeyExpired,
    IpEditWebUiOnly,
    DuplicateOrderLinkId,
    InsufficientBalance,
    OrderNotExists,
    InsufficientAvailableBalance,
    WithdrawInsufficientBalance,
    TransferIdExists,
    UserBanned,
    ReduceOnlyRule,
}

impl RetCode {
    /// Returns the number Bybit sends.
    pub(crate) fn code(self) -> i64 {
        match self {
            RetCode::Ok => 0,
            RetCode::ParamError => 10001,
            RetCode::TimestampOutOfWindow => 10002,
            RetCode::InvalidApiKey => 10003,
            RetCode::BadSignature => 10004,
            RetCode::PermissionDenied => 10005,
            RetCode::TooManyVisits => 10006,
            RetCode::UnmatchedIp => 10010,
            RetCode::KeyExpired => 33004,
            RetCode::IpEditWebUiOnly => 141019,
            RetCode::DuplicateOrderLinkId => 110072,
            RetCode::InsufficientBalance => 170131,
            RetCode::OrderNotExists => 110001,
            RetCode::InsufficientAvailableBalance => 110007,
            RetCode::WithdrawInsufficientBalance => 131212,
            RetCode::TransferIdExists => 131214,
            RetCode::UserBanned => 10008,
            RetCode::ReduceOnlyRule => 110017,
        }
    }
}

/// A refused request: a code and a message for `retMsg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: RetCode,
    pub(crate) msg: String,
}

impl ApiError {
    /// Creates an error with a message.
    pub(crate) fn new(code: RetCode, msg: impl Into<String>) -> ApiError {
        ApiError {
            code,
            msg: msg.into(),
        }
    }

    /// 10001 for a missing required parameter.
    pub(crate) fn missing(name: &str) -> ApiError {
        ApiError::new(
            RetCode::ParamError,
            format!("params error: `{name}` is required"),
        )
    }

    /// 10001 for a parameter with a bad value.
    pub(crate) fn invalid(name: &str, why: &str) -> ApiError {
        ApiError::new(RetCode::ParamError, format!("params error: `{name}` {why}"))
    }

    /// 10005 with Bybit's wording and the reason.
    pub(crate) fn denied(why: &str) -> ApiError {
        ApiError::new(
            RetCode::PermissionDenied,
            format!("Permission denied, please check your API key permissions: {why}"),
        )
    }
}

/// `retCode` 0 with `result`.
pub(crate) fn ok(result: Value, now_ms: i64) -> Answer {
    envelope(RetCode::Ok.code(), "OK", result, now_ms)
}

/// A refused request, still HTTP 200.
pub(crate) fn error(err: &ApiError, now_ms: i64) -> Answer {
    envelope(err.code.code(), &err.msg, json!({}), now_ms)
}

fn envelope(code: i64, msg: &str, result: Value, now_ms: i64) -> Answer {
    let body = json!({
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": now_ms,
    });
    Answer::json(StatusCode::OK, code, body)
}

/// `answer` with the rate-limit state as Bybit's three headers (docs/venues/bybit.md §7).
pub(crate) fn with_limit(answer: Answer, verdict: Verdict) -> Answer {
    answer
        .with_header(
            HeaderName::from_static("x-bapi-limit"),
            HeaderValue::from(verdict.limit),
        )
        .with_header(
            HeaderName::from_static("x-bapi-limit-status"),
            HeaderValue::from(verdict.remaining),
        )
        .with_header(
            HeaderName::from_static("x-bapi-limit-reset-timestamp"),
            HeaderValue::from(verdict.reset_ms),
        )
}

/// The answer an injected 429 gives, before `Retry-After: 1` is added. Bybit documents HTTP 429
/// as "system level frequency protection, retry" (docs `error.mdx`, docs/venues/bybit.md §8) but
/// not its body, so the body is a chosen one, deliberately not an envelope.
pub(crate) fn rate_limited() -> Answer {
    Answer::text(
        StatusCode::TOO_MANY_REQUESTS,
        PLAIN_TEXT,
        "429 Too Many Requests: system level frequency protection, retry later\n".to_owned(),
    )
}
