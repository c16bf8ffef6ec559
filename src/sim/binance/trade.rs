//! Placing and cancelling orders: spot (`/api/v3`), cross margin (`/sapi/v1/margin`), USD-M
//! (`/fapi/v1`), COIN-M (`/dapi/v1`) and options (`/eapi/v1`) (docs/venues/binance.md §5).
//!
//! Orders belong to the calling key's account: the master cannot cancel a sub-account's orders
//! (docs/venues/binance.md §9). A new order takes what it can from its market's book at once
//! (`matching.rs`); a market order's unfilled rest expires. A spot market order is sized in the
//! base coin (`quantity`) or spends a quote amount (`quoteOrderQty`); USD-M orders are sized in
//! the base coin (one contract per coin, no margin modelled). Cancelling every open order is per
//! symbol: spot and margin `DELETE …/openOrders` answer the orders they cancelled, or `-2011`
//! when there were none; USD-M and COIN-M `DELETE …/allOpenOrders` answer `{"code": 200, …}`
//! (USD-M leaves the symbol's conditional (algo) orders waiting, `algo.rs` cancels those);
//! options `DELETE /eapi/v1/allOpenOrders` answers `{"code": 0, "msg": "success"}`. A spot or
//! margin order is answered as `newOrderRespType` asks, `FULL` by default for `LIMIT` and
//! `MARKET` (binance-spot-api-docs `rest-api.md`: `ACK`, `RESULT` or `FULL`, with its `fills`).
//! The hidden origin of an order is set here from the key (leaked key = attacker) and never
//! shown.

use serde_json::{Value, json};

use crate::sim::binance::caller::Caller;
use crate::sim::binance::market::Market;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::wire;
use crate::sim::num;
use crate::sim::order::{Category, Order, OrderType, QtyUnit, Side};
use crate::sim::placing::{PostOnlyCross, Terms, Tif};
use crate::sim::state::{NewOrder, OrderRef, Venue, VenueError};

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

