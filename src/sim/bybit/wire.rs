//! Venue records in Bybit's JSON shapes: orders, executions, keys.
//!
//! Field names and types follow the V5 docs (`order/open-order.mdx`, `order/execution.mdx`,
//! `user/apikey-info.mdx`, `user/list-sub-apikeys.mdx`): prices and quantities as strings, ms
//! timestamps as strings in order and fill lists, key dates as ISO-8601 seconds. Fields the
//! simulator does not model carry Bybit's neutral values. The hidden `origin` and the key's
//! `leaked` flag never appear here, and a key's secret only in the create-sub-api answer.

use chrono::{DateTime, SecondsFormat};
use serde_json::{Value, json};

use crate::sim::bybit::conditional::{Conditional, Status};
use crate::sim::key::{ApiKey, DAY_MS, IpWhitelist, Tier};
use crate::sim::num;
use crate::sim::order::{Category, EndReason, Execution, Order, OrderStatus, OrderType, QtyUnit};

/// Formats Unix ms as Bybit's key dates (`2023-02-15T03:13:24Z`).
pub(crate) fn iso_seconds(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Returns an order as `/v5/order/realtime` and `/v5/order/history` list it.
pub(crate) fn order(o: &Order) -> Value {
    let avg = o.avg_price().map(num::fmt).unwrap_or_default();
    let leaves = o.leaves_qty();
    let leaves_value = match (o.qty_unit, o.price.as_deref().and_then(num::parse_positive)) {
        (QtyUnit::Base, Some(p)) => num::fmt(leaves * p),
        (QtyUnit::Quote, _) => num::fmt(leaves),
        _ => "0".to_owned(),
    };
    let market_unit = match (o.category, o.order_type, o.qty_unit) {
        (Category::Spot, OrderType::Market, QtyUnit::Quote) => "quoteCoin",
        (Category::Spot, OrderType::Market, QtyUnit::Base) => "baseCoin",
        _ => "",
    };
    let head = json!({
        "orderId": o.order_id,
        "orderLinkId": o.order_link_id,
        "blockTradeId": "",
        "symbol": o.symbol,
        "price": o.price.clone().unwrap_or_else(|| "0".to_owned()),
        "qty": o.qty,
        "side": o.side.as_str(),
        "isLeverage": if o.category == Category::Spot { "0" } else { "" },
        "positionIdx": 0,
        "orderStatus": o.status.as_str(),
        "createType": "CreateByUser",
        "cancelType": EndReason::cancel_type(o.ended),
        "rejectReason": EndReason::reject_reason(o.ended),
        "avgPrice": avg,
        "leavesQty": num::fmt(leaves),
        "leavesValue": leaves_value,
        "cumExecQty": num::fmt(o.cum_exec_qty),
        "cumExecValue": num::fmt(o.cum_exec_value),
        "cumExecFee": num::fmt(o.cum_exec_fee),
        "timeInForce": match o.order_type { OrderType::Limit => "GTC", OrderType::Market => "IOC" },
    });
    // Two literals: one would exceed `json!`'s macro recursion limit.
    let rest = json!({
        "orderType": o.order_type.as_str(),
        "stopOrderType": "",
        "orderIv": "",
        "marketUnit": market_unit,
        "triggerPrice": "0",
        "takeProfit": "0",
        "stopLoss": "0",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": 0,
        "triggerBy": "",
        "lastPriceOnCreated": "",
        "reduceOnly": false,
        "closeOnTrigger": false,
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "tpslMode": "",
        "tpLimitPrice": "",
        "slLimitPrice": "",
        "placeType": "",
        "createdTime": o.created_ms.to_string(),
        "updatedTime": o.updated_ms.to_string(),
    });
    merge(head, rest)
}

/// Returns a conditional order as `realtime` and `history` list it: the ordinary shape with
/// `orderStatus` (`Untriggered`, `Triggered`, `Deactivated`), `stopOrderType`, `triggerPrice`
/// and `triggerDirection` set (docs `order/open-order`); `last_price` is the last price now,
/// shown as `lastPriceOnCreated` on futures (spot does not have it).
pub(crate) fn conditional(c: &Conditional, last_price: f64) -> Value {
    let plain = Order {
        order_id: c.order_id.clone(),
        order_link_id: c.order_link_id.clone(),
        uid: c.uid,
        category: c.category,
        symbol: c.symbol.clone(),
        side: c.side,
        order_type: c.order_type,
        price: c.price.clone(),
        qty: c.qty.clone(),
        qty_unit: c.qty_unit,
        status: OrderStatus::New,
        cum_exec_qty: 0.0,
        cum_exec_value: 0.0,
        cum_exec_fee: 0.0,
        created_ms: c.created_ms,
        updated_ms: c.updated_ms,
        ended: (c.status == Status::Deactivated).then_some(EndReason::ByUser),
        origin: c.origin,
    };
    let mut out = order(&plain);
    if let Value::Object(m) = &mut out {
        let waiting = c.status == Status::Untriggered;
        for (name, value) in [
            ("orderStatus", json!(c.status.as_str())),
            ("stopOrderType", json!(c.kind.stop_order_type())),
            ("triggerPrice", json!(c.trigger_price)),
            ("triggerDirection", json!(if c.rises { 1 } else { 2 })),
            ("triggerBy", json!("LastPrice")),
            (
                "lastPriceOnCreated",
                json!(if c.category == Category::Spot {
                    String::new()
                } else {
                    num::fmt(last_price)
                }),
            ),
        ] {
            m.insert(name.to_owned(), value);
        }
        if !waiting {
            m.insert("leavesQty".to_owned(), json!("0"));
            m.insert("leavesValue".to_owned(), json!("0"));
        }
    }
    out
}

/// Sets the conditional fields of an ordinary order a conditional order became (its
/// `stopOrderType` and `triggerPrice` stay, as Bybit shows them after the trigger).
pub(crate) fn fired(mut listed: Value, stop_order_type: &str, trigger_price: &str) -> Value {
    if let Value::Object(m) = &mut listed {
        m.insert("stopOrderType".to_owned(), json!(stop_order_type));
        m.insert("triggerPrice".to_owned(), json!(trigger_price));
    }
    listed
}

/// Which listing shows an order: `history` documents a few fields more than `realtime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    /// `GET /v5/order/realtime`.
    Open,
    /// `GET /v5/order/history`.
    History,
}

