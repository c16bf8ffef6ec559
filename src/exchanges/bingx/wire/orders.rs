//! BingX's answers about orders (docs/venues/bingx.md §5, §6): spot rows (`clientOrderID`,
//! `status` `PENDING`/`CANCELED`) and perpetual rows (`clientOrderId`, `CANCELLED` with two
//! Ls), each product's cancel-all answer (spot `orders`, perpetuals `success` and `failed`),
//! a placed order's id and the dead-man switch's answer. Order ids are int64 numbers in most
//! answers and strings in some; both are read exactly. A row's product is its segment's.

use serde::Deserialize;

use super::*;
use crate::exchanges::Window;
use crate::exchanges::bingx::endpoints::{SPOT_PAGE, SWAP_PAGE};
use crate::exchanges::model::Segment;

/// One order row, any product.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BingxOrder {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, rename = "clientOrderID")]
    client_order_id_spot: Option<String>,
    #[serde(default)]
    client_order_id: Option<String>,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    side: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    orig_qty: String,
    #[serde(default, deserialize_with = "flex_string")]
    price: String,
    #[serde(default, deserialize_with = "flex_string")]
    executed_qty: String,
    #[serde(default, deserialize_with = "flex_string")]
    avg_price: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    time: Option<i64>,
    #[serde(default)]
    transact_time: Option<i64>,
    #[serde(default)]
    update_time: Option<i64>,
}

fn positive(text: &str) -> Option<Amount> {
    Some(Amount::new(text)).filter(|a| !text.trim().is_empty() && !a.is_zero())
}

impl BingxOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = self
            .side
            .as_deref()
            .and_then(Side::parse)
            .ok_or_else(|| protocol("side"))?;
        let status = match self.status.as_deref().unwrap_or("NEW") {
            "NEW" | "PENDING" => OrderStatus::Open,
            "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
            "FILLED" => OrderStatus::Filled,
            "FAILED" => OrderStatus::Rejected,
            _ => OrderStatus::Cancelled,
        };
        let created_ms = self.time.or(self.transact_time).unwrap_or(0);
        Ok(Order {
            order_id: self.order_id,
            client_order_id: self
                .client_order_id_spot
                .or(self.client_order_id)
                .and_then(non_empty),
            category: segment.category,
            symbol: self.symbol,
            side,
            order_type: self
                .kind
                .unwrap_or_else(|| "LIMIT".to_owned())
                .to_ascii_lowercase(),
            qty: Amount::new(&self.orig_qty),
            price: positive(&self.price),
            filled_qty: Amount::new(if self.executed_qty.is_empty() {
                "0"
            } else {
                &self.executed_qty
            }),
            avg_price: positive(&self.avg_price),
            status,
            created_ms,
            updated_ms: self.update_time.unwrap_or(created_ms),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
struct Orders {
    #[serde(default)]
    orders: Vec<BingxOrder>,
}

fn rows(segment: &Segment, data: Value) -> Result<Vec<Order>, ExchangeError> {
    let list: Orders = if data.is_null() {
        Orders::default()
    } else {
        parse(data)?
    };
    list.orders
        .into_iter()
        .map(|o| o.into_order(segment))
        .collect()
}

/// The open orders of one product: one answer holds them all (at most 2000).
pub(super) fn open(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    Ok(Reply::Orders(Page {
        items: rows(segment, data)?,
        next: None,
    }))
}

/// One history answer: the spot page's successor while pages come full (and
/// `pageIndex * pageSize` stays within 10,000), or for the perpetuals the window's end moved
/// before the oldest row while answers come full.
pub(super) fn history(
    segment: &Segment,
    window: &Window,
    cursor: Option<&str>,
    data: Value,
) -> Result<Reply, ExchangeError> {
    let items = rows(segment, data)?;
    let next = if segment.category == crate::exchanges::model::Category::Spot {
        let index = super::super::endpoints::offset(cursor).max(1);
        (items.len() >= SPOT_PAGE && (index + 1) * SPOT_PAGE <= 10_000)
            .then(|| (index + 1).to_string())
    } else {
        let oldest = items.iter().map(|o| o.created_ms).min();
        oldest
            .filter(|_| items.len() >= SWAP_PAGE)
            .map(|t| t - 1)
            .filter(|end| *end > window.start_ms)
            .map(|end| end.to_string())
    };
    Ok(Reply::Orders(Page { items, next }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Failed {
    #[serde(default, deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, alias = "code", deserialize_with = "flex_string")]
    error_code: String,
    #[serde(default, alias = "msg")]
    error_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CancelAll {
    #[serde(default)]
    orders: Option<Vec<BingxOrder>>,
    #[serde(default)]
    success: Option<Vec<BingxOrder>>,
    #[serde(default)]
    failed: Option<Vec<Failed>>,
}

/// What a cancel-all cancelled. An order it names as failed is an error: the orders are not
/// all gone, and the step's retry (or the next listing) must see to them.
pub(super) fn cancelled(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let all: CancelAll = if data.is_null() {
        CancelAll::default()
    } else {
        parse(data)?
    };
    if let Some(failed) = all.failed.as_ref().filter(|f| !f.is_empty()) {
        let first = &failed[0];
        return Err(ExchangeError::Api {
            code: first.error_code.clone(),
            message: format!(
                "the cancel-all left {} order(s) open (first: {}, {})",
                failed.len(),
                first.order_id,
                first.error_message.clone().unwrap_or_default()
            ),
        });
    }
    let done = all.orders.or(all.success).unwrap_or_default();
    Ok(Reply::Cancelled(
        done.into_iter()
            .map(|o| Cancelled {
                order_id: o.order_id,
                client_order_id: o
                    .client_order_id_spot
                    .or(o.client_order_id)
                    .and_then(non_empty),
                segment: segment.to_string(),
            })
            .collect(),
    ))
}

/// A placed order's id: spot and coin-M give the order, USDT-M wraps it in `order`.
pub(super) fn placed(data: Value) -> Result<Reply, ExchangeError> {
    let row = data.get("order").cloned().unwrap_or(data);
    let id = row
        .get("orderId")
        .map(decode::text_of)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| protocol("orderId"))?;
    Ok(Reply::Placed(id))
}

/// `cancelAllAfter`: `ACTIVATED` with `triggerTime` (Unix seconds in the docs' example),
/// `CLOSED`, or `FAILED`.
pub(super) fn armed(data: Value) -> Result<Reply, ExchangeError> {
    let status = data.get("status").map(decode::text_of).unwrap_or_default();
    match status.as_str() {
        "ACTIVATED" => {
            let at = data
                .get("triggerTime")
                .and_then(Value::as_i64)
                .ok_or_else(|| protocol("triggerTime"))?;
            // Seconds in the example; a value in ms is taken as it is.
            let ms = if at < 100_000_000_000 { at * 1000 } else { at };
            Ok(Reply::Armed(Some(ms)))
        }
        "CLOSED" => Ok(Reply::Armed(None)),
        _ => Err(ExchangeError::Api {
            code: status,
            message: data.get("note").map(decode::text_of).unwrap_or_default(),
        }),
    }
}
