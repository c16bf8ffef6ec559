//! Venue records in Binance's JSON shapes: spot, cross-margin, USD-M, COIN-M and options orders
//! and trades, income rows, keys.
//!
//! Field names follow the docs (`allOrders`, `myTrades`, `userTrades`, `income`, the margin,
//! COIN-M and options `openOrders`, `subAccountApi…`): ids are integers, prices and quantities decimal strings with eight places,
//! times Unix ms integers. A spot order sized in the quote coin shows it in `origQuoteOrderQty`;
//! an order without a client id shows one Binance-style, derived from its id. Fields the
//! simulator does not model carry Binance's neutral values. The hidden `origin` and the key's
//! `leaked` flag never appear here, and a key's secret only in the create answers.

use serde_json::{Value, json};

use crate::sim::binance::caller::FLAGS;
use crate::sim::binance::market::Market;
use crate::sim::key::{ApiKey, IpWhitelist};
use crate::sim::num;
use crate::sim::order::{EndReason, Execution, Order, OrderStatus, OrderType, QtyUnit, Side};

/// A decimal with Binance's eight places.
pub(crate) fn dec(v: f64) -> String {
    format!("{v:.8}")
}

/// Binance's `side`.
pub(crate) fn side(s: Side) -> &'static str {
    match s {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

/// Binance's `status` of an order: a market order's unfilled rest expires rather than being
/// cancelled.
pub(crate) fn status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New => "NEW",
        OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => match o.ended {
            Some(EndReason::NoImmediateQty | EndReason::NoFullFill) => "EXPIRED",
            _ => "CANCELED",
        },
    }
}

/// The client order id shown: the one given, else one derived from the order id as Binance
/// makes one up for orders placed without.
pub(crate) fn client_id(o: &Order) -> String {
    if o.order_link_id.is_empty() {
        format!("x-sim{}", o.order_id)
    } else {
        o.order_link_id.clone()
    }
}

fn kind(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "LIMIT",
        OrderType::Market => "MARKET",
    }
}

fn id_number(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// An order as spot `allOrders`, `openOrders` and `order` show it.
pub(crate) fn spot_order(o: &Order) -> Value {
    let quote_sized = o.qty_unit == QtyUnit::Quote;
    let orig_qty = if quote_sized {
        o.cum_exec_qty
    } else {
        num::parse_positive(&o.qty).unwrap_or(0.0)
    };
    json!({
        "symbol": o.symbol,
        "orderId": id_number(&o.order_id),
        "orderListId": -1,
        "clientOrderId": client_id(o),
        "price": dec(o.price.as_deref().and_then(num::parse_positive).unwrap_or(0.0)),
        "origQty": dec(orig_qty),
        "executedQty": dec(o.cum_exec_qty),
        "cummulativeQuoteQty": dec(o.cum_exec_value),
        "status": status(o),
        "timeInForce": if o.order_type == OrderType::Limit { "GTC" } else { "IOC" },
        "type": kind(o.order_type),
        "side": side(o.side),
        "stopPrice": dec(0.0),
        "icebergQty": dec(0.0),
        "time": o.created_ms,
        "updateTime": o.updated_ms,
        "isWorking": o.status.is_open(),
        "workingTime": o.created_ms,
        "origQuoteOrderQty": dec(if quote_sized { num::parse_positive(&o.qty).unwrap_or(0.0) } else { 0.0 }),
        "selfTradePreventionMode": "EXPIRE_MAKER",
    })
}

/// An order as USD-M `allOrders`, `openOrders` and `order` show it.
pub(crate) fn futures_order(o: &Order) -> Value {
    json!({
        "avgPrice": dec(o.avg_price().unwrap_or(0.0)),
        "clientOrderId": client_id(o),
        "cumQuote": dec(o.cum_exec_value),
        "executedQty": dec(o.cum_exec_qty),
        "orderId": id_number(&o.order_id),
        "origQty": dec(num::parse_positive(&o.qty).unwrap_or(0.0)),
        "origType": kind(o.order_type),
        "price": dec(o.price.as_deref().and_then(num::parse_positive).unwrap_or(0.0)),
        "reduceOnly": false,
        "side": side(o.side),
        "positionSide": "BOTH",
        "status": status(o),
        "stopPrice": "0",
        "closePosition": false,
        "symbol": o.symbol,
        "time": o.created_ms,
        "timeInForce": if o.order_type == OrderType::Limit { "GTC" } else { "IOC" },
        "type": kind(o.order_type),
        "updateTime": o.updated_ms,
        "workingType": "CONTRACT_PRICE",
        "priceProtect": false,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
    })
}

/// An order as COIN-M `openOrders`, `allOrders` and `order` show it: sized in contracts, its
/// fills counted in the base coin (`cumBase`), with its `pair`.
pub(crate) fn coinm_order(o: &Order) -> Value {
    let mut shown = futures_order(o);
    if let Value::Object(map) = &mut shown {
        map.remove("cumQuote");
        let pair = o.symbol.split('_').next().unwrap_or(&o.symbol).to_owned();
        let avg = o.avg_price().unwrap_or(0.0);
        let base = if avg > 0.0 {
            o.cum_exec_value / avg
        } else {
            0.0
        };
        map.insert("cumBase".into(), json!(dec(base)));
        map.insert("pair".into(), json!(pair));
        map.insert("selfTradePreventionMode".into(), json!("NONE"));
        map.remove("goodTillDate");
    }
    shown
}

/// An order as the margin endpoints show it: the spot shape with `isIsolated`, and without
/// `orderListId`, `workingTime` and `origQuoteOrderQty`, which neither the margin open-orders
/// page nor the all-orders page shows ("Query Margin Account's Open Orders", "… All Orders").
pub(crate) fn margin_order(o: &Order, isolated: bool) -> Value {
    let mut shown = spot_order(o);
    if let Value::Object(map) = &mut shown {
        for field in ["orderListId", "workingTime", "origQuoteOrderQty"] {
            map.remove(field);
        }
        map.insert("isIsolated".into(), json!(isolated));
    }
    shown
}

/// Binance's options `status`: `NEW` while it rests unfilled (the current "Query Current Open
/// Option Orders" page; an older one said `ACCEPTED`), `CANCELLED` with two Ls.
fn options_status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New => "NEW",
        OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
        OrderStatus::Filled => "FILLED",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "CANCELLED",
    }
}