/// Completes a listed order with what depends on the listing and the market: `cumFeeDetail`
/// (the fee per coin, `{}` before any fee; docs: it replaces `cumExecFee` on linear and spot),
/// and on `history` the slippage, extra-fee and RPI fields (neutral values: none is modelled).
pub(crate) fn listed(mut order: Value, listing: Listing, fee_coin: &str, fee: f64) -> Value {
    if let Value::Object(m) = &mut order {
        let detail = if fee > 0.0 {
            json!({ fee_coin: num::fmt(fee) })
        } else {
            json!({})
        };
        m.insert("cumFeeDetail".to_owned(), detail);
        if listing == Listing::History {
            for (name, value) in [
                ("slippageToleranceType", json!("UNKNOWN")),
                ("slippageTolerance", json!("")),
                ("extraFees", json!("")),
                ("rpiTakerAccess", json!(false)),
                ("rpiMatchedQty", json!("0")),
            ] {
                m.insert(name.to_owned(), value);
            }
        }
    }
    order
}

/// Returns `a` with the fields of `b` added (both objects).
fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

/// Returns a fill as `/v5/execution/list` lists it.
pub(crate) fn execution(e: &Execution) -> Value {
    json!({
        "symbol": e.symbol,
        "orderId": e.order_id,
        "orderLinkId": e.order_link_id,
        "side": e.side.as_str(),
        "orderPrice": e.order_price,
        "orderQty": e.order_qty,
        "leavesQty": num::fmt(e.leaves_qty),
        "createType": "CreateByUser",
        "orderType": e.order_type.as_str(),
        "stopOrderType": "",
        "execFee": num::fmt(e.exec_fee),
        "execId": e.exec_id,
        "execPrice": num::fmt(e.exec_price),
        "execQty": num::fmt(e.exec_qty),
        "execType": "Trade",
        "execValue": num::fmt(e.exec_price * e.exec_qty),
        "execTime": e.exec_time_ms.to_string(),
        "feeCurrency": e.fee_currency,
        "isMaker": e.is_maker,
        "feeRate": num::fmt(e.fee_rate),
        "tradeIv": "",
        "markIv": "",
        "markPrice": num::fmt(e.exec_price),
        "indexPrice": "",
        "underlyingPrice": "",
        "blockTradeId": "",
        "closedSize": "",
        "seq": e.seq,
        "extraFees": "",
    })
}