/// `POST /api/v3/order`, `/sapi/v1/margin/order`, `/fapi/v1/order`, `/dapi/v1/order` and
/// `/eapi/v1/order`.
pub(crate) fn place(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let category = market.category();
    let symbol = symbol(v, category, p)?;
    let side = match p.required("side")?.as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid("side")),
    };
    let futures = matches!(market, Market::UsdM | Market::CoinM);
    // Post-only is `LIMIT_MAKER` on spot and margin (refused with `-2010` when it would take),
    // `timeInForce=GTX` on futures (refused with `-5022`), `postOnly` on options
    // (docs/venues/binance.md "Placing and amending").
    let (order_type, maker) = match p.required("type")?.as_str() {
        "LIMIT" => (OrderType::Limit, false),
        "LIMIT_MAKER" if !futures && market != Market::Options => (OrderType::Limit, true),
        "MARKET" => (OrderType::Market, false),
        _ => return Err(ApiError::invalid("type")),
    };
    let tif = match (order_type, maker, p.string("timeInForce").as_deref()) {
        (OrderType::Market, ..) => Tif::Ioc,
        (_, true, None) => Tif::PostOnly,
        (_, true, Some(_)) => return Err(ApiError::invalid("timeInForce")),
        (_, false, Some("GTC")) => Tif::Gtc,
        (_, false, Some("IOC")) => Tif::Ioc,
        (_, false, Some("FOK")) => Tif::Fok,
        (_, false, Some("GTX")) if futures => Tif::PostOnly,
        (_, false, None) => return Err(ApiError::missing("timeInForce")),
        (_, false, Some(_)) => return Err(ApiError::invalid("timeInForce")),
    };
    let tif = match p.string("postOnly").as_deref() {
        Some("true") if market == Market::Options => Tif::PostOnly,
        _ => tif,
    };
    let reduce_only = match p.string("reduceOnly").as_deref() {
        None | Some("false") => false,
        Some("true") if futures || market == Market::Options => true,
        Some("true") => {
            return Err(ApiError::new(
                Code::NotRequired,
                "Parameter 'reduceOnly' sent when not required.",
            ));
        }
        Some(_) => return Err(ApiError::invalid("reduceOnly")),
    };
    let terms = Terms {
        tif,
        reduce_only,
        post_only_cross: PostOnlyCross::Reject,
    };
    let quantity = positive(p, "quantity")?;
    let quote = positive(p, "quoteOrderQty")?;
    let (price, qty, unit) = match order_type {
        OrderType::Limit => {
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
    // Options name the client id `clientOrderId`; the others `newClientOrderId`.
    let link_name = if market == Market::Options {
        "clientOrderId"
    } else {
        "newClientOrderId"
    };
    let link = p.string(link_name).unwrap_or_default();
    if !link.is_empty() && !client_id_ok(&link) {
        return Err(ApiError::invalid(link_name));
    }
    let answer = match p.string("newOrderRespType").as_deref() {
        None => RespType::Full,
        Some("ACK") => RespType::Ack,
        Some("RESULT") => RespType::Result,
        Some("FULL") => RespType::Full,
        Some(_) => return Err(ApiError::invalid("newOrderRespType")),
    };
    let order = v
        .with_terms(terms)
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
            origin: c.origin(),
        })
        .map_err(|e| match e {
            VenueError::PostOnlyWouldTake if futures => ApiError::new(
                Code::GtxRejected,
                "Due to the order could not be executed as maker, the Post Only order will be \
                 rejected.",
            ),
            e => order_error(e),
        })?;
    let state = v.own.get_mut::<BinanceState>();
    match market {
        Market::Margin => {
            state.margin_orders.insert(order.order_id.clone());
        }
        Market::Isolated => {
            state.isolated_orders.insert(order.order_id.clone());
            state
                .isolated_pairs
                .entry(c.uid)
                .or_default()
                .insert(order.symbol.clone());
        }
        _ => {}
    }
    let now = v.now_ms();
    match market {
        Market::Spot | Market::Margin | Market::Isolated => {
            Ok(spot_placed(v, &order, answer, market, now))
        }
        // The options "New Order" page's answer also names where the order came from.
        Market::Options => {
            let mut shown = wire::options_order(&order);
            if let Value::Object(map) = &mut shown {
                map.insert("source".into(), json!("API"));
            }
            Ok(shown)
        }
        Market::UsdM | Market::CoinM => Ok(wire::futures_answer(market, &order)),
    }
}

/// How much a spot or margin order placement answers (`newOrderRespType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RespType {
    Ack,
    Result,
    Full,
}

/// A spot or margin order's placement answer: `ACK` names it, `RESULT` adds where it stands,
/// `FULL` adds its fills (binance-spot-api-docs `rest-api.md`, "New order").
fn spot_placed(v: &Venue, o: &Order, answer: RespType, market: Market, now: i64) -> Value {
    let mut shown = json!({
        "symbol": o.symbol,
        "orderId": o.order_id.parse::<u64>().unwrap_or(0),
        "orderListId": -1,
        "clientOrderId": wire::client_id(o),
        "transactTime": now,
    });
    let Value::Object(map) = &mut shown else {
        return shown;
    };
    // The margin page's answers have `isIsolated` and no `orderListId`, `origQuoteOrderQty` or
    // `workingTime` ("Margin Account New Order").
    let margin = market.is_margin();
    if margin {
        map.remove("orderListId");
        map.insert("isIsolated".into(), json!(market == Market::Isolated));
    }
    if answer == RespType::Ack {
        return shown;
    }
    let full = wire::spot_order(o);
    for field in [
        "price",
        "origQty",
        "executedQty",
        "origQuoteOrderQty",
        "cummulativeQuoteQty",
        "status",
        "timeInForce",
        "type",
        "side",
        "workingTime",
        "selfTradePreventionMode",
    ] {
        if !(margin && matches!(field, "origQuoteOrderQty" | "workingTime")) {
            map.insert(field.into(), full[field].clone());
        }
    }
    if answer == RespType::Full {
        let fills: Vec<Value> = v
            .executions
            .iter()
            .filter(|e| e.order_id == o.order_id && e.category == o.category)
            .map(|e| {
                json!({
                    "price": wire::dec(e.exec_price),
                    "qty": wire::dec(e.exec_qty),
                    "commission": wire::dec(e.exec_fee),
                    "commissionAsset": e.fee_currency,
                    "tradeId": e.exec_id.parse::<u64>().unwrap_or(0),
                })
            })
            .collect();
        map.insert("fills".into(), Value::Array(fills));
    }
    shown
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
        VenueError::PostOnlyWouldTake => ApiError::new(
            Code::NewOrderRejected,
            "Order would immediately match and take.",
        ),
        VenueError::ReduceOnlyNoPosition => {
            ApiError::new(Code::ReduceOnlyRejected, "ReduceOnly Order is rejected.")
        }
    }
}

