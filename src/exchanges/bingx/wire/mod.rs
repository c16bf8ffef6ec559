//! BingX wire types and the response decoder (docs/venues/bingx.md §4–§8).
//!
//! Answers come in the envelope `{code, msg, timestamp, data}` with HTTP 200, `code` 0 meaning
//! done; a refusal has another `code` and its `msg` (also with HTTP 200). Some of the docs'
//! examples show the payload bare (the withdrawal history is an array, the key's permissions an
//! object without `code`): an answer without `code` is read as the payload itself. A body that
//! is not JSON comes from something in front of the API and is typed by its HTTP status.
//!
//! Split by subject: `errors.rs` (refusals), `keys.rs`, `orders.rs` and `funds.rs`.

mod errors;
mod funds;
mod keys;
mod orders;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exchanges::decode::{self, flex_string, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, KeyInfo, Order, OrderStatus, Side, Transfer,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response};
use crate::secret::KeyId;

pub use keys::listed_key;

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let Ok(body) = serde_json::from_slice::<Value>(&response.body) else {
        return errors::NOT_JSON.decoded(response);
    };
    let server_ms = body.get("timestamp").and_then(Value::as_i64);
    let data = match body.get("code").filter(|_| body.is_object()) {
        Some(code) => {
            let code = decode::text_of(code);
            if code != "0" {
                let msg = decode::text_of(&body["msg"]);
                return Decoded {
                    reply: Err(errors::api_error(response, &code, &msg)),
                    server_ms,
                    code: Some(code),
                };
            }
            body.get("data").cloned().unwrap_or(Value::Null)
        }
        None if response.status == 200 => body,
        None => return errors::NOT_JSON.decoded(response),
    };
    let server_ms = match op {
        Op::ServerTime => data.get("serverTime").and_then(Value::as_i64).or(server_ms),
        _ => server_ms,
    };
    decode::decoded(result(op, data), server_ms, Some("0".to_owned()))
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Reply::ServerTime(
            data.get("serverTime")
                .and_then(Value::as_i64)
                .ok_or_else(|| protocol("serverTime"))?,
        ),
        Op::WhoAmI => Reply::Key(keys::who_am_i(data)?),
        Op::SubKeys { account, .. } => keys::sub_keys(account, data)?,
        Op::RestrictKey { key, account, .. } => Reply::Key(keys::edited(key, account, data)?),
        Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CancelOrder { .. }
        | Op::Withdraw { .. } => Reply::Done,
        Op::CreateKey { account, .. } => Reply::Created(keys::created(account, data)?),
        Op::CancelAll { segment } => orders::cancelled(segment, data)?,
        Op::CancelAfter { .. } => orders::armed(data)?,
        Op::OpenOrders { segment, .. } => orders::open(segment, data)?,
        Op::Orders {
            segment,
            window,
            cursor,
        } => orders::history(segment, window, cursor.as_deref(), data)?,
        Op::Balances => Reply::Balances(funds::balances(data)?),
        Op::Withdrawals { cursor, .. } => funds::withdrawals(cursor.as_deref(), data)?,
        Op::PlaceOrder(_) => orders::placed(data)?,
        // `{"listenKey": "…"}`, without the envelope in the docs' example.
        Op::StreamToken { .. } => Reply::StreamToken(crate::secret::SecretString::from(
            data.get("listenKey")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| protocol("listenKey"))?
                .to_owned(),
        )),
        Op::Fills { .. }
        | Op::Transfers { .. }
        | Op::AmendOrder { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bingx",
                op: op.name(),
            });
        }
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("BingX answer", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("BingX answer", field)
}

#[cfg(test)]
mod tests {
    use super::*;
    pub(super) use crate::exchanges::decode::answer as response;

    #[test]
    fn the_clock_and_a_bare_payload() {
        let decoded = decode(
            &Op::ServerTime,
            &response(
                200,
                r#"{"code":0,"msg":"","data":{"serverTime":1764972000123}}"#,
            ),
        );
        assert_eq!(decoded.server_ms, Some(1_764_972_000_123));
        assert_eq!(
            decoded.reply.unwrap().into_server_time().unwrap(),
            1_764_972_000_123
        );
        let bare = decode(
            &Op::WhoAmI,
            &response(
                200,
                r#"{"apiKey":"","permissions":[1,2],"ipAddresses":[],"note":"demo"}"#,
            ),
        );
        let key = bare.reply.unwrap().into_key().unwrap();
        assert_eq!(key.permissions, ["1", "2"]);
        assert!(!key.read_only);
    }
}
