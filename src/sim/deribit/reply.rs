//! Deribit's answers: the JSON-RPC 2.0 envelope, its error objects and codes, and the injected
//! faults' shapes.
//!
//! Success: `{"jsonrpc":"2.0","id"?,"result":…,"usIn":µs,"usOut":µs,"usDiff":µs,"testnet":true}`
//! with HTTP 200; an error carries `"error":{"code","message","data"?}` instead
//! (docs/venues/deribit.md §8, codes from the long-standing list). The HTTP status of a REST error
//! is not documented (docs/venues/deribit.md §8, §10): the simulator chooses 400 for every JSON-RPC
//! error, and clients must read the body, not the status. `testnet` is true: this is not the
//! production exchange. Paths outside `/api/v2/` are HTTP 404 with no body. Faults look as a
//! gateway in front of the exchange would answer (`sim/answer.rs`): 429 with `Retry-After: 1` and a
//! short text, 502/503 with an HTML page, or no answer. Nothing here ever holds a secret but a new
//! key's `client_secret`, once.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::sim::answer::Answer;

/// The error codes the simulator answers with (docs/venues/deribit.md §8).
pub(crate) mod code {
    /// `authorization_required`: no or malformed credentials.
    pub(crate) const AUTHORIZATION_REQUIRED: i64 = 10_000;
    /// `order_not_found`.
    pub(crate) const ORDER_NOT_FOUND: i64 = 10_004;
    /// `not_enough_funds`.
    pub(crate) const NOT_ENOUGH_FUNDS: i64 = 10_009;
    /// `invalid_amount`.
    pub(crate) const INVALID_AMOUNT: i64 = 10_021;
    /// `invalid_price`.
    pub(crate) const INVALID_PRICE: i64 = 10_023;
    /// `too_many_requests`.
    pub(crate) const TOO_MANY_REQUESTS: i64 = 10_028;
    /// `not_open_order`.
    pub(crate) const NOT_OPEN_ORDER: i64 = 11_044;
    /// `post_only_reject`: a post-only order with `reject_post_only` would have taken.
    pub(crate) const POST_ONLY_REJECT: i64 = 11_054;
    /// `invalid_credentials`: unknown, removed or disabled key at login.
    pub(crate) const INVALID_CREDENTIALS: i64 = 13_004;
    /// `security_error`: a wrong two-factor code.
    pub(crate) const SECURITY_ERROR: i64 = 13_006;
    /// `unauthorized`: a bad or expired token, a bad signature, a stale timestamp.
    pub(crate) const UNAUTHORIZED: i64 = 13_009;
    /// `not_found`: no such instrument.
    pub(crate) const NOT_FOUND: i64 = 13_020;
    /// `forbidden`: the scope does not allow it, or the address is not whitelisted.
    pub(crate) const FORBIDDEN: i64 = 13_021;
    /// `scope_exceeded`: managing a key above the caller's own scope.
    pub(crate) const SCOPE_EXCEEDED: i64 = 13_403;
    /// JSON-RPC invalid params.
    pub(crate) const INVALID_PARAMS: i64 = -32_602;
    /// JSON-RPC method not found.
    pub(crate) const METHOD_NOT_FOUND: i64 = -32_601;
    /// JSON-RPC parse error.
    pub(crate) const PARSE_ERROR: i64 = -32_700;
}

/// A refused request: a JSON-RPC error object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl RpcError {
    /// An error with Deribit's short message.
    pub(crate) fn new(code: i64, message: &str) -> RpcError {
        RpcError {
            code,
            message: message.to_owned(),
            data: None,
        }
    }

    /// The same error with `data.reason`.
    pub(crate) fn because(mut self, reason: &str) -> RpcError {
        self.data = Some(json!({ "reason": reason }));
        self
    }

    /// -32602 naming the parameter.
    pub(crate) fn param(name: &str, why: &str) -> RpcError {
        RpcError {
            code: code::INVALID_PARAMS,
            message: "Invalid params".to_owned(),
            data: Some(json!({ "reason": why, "param": name })),
        }
    }

    /// -32602 for a missing parameter.
    pub(crate) fn missing(name: &str) -> RpcError {
        RpcError::param(name, "must be present")
    }

    /// 13021 `forbidden` with the reason.
    pub(crate) fn forbidden(reason: &str) -> RpcError {
        RpcError::new(code::FORBIDDEN, "forbidden").because(reason)
    }
}

/// The envelope's timing: when the request came in and now, on the exchange's clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) us_in: i64,
    pub(crate) us_out: i64,
}

/// A result, code 0 for the access log.
pub(crate) fn ok(id: Option<&Value>, result: Value, timing: Timing) -> Answer {
    Answer::json(StatusCode::OK, 0, envelope(id, "result", result, timing))
}

/// An error object, HTTP 400.
pub(crate) fn error(id: Option<&Value>, err: &RpcError, timing: Timing) -> Answer {
    let body = error_envelope(id, err, timing);
    Answer::json(StatusCode::BAD_REQUEST, err.code, body)
}

/// The whole JSON-RPC answer carrying `result` (what the WebSocket sends as a text message).
pub(crate) fn ok_envelope(id: Option<&Value>, result: Value, timing: Timing) -> Value {
    envelope(id, "result", result, timing)
}

/// The whole JSON-RPC answer carrying an error object.
pub(crate) fn error_envelope(id: Option<&Value>, err: &RpcError, timing: Timing) -> Value {
    let mut object = json!({ "code": err.code, "message": err.message });
    if let (Some(data), Value::Object(map)) = (&err.data, &mut object) {
        map.insert("data".to_owned(), data.clone());
    }
    envelope(id, "error", object, timing)
}

fn envelope(id: Option<&Value>, field: &str, value: Value, timing: Timing) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("jsonrpc".to_owned(), json!("2.0"));
    if let Some(id) = id {
        out.insert("id".to_owned(), id.clone());
    }
    out.insert(field.to_owned(), value);
    out.insert("usIn".to_owned(), json!(timing.us_in));
    out.insert("usOut".to_owned(), json!(timing.us_out));
    out.insert("usDiff".to_owned(), json!(timing.us_out - timing.us_in));
    out.insert("testnet".to_owned(), json!(true));
    Value::Object(out)
}