fn unknown_order() -> ApiError {
    ApiError::new(Code::CancelRejected, "Unknown order sent.")
}

/// `DELETE /api/v3/order`, `/sapi/v1/margin/order`, `/fapi/v1/order`, `/dapi/v1/order` and
/// `/eapi/v1/order`: by `orderId`, or the client id.
pub(crate) fn cancel(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let category = market.category();
    let symbol = symbol(v, category, p)?;
    let link_name = if market == Market::Options {
        "clientOrderId"
    } else {
        "origClientOrderId"
    };
    let which = match (p.string("orderId"), p.string(link_name)) {
        (Some(id), _) => OrderRef::Id(id),
        (None, Some(link)) => OrderRef::LinkId(link),
        (None, None) => return Err(ApiError::missing("orderId")),
    };
    let found = v.orders.iter().find(|o| {
        o.uid == c.uid
            && o.symbol == symbol
            && o.status.is_open()
            && market.holds(v, o)
            && match &which {
                OrderRef::Id(id) => &o.order_id == id,
                OrderRef::LinkId(link) => &o.order_link_id == link,
            }
    });
    let Some(id) = found.map(|o| o.order_id.clone()) else {
        return Err(unknown_order());
    };
    let order = v
        .cancel_one(c.uid, category, &symbol, &OrderRef::Id(id))
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    let now = v.now_ms();
    Ok(match market {
        Market::Margin | Market::Isolated => margin_cancelled(&order, market),
        Market::Spot => spot_cancelled(&order, market, now),
        Market::UsdM | Market::CoinM => wire::futures_answer(market, &order),
        Market::Options => wire::order(market, &order),
    })
}

/// `PUT /api/v3/order/amend/keepPriority`: lowers one open spot order's quantity to `newQty`
/// (it must go down: `-2010` otherwise, the wording is the simulator's); the order
/// keeps its id and place in the queue (binance-spot-api-docs "Order Amend Keep Priority").
pub(crate) fn amend_keep_priority(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
) -> Result<Value, ApiError> {
    let symbol = symbol(v, Category::Spot, p)?;
    let new_qty = positive(p, "newQty")?.ok_or_else(|| ApiError::missing("newQty"))?;
    let which = match (p.string("orderId"), p.string("origClientOrderId")) {
        (Some(id), _) => OrderRef::Id(id),
        (None, Some(link)) => OrderRef::LinkId(link),
        (None, None) => return Err(ApiError::missing("orderId")),
    };
    let found = v.orders.iter().find(|o| {
        o.uid == c.uid
            && o.symbol == symbol
            && o.status.is_open()
            && Market::Spot.holds(v, o)
            && match &which {
                OrderRef::Id(id) => &o.order_id == id,
                OrderRef::LinkId(link) => &o.order_link_id == link,
            }
    });
    let Some(current) = found.cloned() else {
        return Err(unknown_order());
    };
    let wanted = num::parse_positive(&new_qty).unwrap_or(0.0);
    let had = num::parse_positive(&current.qty).unwrap_or(0.0);
    if wanted >= had || current.qty_unit != QtyUnit::Base {
        return Err(ApiError::new(
            Code::NewOrderRejected,
            "Order amend (quantity increase) is not supported.",
        ));
    }
    let order = v
        .amend_one(
            c.uid,
            Category::Spot,
            &symbol,
            &OrderRef::Id(current.order_id.clone()),
            Some(new_qty),
            None,
        )
        .map_err(order_error)?;
    v.note_touch(&c.api_key, &order.order_id);
    let seq = v.next_seq;
    v.next_seq += 1;
    let mut amended = wire::spot_order(&order);
    if let Value::Object(map) = &mut amended {
        map.insert("origClientOrderId".into(), json!(wire::client_id(&order)));
    }
    Ok(json!({
        "transactTime": v.now_ms(),
        "executionId": seq,
        "amendedOrder": amended,
    }))
}

