//! Orders and fills, spot (`/api/v2/spot/trade/*`) and futures (`/api/v2/mix/order/*`)
//! (docs/venues/bitget.md §5, §6).
//!
//! Orders belong to the account, not the key: any key of it lists them, and one with the
//! product's trading right cancels them. Spot cancels every open order of one symbol
//! (`cancel-symbol-order`: the docs call it asynchronous; here it is done when the answer
//! leaves, and the answer names only the symbol), futures every open order of a `productType`
//! (`cancel-all-orders`, which lists what it cancelled). A spot market buy's `size` is the quote
//! coin to spend, every other size counts the base coin. `cancel-replace-order` (spot) and
//! `modify-order` (futures) cancel the order and place a new one under a new id. Lists page by
//! `idLessThan`, newest id first, at most 100 a page; the order history keeps 90 days. Plan
//! (trigger) orders are not simulated. The hidden origin of an order is set from the key and
//! never shown.

use serde_json::{Value, json};

use crate::sim::bitget::params::Params;
use crate::sim::bitget::wire::{self, COIN_FUTURES, USDC_FUTURES, USDT_FUTURES};
use crate::sim::bitget::{Caller, Refusal};
use crate::sim::num;
use crate::sim::order::{Category, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// The most rows one page gives, and the default.
const MAX_LIMIT: i64 = 100;

/// How long the order history and fills are kept (docs/venues/bitget.md §6: 90 days).
const KEPT_MS: i64 = 90 * 86_400_000;

/// The `productType` of a futures request.
pub(crate) fn product(p: &Params) -> Result<&'static str, Refusal> {
    match p.text("productType").as_deref() {
        Some(USDT_FUTURES) => Ok(USDT_FUTURES),
        Some(USDC_FUTURES) => Ok(USDC_FUTURES),
        Some(COIN_FUTURES) => Ok(COIN_FUTURES),
        _ => Err(Refusal::param("productType")),
    }
}

fn no_order(product: Option<&str>) -> Refusal {
    match product {
        None => Refusal::new("43001", "The order does not exist"),
        Some(_) => Refusal::new("40768", "Order does not exist"),
    }
}

fn refusal(e: VenueError, product: Option<&str>) -> Refusal {
    match e {
        VenueError::UnknownSymbol { .. } => Refusal::param("symbol"),
        VenueError::InsufficientBalance { .. } | VenueError::InsufficientMargin { .. } => {
            Refusal::new("43012", "Insufficient balance")
        }
        VenueError::NoSuchOrder => no_order(product),
        VenueError::DuplicateOrderLinkId(_) => Refusal::new("43122", "Duplicate clientOid"),
        VenueError::NoSuchKey(_) => Refusal::new("40037", "Apikey does not exist"),
        VenueError::PostOnlyWouldTake => Refusal::new("43010", "Post only order would take"),
        VenueError::ReduceOnlyNoPosition => Refusal::new(
            "40774",
            "The order type for unilateral position must also be the unilateral position type",
        ),
    }
}

/// The instrument a request's `symbol` names in its product.
fn instrument(
    v: &Venue,
    p: &Params,
    product: Option<&str>,
) -> Result<crate::sim::instrument::Instrument, Refusal> {
    let symbol = p.required("symbol")?;
    wire::resolve(v, product, &symbol)
        .cloned()
        .ok_or_else(|| Refusal::param("symbol"))
}

