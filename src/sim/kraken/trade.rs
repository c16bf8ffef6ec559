//! Orders: `AddOrder`, `CancelOrder`, `CancelAll`, `CancelAllOrdersAfter`, `OpenOrders`,
//! `ClosedOrders`, `TradesHistory` (docs/venues/kraken.md §5, §6).
//!
//! Orders belong to the account, not the key: any key of the account with the right permission
//! lists and cancels all of them, which is what lets the owner's own key cancel what a leaked
//! key placed. A new order takes what it can from its pair's book at once (`matching.rs`); a
//! market order's rest is closed; `oflags=viqc` counts a market order's volume in the quote
//! coin; conditional orders (`stop-loss`, `take-profit` and their `-limit` kinds) rest in
//! `stops.rs`, listed, cancelled and closed with the others; `validate=true` checks and describes
//! an order without placing it. `CancelAll` answers with a count only. `ClosedOrders` and `TradesHistory` page by
//! offset, newest first, within `start`/`end` (Unix seconds, exclusive). The hidden origin of
//! an order is set here from the key (leaked key = attacker) and never shown.

use serde_json::{Map, Value, json};

use crate::sim::kraken::caller::Caller;
use crate::sim::kraken::params::Params;
use crate::sim::kraken::reply::KrakenError;
use crate::sim::kraken::state::KrakenState;
use crate::sim::kraken::stops::{self, StopKind, StopOrder, stop_orders};
use crate::sim::kraken::{names, page, wire};
use crate::sim::num;
use crate::sim::order::{Category, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// The longest dead-man timeout: under a day (docs/venues/kraken.md §5).
const MAX_TIMEOUT_S: u64 = 86_399;

/// Whether a boolean parameter is set: Kraken's form bodies write `true`, JSON bodies `true`
/// (read as the text `true`).
fn flag(p: &Params, name: &str) -> Result<bool, KrakenError> {
    match p.get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(KrakenError::invalid(name)),
    }
}

/// A required positive decimal parameter.
fn positive(p: &Params, name: &str) -> Result<String, KrakenError> {
    let text = p.required(name)?.to_owned();
    if num::parse_positive(&text).is_none() {
        return Err(KrakenError::invalid(name));
    }
    Ok(text)
}

/// `AddOrder`: a limit or market order, or a conditional one (`stops.rs`); with `validate=true`
/// the order is checked and described but not placed, and the answer has no `txid` (Kraken
/// docs, "Add Order": "Validate inputs only. Do not submit order").
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
    let ordertype = p.required("ordertype")?;
    let stop = StopKind::parse(ordertype);
    let order_type = match ordertype {
        "limit" => OrderType::Limit,
        "market" => OrderType::Market,
        _ if stop.is_some() => OrderType::Limit,
        // `trailing-stop`, `trailing-stop-limit`, `iceberg`, `settle-position`: not simulated.
        _ => return Err(KrakenError::invalid("ordertype")),
    };
    let volume = positive(p, "volume")?;
    let price = match order_type {
        OrderType::Limit => Some(positive(p, "price")?),
        OrderType::Market => None,
    };
    let flags: Vec<&str> = p
        .get("oflags")
        .map(|flags| flags.split(',').map(str::trim).collect())
        .unwrap_or_default();
    let viqc = flags.contains(&"viqc");
    // `timeinforce` GTC (default), IOC, GTD (not simulated); `oflags=post` post only, refused
    // with `EOrder:Post only order` when it would take; `reduce_only` needs a margin position,
    // which the simulator does not keep (docs/venues/kraken.md "Placing and amending").
    let tif = match (order_type, p.get("timeinforce")) {
        (OrderType::Market, _) => Tif::Ioc,
        (_, None | Some("GTC")) => Tif::Gtc,
        (_, Some("IOC")) => Tif::Ioc,
        (_, Some(_)) => return Err(KrakenError::invalid("timeinforce")),
    };
    let tif = if flags.contains(&"post") && order_type == OrderType::Limit {
        Tif::PostOnly
    } else {
        tif
    };
    let terms = Terms {
        tif,
        reduce_only: flag(p, "reduce_only")?,
        post_only_cross: PostOnlyCross::Reject,
    };
    // A long UUID is 36 characters; free text at most 18 (Kraken's `cl_ord_id`).
    let cl_ord_id = p.get("cl_ord_id").unwrap_or("").to_owned();
    if cl_ord_id.len() > 36 {
        return Err(KrakenError::invalid("cl_ord_id"));
    }
    let validate = flag(p, "validate")?;
    let origin = c.origin();
    if let Some(kind) = stop {
        let limit = match kind.is_limit() {
            true => Some(positive(p, "price2")?),
            false => None,
        };
        let now = v.now_ms();
        let order = StopOrder {
            txid: String::new(),
            cl_ord_id,
            uid: c.uid,
            symbol: inst.symbol.clone(),
            side,
            kind,
            volume,
            trigger: price.unwrap_or_default(),
            limit,
            live: true,
            created_ms: now,
            updated_ms: now,
            origin,
        };
        let descr = json!({ "order": order.description(pair) });
        if validate {
            return Ok(json!({ "descr": descr }));
        }
        let order = StopOrder {
            txid: v.ids.txid('O'),
            ..order
        };
        let txid = order.txid.clone();
        v.own.get_mut::<KrakenState>().stops.push(order);
        return Ok(json!({ "descr": descr, "txid": [txid] }));
    }
    let description = match &price {
        Some(price) => format!("{} {volume} {pair} @ limit {price}", wire::side(side)),
        None => format!("{} {volume} {pair} @ market", wire::side(side)),
    };
    if validate {
        return Ok(json!({ "descr": { "order": description } }));
    }
    let order = v
        .with_terms(terms)
        .place_order(NewOrder {
            uid: c.uid,
            category: Category::Spot,
            symbol: inst.symbol.clone(),
            side,
            order_type,
            price,
            qty: volume,
            qty_unit: if viqc { QtyUnit::Quote } else { QtyUnit::Base },
            order_link_id: cl_ord_id,
            origin,
        })
        .map_err(order_error)?;
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
        VenueError::PostOnlyWouldTake => KrakenError::PostOnly,
        VenueError::ReduceOnlyNoPosition => KrakenError::invalid("reduce_only"),
    }
}

