//! Kraken's answers about orders and fills (docs/venues/kraken.md §5, §6): open and closed orders
//! keyed by transaction id (newest first, offset cursors), trades, placed orders, the cancel-all
//! count (it names no order) and the dead-man switch's trigger time.

use super::*;

/// What a cancel-all took off the book: a count, no ids.
pub(super) fn cancel_all(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let count: KrakenCount = parse(data)?;
    // Kraken counts what it cancelled and names none of it.
    let one = Cancelled {
        order_id: String::new(),
        client_order_id: None,
        segment: segment.to_string(),
    };
    Ok(Reply::Cancelled(vec![
        one;
        usize::try_from(count.count)
            .unwrap_or(0)
    ]))
}

/// When the dead-man switch fires, if it is armed.
pub(super) fn armed(data: Value) -> Result<Reply, ExchangeError> {
    let armed: KrakenDeadMan = parse(data)?;
    let trigger = chrono::DateTime::parse_from_rfc3339(&armed.trigger_time)
        .ok()
        .map(|t| t.timestamp_millis());
    Ok(Reply::Armed(trigger))
}

/// Every open order (one page).
pub(super) fn open_orders(data: Value) -> Result<Reply, ExchangeError> {
    let open: KrakenOpenOrders = parse(data)?;
    Ok(Reply::Orders(Page {
        items: orders(open.open)?,
        next: None,
    }))
}

/// One page of closed orders, by offset.
pub(super) fn closed_orders(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    let closed: KrakenClosedOrders = parse(data)?;
    let items = orders(closed.closed)?;
    let next = cursor::next_offset(cursor::offset(cursor), items.len(), closed.count);
    Ok(Reply::Orders(Page { items, next }))
}

/// One page of trades, newest first, by offset.
pub(super) fn fills(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    let history: KrakenTrades = parse(data)?;
    let mut items = history
        .trades
        .into_iter()
        .map(|(id, trade)| trade.into_fill(id))
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by(|a, b| (b.time_ms, &b.fill_id).cmp(&(a.time_ms, &a.fill_id)));
    let next = cursor::next_offset(cursor::offset(cursor), items.len(), history.count);
    Ok(Reply::Fills(Page { items, next }))
}

/// The transaction id of a placed order.
pub(super) fn placed(data: Value) -> Result<Reply, ExchangeError> {
    let added: KrakenAdded = parse(data)?;
    let id = added
        .txid
        .into_iter()
        .next()
        .ok_or_else(|| protocol("txid of the new order"))?;
    Ok(Reply::Placed(id))
}

fn orders(map: BTreeMap<String, KrakenOrder>) -> Result<Vec<Order>, ExchangeError> {
    let mut items = map
        .into_iter()
        .map(|(id, order)| order.into_order(id))
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by(|a, b| (b.created_ms, &b.order_id).cmp(&(a.created_ms, &a.order_id)));
    Ok(items)
}

/// `{count, pending}`: `CancelAll` and `CancelOrder`.
#[derive(Debug, Deserialize)]
struct KrakenCount {
    #[serde(default)]
    count: u64,
}

/// `CancelAllOrdersAfter`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KrakenDeadMan {
    #[serde(default, deserialize_with = "flex::string")]
    trigger_time: String,
}

/// `AddOrder`.
#[derive(Debug, Deserialize)]
struct KrakenAdded {
    #[serde(default)]
    txid: Vec<String>,
}

/// `OpenOrders`.
#[derive(Debug, Deserialize)]
struct KrakenOpenOrders {
    #[serde(default)]
    open: BTreeMap<String, KrakenOrder>,
}

/// `ClosedOrders`.
#[derive(Debug, Deserialize)]
struct KrakenClosedOrders {
    #[serde(default)]
    closed: BTreeMap<String, KrakenOrder>,
    #[serde(default)]
    count: Option<u64>,
}

/// One order (`OpenOrders`, `ClosedOrders`), keyed by its txid.
#[derive(Debug, Deserialize)]
struct KrakenOrder {
    #[serde(default)]
    cl_ord_id: Option<String>,
    status: String,
    opentm: f64,
    #[serde(default)]
    closetm: Option<f64>,
    descr: KrakenDescr,
    #[serde(deserialize_with = "flex::string")]
    vol: String,
    #[serde(default, deserialize_with = "flex::string")]
    vol_exec: String,
    /// The average fill price.
    #[serde(default, deserialize_with = "flex::string")]
    price: String,
}

/// An order's description.
#[derive(Debug, Deserialize)]
struct KrakenDescr {
    pair: String,
    #[serde(rename = "type")]
    side: String,
    ordertype: String,
    /// The limit price; a conditional order's trigger price.
    #[serde(default, deserialize_with = "flex::string")]
    price: String,
    /// The secondary price: a `-limit` conditional order's limit price.
    #[serde(default, deserialize_with = "flex::string")]
    price2: String,
}

/// Kraken's conditional order types (Kraken docs, "Add Order": `ordertype`): they rest
/// untriggered, and `descr.price` is their trigger, not a limit. The stream reader
/// (`stream.rs`) reads `order_type` with the same list.
pub(in crate::exchanges::kraken) const CONDITIONAL: &[&str] = &[
    "stop-loss",
    "take-profit",
    "stop-loss-limit",
    "take-profit-limit",
    "trailing-stop",
    "trailing-stop-limit",
];

