//! Orders: `AddOrder`, `CancelOrder`, `CancelAll`, `CancelAllOrdersAfter`, `OpenOrders`,
//! `ClosedOrders`, `TradesHistory` (docs/venues/kraken.md §5, §6).
//!
//! Orders belong to the account, not the key: any key of the account with the right permission
//! lists and cancels all of them, which is what lets the owner's own key cancel what a leaked
//! key placed. A new order takes what it can from its pair's book at once (`matching.rs`); a
//! market order's rest is closed; `oflags=viqc` counts a market order's volume in the quote
//! coin. `CancelAll` answers with a count only. `ClosedOrders` and `TradesHistory` page by
//! offset, newest first, within `start`/`end` (Unix seconds, exclusive). The hidden origin of
//! an order is set here from the key (leaked key = attacker) and never shown.

use serde_json::{Map, Value, json};

use crate::sim::kraken::caller::Caller;
use crate::sim::kraken::params::Params;
use crate::sim::kraken::reply::KrakenError;
use crate::sim::kraken::{names, page, wire};
use crate::sim::num;
use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// The longest dead-man timeout: under a day (docs/venues/kraken.md §5).
const MAX_TIMEOUT_S: u64 = 86_399;

/// `AddOrder`.
pub(crate) fn add_order(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let pair = p.required("pair")?;
    let inst = names::resolve(v, pair)
        .cloned()
        .ok_or(KrakenError::UnknownAssetPair)?;
    let side = match p.required("type")? {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(KrakenError::invalid("type")),
    };
    let order_type = match p.required("ordertype")? {
        "limit" => OrderType::Limit,
        "market" => OrderType::Market,
        _ => return Err(KrakenError::invalid("ordertype")),
    };
    let volume = p.required("volume")?.to_owned();
    if num::parse_positive(&volume).is_none() {
        return Err(KrakenError::invalid("volume"));
    }
    let price = match order_type {
        OrderType::Limit => {
            let price = p.required("price")?.to_owned();
            if num::parse_positive(&price).is_none() {
                return Err(KrakenError::invalid("price"));
            }
            Some(price)
        }
        OrderType::Market => None,
    };
    let viqc = p
        .get("oflags")
        .is_some_and(|flags| flags.split(',').any(|f| f.trim() == "viqc"));
    // A long UUID is 36 characters; free text at most 18 (Kraken's `cl_ord_id`).
    let cl_ord_id = p.get("cl_ord_id").unwrap_or("").to_owned();
    if cl_ord_id.len() > 36 {
        return Err(KrakenError::invalid("cl_ord_id"));
    }
    let order = v
        .place_order(NewOrder {
            uid: c.uid,
            category: Category::Spot,
            symbol: inst.symbol.clone(),
            side,
            order_type,
            price: price.clone(),
            qty: volume.clone(),
            qty_unit: if viqc { QtyUnit::Quote } else { QtyUnit::Base },
            order_link_id: cl_ord_id,
            origin: if c.leaked {
                Origin::Attacker
            } else {
                Origin::Owner
            },
        })
        .map_err(order_error)?;
    let description = match price {
        Some(price) => format!("{} {volume} {pair} @ limit {price}", wire::side(side)),
        None => format!("{} {volume} {pair} @ market", wire::side(side)),
    };
    Ok(json!({ "descr": { "order": description }, "txid": [order.order_id] }))
}

/// Maps a refused order operation to Kraken's error.
fn order_error(e: VenueError) -> KrakenError {
    match e {
        VenueError::UnknownSymbol { .. } => KrakenError::UnknownAssetPair,
        VenueError::InsufficientBalance { .. } | VenueError::InsufficientMargin { .. } => {
            KrakenError::InsufficientFunds
        }
        VenueError::DuplicateOrderLinkId(_) => KrakenError::invalid("cl_ord_id"),
        VenueError::NoSuchOrder => KrakenError::UnknownOrder,
        VenueError::NoSuchKey(_) => KrakenError::InvalidKey,
    }
}

