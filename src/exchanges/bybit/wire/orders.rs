//! Bybit's answers about orders and fills (docs/venues/bybit.md §5, §6): the orders a cancel-all
//! took off the book, open and historical orders, and executions. Order statuses map to the
//! model's here and nowhere else.

use super::*;
use crate::exchanges::bybit::endpoints;
use crate::exchanges::model::Category;

/// The orders a cancel-all took off the book.
pub(super) fn cancel_all(segment: &Segment, result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitOrderRef> = parse(result)?;
    Ok(Reply::Cancelled(
        list.list
            .into_iter()
            .map(|order| Cancelled {
                order_id: order.order_id,
                client_order_id: non_empty(order.order_link_id),
                segment: segment.to_string(),
            })
            .collect(),
    ))
}

/// One page of open or historical orders.
pub(super) fn orders(segment: &Segment, result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitOrder> = parse(result)?;
    let next = list.next();
    let items = list
        .list
        .into_iter()
        .map(|order| order.into_order(segment))
        .collect::<Result<_, _>>()?;
    Ok(Reply::Orders(Page { items, next }))
}

/// The orders of a private-stream `order` push's `data` (docs/venues/bybit.md §12): the REST
/// order's fields, each item naming its own `category`.
pub(in crate::exchanges::bybit) fn stream_orders(data: Value) -> Result<Vec<Order>, ExchangeError> {
    #[derive(Deserialize)]
    struct Pushed {
        category: String,
        #[serde(flatten)]
        order: BybitOrder,
    }
    let items: Vec<Pushed> = parse(data)?;
    items
        .into_iter()
        .map(|item| {
            let category = Category::parse(&item.category).ok_or_else(|| protocol("category"))?;
            item.order.into_order(&Segment {
                category,
                settle: None,
            })
        })
        .collect()
}

/// One page of executions. `execution/list` has no `orderFilter`: the plain spot segment reads
/// every spot fill, so a spot filter segment's page is empty and ends its reading. An option
/// page moves on to the next base coin when its own ends (`endpoints::option_fill_next`).
pub(super) fn fills(
    segment: &Segment,
    cursor: Option<&str>,
    result: Value,
) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitExecution> = parse(result)?;
    if endpoints::is_spot_filter(segment) {
        return Ok(Reply::Fills(Page {
            items: Vec::new(),
            next: None,
        }));
    }
    let next = match segment.category {
        Category::Option => {
            let (base, _) = endpoints::option_fill_page(cursor);
            endpoints::option_fill_next(base, list.next())
        }
        _ => list.next(),
    };
    let items = list
        .list
        .into_iter()
        .map(|fill| fill.into_fill(segment))
        .collect::<Result<_, _>>()?;
    Ok(Reply::Fills(Page { items, next }))
}

/// One page of listed instruments as the segments they settle in: each settle coin once
/// (`GET /v5/market/instruments-info`, docs `market/instrument`).
pub(super) fn segments(category: Category, result: Value) -> Result<Reply, ExchangeError> {
    let list: BybitList<BybitInstrument> = parse(result)?;
    let next = list.next();
    let mut items: Vec<Segment> = Vec::new();
    for inst in list.list {
        let segment = Segment::discovered(category, &inst.settle_coin)
            .ok_or_else(|| protocol("settleCoin"))?;
        if !items.contains(&segment) {
            items.push(segment);
        }
    }
    Ok(Reply::Segments(Page { items, next }))
}

/// `GET /v5/market/instruments-info` items (linear and inverse), the fields read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitInstrument {
    settle_coin: String,
}

/// An order id pair, as `cancel-all` lists them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitOrderRef {
    order_id: String,
    #[serde(default)]
    order_link_id: String,
}

/// `GET /v5/order/realtime` and `/v5/order/history` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitOrder {
    order_id: String,
    #[serde(default)]
    order_link_id: String,
    symbol: String,
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    price: String,
    qty: String,
    #[serde(default)]
    cum_exec_qty: String,
    #[serde(default)]
    avg_price: String,
    order_status: String,
    #[serde(deserialize_with = "decode::flex_string")]
    created_time: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    updated_time: String,
}

impl BybitOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self
            .created_time
            .parse()
            .map_err(|_| protocol("createdTime"))?;
        let order_type = self.order_type.to_ascii_lowercase();
        let price = Amount::new(&self.price);
        Ok(Order {
            order_id: self.order_id,
            client_order_id: non_empty(self.order_link_id),
            category: segment.category,
            symbol: self.symbol,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.qty),
            filled_qty: Amount::new(&self.cum_exec_qty),
            avg_price: non_empty(self.avg_price)
                .map(|p| Amount::new(&p))
                .filter(|p| !p.is_zero()),
            status: status(&self.order_status),
            created_ms,
            updated_ms: self.updated_time.parse().unwrap_or(created_ms),
        })
    }
}

/// Bybit order statuses (docs/venues/bybit.md §6; Bybit's enum page).
fn status(text: &str) -> OrderStatus {
    match text {
        "New" | "Created" | "Triggered" | "Active" => OrderStatus::Open,
        "PartiallyFilled" => OrderStatus::PartiallyFilled,
        "Filled" => OrderStatus::Filled,
        "Rejected" => OrderStatus::Rejected,
        "Untriggered" => OrderStatus::Untriggered,
        // Cancelled, PartiallyFilledCanceled, Deactivated
        _ => OrderStatus::Cancelled,
    }
}

/// `GET /v5/execution/list` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitExecution {
    exec_id: String,
    order_id: String,
    #[serde(default)]
    order_link_id: String,
    symbol: String,
    side: String,
    exec_qty: String,
    exec_price: String,
    #[serde(default)]
    exec_fee: String,
    #[serde(deserialize_with = "decode::flex_string")]
    exec_time: String,
}

impl BybitExecution {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            side: Side::parse(&self.side).ok_or_else(|| protocol("side"))?,
            time_ms: self.exec_time.parse().map_err(|_| protocol("execTime"))?,
            fill_id: self.exec_id,
            order_id: self.order_id,
            client_order_id: non_empty(self.order_link_id),
            category: segment.category,
            symbol: self.symbol,
            qty: Amount::new(&self.exec_qty),
            price: Amount::new(&self.exec_price),
            fee: Amount::new(&self.exec_fee),
        })
    }
}
