//! OKX's answers: the `{code, msg, data}` envelope, the codes the simulator uses and their HTTP
//! statuses (reference §4.8; OKX's error-code page, "REST API").
//!
//! `code` is a string. Authentication failures are HTTP 401, `50035` is 403, a rate limit 429,
//! parameter errors 400, everything else (business refusals, `50119`, `50120`) 200 as OKX
//! documents. Trade endpoints add the gateway's `inTime`/`outTime` (µs). Injected faults have
//! their own shapes: 429 with `Retry-After`, a gateway's 502/503 page, or no answer at all.
//! Nothing here ever holds a secret.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::sim::injector::Injected;

/// The codes the simulator answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    Ok,
    /// `1`: every item of a batch failed (or the one order failed).
    AllFailed,
    /// `2`: some items of a batch failed.
    PartlyFailed,
    EmptyBody,
    RateLimited,
    ParamEmpty,
    IpBindingRequired,
    WrongEnvironment,
    TimestampExpired,
    KeyHeaderEmpty,
    PassphraseHeaderEmpty,
    PassphraseIncorrect,
    SignHeaderEmpty,
    TimestampHeaderEmpty,
    IpNotWhitelisted,
    InvalidKey,
    InvalidTimestamp,
    InvalidSignature,
    KeyDoesNotExist,
    NoPermission,
    ParamError,
    InstrumentDoesNotExist,
    InsufficientBalance,
    DuplicateClientId,
    CancelFailed,
    WithdrawInsufficientBalance,
    MasterOnly,
    SubAccountCannotWithdraw,
    PassphraseFormat,
    TargetKeyDoesNotExist,
    SubAccountDoesNotExist,
}

impl Code {
    /// The string OKX sends.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::Ok => "0",
            Code::AllFailed => "1",
            Code::PartlyFailed => "2",
            Code::EmptyBody => "50000",
            Code::RateLimited => "50011",
            Code::ParamEmpty => "50014",
            Code::IpBindingRequired => "50035",
            Code::WrongEnvironment => "50101",
            Code::TimestampExpired => "50102",
            Code::KeyHeaderEmpty => "50103",
            Code::PassphraseHeaderEmpty => "50104",
            Code::PassphraseIncorrect => "50105",
            Code::SignHeaderEmpty => "50106",
            Code::TimestampHeaderEmpty => "50107",
            Code::IpNotWhitelisted => "50110",
            Code::InvalidKey => "50111",
            Code::InvalidTimestamp => "50112",
            Code::InvalidSignature => "50113",
            Code::KeyDoesNotExist => "50119",
            Code::NoPermission => "50120",
            Code::ParamError => "51000",
            Code::InstrumentDoesNotExist => "51001",
            Code::InsufficientBalance => "51008",
            Code::DuplicateClientId => "51016",
            Code::CancelFailed => "51400",
            Code::WithdrawInsufficientBalance => "58350",
            Code::MasterOnly => "59500",
            Code::SubAccountCannotWithdraw => "59504",
            Code::PassphraseFormat => "59505",
            Code::TargetKeyDoesNotExist => "59506",
            Code::SubAccountDoesNotExist => "59510",
        }
    }

    /// The HTTP status OKX answers this code with.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Code::EmptyBody | Code::ParamEmpty | Code::ParamError => StatusCode::BAD_REQUEST,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::IpBindingRequired => StatusCode::FORBIDDEN,
            Code::WrongEnvironment
            | Code::TimestampExpired
            | Code::KeyHeaderEmpty
            | Code::PassphraseHeaderEmpty
            | Code::PassphraseIncorrect
            | Code::SignHeaderEmpty
            | Code::TimestampHeaderEmpty
            | Code::IpNotWhitelisted
            | Code::InvalidKey
            | Code::InvalidTimestamp
            | Code::InvalidSignature => StatusCode::UNAUTHORIZED,
            _ => StatusCode::OK,
        }
    }

    /// The code as a number, for the access log.
    pub(crate) fn number(self) -> i64 {
        self.as_str().parse().unwrap_or(-1)
    }
}

/// A refused request: a code and OKX's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: Code,
    pub(crate) msg: String,
}

impl ApiError {
    /// Creates an error with a message.
    pub(crate) fn new(code: Code, msg: impl Into<String>) -> ApiError {
        ApiError {
            code,
            msg: msg.into(),
        }
    }