/// Days left before an unbound key expires; 0 for permanent keys.
fn deadline_day(k: &ApiKey, now_ms: i64) -> i64 {
    k.expires_ms.map_or(0, |t| ((t - now_ms) / DAY_MS).max(0))
}

/// Expiry as Bybit shows it; empty for permanent (IP-bound) keys.
fn expired_at(k: &ApiKey) -> String {
    k.expires_ms.map(iso_seconds).unwrap_or_default()
}

/// Returns the fields shared by update answers: `id, note, apiKey, readOnly, secret, permissions`.
pub(crate) fn key_core(k: &ApiKey) -> Value {
    json!({
        "id": k.internal_id,
        "note": k.note,
        "apiKey": k.api_key,
        "readOnly": k.access.as_int(),
        "secret": "",
        "permissions": k.permissions.to_wire(),
    })
}

/// Returns `/v5/user/query-api`'s answer for the calling key, owned by `parent_uid`'s tree.
pub(crate) fn key_info(k: &ApiKey, parent_uid: Option<u64>, now_ms: i64) -> Value {
    let mut v = key_core(k);
    if let Value::Object(m) = &mut v {
        for (name, value) in [
            ("ips", json!(k.ips.to_wire())),
            ("type", json!(1)),
            ("deadlineDay", json!(deadline_day(k, now_ms))),
            ("expiredAt", json!(expired_at(k))),
            ("createdAt", json!(iso_seconds(k.created_ms))),
            ("unified", json!(0)),
            ("uta", json!(1)),
            ("userID", json!(k.uid)),
            ("inviterID", json!(0)),
            ("vipLevel", json!("No VIP")),
            ("mktMakerLevel", json!("0")),
            ("affiliateID", json!(0)),
            ("rsaPublicKey", json!("")),
            ("isMaster", json!(k.tier == Tier::Master)),
            ("parentUid", json!(parent_uid.unwrap_or(0).to_string())),
            ("kycLevel", json!("LEVEL_DEFAULT")),
            ("kycRegion", json!("")),
            ("userIDInt64", json!("0")),
            ("inviterIDInt64", json!("0")),
            ("affiliateIDInt64", json!("0")),
        ] {
            m.insert(name.to_owned(), value);
        }
        // query-api shows the fiat and card groups too, empty when not granted (docs
        // `user/apikey-info.mdx`); the sub-key listing does not.
        if let Some(Value::Object(groups)) = m.get_mut("permissions") {
            for group in [
                "FiatP2P",
                "FiatConvertBroker",
                "FiatGlobalPay",
                "FiatBitPay",
                "BitCard",
                "ByXPost",
            ] {
                groups.entry(group).or_insert_with(|| json!([]));
            }
        }
    }
    v
}

/// Returns one entry of `/v5/user/sub-apikeys`.
pub(crate) fn sub_key(k: &ApiKey, now_ms: i64) -> Value {
    let status = match (k.expires_ms, &k.ips) {
        (_, IpWhitelist::Only(_)) | (None, _) => 1,
        (Some(t), _) if now_ms >= t => 2,
        (Some(t), _) if t - now_ms < 7 * DAY_MS => 4,
        _ => 3,
    };
    json!({
        "id": k.internal_id,
        "ips": k.ips.to_wire(),
        "apiKey": k.api_key,
        "note": k.note,
        "status": status,
        "expiredAt": expired_at(k),
        "createdAt": iso_seconds(k.created_ms),
        "type": 1,
        "permissions": k.permissions.to_wire(),
        "secret": "******",
        "readOnly": k.access.as_int() == 1,
        "deadlineDay": deadline_day(k, now_ms),
        "flag": "hmac",
    })
}
