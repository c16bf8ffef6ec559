//! Bitget classic (V2) wire types and the response decoder (docs/venues/bitget.md §4–§8).
//!
//! Every answer comes in the `{code, msg, requestTime, data}` envelope with `code` a string:
//! `"00000"` is success, anything else becomes a typed [`ExchangeError`] (`errors.rs`).
//! `requestTime` is the exchange's clock in Unix ms. Spot lists are plain arrays and page by
//! `idLessThan` (the smallest id of the page); futures lists are objects with the rows and an
//! `endId`, the next page's `idLessThan`. A page shorter than the page size ends the walk.
//!
//! Split by subject: `errors.rs` (refusals), `keys.rs`, `orders.rs` and `funds.rs` (the answers
//! of each kind); this file holds the envelope, the dispatch on the operation and the helpers
//! they share. Submodules see everything here (`use super::*`).

mod errors;
mod funds;
mod keys;
mod orders;

pub(super) use orders::{pushed_orders, pushed_plans};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::endpoints::{self, PAGE};
use crate::exchanges::decode::{self, flex_string, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment,
    Side, Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive};
use crate::secret::{KeyId, SecretString};

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetEnvelope {
    #[serde(deserialize_with = "flex_string")]
    code: String,
    #[serde(default, deserialize_with = "flex_string")]
    msg: String,
    #[serde(default)]
    request_time: Option<i64>,
    #[serde(default)]
    data: Value,
}

/// Bitget's success code.
pub const SUCCESS: &str = "00000";

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let Ok(envelope) = serde_json::from_slice::<BitgetEnvelope>(&response.body) else {
        return errors::NOT_JSON.decoded(response);
    };
    let reply = if envelope.code == SUCCESS {
        result(op, envelope.data)
    } else {
        Err(errors::api_error(
            op,
            &envelope.code,
            envelope.msg,
            response,
        ))
    };
    decode::decoded(reply, envelope.request_time, Some(envelope.code))
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: BitgetTime = parse(data)?;
            Reply::ServerTime(
                time.server_time
                    .parse()
                    .map_err(|_| protocol("serverTime"))?,
            )
        }
        Op::WhoAmI => Reply::Key(keys::who_am_i(data)?),
        Op::SubKeys { account, .. } => keys::sub_keys(account, data)?,
        Op::RestrictKey { account, .. } => Reply::Key(keys::sub_key(account.as_deref(), data)?),
        Op::CreateKey { account, label, .. } => keys::created(account, label, data)?,
        Op::FreezeAccount { .. } | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CancelBatch { segment, orders } => orders::cancelled(segment, orders, data)?,
        Op::OpenOrders { segment, .. } | Op::Orders { segment, .. } => {
            orders::orders(segment, data)?
        }
        Op::Fills { segment, .. } => orders::fills(segment, data)?,
        Op::PlaceOrder(_) | Op::AmendOrder { .. } => orders::placed(data)?,
        Op::Balances => Reply::Balances(funds::balances(data)?),
        Op::Withdrawals { .. } => funds::withdrawals(data)?,
        Op::Transfers { .. } => funds::transfers(data)?,
        Op::RevokeKey(_)
        | Op::CancelAll { .. }
        | Op::CancelAfter { .. }
        | Op::WalletBalances { .. }
        | Op::AccessLog { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bitget",
                op: op.name(),
            });
        }
    })
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Bitget data", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Bitget data", field)
}

/// Unix ms written as text; 0 when absent or unreadable.
fn ms(text: &str) -> i64 {
    text.parse().unwrap_or(0)
}

/// The cursor after a spot page: its smallest id, when the page was full.
fn next_below<'a>(ids: impl Iterator<Item = &'a str>, len: usize) -> Option<String> {
    if len < PAGE {
        return None;
    }
    ids.filter_map(|id| id.parse::<u128>().ok())
        .min()
        .map(|id| id.to_string())
}

/// The category of a row listed in `segment`.
fn category(segment: &Segment) -> Category {
    match endpoints::product_type(segment) {
        None => Category::Spot,
        Some(endpoints::COIN_FUTURES) => Category::Inverse,
        Some(_) => Category::Linear,
    }
}

/// `GET /api/v2/public/time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetTime {
    #[serde(deserialize_with = "flex_string")]
    server_time: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    pub(super) use crate::exchanges::decode::answer as response;

    #[test]
    fn the_clock_and_the_envelope() {
        let decoded = decode(
            &Op::ServerTime,
            &response(
                200,
                r#"{"code":"00000","msg":"success","requestTime":1688008631614,"data":{"serverTime":"1688008631614"}}"#,
            ),
        );
        assert_eq!(decoded.server_ms, Some(1_688_008_631_614));
        assert_eq!(decoded.code.as_deref(), Some("00000"));
        assert!(matches!(
            decoded.reply,
            Ok(Reply::ServerTime(1_688_008_631_614))
        ));
    }
}