/// `CancelOrder`: `txid` names an open order of the account by its txid or its `cl_ord_id`.
pub(crate) fn cancel_order(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let txid = p.required("txid")?;
    let (category, symbol, id) = v
        .orders
        .iter()
        .find(|o| {
            o.uid == c.uid
                && o.status.is_open()
                && (o.order_id == txid || (!o.order_link_id.is_empty() && o.order_link_id == txid))
        })
        .map(|o| (o.category, o.symbol.clone(), o.order_id.clone()))
        .ok_or(KrakenError::UnknownOrder)?;
    v.cancel_one(c.uid, category, &symbol, &OrderRef::Id(id))
        .map_err(order_error)?;
    Ok(json!({ "count": 1, "pending": false }))
}

/// `CancelAll`: every open order of the account; the count only.
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let cancelled = v.cancel_open(c.uid, Category::Spot, &SymbolFilter::default(), None);
    Ok(json!({ "count": cancelled.len(), "pending": false }))
}

/// `CancelAllOrdersAfter`: arms (or with `timeout=0` disarms) the account's dead-man switch.
pub(crate) fn cancel_after(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let timeout = p
        .uint("timeout")?
        .filter(|t| *t <= MAX_TIMEOUT_S)
        .ok_or_else(|| KrakenError::invalid("timeout"))?;
    let now = v.now_ms();
    let trigger = v
        .dead_man
        .arm(c.uid, u32::try_from(timeout).unwrap_or(0), now);
    let rfc = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms - ms.rem_euclid(1000))
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    Ok(json!({
        "currentTime": rfc(now),
        "triggerTime": trigger.map_or_else(|| "0".to_owned(), rfc),
    }))
}

/// `OpenOrders`: every open order of the account, keyed by txid.
pub(crate) fn open_orders(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let cl_ord_id = p.get("cl_ord_id");
    let open: Map<String, Value> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && o.status.is_open())
        .filter(|o| cl_ord_id.is_none_or(|id| id == o.order_link_id))
        .map(|o| (o.order_id.clone(), wire::order(v, o)))
        .collect();
    Ok(json!({ "open": open }))
}

/// `start`/`end` as milliseconds, exclusive bounds.
fn bounds(p: &Params) -> Result<(Option<i64>, Option<i64>), KrakenError> {
    Ok((p.seconds("start")?, p.seconds("end")?))
}

fn within((start, end): (Option<i64>, Option<i64>), ms: i64) -> bool {
    start.is_none_or(|s| ms > s) && end.is_none_or(|e| ms < e)
}

/// `ClosedOrders`: orders no longer open, newest first by close time, 50 from `ofs`.
pub(crate) fn closed_orders(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let range = bounds(p)?;
    let ofs = usize::try_from(p.uint("ofs")?.unwrap_or(0)).unwrap_or(usize::MAX);
    let closetime = p.get("closetime").unwrap_or("both");
    if !matches!(closetime, "open" | "close" | "both") {
        return Err(KrakenError::invalid("closetime"));
    }
    let mut closed: Vec<_> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && !o.status.is_open())
        .filter(|o| match closetime {
            "open" => within(range, o.created_ms),
            "close" => within(range, o.updated_ms),
            _ => within(range, o.created_ms) || within(range, o.updated_ms),
        })
        .collect();
    closed.sort_by(|a, b| (b.updated_ms, &b.order_id).cmp(&(a.updated_ms, &a.order_id)));
    let count = closed.len();
    let shown = page::slice(closed, ofs, page::SIZE, &mut v.short_page);
    let closed: Map<String, Value> = shown
        .into_iter()
        .map(|o| (o.order_id.clone(), wire::order(v, o)))
        .collect();
    Ok(json!({ "closed": closed, "count": count }))
}

/// `TradesHistory`: the account's fills, newest first, 50 from `ofs`.
pub(crate) fn trades_history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let range = bounds(p)?;
    let ofs = usize::try_from(p.uint("ofs")?.unwrap_or(0)).unwrap_or(usize::MAX);
    let mut fills: Vec<_> = v
        .executions
        .iter()
        .filter(|e| e.uid == c.uid && within(range, e.exec_time_ms))
        .collect();
    fills.sort_by(|a, b| (b.exec_time_ms, &b.exec_id).cmp(&(a.exec_time_ms, &a.exec_id)));
    let count = fills.len();
    let shown = page::slice(fills, ofs, page::SIZE, &mut v.short_page);
    let trades: Map<String, Value> = shown
        .into_iter()
        .map(|e| (e.exec_id.clone(), wire::trade(v, e)))
        .collect();
    Ok(json!({ "trades": trades, "count": count }))
}
