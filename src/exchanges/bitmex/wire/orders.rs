//! BitMEX's answers about orders and fills (docs/venues/bitmex.md §5, §6): `Order` rows
//! (`GET /order`, `DELETE /order/all`, `POST`/`PUT /order`), `Execution` rows
//! (`GET /execution/tradeHistory`) and the dead-man switch's answer. Every product is in one
//! table; a row's product follows from its symbol (`names.rs`).

use super::*;
use crate::exchanges::bitmex::{endpoints, names};
use crate::exchanges::model::Segment;

/// One `Order` row.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitmexOrder {
    #[serde(rename = "orderID")]
    order_id: String,
    #[serde(default, rename = "clOrdID")]
    cl_ord_id: Option<String>,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    side: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    order_qty: String,
    #[serde(default, deserialize_with = "flex_string")]
    price: String,
    #[serde(default, deserialize_with = "flex_string")]
    stop_px: String,
    #[serde(default)]
    ord_type: Option<String>,
    #[serde(default)]
    ord_status: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    cum_qty: String,
    #[serde(default, deserialize_with = "flex_string")]
    avg_px: String,
    #[serde(default)]
    transact_time: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
}

/// BitMEX's conditional order types (the swagger's `ordType`): they rest untriggered.
const CONDITIONAL: &[&str] = &["Stop", "StopLimit", "MarketIfTouched", "LimitIfTouched"];

impl BitmexOrder {
    fn into_order(self) -> Result<Order, ExchangeError> {
        let side = self
            .side
            .as_deref()
            .and_then(Side::parse)
            .ok_or_else(|| protocol("side"))?;
        let ord_type = self.ord_type.unwrap_or_else(|| "Limit".to_owned());
        let filled = Amount::new(&self.cum_qty);
        let status = match self.ord_status.as_deref().unwrap_or("New") {
            "New" if CONDITIONAL.contains(&ord_type.as_str()) && !self.stop_px.is_empty() => {
                OrderStatus::Untriggered
            }
            "New" | "PendingNew" => OrderStatus::Open,
            "PartiallyFilled" => OrderStatus::PartiallyFilled,
            "Filled" => OrderStatus::Filled,
            "Rejected" => OrderStatus::Rejected,
            _ => OrderStatus::Cancelled,
        };
        let created_ms = ms(self.transact_time.as_deref().unwrap_or(""));
        let price =
            Some(Amount::new(&self.price)).filter(|p| !self.price.is_empty() && !p.is_zero());
        Ok(Order {
            order_id: self.order_id,
            client_order_id: self.cl_ord_id.and_then(non_empty),
            category: names::category(&self.symbol),
            symbol: self.symbol,
            side,
            order_type: ord_type.to_ascii_lowercase(),
            qty: Amount::new(&self.order_qty),
            price,
            filled_qty: filled,
            avg_price: Some(Amount::new(&self.avg_px))
                .filter(|p| !self.avg_px.is_empty() && !p.is_zero()),
            status,
            created_ms,
            updated_ms: self.timestamp.as_deref().map_or(created_ms, ms),
        })
    }
}

/// One page of orders (open or not), newest first.
pub(super) fn orders(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<BitmexOrder> = parse(data)?;
    let len = rows.len();
    let items = rows
        .into_iter()
        .map(BitmexOrder::into_order)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Reply::Orders(Page {
        items,
        next: next_offset(cursor, len, endpoints::PAGE),
    }))
}

/// One `Order` row on its own: what the private stream's `order` table carries, in the REST
/// model's shape (`stream.rs` merges a row's updates before reading it here).
pub(in crate::exchanges::bitmex) fn order_row(row: Value) -> Result<Order, ExchangeError> {
    parse::<BitmexOrder>(row)?.into_order()
}

/// What `DELETE /order/all` cancelled: every row, by id.
pub(super) fn cancelled(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<BitmexOrder> = parse(data)?;
    Ok(Reply::Cancelled(
        rows.into_iter()
            .map(|o| Cancelled {
                order_id: o.order_id,
                client_order_id: o.cl_ord_id.and_then(non_empty),
                segment: segment.to_string(),
            })
            .collect(),
    ))
}

/// The order a `POST /order` or `PUT /order` answered with.
pub(super) fn placed(data: Value) -> Result<Reply, ExchangeError> {
    let order: BitmexOrder = parse(data)?;
    Ok(Reply::Placed(order.order_id))
}

/// `POST /order/cancelAllAfter`: the swagger declares an object without fields; the answer
/// observed elsewhere names the trigger `cancelTime` (docs/venues/bitmex.md §5, unsettled). A
/// disarmed switch, or an answer without it, is `None`.
pub(super) fn armed(data: Value) -> Result<Reply, ExchangeError> {
    if !data.is_object() {
        return Err(protocol("cancelAllAfter answer"));
    }
    Ok(Reply::Armed(
        data.get("cancelTime")
            .and_then(Value::as_str)
            .and_then(crate::clock::parse_rfc3339_ms),
    ))
}

