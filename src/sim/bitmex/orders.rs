//! Orders: `GET /order`, `POST /order`, `PUT /order`, `DELETE /order`, `DELETE /order/all` and
//! `POST /order/cancelAllAfter` (docs/venues/bitmex.md §5, §6).
//!
//! Orders belong to the account, not the key: any key of it lists them, and one with `order` or
//! `orderCancel` cancels them, which is what lets the owner's key cancel what a leaked key
//! placed. One table holds every product (spot, linear and inverse contracts); cancel-all takes
//! them all, or one `symbol`. A new order takes what it can from its market's book at once;
//! `ParticipateDoNotInitiate` (post only) is cancelled unfilled when it would take, as BitMEX
//! does. Conditional order types (`Stop`, `StopLimit`, …) are not simulated and refused. The
//! hidden origin of an order is set from the key and never shown.

use serde_json::{Value, json};

use crate::sim::bitmex::params::Params;
use crate::sim::bitmex::{Caller, Refusal, names, wire};
use crate::sim::num;
use crate::sim::order::{Category, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

use axum::http::StatusCode;

/// The most rows one page gives.
const MAX_COUNT: u64 = 1000;

/// Rows per page when `count` is not given.
const DEFAULT_COUNT: u64 = 100;

/// Every product one cancel-all covers.
const PRODUCTS: [Category; 3] = [Category::Spot, Category::Linear, Category::Inverse];

fn refusal(e: VenueError) -> Refusal {
    match e {
        VenueError::UnknownSymbol { .. } => Refusal::invalid("symbol"),
        VenueError::InsufficientBalance { .. } | VenueError::InsufficientMargin { .. } => {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "Account has insufficient Available Balance",
            )
        }
        VenueError::NoSuchOrder => Refusal::new(StatusCode::NOT_FOUND, "Not Found"),
        VenueError::DuplicateOrderLinkId(_) => {
            Refusal::new(StatusCode::BAD_REQUEST, "Duplicate clOrdID")
        }
        VenueError::NoSuchKey(_) => Refusal::new(StatusCode::UNAUTHORIZED, "Invalid API Key."),
        VenueError::PostOnlyWouldTake => Refusal::invalid("execInst"),
        VenueError::ReduceOnlyNoPosition => Refusal::new(
            StatusCode::BAD_REQUEST,
            "Invalid execInst: ReduceOnly with no position to reduce",
        ),
    }
}

/// A page of rows by `count`, `start` and `reverse` (oldest first unless reversed).
pub(crate) fn page<T>(mut rows: Vec<(i64, String, T)>, p: &Params) -> Result<Vec<T>, Refusal> {
    let count = p.uint("count")?.unwrap_or(DEFAULT_COUNT);
    if count == 0 || count > MAX_COUNT {
        return Err(Refusal::invalid("count"));
    }
    let start = usize::try_from(p.uint("start")?.unwrap_or(0)).unwrap_or(usize::MAX);
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    if p.reverse(false) {
        rows.reverse();
    }
    Ok(rows
        .into_iter()
        .skip(start)
        .take(usize::try_from(count).unwrap_or(usize::MAX))
        .map(|(.., row)| row)
        .collect())
}

/// Whether `ms` is inside `startTime`/`endTime`.
pub(crate) fn within(p: &Params, ms: i64) -> Result<bool, Refusal> {
    Ok(p.time("startTime")?.is_none_or(|s| ms >= s) && p.time("endTime")?.is_none_or(|e| ms <= e))
}

/// `GET /order`: the account's orders; `filter={"open":true}` for open ones only.
pub(crate) fn list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let filter = p.filter()?;
    let open_only = filter.get("open").and_then(Value::as_bool).unwrap_or(false);
    let symbol = p.text("symbol");
    let mut rows = Vec::new();
    for o in v.orders.iter().filter(|o| o.uid == c.uid) {
        if open_only && !o.status.is_open() {
            continue;
        }
        let wire_symbol = names::wire_symbol(v, o.category, &o.symbol);
        if symbol.as_ref().is_some_and(|s| *s != wire_symbol) || !within(p, o.updated_ms)? {
            continue;
        }
        rows.push((o.created_ms, o.order_id.clone(), wire::order(v, o)));
    }
    Ok(Value::Array(page(rows, p)?))
}

