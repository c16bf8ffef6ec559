//! Bybit V5 wire types and the response decoder (docs/venues/bybit.md §4, §6, §8).
//!
//! Every answer comes in the `{retCode, retMsg, result, time}` envelope; a non-zero `retCode`
//! becomes a typed [`ExchangeError`]. Bybit spells the same field as a number in one endpoint and
//! a string or bool in the next (`readOnly` is 0/1 in `query-api`, a bool in `sub-apikeys`), so
//! the wire types accept both.
//!
//! Split by subject, as an exchange adapter reads best: `errors.rs` (refusals), `keys.rs`,
//! `orders.rs` and `funds.rs` (the answers of each kind and their wire types); this file holds
//! the envelope, the dispatch on the operation and the small helpers they share. Submodules see
//! everything here (`use super::*`), so a helper is written once.

mod errors;
mod funds;
mod keys;
mod orders;

pub(super) use orders::stream_orders;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment, Side,
    Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive};
use crate::secret::{KeyId, SecretString};
use errors::{NOT_JSON, api_error};
pub use funds::TransferList;
use keys::BybitApiKey;

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitEnvelope {
    ret_code: i64,
    #[serde(default)]
    ret_msg: String,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    time: Option<i64>,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: BybitEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return NOT_JSON.decoded(response);
        }
    };
    let code = envelope.ret_code.to_string();
    let reply = if envelope.ret_code == 0 {
        result(op, envelope.result)
    } else {
        Err(api_error(envelope.ret_code, envelope.ret_msg, response))
    };
    Decoded {
        reply,
        server_ms: envelope.time,
        code: Some(code),
    }
}

fn result(op: &Op, result: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: BybitTime = parse(result)?;
            let seconds: i64 = time
                .time_second
                .parse()
                .map_err(|_| protocol("timeSecond"))?;
            let millis = time
                .time_nano
                .get(..13)
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(seconds * 1000);
            Reply::ServerTime(millis)
        }
        Op::WhoAmI | Op::RestrictKey { .. } => Reply::Key(parse::<BybitApiKey>(result)?.into()),
        Op::SubKeys { account, .. } => keys::sub_keys(account, result)?,
        Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CancelOrder { .. }
        | Op::Withdraw { .. } => Reply::Done,
        Op::CancelBatch { .. } | Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        Op::Segments { category, .. } => orders::segments(*category, result)?,
        Op::AccessLog { .. } | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        Op::PlaceOrder(_) | Op::AmendOrder { .. } => Reply::Placed(
            result
                .get("orderId")
                .and_then(Value::as_str)
                .ok_or_else(|| protocol("orderId"))?
                .to_owned(),
        ),
        Op::CreateKey { account, .. } => keys::created(account, result)?,
        Op::CancelAll { segment } => orders::cancel_all(segment, result)?,
        Op::OpenOrders { segment, .. } | Op::Orders { segment, .. } => {
            orders::orders(segment, result)?
        }
        Op::Fills {
            segment, cursor, ..
        } => orders::fills(segment, cursor.as_deref(), result)?,
        Op::Balances => funds::balances(result)?,
        Op::WalletBalances { .. } => funds::funding_balances(result)?,
        Op::Withdrawals { .. } => funds::withdrawals(result)?,
        Op::Transfers { cursor, .. } => funds::transfers(cursor.as_deref(), result)?,
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Bybit result", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Bybit result", field)
}

/// `GET /v5/market/time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitTime {
    time_second: String,
    #[serde(default)]
    time_nano: String,
}

/// A `{list, nextPageCursor}` result.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitList<T> {
    #[serde(default = "Vec::new")]
    list: Vec<T>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

impl<T> BybitList<T> {
    fn next(&self) -> Option<String> {
        self.next_page_cursor.clone().filter(|c| !c.is_empty())
    }
}

/// A `{rows, nextPageCursor}` result (withdrawals).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitRows<T> {
    #[serde(default = "Vec::new")]
    rows: Vec<T>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

/// Deserializers for fields Bybit spells in more than one way.
mod flex {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A bool, 0/1 or "0"/"1", as a bool.
    pub fn bool<'de, D: Deserializer<'de>>(de: D) -> Result<bool, D::Error> {
        Ok(match Value::deserialize(de)? {
            Value::Bool(flag) => flag,
            Value::Number(number) => number.as_i64() == Some(1),
            Value::String(text) => text == "1" || text.eq_ignore_ascii_case("true"),
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn response(body: &str) -> Response {
        Response {
            status: 200,
            headers: vec![(
                "x-bapi-limit-reset-timestamp".into(),
                "1700000000500".into(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }
}