/// One `Execution` row of `tradeHistory`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitmexExecution {
    #[serde(rename = "execID")]
    exec_id: String,
    #[serde(rename = "orderID")]
    order_id: String,
    #[serde(default, rename = "clOrdID")]
    cl_ord_id: Option<String>,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    side: Option<String>,
    #[serde(default, deserialize_with = "flex_string")]
    last_qty: String,
    #[serde(default, deserialize_with = "flex_string")]
    last_px: String,
    #[serde(default, deserialize_with = "flex_string")]
    exec_comm: String,
    #[serde(default)]
    exec_type: Option<String>,
    #[serde(default)]
    transact_time: Option<String>,
}

/// One page of fills, newest first. Rows that are not trades (funding, settlement) are left
/// out: `tradeHistory` is "balance-affecting executions".
pub(super) fn fills(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<BitmexExecution> = parse(data)?;
    let len = rows.len();
    let mut items = Vec::new();
    for row in rows {
        if row.exec_type.as_deref().is_some_and(|t| t != "Trade") {
            continue;
        }
        items.push(Fill {
            side: row
                .side
                .as_deref()
                .and_then(Side::parse)
                .ok_or_else(|| protocol("side"))?,
            fill_id: row.exec_id,
            order_id: row.order_id,
            client_order_id: row.cl_ord_id.and_then(non_empty),
            category: names::category(&row.symbol),
            symbol: row.symbol,
            qty: Amount::new(&row.last_qty),
            price: Amount::new(&row.last_px),
            fee: Amount::new(if row.exec_comm.is_empty() {
                "0"
            } else {
                &row.exec_comm
            }),
            time_ms: ms(row.transact_time.as_deref().unwrap_or("")),
        });
    }
    Ok(Reply::Fills(Page {
        items,
        next: next_offset(cursor, len, endpoints::PAGE),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitmex::wire::tests::response;
    use crate::exchanges::model::Category;

    #[test]
    fn orders_fills_cancel_all_and_the_switch() {
        let row = r#"{"orderID":"9b3b0d5c-0000-4000-8000-000000000001","clOrdID":"mm-1","account":1,"symbol":"XBTUSD","side":"Buy","orderQty":100,"price":60000,"ordType":"Limit","timeInForce":"GoodTillCancel","ordStatus":"New","leavesQty":100,"cumQty":0,"avgPx":null,"transactTime":"2026-12-05T22:00:00.000Z","timestamp":"2026-12-05T22:00:01.000Z"}"#;
        let op = Op::OpenOrders {
            segment: crate::exchanges::bitmex::SEGMENTS[0],
            cursor: None,
        };
        let page = decode(&op, &response(200, &format!("[{row}]")))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let order = &page.items[0];
        assert_eq!(order.category, Category::Inverse);
        assert_eq!(order.status, OrderStatus::Open);
        assert_eq!(order.client_order_id.as_deref(), Some("mm-1"));
        assert_eq!(order.price.as_ref().unwrap().as_str(), "60000");
        assert_eq!(order.avg_price, None);
        assert_eq!(page.next, None);
        let cancelled = decode(
            &Op::CancelAll {
                segment: crate::exchanges::bitmex::SEGMENTS[0],
            },
            &response(200, &format!("[{row}]")),
        )
        .reply
        .unwrap()
        .into_cancelled()
        .unwrap();
        assert_eq!(
            cancelled[0].order_id,
            "9b3b0d5c-0000-4000-8000-000000000001"
        );
        let armed = decode(
            &Op::CancelAfter { seconds: 60 },
            &response(
                200,
                r#"{"now":"2026-12-05T22:00:00.000Z","cancelTime":"2026-12-05T22:01:00.000Z"}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(
            armed,
            crate::clock::parse_rfc3339_ms("2026-12-05T22:01:00.000Z")
        );
        let fills = decode(
            &Op::Fills {
                segment: crate::exchanges::bitmex::SEGMENTS[0],
                window: crate::exchanges::Window { start_ms: 0, end_ms: 1 },
                cursor: None,
            },
            &response(200, r#"[{"execID":"e1","orderID":"o1","symbol":"XBT_USDT","side":"Sell","lastQty":0.01,"lastPx":65000,"execType":"Trade","execComm":0.065,"transactTime":"2026-12-05T22:00:00.000Z"},{"execID":"e2","orderID":"","symbol":"XBTUSD","execType":"Funding","transactTime":"2026-12-05T20:00:00.000Z"}]"#),
        )
        .reply
        .unwrap()
        .into_fills()
        .unwrap();
        assert_eq!(fills.items.len(), 1);
        assert_eq!(fills.items[0].category, Category::Spot);
        assert_eq!(fills.items[0].fee.as_str(), "0.065");
    }
}