/// `POST /order`.
pub(crate) fn place(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let symbol = p.required("symbol")?;
    let inst = names::resolve(v, &symbol)
        .cloned()
        .ok_or_else(|| Refusal::invalid("symbol"))?;
    let side = match p.text("side").as_deref() {
        None | Some("Buy") => Side::Buy,
        Some("Sell") => Side::Sell,
        Some(_) => return Err(Refusal::invalid("side")),
    };
    let qty = p.required("orderQty")?;
    if num::parse_positive(&qty).is_none() {
        return Err(Refusal::invalid("orderQty"));
    }
    let price = p.text("price");
    let order_type = match (p.text("ordType").as_deref(), &price) {
        (Some("Limit"), Some(_)) | (None, Some(_)) => OrderType::Limit,
        (Some("Market"), _) | (None, None) => OrderType::Market,
        // Stop, StopLimit, MarketIfTouched, LimitIfTouched, Pegged: not simulated.
        _ => return Err(Refusal::invalid("ordType")),
    };
    if let Some(price) = &price
        && num::parse_positive(price).is_none()
    {
        return Err(Refusal::invalid("price"));
    }
    let exec: Vec<String> = p
        .text("execInst")
        .map(|e| e.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    let tif = match (order_type, p.text("timeInForce").as_deref()) {
        (OrderType::Market, _) => Tif::Ioc,
        (_, None | Some("GoodTillCancel" | "Day")) => Tif::Gtc,
        (_, Some("ImmediateOrCancel")) => Tif::Ioc,
        (_, Some("FillOrKill")) => Tif::Fok,
        (_, Some(_)) => return Err(Refusal::invalid("timeInForce")),
    };
    let post_only = exec.iter().any(|e| e == "ParticipateDoNotInitiate");
    let terms = Terms {
        tif: if post_only && order_type == OrderType::Limit {
            Tif::PostOnly
        } else {
            tif
        },
        reduce_only: exec.iter().any(|e| e == "ReduceOnly"),
        post_only_cross: PostOnlyCross::Cancel,
    };
    let cl_ord_id = p.text("clOrdID").unwrap_or_default();
    if cl_ord_id.len() > 36 {
        return Err(Refusal::invalid("clOrdID"));
    }
    let order = v
        .with_terms(terms)
        .place_order(NewOrder {
            uid: c.uid,
            category: inst.category,
            symbol: inst.symbol.clone(),
            side,
            order_type,
            price: match order_type {
                OrderType::Limit => price,
                OrderType::Market => None,
            },
            qty,
            qty_unit: QtyUnit::Base,
            order_link_id: cl_ord_id,
            origin: c.origin(),
        })
        .map_err(refusal)?;
    Ok(wire::order(v, &order))
}

/// The open order of the account `orderID` (or `origClOrdID`) names.
fn named(v: &Venue, c: &Caller, id: &str) -> Option<(Category, String, String)> {
    v.orders
        .iter()
        .find(|o| {
            o.uid == c.uid
                && o.status.is_open()
                && (o.order_id == id || (!o.order_link_id.is_empty() && o.order_link_id == id))
        })
        .map(|o| (o.category, o.symbol.clone(), o.order_id.clone()))
}

/// `PUT /order`: a new `orderQty`, `price` or both, in place.
pub(crate) fn amend(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let id = p
        .text("orderID")
        .or_else(|| p.text("origClOrdID"))
        .ok_or_else(|| Refusal::invalid("orderID"))?;
    let qty = p.text("orderQty");
    let price = p.text("price");
    for (name, value) in [("orderQty", &qty), ("price", &price)] {
        if value
            .as_deref()
            .is_some_and(|t| num::parse_positive(t).is_none())
        {
            return Err(Refusal::invalid(name));
        }
    }
    if qty.is_none() && price.is_none() {
        return Err(Refusal::invalid("orderQty"));
    }
    let (category, symbol, order_id) =
        named(v, c, &id).ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, "Not Found"))?;
    let order = v
        .amend_one(
            c.uid,
            category,
            &symbol,
            &OrderRef::Id(order_id),
            qty,
            price,
        )
        .map_err(refusal)?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(wire::order(v, &order))
}

/// `DELETE /order`: the orders `orderID` (or `clOrdID`), one id or a list, names.
pub(crate) fn cancel(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let ids: Vec<String> = match p.value("orderID").or_else(|| p.value("clOrdID")) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|s| s.trim().to_owned()).collect(),
        _ => return Err(Refusal::invalid("orderID")),
    };
    let mut rows = Vec::new();
    for id in ids {
        let Some((category, symbol, order_id)) = named(v, c, &id) else {
            continue;
        };
        let order = v
            .cancel_one(c.uid, category, &symbol, &OrderRef::Id(order_id))
            .map_err(refusal)?;
        v.note_touch(&c.api_key, &order.order_id);
        rows.push(wire::order(v, &order));
    }
    if rows.is_empty() {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "Not Found"));
    }
    Ok(Value::Array(rows))
}

/// `DELETE /order/all`: every open order of the account, in every product (or one `symbol`).
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let filter = match p.text("symbol") {
        Some(symbol) => {
            let inst = names::resolve(v, &symbol).ok_or_else(|| Refusal::invalid("symbol"))?;
            SymbolFilter {
                symbol: Some(inst.symbol.clone()),
                ..SymbolFilter::default()
            }
        }
        None => SymbolFilter::default(),
    };
    let mut rows = Vec::new();
    for category in PRODUCTS {
        for order in v.cancel_open(c.uid, category, &filter, None) {
            rows.push(wire::order(v, &order));
        }
    }
    Ok(Value::Array(rows))
}

/// `POST /order/cancelAllAfter`: arms (or with `timeout=0` disarms) the account's switch;
/// `timeout` is in milliseconds.
pub(crate) fn cancel_after(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let timeout_ms = p
        .uint("timeout")?
        .ok_or_else(|| Refusal::invalid("timeout"))?;
    let seconds =
        u32::try_from(timeout_ms.div_ceil(1000)).map_err(|_| Refusal::invalid("timeout"))?;
    let now = v.now_ms();
    let at = v.dead_man.arm(c.uid, seconds, now);
    Ok(json!({
        "now": wire::time(now),
        "cancelTime": at.map(wire::time),
    }))
}