impl KrakenOrder {
    fn into_order(self, txid: String) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.descr.side).ok_or_else(|| protocol("descr.type"))?;
        let order_type = self.descr.ordertype.to_ascii_lowercase();
        let conditional = CONDITIONAL.contains(&order_type.as_str());
        let limit = match (conditional, order_type.ends_with("-limit")) {
            (false, _) => Amount::new(&self.descr.price),
            (true, true) => Amount::new(&self.descr.price2),
            (true, false) => Amount::new("0"),
        };
        let filled = Amount::new(&self.vol_exec);
        let created_ms = seconds_to_ms(self.opentm);
        let status = match status(&self.status, filled.is_zero()) {
            OrderStatus::Open if conditional => OrderStatus::Untriggered,
            other => other,
        };
        Ok(Order {
            order_id: txid,
            client_order_id: self.cl_ord_id.and_then(non_empty),
            category: Category::Spot,
            symbol: self.descr.pair,
            side,
            price: (order_type != "market" && !limit.is_zero()).then_some(limit),
            order_type,
            qty: Amount::new(&self.vol),
            avg_price: Some(Amount::new(&self.price)).filter(|p| !p.is_zero()),
            status,
            filled_qty: filled,
            created_ms,
            updated_ms: self.closetm.map_or(created_ms, seconds_to_ms),
        })
    }
}

/// Kraken order statuses (`pending`, `open`, `closed`, `canceled`, `expired`).
fn status(status: &str, nothing_filled: bool) -> OrderStatus {
    match status {
        "pending" => OrderStatus::Open,
        "open" if nothing_filled => OrderStatus::Open,
        "open" => OrderStatus::PartiallyFilled,
        "closed" => OrderStatus::Filled,
        _ => OrderStatus::Cancelled,
    }
}

/// `TradesHistory`.
#[derive(Debug, Deserialize)]
struct KrakenTrades {
    #[serde(default)]
    trades: BTreeMap<String, KrakenTrade>,
    #[serde(default)]
    count: Option<u64>,
}

/// One fill, keyed by its trade id.
#[derive(Debug, Deserialize)]
struct KrakenTrade {
    ordertxid: String,
    pair: String,
    time: f64,
    #[serde(rename = "type")]
    side: String,
    #[serde(deserialize_with = "flex::string")]
    price: String,
    #[serde(default, deserialize_with = "flex::string")]
    fee: String,
    #[serde(deserialize_with = "flex::string")]
    vol: String,
}

impl KrakenTrade {
    fn into_fill(self, id: String) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            fill_id: id,
            order_id: self.ordertxid,
            client_order_id: None,
            category: Category::Spot,
            symbol: self.pair,
            side: Side::parse(&self.side).ok_or_else(|| protocol("type"))?,
            qty: Amount::new(&self.vol),
            price: Amount::new(&self.price),
            fee: Amount::new(&self.fee),
            time_ms: seconds_to_ms(self.time),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::kraken::wire::tests::{response, spot, window};

    #[test]
    fn reads_orders_newest_first_with_offset_cursors() {
        let body = r#"{"error":[],"result":{"closed":{
            "OAAAAA-AAAAA-AAAAAA":{"refid":null,"userref":0,"cl_ord_id":"grid-1","status":"closed","opentm":1700000000.1234,"closetm":1700000060.5,"descr":{"pair":"XBTUSDT","type":"buy","ordertype":"limit","price":"63000.0","price2":"0","leverage":"none","order":"buy 0.01 XBTUSDT @ limit 63000.0","close":""},"vol":"0.01000000","vol_exec":"0.01000000","cost":"630.0","fee":"1.0","price":"63000.0"},
            "OBBBBB-BBBBB-BBBBBB":{"status":"canceled","opentm":1700000100,"descr":{"pair":"XVGUSDT","type":"buy","ordertype":"market","price":"0"},"vol":"250","vol_exec":"0","price":"0","oflags":"viqc"}
        },"count":60}}"#;
        let op = Op::Orders {
            segment: spot(),
            window: window(),
            cursor: None,
        };
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("2"));
        let (newest, oldest) = (&page.items[0], &page.items[1]);
        assert_eq!(newest.order_id, "OBBBBB-BBBBB-BBBBBB");
        assert_eq!(newest.status, OrderStatus::Cancelled);
        assert_eq!(newest.price, None);
        assert_eq!(oldest.client_order_id.as_deref(), Some("grid-1"));
        assert_eq!(oldest.status, OrderStatus::Filled);
        assert_eq!(oldest.qty.as_str(), "0.01");
        assert_eq!(oldest.price.as_ref().unwrap().as_str(), "63000");
        assert_eq!(oldest.created_ms, 1_700_000_000_123);
        assert_eq!(oldest.updated_ms, 1_700_000_060_500);
        // The last page: no cursor.
        let last = Op::Orders {
            segment: spot(),
            window: window(),
            cursor: Some("58".into()),
        };
        let page = decode(&last, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
    }

    #[test]
    fn cancel_all_counts_without_ids_and_the_dead_man_says_when() {
        let cancelled = decode(
            &Op::CancelAll { segment: spot() },
            &response(200, r#"{"error":[],"result":{"count":3,"pending":false}}"#),
        )
        .reply
        .unwrap()
        .into_cancelled()
        .unwrap();
        assert_eq!(cancelled.len(), 3);
        assert!(cancelled.iter().all(|c| c.order_id.is_empty()));
        let armed = decode(
            &Op::CancelAfter { seconds: 60 },
            &response(
                200,
                r#"{"error":[],"result":{"currentTime":"2023-03-24T17:41:56Z","triggerTime":"2023-03-24T17:42:56Z"}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(armed, Some(1_679_679_776_000));
        let off = decode(
            &Op::CancelAfter { seconds: 0 },
            &response(
                200,
                r#"{"error":[],"result":{"currentTime":"2023-03-24T17:41:56Z","triggerTime":"0"}}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(off, None);
    }
}
