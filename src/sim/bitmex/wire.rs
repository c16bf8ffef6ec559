//! The BitMEX shapes of the venue's orders and executions (the swagger's `Order` and
//! `Execution` models, docs/venues/bitmex.md §5, §6). Times are ISO 8601 with milliseconds;
//! `ordStatus` is `New`, `PartiallyFilled`, `Filled` or `Canceled`.

use serde_json::{Value, json};

use crate::sim::bitmex::names;
use crate::sim::num;
use crate::sim::order::{Execution, Order, OrderStatus, OrderType, Side};
use crate::sim::state::Venue;

/// Unix ms as ISO 8601.
pub(crate) fn time(ms: i64) -> String {
    crate::clock::rfc3339_ms(ms)
}

pub(crate) fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "Buy",
        Side::Sell => "Sell",
    }
}

fn status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => "New",
        OrderStatus::PartiallyFilled => "PartiallyFilled",
        OrderStatus::Filled => "Filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "Canceled",
    }
}

fn number(text: &str) -> Value {
    num::parse_lenient(text).map_or(Value::Null, |n| json!(n))
}

/// One `Order` row.
pub(crate) fn order(v: &Venue, o: &Order) -> Value {
    let inst = v.instrument(o.category, &o.symbol);
    let (currency, settle) = inst.map_or((String::new(), String::new()), |i| {
        (i.base_coin.clone(), i.settle_coin.clone())
    });
    json!({
        "orderID": o.order_id,
        "clOrdID": o.order_link_id,
        "clOrdLinkID": "",
        "account": o.uid,
        "symbol": names::wire_symbol(v, o.category, &o.symbol),
        "side": side(o.side),
        "orderQty": number(&o.qty),
        "price": o.price.as_deref().map_or(Value::Null, number),
        "displayQty": null,
        "stopPx": null,
        "pegOffsetValue": null,
        "pegPriceType": "",
        "currency": currency,
        "settlCurrency": settle,
        "ordType": match o.order_type { OrderType::Limit => "Limit", OrderType::Market => "Market" },
        "timeInForce": match o.order_type { OrderType::Limit => "GoodTillCancel", OrderType::Market => "ImmediateOrCancel" },
        "execInst": "",
        "contingencyType": "",
        "ordStatus": status(o.status),
        "triggered": "",
        "workingIndicator": o.status.is_open(),
        "ordRejReason": "",
        "leavesQty": o.leaves_qty(),
        "cumQty": o.cum_exec_qty,
        "avgPx": o.avg_price(),
        "text": "",
        "transactTime": time(o.created_ms),
        "timestamp": time(o.updated_ms),
    })
}

/// One `Execution` row of `tradeHistory`.
pub(crate) fn execution(v: &Venue, e: &Execution) -> Value {
    let cost = e.exec_qty * e.exec_price;
    json!({
        "execID": e.exec_id,
        "orderID": e.order_id,
        "clOrdID": e.order_link_id,
        "clOrdLinkID": "",
        "account": e.uid,
        "symbol": names::wire_symbol(v, e.category, &e.symbol),
        "side": side(e.side),
        "lastQty": e.exec_qty,
        "lastPx": e.exec_price,
        "lastLiquidityInd": if e.is_maker { "AddedLiquidity" } else { "RemovedLiquidity" },
        "orderQty": number(&e.order_qty),
        "price": number(&e.order_price),
        "displayQty": null,
        "stopPx": null,
        "pegOffsetValue": null,
        "pegPriceType": "",
        "currency": "",
        "settlCurrency": e.fee_currency,
        "execType": "Trade",
        "ordType": match e.order_type { OrderType::Limit => "Limit", OrderType::Market => "Market" },
        "timeInForce": match e.order_type { OrderType::Limit => "GoodTillCancel", OrderType::Market => "ImmediateOrCancel" },
        "execInst": "",
        "contingencyType": "",
        "ordStatus": if e.leaves_qty > 0.0 { "PartiallyFilled" } else { "Filled" },
        "triggered": "",
        "workingIndicator": e.leaves_qty > 0.0,
        "ordRejReason": "",
        "leavesQty": e.leaves_qty,
        "cumQty": null,
        "avgPx": null,
        "commission": e.fee_rate,
        "feeType": "Trade",
        "tradePublishIndicator": "PublishTrade",
        "text": "",
        "trdMatchID": e.exec_id,
        "execCost": cost,
        "execComm": e.exec_fee,
        "homeNotional": e.exec_qty,
        "foreignNotional": cost,
        "transactTime": time(e.exec_time_ms),
        "timestamp": time(e.exec_time_ms),
    })
}
