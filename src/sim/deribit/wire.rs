//! Venue records in Deribit's JSON shapes: orders, trades, API keys (docs/venues/deribit.md §4,
//! §6).
//!
//! Amounts and prices are JSON numbers; times are Unix ms; directions, types and states are
//! lowercase (`buy`, `limit`, `open`). A market order's `price` is `"market_price"`. An order sized
//! in the quote coin (only seeded history has one) shows its filled base amount. A key shows its
//! secret only in `create_api_key`'s answer: lists show asterisks (chosen: the docs let
//! `list_api_keys` show secrets to a wide enough scope; the simulator never repeats one). The
//! hidden `origin` and `leaked` never appear.

use serde_json::{Value, json};

use crate::sim::deribit::names;
use crate::sim::deribit::scope::Scope;
use crate::sim::key::{ApiKey, IpWhitelist};
use crate::sim::num;
use crate::sim::order::{Execution, Order, OrderStatus, OrderType, QtyUnit, Side};
use crate::sim::state::Venue;

fn direction(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// Deribit's order state for a stored status.
pub(crate) fn state(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "open",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "cancelled",
    }
}

/// An order as the order lists and `buy`/`sell`/`cancel` show it.
pub(crate) fn order(v: &Venue, o: &Order) -> Value {
    let amount = match o.qty_unit {
        QtyUnit::Base => num::parse_positive(&o.qty).unwrap_or(0.0),
        QtyUnit::Quote => o.cum_exec_qty,
    };
    let (order_type, price) = match o.order_type {
        OrderType::Limit => (
            "limit",
            json!(
                o.price
                    .as_deref()
                    .and_then(num::parse_positive)
                    .unwrap_or(0.0)
            ),
        ),
        OrderType::Market => ("market", json!("market_price")),
    };
    let mut out = json!({
        "order_id": o.order_id,
        "label": o.order_link_id,
        "instrument_name": names::wire_symbol(v, o.category, &o.symbol),
        "direction": direction(o.side),
        "order_type": order_type,
        "amount": amount,
        "price": price,
        "filled_amount": o.cum_exec_qty,
        "average_price": o.avg_price().unwrap_or(0.0),
        "order_state": state(o.status),
        "creation_timestamp": o.created_ms,
        "last_update_timestamp": o.updated_ms,
        "time_in_force": match o.order_type {
            OrderType::Limit => "good_til_cancelled",
            OrderType::Market => "immediate_or_cancel",
        },
        "post_only": false,
        "reduce_only": false,
        "api": true,
        "max_show": amount,
        "is_liquidation": false,
        "is_rebalance": false,
    });
    if !o.status.is_open()
        && o.status != OrderStatus::Filled
        && let Value::Object(map) = &mut out
    {
        map.insert("cancel_reason".to_owned(), json!("user_request"));
    }
    out
}

/// A fill as the user-trades lists show it.
pub(crate) fn trade(v: &Venue, e: &Execution, order_state: &str) -> Value {
    json!({
        "trade_id": e.exec_id,
        "trade_seq": e.seq,
        "order_id": e.order_id,
        "label": e.order_link_id,
        "instrument_name": names::wire_symbol(v, e.category, &e.symbol),
        "direction": direction(e.side),
        "order_type": e.order_type.as_str().to_ascii_lowercase(),
        "amount": e.exec_qty,
        "price": e.exec_price,
        "fee": e.exec_fee,
        "fee_currency": e.fee_currency,
        "liquidity": if e.is_maker { "M" } else { "T" },
        "timestamp": e.exec_time_ms,
        "state": order_state,
        "index_price": e.exec_price,
        "mark_price": e.exec_price,
        "tick_direction": 0,
        "api": true,
        "matching_id": null,
        "post_only": false,
        "reduce_only": false,
    })
}

/// An API key; `secret` only in `create_api_key`'s answer.
pub(crate) fn key(k: &ApiKey, secret: Option<&str>) -> Value {
    let ip_whitelist: Vec<String> = match &k.ips {
        IpWhitelist::Any => Vec::new(),
        IpWhitelist::Only(_) => k.ips.to_wire(),
    };
    json!({
        "id": k.internal_id.parse::<i64>().unwrap_or(0),
        "client_id": k.api_key,
        "client_secret": secret.unwrap_or("********"),
        "max_scope": Scope::from_permissions(&k.permissions).to_string(),
        "enabled": k.enabled,
        "default": false,
        "name": k.note,
        "enabled_features": [],
        "ip_whitelist": ip_whitelist,
        "public_key": "",
        "timestamp": k.created_ms,
    })
}
