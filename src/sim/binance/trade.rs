//! Placing and cancelling orders, spot (`/api/v3`) and USD-M (`/fapi/v1`) (docs/venues/binance.md
//! §5).
//!
//! Orders belong to the calling key's account: the master cannot cancel a sub-account's orders
//! (docs/venues/binance.md §9). A new order takes what it can from its market's book at once
//! (`matching.rs`); a market order's unfilled rest expires. A spot market order is sized in the
//! base coin (`quantity`) or spends a quote amount (`quoteOrderQty`); USD-M orders are sized in
//! the base coin (one contract per coin, no margin modelled). Cancelling every open order is per
//! symbol: spot `DELETE /api/v3/openOrders` answers the orders it cancelled, or `-2011` when
//! there were none; USD-M `DELETE /fapi/v1/allOpenOrders` answers `{"code": 200, …}` and leaves
//! the symbol's conditional (algo) orders waiting (`algo.rs` cancels those). The hidden
//! origin of an order is set here from the key (leaked key = attacker) and never shown.

use serde_json::{Value, json};

use crate::sim::binance::caller::Caller;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::wire;
use crate::sim::num;
use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
use crate::sim::state::{NewOrder, OrderRef, SymbolFilter, Venue, VenueError};

/// Checks that `symbol` is traded in `category` (`-1121` otherwise).
pub(crate) fn symbol(v: &Venue, category: Category, p: &Params) -> Result<String, ApiError> {
    let symbol = p.required("symbol")?;
    if v.instrument(category, &symbol).is_none() {
        return Err(ApiError::invalid_symbol());
    }
    Ok(symbol)
}

/// Whether a client order id has the shape Binance accepts.
pub(crate) fn client_id_ok(id: &str) -> bool {
    (1..=36).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'/' | b'_' | b'-'))
}

fn positive(p: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match p.string(name) {
        None => Ok(None),
        Some(text) if num::parse_positive(&text).is_some() => Ok(Some(text)),
        Some(_) => Err(ApiError::invalid(name)),
    }
}

/// `POST /api/v3/order` and `POST /fapi/v1/order`.
pub(crate) fn place(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    category: Category,
) -> Result<Value, ApiError> {
    let symbol = symbol(v, category, p)?;
    let side = match p.required("side")?.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid("side")),
    };
    let order_type = match p.required("type")?.as_str() {
        "LIMIT" => OrderType::Limit,
        "MARKET" => OrderType::Market,
        _ => return Err(ApiError::invalid("type")),
    };
    let quantity = positive(p, "quantity")?;
    let quote = positive(p, "quoteOrderQty")?;
    let (price, qty, unit) = match order_type {
        OrderType::Limit => {
            p.required("timeInForce")?;
            let price = positive(p, "price")?.ok_or_else(|| ApiError::missing("price"))?;
            let qty = quantity.ok_or_else(|| ApiError::missing("quantity"))?;
            (Some(price), qty, QtyUnit::Base)
        }
        OrderType::Market => match (quantity, quote, category) {
            (Some(qty), None, _) => (None, qty, QtyUnit::Base),
            (None, Some(quote), Category::Spot) => (None, quote, QtyUnit::Quote),
            (None, None, _) => return Err(ApiError::missing("quantity")),
            _ => {
                return Err(ApiError::new(
                    Code::BadCombination,
                    "Combination of optional parameters invalid.",
                ));
            }
        },
    };
    let link = p.string("newClientOrderId").unwrap_or_default();
    if !link.is_empty() && !client_id_ok(&link) {
        return Err(ApiError::invalid("newClientOrderId"));
    }
    let order = v
        .place_order(NewOrder {
            uid: c.uid,
            category,
            symbol,
            side,
            order_type,
            price,
            qty,
            qty_unit: unit,
            order_link_id: link,
            origin: if c.leaked {
                Origin::Attacker
            } else {
                Origin::Owner
            },
        })
        .map_err(order_error)?;
    let now = v.now_ms();
    if category == Category::Spot && p.string("newOrderRespType").as_deref() == Some("ACK") {
        return Ok(json!({
            "symbol": order.symbol,
            "orderId": order.order_id.parse::<u64>().unwrap_or(0),
            "orderListId": -1,
            "clientOrderId": wire::client_id(&order),
            "transactTime": now,
        }));
    }
    let mut shown = wire::order(&order);
    if let Value::Object(map) = &mut shown {
        map.insert("transactTime".into(), json!(now));
    }
    Ok(shown)
}

/// Maps a refused order operation to Binance's code.
fn order_error(e: VenueError) -> ApiError {
    match e {
        VenueError::UnknownSymbol { .. } => ApiError::invalid_symbol(),
        VenueError::InsufficientBalance { .. } | VenueError::InsufficientMargin { .. } => {
            ApiError::new(
                Code::NewOrderRejected,
                "Account has insufficient balance for requested action.",
            )
        }
        VenueError::DuplicateOrderLinkId(_) => {
            ApiError::new(Code::NewOrderRejected, "Duplicate order sent.")
        }
        VenueError::NoSuchOrder | VenueError::NoSuchKey(_) => unknown_order(),
    }
}

fn unknown_order() -> ApiError {
    ApiError::new(Code::CancelRejected, "Unknown order sent.")
}

/// `DELETE /api/v3/order` and `DELETE /fapi/v1/order`: by `orderId`, or `origClientOrderId`.
pub(crate) fn cancel(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    category: Category,
) -> Result<Value, ApiError> {
    let symbol = symbol(v, category, p)?;
    let which = match (p.string("orderId"), p.string("origClientOrderId")) {
        (Some(id), _) => OrderRef::Id(id),
        (None, Some(link)) => OrderRef::LinkId(link),
        (None, None) => return Err(ApiError::missing("orderId")),
    };
    let order = v
        .cancel_one(c.uid, category, &symbol, &which)
        .map_err(order_error)?;
    Ok(wire::order(&order))
}

/// `DELETE /api/v3/openOrders` and `DELETE /fapi/v1/allOpenOrders`: every open order of one
/// symbol.
pub(crate) fn cancel_symbol(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    category: Category,
) -> Result<Value, ApiError> {
    let symbol = symbol(v, category, p)?;
    let filter = SymbolFilter {
        symbol: Some(symbol),
        ..SymbolFilter::default()
    };
    let cancelled = v.cancel_open(c.uid, category, &filter, None);
    if category != Category::Spot {
        return Ok(json!({
            "code": 200,
            "msg": "The operation of cancel all open order is done.",
        }));
    }
    if cancelled.is_empty() {
        return Err(unknown_order());
    }
    Ok(Value::Array(
        cancelled.iter().map(wire::spot_order).collect(),
    ))
}
