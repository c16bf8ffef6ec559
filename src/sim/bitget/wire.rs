//! Bitget's names for the venue's markets and the shapes of its order and fill rows
//! (docs/venues/bitget.md §1, §5, §6), over the internal `BASE+QUOTE` symbols every dialect
//! shares: spot and USDT-M use them as they are (`BTCUSDT`), USDC-M perpetuals are `BTCPERP`,
//! coin-M `BTCUSD`. Spot rows say `cancelled`, futures rows `canceled`; times are Unix ms as
//! text.

use serde_json::{Value, json};

use crate::sim::instrument::Instrument;
use crate::sim::num;
use crate::sim::order::{Category, Execution, Order, OrderStatus, OrderType, Side};
use crate::sim::state::Venue;

/// USDT-margined futures.
pub(crate) const USDT_FUTURES: &str = "USDT-FUTURES";
/// USDC-margined futures.
pub(crate) const USDC_FUTURES: &str = "USDC-FUTURES";
/// Coin-margined futures.
pub(crate) const COIN_FUTURES: &str = "COIN-FUTURES";

/// The futures `productType` an instrument trades in; `None` for spot.
pub(crate) fn product_of(i: &Instrument) -> Option<&'static str> {
    match i.category {
        Category::Spot | Category::Option => None,
        Category::Inverse => Some(COIN_FUTURES),
        Category::Linear if i.settle_coin == "USDC" => Some(USDC_FUTURES),
        Category::Linear => Some(USDT_FUTURES),
    }
}

/// An instrument's Bitget symbol.
pub(crate) fn symbol(i: &Instrument) -> String {
    match product_of(i) {
        Some(USDC_FUTURES) => format!("{}PERP", i.base_coin),
        _ => i.symbol.clone(),
    }
}

/// The wire symbol of an internal `symbol` in `category`.
pub(crate) fn wire_symbol(v: &Venue, category: Category, internal: &str) -> String {
    v.instrument(category, internal)
        .map_or_else(|| internal.to_owned(), symbol)
}

/// The instrument a wire symbol names in a product (`None`: spot).
pub(crate) fn resolve<'v>(
    v: &'v Venue,
    product: Option<&str>,
    wire: &str,
) -> Option<&'v Instrument> {
    v.instruments
        .iter()
        .find(|i| i.category != Category::Option && product_of(i) == product && symbol(i) == wire)
}

pub(crate) fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

fn status(o: &Order, futures: bool) -> &'static str {
    match o.status {
        // The spot example says `new`, the futures one `live`.
        OrderStatus::New if futures => "live",
        OrderStatus::New => "new",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled if futures => "canceled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "cancelled",
    }
}

fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "limit",
        OrderType::Market => "market",
    }
}

/// One order row: the spot shape, or with `product` the futures one. Spot's open orders carry
/// the order's price in `priceAvg` ("Order price") and the average fill in `basePrice` ("Filled
/// price"); spot's history (`open` false) and futures rows name them `price` and `priceAvg`
/// (docs/venues/bitget.md §6).
pub(crate) fn order(v: &Venue, o: &Order, product: Option<&str>) -> Value {
    let avg = o.avg_price().map_or_else(|| "0".to_owned(), num::fmt);
    let price = o.price.clone().unwrap_or_else(|| "0".to_owned());
    let mut row = json!({
        "userId": o.uid.to_string(),
        "symbol": wire_symbol(v, o.category, &o.symbol),
        "orderId": o.order_id,
        "clientOid": o.order_link_id,
        "size": o.qty,
        "orderType": order_type(o.order_type),
        "side": side(o.side),
        "status": status(o, product.is_some()),
        "baseVolume": num::fmt(o.cum_exec_qty),
        "quoteVolume": num::fmt(o.cum_exec_value),
        "enterPointSource": "API",
        "cTime": o.created_ms.to_string(),
        "uTime": o.updated_ms.to_string(),
    });
    let Value::Object(map) = &mut row else {
        return row;
    };
    match product {
        Some(product) => {
            let margin = v
                .instrument(o.category, &o.symbol)
                .map(|i| i.settle_coin.clone())
                .unwrap_or_default();
            map.insert("price".into(), json!(price));
            map.insert("priceAvg".into(), json!(avg));
            map.insert("productType".into(), json!(product));
            map.insert("marginCoin".into(), json!(margin));
            map.insert("marginMode".into(), json!("crossed"));
            map.insert("force".into(), json!("gtc"));
            map.insert("posMode".into(), json!("one_way_mode"));
            map.insert("reduceOnly".into(), json!("NO"));
            map.insert("fee".into(), json!(num::fmt(-o.cum_exec_fee)));
        }
        None if o.status.is_open() => {
            map.insert("priceAvg".into(), json!(price));
            map.insert("basePrice".into(), json!(avg));
            map.insert("orderSource".into(), json!("normal"));
        }
        None => {
            map.insert("price".into(), json!(price));
            map.insert("priceAvg".into(), json!(avg));
            map.insert("orderSource".into(), json!("normal"));
        }
    }
    row
}

/// One fill row: the spot shape (one `feeDetail` object), or with `product` the futures one
/// (a `feeDetail` list).
pub(crate) fn fill(v: &Venue, e: &Execution, product: Option<&str>) -> Value {
    let fee = json!({
        "deduction": "no",
        "feeCoin": e.fee_currency,
        "totalDeductionFee": "0",
        "totalFee": num::fmt(-e.exec_fee),
    });
    let symbol = wire_symbol(v, e.category, &e.symbol);
    let scope = if e.is_maker { "maker" } else { "taker" };
    match product {
        None => json!({
            "userId": e.uid.to_string(),
            "symbol": symbol,
            "orderId": e.order_id,
            "tradeId": e.exec_id,
            "orderType": order_type(e.order_type),
            "side": side(e.side),
            "priceAvg": num::fmt(e.exec_price),
            "size": num::fmt(e.exec_qty),
            "amount": num::fmt(e.exec_qty * e.exec_price),
            "feeDetail": fee,
            "tradeScope": scope,
            "cTime": e.exec_time_ms.to_string(),
            "uTime": e.exec_time_ms.to_string(),
        }),
        Some(_) => json!({
            "tradeId": e.exec_id,
            "symbol": symbol,
            "orderId": e.order_id,
            "price": num::fmt(e.exec_price),
            "baseVolume": num::fmt(e.exec_qty),
            "feeDetail": [fee],
            "side": side(e.side),
            "quoteVolume": num::fmt(e.exec_qty * e.exec_price),
            "profit": "0",
            "enterPointSource": "API",
            "tradeSide": "open",
            "posMode": "one_way_mode",
            "tradeScope": scope,
            "cTime": e.exec_time_ms.to_string(),
        }),
    }
}