/// A cancelled spot or margin order as the cancels answer it: the order's own client id becomes
/// `origClientOrderId`. Spot adds `transactTime` and `origQuoteOrderQty` (binance-spot-api-docs
/// `rest-api.md`, "Cancel order"); margin has `isIsolated` and neither of those (the margin
/// "Cancel all Open Orders on a Symbol" page).
fn spot_cancelled(o: &Order, market: Market, now: i64) -> Value {
    let full = wire::spot_order(o);
    let mut shown = json!({
        "symbol": o.symbol,
        "origClientOrderId": wire::client_id(o),
        "orderId": full["orderId"],
        "orderListId": -1,
        "clientOrderId": format!("x-simcancel{}", o.order_id),
    });
    if let Value::Object(map) = &mut shown {
        if market.is_margin() {
            map.insert("isIsolated".into(), json!(market == Market::Isolated));
        } else {
            map.insert("transactTime".into(), json!(now));
            map.insert(
                "origQuoteOrderQty".into(),
                full["origQuoteOrderQty"].clone(),
            );
        }
        for field in [
            "price",
            "origQty",
            "executedQty",
            "cummulativeQuoteQty",
            "status",
            "timeInForce",
            "type",
            "side",
            "selfTradePreventionMode",
        ] {
            map.insert(field.into(), full[field].clone());
        }
    }
    shown
}

/// A margin order cancelled by its id, as the "Margin Account Cancel Order" page shows it: its
/// `orderId` as a string there, no `orderListId` nor `selfTradePreventionMode`.
fn margin_cancelled(o: &Order, market: Market) -> Value {
    let full = wire::spot_order(o);
    let mut shown = json!({
        "symbol": o.symbol,
        "isIsolated": market == Market::Isolated,
        "orderId": o.order_id,
        "origClientOrderId": wire::client_id(o),
        "clientOrderId": format!("x-simcancel{}", o.order_id),
    });
    if let Value::Object(map) = &mut shown {
        for field in [
            "price",
            "origQty",
            "executedQty",
            "cummulativeQuoteQty",
            "status",
            "timeInForce",
            "type",
            "side",
        ] {
            map.insert(field.into(), full[field].clone());
        }
    }
    shown
}

/// `DELETE /api/v3/openOrders`, `/sapi/v1/margin/openOrders`, `/fapi/v1/allOpenOrders`,
/// `/dapi/v1/allOpenOrders` and `/eapi/v1/allOpenOrders`: every open order of one symbol.
pub(crate) fn cancel_symbol(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    market: Market,
) -> Result<Value, ApiError> {
    let category = market.category();
    let symbol = symbol(v, category, p)?;
    let mut ids: Vec<(i64, String)> = v
        .orders
        .iter()
        .filter(|o| o.uid == c.uid && o.symbol == symbol && o.status.is_open())
        .filter(|o| market.holds(v, o))
        .map(|o| (o.created_ms, o.order_id.clone()))
        .collect();
    ids.sort();
    let mut cancelled = Vec::new();
    for (_, id) in ids {
        if let Ok(order) = v.cancel_one(c.uid, category, &symbol, &OrderRef::Id(id)) {
            cancelled.push(order);
        }
    }
    let now = v.now_ms();
    match market {
        Market::UsdM | Market::CoinM => Ok(json!({
            "code": 200,
            "msg": "The operation of cancel all open order is done.",
        })),
        // The page's example writes the code as a string.
        Market::Options => Ok(json!({ "code": "0", "msg": "success" })),
        Market::Spot | Market::Margin | Market::Isolated if cancelled.is_empty() => {
            Err(unknown_order())
        }
        Market::Spot | Market::Margin | Market::Isolated => Ok(Value::Array(
            cancelled
                .iter()
                .map(|o| spot_cancelled(o, market, now))
                .collect(),
        )),
    }
}