/// `AmendOrder`: a new `order_qty`, `limit_price` or both for one open order named by `txid` or
/// `cl_ord_id`, in place: its txid, client id and fills stay; a quantity at or under what filled
/// closes it (Kraken docs, "Amend Order"). The answer is the amend's own id.
pub(crate) fn amend_order(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let named = match (p.get("txid"), p.get("cl_ord_id")) {
        (Some(txid), _) => txid.to_owned(),
        (None, Some(cl)) => cl.to_owned(),
        (None, None) => return Err(KrakenError::invalid("txid")),
    };
    let qty = match p.get("order_qty") {
        Some(_) => Some(positive(p, "order_qty")?),
        None => None,
    };
    let price = match p.get("limit_price") {
        Some(_) => Some(positive(p, "limit_price")?),
        None => None,
    };
    if qty.is_none() && price.is_none() {
        return Err(KrakenError::invalid("order_qty"));
    }
    let (category, symbol, id) = v
        .orders
        .iter()
        .find(|o| {
            o.uid == c.uid
                && o.status.is_open()
                && (o.order_id == named
                    || (!o.order_link_id.is_empty() && o.order_link_id == named))
        })
        .map(|o| (o.category, o.symbol.clone(), o.order_id.clone()))
        .ok_or(KrakenError::UnknownOrder)?;
    let order = v
        .amend_one(c.uid, category, &symbol, &OrderRef::Id(id), qty, price)
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(json!({ "amend_id": v.ids.txid('T') }))
}

/// `CancelOrder`: `txid` names an open order of the account by its txid or its `cl_ord_id`.
pub(crate) fn cancel_order(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let txid = p.required("txid")?;
    let now = v.now_ms();
    let stop = |o: &StopOrder| o.txid == txid || (!o.cl_ord_id.is_empty() && o.cl_ord_id == txid);
    if stops::cancel(v, c.uid, now, stop) > 0 {
        return Ok(json!({ "count": 1, "pending": false }));
    }
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
    let order = v
        .cancel_one(c.uid, category, &symbol, &OrderRef::Id(id))
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(json!({ "count": 1, "pending": false }))
}

/// `CancelAll`: every open order of the account, conditional ones too; the count only.
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let cancelled = v.cancel_open(c.uid, Category::Spot, &SymbolFilter::default(), None);
    let now = v.now_ms();
    let stopped = stops::cancel(v, c.uid, now, |_| true);
    Ok(json!({ "count": cancelled.len() + stopped, "pending": false }))
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
    let mut open: Map<String, Value> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && o.status.is_open())
        .filter(|o| cl_ord_id.is_none_or(|id| id == o.order_link_id))
        .map(|o| (o.order_id.clone(), wire::order(v, o)))
        .collect();
    open.extend(
        stop_orders(&v.own)
            .iter()
            .filter(|o| o.uid == c.uid && o.live)
            .filter(|o| cl_ord_id.is_none_or(|id| id == o.cl_ord_id))
            .map(|o| (o.txid.clone(), o.to_wire(v))),
    );
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
    let wanted = |created: i64, updated: i64| match closetime {
        "open" => within(range, created),
        "close" => within(range, updated),
        _ => within(range, created) || within(range, updated),
    };
    // (close time, txid, answer): ordinary orders and conditional ones alike.
    let mut closed: Vec<(i64, String, Value)> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && !o.status.is_open())
        .filter(|o| wanted(o.created_ms, o.updated_ms))
        .map(|o| (o.updated_ms, o.order_id.clone(), wire::order(v, o)))
        .collect();
    closed.extend(
        stop_orders(&v.own)
            .iter()
            .filter(|o| o.uid == c.uid && !o.live)
            .filter(|o| wanted(o.created_ms, o.updated_ms))
            .map(|o| (o.updated_ms, o.txid.clone(), o.to_wire(v))),
    );
    closed.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let count = closed.len();
    let shown = page::slice(closed, ofs, page::SIZE, &mut v.short_page);
    let closed: Map<String, Value> = shown.into_iter().map(|(_, id, o)| (id, o)).collect();
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