/// `place-order` (spot, or futures with `product`): `{orderId, clientOid}`.
pub(crate) fn place(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
) -> Result<Value, Refusal> {
    let inst = instrument(v, p, product)?;
    let side = match p.required("side")?.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(Refusal::param("side")),
    };
    let order_type = match p.required("orderType")?.as_str() {
        "limit" => OrderType::Limit,
        "market" => OrderType::Market,
        _ => return Err(Refusal::param("orderType")),
    };
    let size = p.required("size")?;
    if num::parse_positive(&size).is_none() {
        return Err(Refusal::param("size"));
    }
    let price = p.text("price");
    if order_type == OrderType::Limit && price.as_deref().and_then(num::parse_positive).is_none() {
        return Err(Refusal::param("price"));
    }
    if let Some(product) = product {
        // Futures name their margin coin (docs/venues/bitget.md §5).
        let margin = p.required("marginCoin")?;
        if !margin.eq_ignore_ascii_case(&inst.settle_coin) {
            return Err(Refusal::param("marginCoin"));
        }
        if p.text("marginMode").is_none() {
            return Err(Refusal::param("marginMode"));
        }
        let _ = product;
    }
    let tif = match (order_type, p.text("force").as_deref()) {
        (OrderType::Market, _) => Tif::Ioc,
        (_, None | Some("gtc")) => Tif::Gtc,
        (_, Some("ioc")) => Tif::Ioc,
        (_, Some("fok")) => Tif::Fok,
        (_, Some("post_only")) => Tif::PostOnly,
        (_, Some(_)) => return Err(Refusal::param("force")),
    };
    let client_oid = p.text("clientOid").unwrap_or_default();
    if client_oid.len() > 50 {
        return Err(Refusal::param("clientOid"));
    }
    // A spot market buy spends `size` of the quote coin (docs/venues/bitget.md §5).
    let unit = if product.is_none() && order_type == OrderType::Market && side == Side::Buy {
        QtyUnit::Quote
    } else {
        QtyUnit::Base
    };
    let order = v
        .with_terms(Terms {
            tif,
            reduce_only: p.text("reduceOnly").as_deref() == Some("YES"),
            post_only_cross: PostOnlyCross::Cancel,
        })
        .place_order(NewOrder {
            uid: c.uid,
            category: inst.category,
            symbol: inst.symbol.clone(),
            side,
            order_type,
            price: (order_type == OrderType::Limit).then_some(price).flatten(),
            qty: size,
            qty_unit: unit,
            order_link_id: client_oid,
            origin: c.origin(),
        })
        .map_err(|e| refusal(e, product))?;
    Ok(json!({ "orderId": order.order_id, "clientOid": order.order_link_id }))
}

/// The open order `orderId` (or `clientOid`) names on the request's symbol.
fn named(
    v: &Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
) -> Result<(Category, String, String), Refusal> {
    let inst = instrument(v, p, product)?;
    let id = p.text("orderId");
    let cl = p.text("clientOid");
    if id.is_none() && cl.is_none() {
        return Err(Refusal::param("orderId"));
    }
    v.orders
        .iter()
        .find(|o| {
            o.uid == c.uid
                && o.category == inst.category
                && o.symbol == inst.symbol
                && o.status.is_open()
                && (id.as_deref() == Some(o.order_id.as_str())
                    || (!o.order_link_id.is_empty()
                        && cl.as_deref() == Some(o.order_link_id.as_str())))
        })
        .map(|o| (o.category, o.symbol.clone(), o.order_id.clone()))
        .ok_or_else(|| no_order(product))
}

/// `cancel-order`: `{orderId, clientOid}`.
pub(crate) fn cancel(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
) -> Result<Value, Refusal> {
    let (category, symbol, order_id) = named(v, c, p, product)?;
    let order = v
        .cancel_one(c.uid, category, &symbol, &OrderRef::Id(order_id))
        .map_err(|e| refusal(e, product))?;
    v.note_touch(&c.api_key, &order.order_id);
    Ok(json!({ "orderId": order.order_id, "clientOid": order.order_link_id }))
}

/// `cancel-symbol-order`: every open spot order of `symbol`; the answer names the symbol only.
pub(crate) fn cancel_symbol(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let inst = instrument(v, p, None)?;
    let filter = SymbolFilter {
        symbol: Some(inst.symbol.clone()),
        ..SymbolFilter::default()
    };
    for order in v.cancel_open(c.uid, Category::Spot, &filter, None) {
        v.note_touch(&c.api_key, &order.order_id);
    }
    Ok(json!({ "symbol": wire::symbol(&inst) }))
}

/// `cancel-all-orders`: every open order of the `productType`; `successList` names them.
pub(crate) fn cancel_all(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let product = product(p)?;
    let (category, settle) = match product {
        COIN_FUTURES => (Category::Inverse, None),
        USDC_FUTURES => (Category::Linear, Some("USDC")),
        _ => (Category::Linear, Some("USDT")),
    };
    let filter = SymbolFilter {
        settle_coin: settle.map(str::to_owned),
        ..SymbolFilter::default()
    };
    let mut done = Vec::new();
    for order in v.cancel_open(c.uid, category, &filter, None) {
        v.note_touch(&c.api_key, &order.order_id);
        done.push(json!({ "orderId": order.order_id, "clientOid": order.order_link_id }));
    }
    Ok(json!({ "successList": done, "failureList": [] }))
}