/// An order as options `openOrders`, `historyOrders` and `order` show it (the "Query Current
/// Open Option Orders" page's fields).
pub(crate) fn options_order(o: &Order) -> Value {
    json!({
        "orderId": id_number(&o.order_id),
        "symbol": o.symbol,
        "price": dec(o.price.as_deref().and_then(num::parse_positive).unwrap_or(0.0)),
        "quantity": dec(num::parse_positive(&o.qty).unwrap_or(0.0)),
        "executedQty": dec(o.cum_exec_qty),
        "side": side(o.side),
        "type": kind(o.order_type),
        "timeInForce": if o.order_type == OrderType::Limit { "GTC" } else { "IOC" },
        "reduceOnly": false,
        "createTime": o.created_ms,
        "updateTime": o.updated_ms,
        "status": options_status(o),
        "avgPrice": dec(o.avg_price().unwrap_or(0.0)),
        "clientOrderId": o.order_link_id,
        "priceScale": 2,
        "quantityScale": 2,
        "optionSide": if o.symbol.ends_with("-P") { "PUT" } else { "CALL" },
        "quoteAsset": "USDT",
        "mmp": false,
        "selfTradePreventionMode": "EXPIRE_MAKER",
    })
}

/// A USD-M or COIN-M order as placing or cancelling it answers: the listing's fields with
/// `cumQty` and without `time` (the "New Order" and "Cancel Order" pages).
pub(crate) fn futures_answer(market: Market, o: &Order) -> Value {
    let mut shown = order(market, o);
    if let Value::Object(map) = &mut shown {
        map.remove("time");
        map.insert("cumQty".into(), json!(dec(o.cum_exec_qty)));
    }
    shown
}

/// An order in its product's shape.
pub(crate) fn order(market: Market, o: &Order) -> Value {
    match market {
        Market::Spot => spot_order(o),
        Market::Margin => margin_order(o, false),
        Market::Isolated => margin_order(o, true),
        Market::UsdM => futures_order(o),
        Market::CoinM => coinm_order(o),
        Market::Options => options_order(o),
    }
}

/// A fill in its product's shape.
pub(crate) fn trade(market: Market, e: &Execution) -> Value {
    match market {
        Market::Spot => spot_trade(e),
        // The margin trade list's page shows `isIsolated`, and neither `orderListId` nor
        // `quoteQty` ("Query Margin Account's Trade List").
        Market::Margin | Market::Isolated => {
            let mut shown = spot_trade(e);
            if let Value::Object(map) = &mut shown {
                map.remove("orderListId");
                map.remove("quoteQty");
                map.insert("isIsolated".into(), json!(market == Market::Isolated));
            }
            shown
        }
        Market::UsdM => futures_trade(e),
        Market::CoinM => {
            let mut shown = futures_trade(e);
            if let Value::Object(map) = &mut shown {
                map.remove("quoteQty");
                let pair = e.symbol.split('_').next().unwrap_or(&e.symbol).to_owned();
                map.insert("pair".into(), json!(pair));
                map.insert("marginAsset".into(), json!(e.fee_currency));
                map.insert("baseQty".into(), json!(dec(e.exec_qty)));
            }
            shown
        }
        Market::Options => json!({
            "id": id_number(&e.exec_id),
            "tradeId": id_number(&e.exec_id),
            "orderId": id_number(&e.order_id),
            "symbol": e.symbol,
            "price": dec(e.exec_price),
            "quantity": dec(e.exec_qty),
            "fee": dec(e.exec_fee),
            "realizedProfit": "0",
            "side": side(e.side),
            "type": "LIMIT",
            "liquidity": if e.is_maker { "MAKER" } else { "TAKER" },
            "quoteAsset": "USDT",
            "time": e.exec_time_ms,
            "priceScale": 2,
            "quantityScale": 2,
            "optionSide": if e.symbol.ends_with("-P") { "PUT" } else { "CALL" },
        }),
    }
}

