//! OKX's answers: the `{code, msg, data}` envelope, the codes the simulator uses and their HTTP
//! statuses (docs/venues/okx.md §8; OKX's error-code page, "REST API").
//!
//! `code` is a string. Authentication failures are HTTP 401, `50035` is 403, a rate limit 429,
//! parameter errors 400, everything else (business refusals, `50119`, `50120`) 200 as OKX
//! documents. Trade endpoints add the gateway's `inTime`/`outTime` (µs). Injected faults have
//! the shared shapes (`sim/answer.rs`); OKX documents the 429 but not its body, so it is the
//! front door's default text. Nothing here ever holds a secret.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::sim::answer::Answer;

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
    AmendFailed,
    ReduceOnlyNoPosition,
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
            Code::AmendFailed => "51503",
            Code::ReduceOnlyNoPosition => "51169",
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
pub(crate) enum Outcome {
    /// `code` `0` with this `data`.
    Data(Value),
    /// Per-item results (`sCode`/`sMsg` in each): `0` when all succeeded, `1` when all failed,
    /// `2` when some did.
    Items(Vec<Value>),
}

impl Outcome {
    /// The answer for this outcome; `gateway_us` adds `inTime`/`outTime`.
    pub(crate) fn answer(self, gateway_us: Option<i64>) -> Answer {
        match self {
            Outcome::Data(data) => ok(data, gateway_us),
            Outcome::Items(items) => {
                let failed = items.iter().filter(|i| i["sCode"] != "0").count();
                let code = match failed {
                    0 => Code::Ok,
                    n if n == items.len() => Code::AllFailed,
                    _ => Code::PartlyFailed,
                };
                per_item(code, Value::Array(items), gateway_us)
            }
        }
    }
}

/// `code` `0` with `data`; `gateway_us` adds `inTime`/`outTime` (trade endpoints).
pub(crate) fn ok(data: Value, gateway_us: Option<i64>) -> Answer {
    envelope(Code::Ok, "", data, gateway_us)
}

/// A per-item answer whose envelope code says how many items failed.
fn per_item(code: Code, data: Value, gateway_us: Option<i64>) -> Answer {
    let msg = match code {
        Code::AllFailed => "All operations failed",
        Code::PartlyFailed => "Bulk operation partially succeeded.",
        _ => "",
    };
    envelope(code, msg, data, gateway_us)
}

/// A refused request.
pub(crate) fn error(err: &ApiError) -> Answer {
    envelope(err.code, &err.msg, json!([]), None)
}

fn envelope(code: Code, msg: &str, data: Value, gateway_us: Option<i64>) -> Answer {
    let mut body = json!({ "code": code.as_str(), "msg": msg, "data": data });
    if let (Some(us), Value::Object(map)) = (gateway_us, &mut body) {
        map.insert("inTime".into(), json!(us.to_string()));
        map.insert("outTime".into(), json!((us + 1_500).to_string()));
    }
    Answer::json(code.status(), code.number(), body)
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