    /// `50014`: a required parameter is missing.
    pub(crate) fn missing(name: &str) -> ApiError {
        ApiError::new(
            Code::ParamEmpty,
            format!("Parameter {name} can not be empty."),
        )
    }

    /// `51000`: a parameter has a bad value (the reason follows, for people).
    pub(crate) fn invalid(name: &str, why: &str) -> ApiError {
        ApiError::new(Code::ParamError, format!("Parameter {name} error: {why}"))
    }

    /// `50120`: the key lacks the permission.
    pub(crate) fn no_permission(why: &str) -> ApiError {
        ApiError::new(
            Code::NoPermission,
            format!("This API key doesn't have permission to use this function ({why})"),
        )
    }
}

/// What a handler answers: data, or per-item results whose failures set the envelope's code.
#[derive(Clone, Debug)]
pub(crate) enum Answer {
    /// `code` `0` with this `data`.
    Data(Value),
    /// Per-item results (`sCode`/`sMsg` in each): `0` when all succeeded, `1` when all failed,
    /// `2` when some did.
    Items(Vec<Value>),
}

impl Answer {
    /// The reply for this answer; `gateway_us` adds `inTime`/`outTime`.
    pub(crate) fn reply(self, gateway_us: Option<i64>) -> Reply {
        match self {
            Answer::Data(data) => Reply::ok(data, gateway_us),
            Answer::Items(items) => {
                let failed = items.iter().filter(|i| i["sCode"] != "0").count();
                let code = match failed {
                    0 => Code::Ok,
                    n if n == items.len() => Code::AllFailed,
                    _ => Code::PartlyFailed,
                };
                Reply::items(code, Value::Array(items), gateway_us)
            }
        }
    }
}

/// What an answer carries after its status line.
#[derive(Clone, Debug)]
enum Payload {
    /// No body (404).
    Empty,
    /// An OKX envelope.
    Json(Value),
    /// A non-JSON body, as a gateway in front of the exchange sends.
    Text {
        content_type: &'static str,
        text: String,
    },
    /// No answer: the connection is dropped.
    Dropped,
}

/// A complete answer before it becomes an HTTP response.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    /// The envelope's code as a number; `None` for answers without an envelope.
    pub(crate) code: Option<i64>,
    payload: Payload,
    /// `Retry-After`, whole seconds.
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

    /// `code` `0` with `data`; `gateway_us` adds `inTime`/`outTime` (trade endpoints).
    pub(crate) fn ok(data: Value, gateway_us: Option<i64>) -> Reply {
        Reply::envelope(Code::Ok, "", data, gateway_us)
    }

    /// A per-item answer whose envelope code says how many items failed.
    pub(crate) fn items(code: Code, data: Value, gateway_us: Option<i64>) -> Reply {
        let msg = match code {
            Code::AllFailed => "All operations failed",
            Code::PartlyFailed => "Bulk operation partially succeeded.",
            _ => "",
        };
        Reply::envelope(code, msg, data, gateway_us)
    }

    /// A refused request.
    pub(crate) fn error(err: &ApiError) -> Reply {
        Reply::envelope(err.code, &err.msg, json!([]), None)
    }

    fn envelope(code: Code, msg: &str, data: Value, gateway_us: Option<i64>) -> Reply {
        let mut body = json!({ "code": code.as_str(), "msg": msg, "data": data });
        if let (Some(us), Value::Object(map)) = (gateway_us, &mut body) {
            map.insert("inTime".into(), json!(us.to_string()));
            map.insert("outTime".into(), json!((us + 1_500).to_string()));
        }
        Reply {
            status: code.status(),
            code: Some(code.number()),
            payload: Payload::Json(body),
            retry_after_s: None,
        }
    }

    /// The answer an injected fault gives instead of the exchange's: 429 with `Retry-After: 1`
    /// and a short text body (chosen: OKX documents the 429 but not its body), a gateway's 502
    /// or 503 page, or no answer at all.
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
    fn statuses_follow_okx() {
        for (code, status) in [
            (Code::TimestampExpired, 401),
            (Code::PassphraseIncorrect, 401),
            (Code::IpBindingRequired, 403),
            (Code::RateLimited, 429),
            (Code::ParamError, 400),
            (Code::KeyDoesNotExist, 200),
            (Code::NoPermission, 200),
            (Code::MasterOnly, 200),
        ] {
            assert_eq!(code.status().as_u16(), status, "{}", code.as_str());
        }
        assert_eq!(Code::TargetKeyDoesNotExist.number(), 59_506);
    }
}
