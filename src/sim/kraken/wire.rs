//! The Kraken shapes of the venue's orders, fills and ledger entries (docs/venues/kraken.md §6).
//!
//! Orders are keyed by their txid and carry a `descr` with the pair's `altname`, side, type and
//! limit price; `vol` is the volume as sent (in the quote coin for a `viqc` market order),
//! `vol_exec` what filled in the base coin, `price` the average fill price. Statuses are
//! `open` (also when partly filled), `closed` (filled) and `canceled`. Times are Unix seconds
//! with decimals. Ledger entry ids are derived from what they record, so they are the same on
//! every read; the running `balance` of each entry is counted back from the wallet (`funding.rs`).

use serde_json::{Value, json};

use crate::sim::kraken::names;
use crate::sim::num;
use crate::sim::order::{Execution, Order, OrderStatus, OrderType, QtyUnit, Side};
use crate::sim::state::Venue;

/// Unix ms as Kraken's Unix seconds with decimals.
pub(crate) fn seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// `buy`/`sell`.
pub(crate) fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// `limit`/`market`.
pub(crate) fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "limit",
        OrderType::Market => "market",
    }
}

/// Kraken's status word for an order.
pub(crate) fn status(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "open",
        OrderStatus::Filled => "closed",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "canceled",
    }
}

/// One order, as `OpenOrders` and `ClosedOrders` show it.
pub(crate) fn order(v: &Venue, o: &Order) -> Value {
    let pair = names::pair_name(v, o.category, &o.symbol);
    let kind = order_type(o.order_type);
    let price = o.price.clone().unwrap_or_else(|| "0".to_owned());
    let description = match o.order_type {
        OrderType::Limit => format!("{} {} {pair} @ limit {price}", side(o.side), o.qty),
        OrderType::Market => format!("{} {} {pair} @ market", side(o.side), o.qty),
    };
    let mut out = json!({
        "refid": null,
        "userref": 0,
        "status": status(o.status),
        "opentm": seconds(o.created_ms),
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": pair,
            "type": side(o.side),
            "ordertype": kind,
            "price": price,
            "price2": "0",
            "leverage": "none",
            "order": description,
            "close": "",
        },
        "vol": o.qty,
        "vol_exec": num::fmt(o.cum_exec_qty),
        "cost": num::fmt(o.cum_exec_value),
        "fee": num::fmt(o.cum_exec_fee),
        "price": o.avg_price().map_or_else(|| "0".to_owned(), num::fmt),
        "stopprice": "0",
        "limitprice": "0",
        "misc": "",
        "oflags": if o.qty_unit == QtyUnit::Quote { "viqc" } else { "fciq" },
    });
    if let Value::Object(map) = &mut out {
        if !o.order_link_id.is_empty() {
            map.insert("cl_ord_id".into(), json!(o.order_link_id));
        }
        if !o.status.is_open() {
            map.insert("closetm".into(), seconds(o.updated_ms));
            let reason = match o.status {
                OrderStatus::Filled => Value::Null,
                _ => json!("User requested"),
            };
            map.insert("reason".into(), reason);
        }
    }
    out
}

/// One fill, as `TradesHistory` shows it.
pub(crate) fn trade(v: &Venue, e: &Execution) -> Value {
    json!({
        "ordertxid": e.order_id,
        "postxid": derived_id('T', &format!("pos:{}", e.exec_id)),
        "pair": names::pair_name(v, e.category, &e.symbol),
        "time": seconds(e.exec_time_ms),
        "type": side(e.side),
        "ordertype": order_type(e.order_type),
        "price": num::fmt(e.exec_price),
        "cost": num::fmt(e.exec_price * e.exec_qty),
        "fee": num::fmt(e.exec_fee),
        "vol": num::fmt(e.exec_qty),
        "margin": "0",
        "misc": "",
        "trade_id": e.seq,
        "maker": e.is_maker,
    })
}

/// A stable Kraken-shaped id for something the venue does not number itself (ledger entries):
/// `prefix` and 5 characters, 5, 6, drawn from a hash of `of`.
pub(crate) fn derived_id(prefix: char, of: &str) -> String {
    use sha2::{Digest, Sha256};
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(of.as_bytes());
    let chars: String = digest
        .iter()
        .take(16)
        .map(|b| char::from(CHARS[usize::from(b % 32)]))
        .collect();
    format!(
        "{prefix}{}-{}-{}",
        &chars[..5],
        &chars[5..10],
        &chars[10..16]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_kraken_shaped() {
        let a = derived_id('L', "x");
        assert_eq!(a, derived_id('L', "x"));
        assert_ne!(a, derived_id('L', "y"));
        assert_eq!(a.len(), 19);
        assert!(a.starts_with('L') && a.matches('-').count() == 2);
    }
}
