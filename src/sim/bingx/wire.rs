//! BingX's shapes of the venue's orders and fills (docs/venues/bingx.md §5, §6), as the docs'
//! example answers show them: spot rows (`orderId` a number, `status` `PENDING`, `CANCELED`,
//! quantities as text) and perpetual rows (`status` `CANCELLED` with two Ls, `clientOrderId`),
//! times in Unix ms.

use serde_json::{Value, json};

use crate::sim::bingx::{Product, names};
use crate::sim::num;
use crate::sim::order::{Order, OrderStatus, OrderType, Side};
use crate::sim::state::Venue;

pub(crate) fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    }
}

fn kind(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "LIMIT",
        OrderType::Market => "MARKET",
    }
}

/// The order id as the docs' answers write it: a JSON number (an int64).
pub(crate) fn order_id(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

fn status(product: Product, o: &Order) -> &'static str {
    match (o.status, product) {
        (OrderStatus::New, _) => "PENDING",
        (OrderStatus::PartiallyFilled, _) => "PARTIALLY_FILLED",
        (OrderStatus::Filled, _) => "FILLED",
        (OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled, Product::Spot) => {
            "CANCELED"
        }
        (OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled, _) => "CANCELLED",
    }
}

/// One order row of the order's product.
pub(crate) fn order(v: &Venue, product: Product, o: &Order) -> Value {
    let symbol = names::wire_symbol(v, o.category, &o.symbol);
    let price = o.price.clone().unwrap_or_else(|| "0".to_owned());
    let avg = o.avg_price().unwrap_or(0.0);
    match product {
        Product::Spot => json!({
            "symbol": symbol,
            "orderId": order_id(&o.order_id),
            "price": price,
            "StopPrice": "0",
            "origQty": o.qty,
            "executedQty": num::fmt(o.cum_exec_qty),
            "cummulativeQuoteQty": num::fmt(o.cum_exec_value),
            "status": status(product, o),
            "type": kind(o.order_type),
            "side": side(o.side),
            "time": o.created_ms,
            "transactTime": o.created_ms,
            "updateTime": o.updated_ms,
            "origQuoteOrderQty": "0",
            "fee": -o.cum_exec_fee,
            "avgPrice": num::fmt(avg),
            "clientOrderID": o.order_link_id,
        }),
        Product::Swap | Product::Cswap => json!({
            "symbol": symbol,
            "orderId": order_id(&o.order_id),
            "side": side(o.side),
            "positionSide": "BOTH",
            "type": kind(o.order_type),
            "origQty": o.qty,
            "price": price,
            "executedQty": num::fmt(o.cum_exec_qty),
            "avgPrice": num::fmt(avg),
            "cumQuote": num::fmt(o.cum_exec_value),
            "stopPrice": "",
            "profit": "0.0000",
            "commission": num::fmt(-o.cum_exec_fee),
            "status": status(product, o),
            "time": o.created_ms,
            "updateTime": o.updated_ms,
            "clientOrderId": o.order_link_id,
            "leverage": "",
            "workingType": "MARK_PRICE",
        }),
    }
}
