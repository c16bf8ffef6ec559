//! Bybit's answers: the `retCode` envelope, the codes the simulator uses, the rate-limit headers.
//!
//! Every enveloped answer is HTTP 200, errors included, as Bybit does (reference §3.8); only
//! missing auth headers (401) and unknown paths (404) break that, with an empty body. Messages
//! name the offending parameter in backticks. Nothing here ever holds a secret.

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::ratelimit::Verdict;

/// The `retCode` values the simulator answers with (reference §3.4, §3.8; trade and asset codes
/// from Bybit's error page, docs `error.mdx`).
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

/// A complete answer before it becomes an HTTP response.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    /// The envelope's `retCode`; `None` for bodiless answers.
    pub(crate) ret_code: Option<i64>,
    body: Option<Value>,
    limit: Option<Verdict>,
}

impl Reply {
    /// A bodiless answer (401, 404).
    pub(crate) fn bare(status: StatusCode) -> Reply {
        Reply {
            status,
            ret_code: None,
            body: None,
            limit: None,
        }
    }

    /// `retCode` 0 with `result`.
    pub(crate) fn ok(result: Value, now_ms: i64) -> Reply {
        Reply::envelope(RetCode::Ok.code(), "OK", result, now_ms)
    }

    /// A refused request, still HTTP 200.
    pub(crate) fn error(err: &ApiError, now_ms: i64) -> Reply {
        Reply::envelope(err.code.code(), &err.msg, json!({}), now_ms)
    }

    fn envelope(code: i64, msg: &str, result: Value, now_ms: i64) -> Reply {
        Reply {
            status: StatusCode::OK,
            ret_code: Some(code),
            body: Some(json!({
                "retCode": code,
                "retMsg": msg,
                "result": result,
                "retExtInfo": {},
                "time": now_ms,
            })),
            limit: None,
        }
    }

    /// Attaches the rate-limit state as Bybit's three headers (reference §3.7).
    pub(crate) fn with_limit(mut self, verdict: Verdict) -> Reply {
        self.limit = Some(verdict);
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(v) = self.limit {
            headers.insert(
                HeaderName::from_static("x-bapi-limit"),
                HeaderValue::from(v.limit),
            );
            headers.insert(
                HeaderName::from_static("x-bapi-limit-status"),
                HeaderValue::from(v.remaining),
            );
            headers.insert(
                HeaderName::from_static("x-bapi-limit-reset-timestamp"),
                HeaderValue::from(v.reset_ms),
            );
        }
        match self.body {
            Some(body) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                (self.status, headers, body.to_string()).into_response()
            }
            None => (self.status, headers).into_response(),
        }
    }
}