/// `cancel-replace-order` (spot: `price`, `size`) or `modify-order` (futures: `newPrice`,
/// `newSize`, `newClientOid`): the order is cancelled and a new one placed on the same side.
pub(crate) fn replace(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
) -> Result<Value, Refusal> {
    let (price_name, size_name, cl_name) = match product {
        None => ("price", "size", "newClientOid"),
        Some(_) => ("newPrice", "newSize", "newClientOid"),
    };
    let price = p.required(price_name)?;
    let size = p.required(size_name)?;
    if num::parse_positive(&price).is_none() {
        return Err(Refusal::param(price_name));
    }
    if num::parse_positive(&size).is_none() {
        return Err(Refusal::param(size_name));
    }
    let (category, symbol, order_id) = named(v, c, p, product)?;
    let old = v
        .cancel_one(c.uid, category, &symbol, &OrderRef::Id(order_id))
        .map_err(|e| refusal(e, product))?;
    v.note_touch(&c.api_key, &old.order_id);
    let new = v
        .place_order(NewOrder {
            uid: c.uid,
            category,
            symbol,
            side: old.side,
            order_type: OrderType::Limit,
            price: Some(price),
            qty: size,
            qty_unit: QtyUnit::Base,
            order_link_id: p.text(cl_name).unwrap_or_default(),
            origin: c.origin(),
        })
        .map_err(|e| refusal(e, product))?;
    Ok(json!({
        "orderId": new.order_id,
        "clientOid": new.order_link_id,
        "success": "success",
        "msg": null,
    }))
}

/// Whether an order of `category` on `symbol` is in `product` (`None`: spot).
fn in_product(v: &Venue, category: Category, symbol: &str, product: Option<&str>) -> bool {
    v.instrument(category, symbol)
        .is_some_and(|i| wire::product_of(i) == product)
}

/// A page by `idLessThan` and `limit`, newest id first.
fn page(mut rows: Vec<(u128, Value)>, p: &Params) -> Result<(Vec<Value>, Option<String>), Refusal> {
    let limit = p.int("limit")?.unwrap_or(MAX_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Refusal::param("limit"));
    }
    let below = match p.text("idLessThan") {
        None => None,
        Some(t) => Some(
            t.parse::<u128>()
                .map_err(|_| Refusal::param("idLessThan"))?,
        ),
    };
    rows.retain(|(id, _)| below.is_none_or(|b| *id < b));
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    rows.truncate(usize::try_from(limit).unwrap_or(100));
    let end = rows.last().map(|(id, _)| id.to_string());
    Ok((rows.into_iter().map(|(_, row)| row).collect(), end))
}

/// `startTime`/`endTime` as a check on `ms`; at most 90 days apart.
fn window(p: &Params) -> Result<impl Fn(i64) -> bool, Refusal> {
    let start = p.int("startTime")?;
    let end = p.int("endTime")?;
    if let (Some(s), Some(e)) = (start, end)
        && (e < s || e - s > KEPT_MS)
    {
        return Err(Refusal::new(
            "40017",
            "Parameter verification failed: startTime and endTime span at most 90 days",
        ));
    }
    Ok(move |ms: i64| start.is_none_or(|s| ms >= s) && end.is_none_or(|e| ms <= e))
}

/// Open orders (`unfilled-orders`, `orders-pending`) or the order history (`history-orders`,
/// `orders-history`, the last 90 days).
pub(crate) fn list(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
    open: bool,
) -> Result<Value, Refusal> {
    let symbol = p.text("symbol");
    let inside = window(p)?;
    let oldest = v.now_ms() - KEPT_MS;
    let mut rows = Vec::new();
    for o in v.orders.iter().filter(|o| o.uid == c.uid) {
        if o.status.is_open() != open || !in_product(v, o.category, &o.symbol, product) {
            continue;
        }
        if !open && (o.created_ms < oldest || !inside(o.created_ms)) {
            continue;
        }
        if symbol
            .as_deref()
            .is_some_and(|s| s != wire::wire_symbol(v, o.category, &o.symbol))
        {
            continue;
        }
        let id = o.order_id.parse::<u128>().unwrap_or(0);
        rows.push((id, wire::order(v, o, product)));
    }
    let (rows, end) = page(rows, p)?;
    Ok(match product {
        None => Value::Array(rows),
        Some(_) => json!({ "entrustedList": rows, "endId": end }),
    })
}

/// Fills (`spot/trade/fills`, `mix/order/fill-history`), the last 90 days.
pub(crate) fn fills(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    product: Option<&str>,
) -> Result<Value, Refusal> {
    let inside = window(p)?;
    let oldest = v.now_ms() - KEPT_MS;
    let mut rows = Vec::new();
    for e in v.executions.iter().filter(|e| e.uid == c.uid) {
        if !in_product(v, e.category, &e.symbol, product)
            || e.exec_time_ms < oldest
            || !inside(e.exec_time_ms)
        {
            continue;
        }
        let id = e.exec_id.parse::<u128>().unwrap_or(0);
        rows.push((id, wire::fill(v, e, product)));
    }
    let (rows, end) = page(rows, p)?;
    Ok(match product {
        None => Value::Array(rows),
        Some(_) => json!({ "fillList": rows, "endId": end }),
    })
}
