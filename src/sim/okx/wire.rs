//! Venue records in OKX's JSON shapes: orders, fills, keys, the account configuration.
//!
//! Field names follow the V5 docs (`orders-pending`, `orders-history`, `fills`, `account/config`,
//! `users/subaccount/apikey`): every value a string, times as Unix ms strings, fees negative
//! when charged. Fields the simulator does not model carry OKX's neutral values. The hidden
//! `origin` and the key's `leaked` flag never appear here, and a key's secret and passphrase
//! only in the create answer (`user.rs`).

use serde_json::{Value, json};

use crate::sim::key::{ApiKey, IpWhitelist, Tier};
use crate::sim::num;
use crate::sim::okx::caller::perm_text;
use crate::sim::okx::inst;
use crate::sim::order::{Category, Execution, Order, OrderStatus, OrderType, QtyUnit, Side};
use crate::sim::state::Venue;

/// OKX's `state` of an order.
pub(crate) fn state(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::New => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled | OrderStatus::PartiallyFilledCanceled => "canceled",
    }
}

fn side(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// The coin a fill's fee is charged in: spot buys pay in the coin received.
fn fee_coin(v: &Venue, category: Category, symbol: &str, s: Side) -> String {
    let Some(i) = v.instrument(category, symbol) else {
        return String::new();
    };
    match (category, s) {
        (Category::Spot, Side::Buy) => i.base_coin.clone(),
        _ => i.settle_coin.clone(),
    }
}

/// An order as `orders-pending`, `orders-history` and `orders-history-archive` list it.
pub(crate) fn order(v: &Venue, o: &Order) -> Value {
    let spot = o.category == Category::Spot;
    let tgt_ccy = match (spot, o.order_type, o.qty_unit) {
        (true, OrderType::Market, QtyUnit::Quote) => "quote_ccy",
        (true, OrderType::Market, QtyUnit::Base) => "base_ccy",
        _ => "",
    };
    let last_fill = v
        .executions
        .iter()
        .filter(|e| e.order_id == o.order_id)
        .max_by_key(|e| (e.exec_time_ms, e.seq));
    let fee = if o.cum_exec_fee > 0.0 {
        format!("-{}", num::fmt(o.cum_exec_fee))
    } else {
        "0".to_owned()
    };
    let head = json!({
        "instType": inst::order_inst_type(v, o.category, &o.order_id),
        "instId": inst::inst_id(v, o.category, &o.symbol),
        "tgtCcy": tgt_ccy,
        "ccy": "",
        "ordId": o.order_id,
        "clOrdId": o.order_link_id,
        "tag": "",
        "px": o.price.clone().unwrap_or_default(),
        "pxUsd": "",
        "pxVol": "",
        "pxType": "",
        "sz": o.qty,
        "pnl": "0",
        "ordType": match o.order_type { OrderType::Limit => "limit", OrderType::Market => "market" },
        "side": side(o.side),
        "posSide": if spot { "" } else { "net" },
        "tdMode": if spot && !inst::on_margin(v, &o.order_id) { "cash" } else { "cross" },
        "accFillSz": num::fmt(o.cum_exec_qty),
        "fillPx": last_fill.map(|e| num::fmt(e.exec_price)).unwrap_or_default(),
        "tradeId": last_fill.map(trade_id).unwrap_or_default(),
        "fillSz": last_fill.map(|e| num::fmt(e.exec_qty)).unwrap_or_default(),
        "fillTime": last_fill.map(|e| e.exec_time_ms.to_string()).unwrap_or_default(),
        "avgPx": o.avg_price().map(num::fmt).unwrap_or_default(),
        "state": state(o.status),
    });
    // Two literals: one would exceed `json!`'s macro recursion limit.
    let rest = json!({
        "stpId": "",
        "stpMode": "cancel_maker",
        "lever": if spot { "" } else { "1" },
        "attachAlgoClOrdId": "",
        "tpTriggerPx": "",
        "tpTriggerPxType": "",
        "tpOrdPx": "",
        "slTriggerPx": "",
        "slTriggerPxType": "",
        "slOrdPx": "",
        "attachAlgoOrds": [],
        "linkedAlgoOrd": { "algoId": "" },
        "feeCcy": fee_coin(v, o.category, &o.symbol, o.side),
        "fee": fee,
        "rebateCcy": "",
        "rebate": "0",
        "source": "",
        "category": "normal",
        "reduceOnly": "false",
        "isTpLimit": "false",
        "cancelSource": "",
        "cancelSourceReason": "",
        "quickMgnType": "",
        "algoClOrdId": "",
        "algoId": "",
        "uTime": o.updated_ms.to_string(),
        "cTime": o.created_ms.to_string(),
    });
    merge(head, rest)
}

/// The `tradeId` of a fill: OKX's are numbers per instrument; the simulator numbers them all.
fn trade_id(e: &Execution) -> String {
    (100_000_000 + e.seq).to_string()
}

/// A fill as `fills` and `fills-history` list it; `billId` is the execution's id.
pub(crate) fn fill(v: &Venue, e: &Execution) -> Value {
    let fee = if e.exec_fee > 0.0 {
        format!("-{}", num::fmt(e.exec_fee))
    } else {
        "0".to_owned()
    };
    json!({
        "instType": inst::order_inst_type(v, e.category, &e.order_id),
        "instId": inst::inst_id(v, e.category, &e.symbol),
        "tradeId": trade_id(e),
        "ordId": e.order_id,
        "clOrdId": e.order_link_id,
        "billId": e.exec_id,
        "subType": if e.side == Side::Buy { "1" } else { "2" },
        "tag": "",
        "fillPx": num::fmt(e.exec_price),
        "fillSz": num::fmt(e.exec_qty),
        "fillIdxPx": "",
        "fillPnl": "0",
        "fillPxVol": "",
        "fillPxUsd": "",
        "fillMarkVol": "",
        "fillFwdPx": "",
        "fillMarkPx": "",
        "side": side(e.side),
        "posSide": if e.category == Category::Spot { "" } else { "net" },
        "execType": if e.is_maker { "M" } else { "T" },
        "feeCcy": e.fee_currency,
        "fee": fee,
        "feeRate": format!("-{}", num::fmt(e.fee_rate)),
        "ts": e.exec_time_ms.to_string(),
        "fillTime": e.exec_time_ms.to_string(),
    })
}

/// A key's IP list as OKX writes it: comma-joined, `""` when bound to none.
pub(crate) fn ip_text(ips: &IpWhitelist) -> String {
    match ips {
        IpWhitelist::Any => String::new(),
        IpWhitelist::Only(list) => list
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// A sub-account key as `users/subaccount/apikey` lists it (no secret, no passphrase).
pub(crate) fn sub_key(k: &ApiKey) -> Value {
    json!({
        "label": k.note,
        "apiKey": k.api_key,
        "perm": perm_text(&k.permissions),
        "ip": ip_text(&k.ips),
        "ts": k.created_ms.to_string(),
    })
}

/// `account/config` for the calling key: its account and its own `label`, `ip`, `perm`.
pub(crate) fn config(v: &Venue, k: &ApiKey) -> Value {
    json!({
        "uid": k.uid.to_string(),
        "mainUid": v.master_uid.to_string(),
        "acctLv": "2",
        "acctStpMode": "cancel_maker",
        "posMode": "net_mode",
        "autoLoan": false,
        "greeksType": "PA",
        "level": "Lv1",
        "levelTmp": "",
        "ctIsoMode": "automatic",
        "mgnIsoMode": "automatic",
        "roleType": "0",
        "traderInsts": [],
        "spotRoleType": "0",
        "spotTraderInsts": [],
        "opAuth": "0",
        "kycLv": if k.tier == Tier::Master { "2" } else { "0" },
        "label": k.note,
        "ip": ip_text(&k.ips),
        "perm": perm_text(&k.permissions),
        "liquidationGear": "-1",
        "enableSpotBorrow": false,
        "spotBorrowAutoRepay": false,
        "type": if k.tier == Tier::Master { "0" } else { "1" },
        "spotOffsetType": "",
    })
}

/// Returns `a` with the fields of `b` added (both objects).
fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}
