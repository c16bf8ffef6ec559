//! OKX V5 wire types and the response decoder (docs/venues/okx.md §4–§8).
//!
//! Every answer comes in the `{code, msg, data}` envelope with `code` a string; a code other than
//! `"0"` becomes a typed [`ExchangeError`]. Batch and trade endpoints also answer per item
//! (`sCode`/`sMsg`), with `code` `"1"` (all failed) or `"2"` (some failed):
//! - a batch cancel returns the orders whose `sCode` is `"0"`; an item refused with `51400`
//!   (already filled, cancelled or gone) is simply not open any more; any other refused item is
//!   left out of the reply, so it stays open and the action's next listing finds it and cancels
//!   it again. Only when no item succeeded does the call fail, with the first refusal's code
//!   typed (a rate limit is waited out, a permission error surfaces);
//! - a single order or cancel fails with its item's `sCode`;
//! - `cancel-algos` answers the same way, each item naming its `algoId`.
//!
//! The dead-man switch answers with `triggerTime` in Unix ms, `0` when it was disarmed.
//!
//! Pages carry no cursor: the next page starts `after` the last id (orders: `ordId`, fills:
//! `billId`) or timestamp (withdrawals, transfers) of this one, and an empty page ends the walk,
//! which also survives a page cut short. `account/config` does not echo the key id, so the key
//! it describes has an empty id here; it never names the sub-account either.
//!
//! The spot segment's open-order pages continue with the algo-order pages
//! ([`endpoints::ListPage`]), and its order history with the algo-order history; a waiting algo
//! order is decoded as an untriggered order of its own
//! `ordType` (`trigger`, `conditional`, …), its `algoId` as the order id.
//!
//! Split by subject, as an exchange adapter reads best: `errors.rs` (refusals), `keys.rs`,
//! `orders.rs` and `funds.rs` (the answers of each kind and their wire types); this file holds
//! the envelope, the dispatch on the operation and the small helpers they share. Submodules see
//! everything here (`use super::*`), so a helper is written once.

mod errors;
mod funds;
mod keys;
mod orders;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::endpoints::{self, ListPage, Listing};
use super::passphrase;
use crate::exchanges::decode::{self, non_empty};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment,
    Side, Transfer, TransferKind,
};
use crate::exchanges::{Decoded, ExchangeError, Op, Page, Reply, Response, Sensitive, Window};
use crate::secret::{KeyId, SecretString};
use errors::{NOT_JSON, api_error};
use keys::{OkxConfig, OkxSubKey};
use orders::{has_items, items};

/// The envelope around every answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxEnvelope {
    #[serde(deserialize_with = "decode::flex_string")]
    code: String,
    #[serde(default)]
    msg: String,
    #[serde(default)]
    data: Value,
    /// When the gateway answered, Unix µs (trade endpoints only).
    #[serde(default, deserialize_with = "decode::flex_string")]
    out_time: String,
}

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    let envelope: OkxEnvelope = match serde_json::from_slice(&response.body) {
        Ok(envelope) => envelope,
        Err(_) => {
            return NOT_JSON.decoded(response);
        }
    };
    let server_ms = envelope
        .out_time
        .parse::<i64>()
        .ok()
        .map(|micros| micros / 1000);
    let reply = match envelope.code.as_str() {
        "0" => result(op, envelope.data),
        // Per-item answers (docs/venues/okx.md §8): the items say what happened.
        "1" | "2" if has_items(&envelope.data) => items(op, envelope.data),
        code => Err(api_error(code, envelope.msg, response)),
    };
    decode::decoded(reply, server_ms, Some(envelope.code))
}

fn result(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: OkxTime = first(data)?;
            Reply::ServerTime(time.ts.parse().map_err(|_| protocol("ts"))?)
        }
        Op::WhoAmI => Reply::Key(first::<OkxConfig>(data)?.into()),
        Op::SubKeys { account, .. } => keys::sub_keys(account, data)?,
        Op::RestrictKey { account, .. } => {
            let key: OkxSubKey = first(data)?;
            Reply::Key(key.into_info(account.as_deref()))
        }
        Op::RevokeKey(_) => Reply::Done,
        Op::CreateKey { account, .. } => keys::created(account, data)?,
        Op::CancelAfter { .. } => orders::armed(data)?,
        Op::CancelAll { .. }
        | Op::FreezeAccount { .. }
        | Op::AccessLog { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: op.name(),
            });
        }
        Op::CancelBatch { .. }
        | Op::PlaceOrder(_)
        | Op::CancelOrder { .. }
        | Op::AmendOrder { .. } => items(op, data)?,
        Op::OpenOrders { segment, cursor } => {
            orders::open_orders(segment, cursor.as_deref(), data)?
        }
        Op::Orders {
            segment,
            window,
            cursor,
        } => orders::orders(segment, window, cursor.as_deref(), data)?,
        Op::Fills { segment, .. } => orders::fills(segment, data)?,
        Op::Balances => funds::balances(data)?,
        Op::WalletBalances { account } => funds::wallet(account, data)?,
        Op::Withdrawals { window, .. } => funds::withdrawals(window, data)?,
        Op::Transfers { window, .. } => funds::transfers(window, data)?,
        Op::Withdraw { .. } => Reply::Done,
    })
}

fn first<T: DeserializeOwned>(data: Value) -> Result<T, ExchangeError> {
    let mut items: Vec<T> = parse(data)?;
    if items.is_empty() {
        return Err(protocol("data[0]"));
    }
    Ok(items.swap_remove(0))
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("OKX data", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("OKX data", field)
}

/// How a segment is named in records: `spot/SPOT`, `linear/SWAP`, ….
fn segment_name(segment: &Segment) -> String {
    segment.to_string()
}

/// The market family of an instrument: `SPOT`/`MARGIN` trade spot pairs; swaps and futures are
/// inverse when quoted in `USD` (`BTC-USD-SWAP`), linear otherwise (`BTC-USDT-SWAP`).
pub fn category(inst_type: &str, inst_id: &str, fallback: Category) -> Category {
    match inst_type {
        "SPOT" | "MARGIN" => Category::Spot,
        "SWAP" | "FUTURES" => {
            if inst_id.split('-').nth(1) == Some("USD") {
                Category::Inverse
            } else {
                Category::Linear
            }
        }
        "OPTION" => Category::Option,
        _ => fallback,
    }
}

/// `GET /api/v5/public/time`.
#[derive(Debug, Deserialize)]
struct OkxTime {
    #[serde(deserialize_with = "decode::flex_string")]
    ts: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) use crate::exchanges::decode::answer as response;

    pub(super) fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        }
    }
}