/// A fill as spot `myTrades` shows it.
pub(crate) fn spot_trade(e: &Execution) -> Value {
    json!({
        "symbol": e.symbol,
        "id": id_number(&e.exec_id),
        "orderId": id_number(&e.order_id),
        "orderListId": -1,
        "price": dec(e.exec_price),
        "qty": dec(e.exec_qty),
        "quoteQty": dec(e.exec_price * e.exec_qty),
        "commission": dec(e.exec_fee),
        "commissionAsset": e.fee_currency,
        "time": e.exec_time_ms,
        "isBuyer": e.side == Side::Buy,
        "isMaker": e.is_maker,
        "isBestMatch": true,
    })
}

/// A fill as USD-M `userTrades` shows it.
pub(crate) fn futures_trade(e: &Execution) -> Value {
    json!({
        "buyer": e.side == Side::Buy,
        "commission": dec(e.exec_fee),
        "commissionAsset": e.fee_currency,
        "id": id_number(&e.exec_id),
        "maker": e.is_maker,
        "orderId": id_number(&e.order_id),
        "price": dec(e.exec_price),
        "qty": dec(e.exec_qty),
        "quoteQty": dec(e.exec_price * e.exec_qty),
        "realizedPnl": "0",
        "side": side(e.side),
        "positionSide": "BOTH",
        "symbol": e.symbol,
        "time": e.exec_time_ms,
    })
}

/// A fill's commission as USD-M and COIN-M `income` list it (COIN-M writes `tranId` as a
/// string, USD-M as a number: each page's example).
pub(crate) fn commission(market: Market, e: &Execution) -> Value {
    let tran_id = if market == Market::CoinM {
        json!(e.seq.to_string())
    } else {
        json!(e.seq)
    };
    json!({
        "symbol": e.symbol,
        "incomeType": "COMMISSION",
        "income": dec(-e.exec_fee),
        "asset": e.fee_currency,
        "info": "COMMISSION",
        "time": e.exec_time_ms,
        "tranId": tran_id,
        "tradeId": e.exec_id,
    })
}

/// A key's flag, `false` when it does not have it.
pub(crate) fn flag(k: &ApiKey, name: &str) -> bool {
    k.permissions.has(FLAGS, name)
}

/// A key's IP list as Binance writes it: the addresses, none when unrestricted.
pub(crate) fn ip_list(ips: &IpWhitelist) -> Vec<String> {
    match ips {
        IpWhitelist::Any => Vec::new(),
        IpWhitelist::Only(list) => list.iter().map(ToString::to_string).collect(),
    }
}

/// A broker listing's masked key id: the first three characters, then thirteen stars (the
/// docs' example, `vmP*************`).
pub(crate) fn masked(api_key: &str) -> String {
    let head: String = api_key.chars().take(3).collect();
    format!("{head}*************")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::order::{Category, Origin};

    fn order(unit: QtyUnit, t: OrderType) -> Order {
        Order {
            order_id: "4100001".into(),
            order_link_id: String::new(),
            uid: 1,
            category: Category::Spot,
            symbol: "XVGUSDT".into(),
            side: Side::Buy,
            order_type: t,
            price: None,
            qty: "250".into(),
            qty_unit: unit,
            status: OrderStatus::Cancelled,
            cum_exec_qty: 40_000.0,
            cum_exec_value: 250.0,
            cum_exec_fee: 0.0,
            created_ms: 1,
            updated_ms: 2,
            ended: Some(EndReason::NoFullFill),
            origin: Origin::Attacker,
        }
    }

    #[test]
    fn spot_orders_read_like_binance() {
        let o = order(QtyUnit::Quote, OrderType::Market);
        let shown = spot_order(&o);
        assert_eq!(shown["orderId"], 4_100_001);
        assert_eq!(shown["status"], "EXPIRED");
        assert_eq!(shown["origQuoteOrderQty"], "250.00000000");
        assert_eq!(shown["origQty"], "40000.00000000");
        assert_eq!(shown["clientOrderId"], "x-sim4100001");
        assert_eq!(shown["type"], "MARKET");
        assert_eq!(masked("vmPUZE6mv9SD5VNHk4"), "vmP*************");
    }
}
