//! Binance wire types and the response decoder (docs/venues/binance.md §4–§8).
//!
//! Success is bare JSON (an object or an array, no envelope); a refusal is `{code, msg}` with an
//! HTTP 4xx, mapped to a typed [`ExchangeError`]: `-1021` timestamp, `-1022` signature, `-2014`
//! malformed key, `-2015` key refused (unknown, deleted, outside its IP list or lacking the
//! permission: one code for all, so [`ExchangeError::KeyRefused`]; on a USD-M call it is the
//! futures permission, see [`api_error`]), `-1002` not authorized (permission), `-1003` too many
//! requests (HTTP 429: wait `Retry-After`; HTTP 418: an IP ban, [`ExchangeError::IpBanned`],
//! never retried inside it), `-1015` too many orders. A 5xx leaves the outcome unknown. Reads
//! that walk a cursor (`cursor.rs`) answer empty pages while they learn which symbols to read; a
//! symbol the venue does not know (`-1121`) ends its walk; an account without a margin account
//! (`-3003`, isolated `-11001`) has no margin order to list, cancel or read. A USD-M cancel-all answers
//! `{"code": 200, "msg": …}`: acknowledged, without the orders; so does its conditional
//! orders' cancel. USD-M conditional (algo) orders are decoded as untriggered orders.
//!
//! Split by subject, as an exchange adapter reads best: `errors.rs` (refusals), `keys.rs`,
//! `orders.rs` and `funds.rs` (the answers of each kind and their wire types); this file holds
//! the entry point, the dispatch on the operation and the small helpers they share. Submodules
//! see everything here (`use super::*`), so a helper is written once.

mod errors;
mod funds;
mod keys;
mod orders;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::cursor::{HistoryCursor, HistoryStep, KeysCursor, ListedKey, MoneyCursor};
use super::endpoints::{self, MONEY_PAGE, OpenPage, TRANSFERS_PAGE};
use crate::exchanges::decode::{self, non_empty, retry_after};
use crate::exchanges::model::{
    Amount, Balance, Cancelled, Category, CreatedKey, Fill, KeyInfo, Order, OrderStatus, Segment,
    Side, Transfer, TransferKind,
};
use crate::exchanges::{
    Decoded, ExchangeError, Op, OrderRef, Page, Reply, Response, Sensitive, Window,
};
use crate::secret::{KeyId, SecretString};
use errors::{BinanceError, NOT_JSON, api_error};
use keys::{BinanceKeyChange, BinanceRestrictions, sub_keys};
use orders::walk_page;

/// Decodes an answer to `op`.
pub fn decode(op: &Op, response: &Response) -> Decoded {
    if response.status >= 400 {
        let Ok(err) = serde_json::from_slice::<BinanceError>(&response.body) else {
            return NOT_JSON.decoded(response);
        };
        let reply = match (err.code, op) {
            // A symbol Binance does not list has no history: its walk moves on.
            (-1121, Op::Orders { .. } | Op::Fills { .. }) => walk_page(op, Value::Array(vec![])),
            // No open order on the symbol: nothing was left to cancel.
            (-2011, Op::CancelBatch { .. }) => Ok(Reply::Cancelled(Vec::new())),
            // No (isolated) margin account: no margin order to list, cancel or read.
            (-3003 | -11001, _) if on_margin(op) => Ok(nothing(op)),
            (code, _) => Err(api_error(response, code, err.msg, op)),
        };
        return Decoded {
            reply,
            server_ms: None,
            code: Some(err.code.to_string()),
        };
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(body) => body,
        Err(_) => {
            return NOT_JSON.decoded(response);
        }
    };
    decode::decoded(result(op, body), None, None)
}

fn result(op: &Op, body: Value) -> Result<Reply, ExchangeError> {
    Ok(match op {
        Op::ServerTime => {
            let time: BinanceTime = parse(body)?;
            Reply::ServerTime(time.server_time)
        }
        Op::WhoAmI => Reply::Key(parse::<BinanceRestrictions>(body)?.into()),
        Op::SubKeys { account, cursor } => Reply::Keys(sub_keys(account, cursor.as_deref(), body)?),
        Op::RestrictKey { key, account, .. } => {
            let changed: BinanceKeyChange = parse(body)?;
            Reply::Key(changed.into_info(key, account.as_deref()))
        }
        Op::RevokeKey(_) | Op::CancelOrder { .. } | Op::Withdraw { .. } => Reply::Done,
        Op::CreateKey { account, label, .. } => keys::created(account, label, body)?,
        Op::CancelBatch { segment, orders } => orders::cancelled(segment, orders, body)?,
        Op::OpenOrders { segment, cursor } => {
            orders::open_orders(segment, cursor.as_deref(), body)?
        }
        Op::Orders { .. } | Op::Fills { .. } => walk_page(op, body)?,
        Op::Balances => funds::balances(body)?,
        Op::WalletBalances { .. } => funds::funding(body)?,
        Op::Withdrawals { window, cursor } => funds::withdrawals(window, cursor.as_deref(), body)?,
        Op::Transfers { window, cursor } => funds::transfers(window, cursor.as_deref(), body)?,
        Op::PlaceOrder(_) => orders::placed(body)?,
        Op::AmendOrder { .. } => orders::amended(body)?,
        Op::CancelAll { .. }
        | Op::CancelAfter { .. }
        | Op::FreezeAccount { .. }
        | Op::AccessLog { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
    })
}

/// Whether an operation reads or cancels margin orders (cross or isolated).
fn on_margin(op: &Op) -> bool {
    let segment = match op {
        Op::OpenOrders { segment, .. }
        | Op::Orders { segment, .. }
        | Op::Fills { segment, .. }
        | Op::CancelBatch { segment, .. } => segment,
        _ => return false,
    };
    matches!(
        super::market::Market::of(segment),
        super::market::Market::Margin | super::market::Market::Isolated
    )
}

/// The empty answer to a read or cancel that found nothing to act on.
fn nothing(op: &Op) -> Reply {
    match op {
        Op::Fills { .. } => Reply::Fills(Page {
            items: Vec::new(),
            next: None,
        }),
        Op::CancelBatch { .. } => Reply::Cancelled(Vec::new()),
        _ => Reply::Orders(Page {
            items: Vec::new(),
            next: None,
        }),
    }
}

fn in_window(window: &Window, time_ms: i64) -> bool {
    (window.start_ms..=window.end_ms).contains(&time_ms)
}

fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ExchangeError> {
    decode::parse("Binance answer", value)
}

fn protocol(field: &str) -> ExchangeError {
    decode::bad_field("Binance answer", field)
}

/// `free + locked`, as a decimal string (summed as decimals).
fn sum(free: &str, locked: &str) -> String {
    let locked = Amount::new(locked);
    if locked.is_zero() {
        return free.to_owned();
    }
    let free = Amount::new(free).to_decimal_or_zero();
    let locked = locked.to_decimal_or_zero();
    Amount::from_decimal(free.checked_add(locked).unwrap_or(free))
        .as_str()
        .to_owned()
}

/// Unix ms as RFC 3339 UTC.
fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// `GET /api/v3/time`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceTime {
    server_time: i64,
}

/// A JSON number or string as text.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("retry-after".into(), "7".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub(super) fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: None,
        }
    }
}
