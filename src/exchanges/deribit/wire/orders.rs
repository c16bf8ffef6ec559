//! Deribit's answers about orders and fills (docs/venues/deribit.md §5, §6): open orders, the order
//! history (paged by offset, so the window is applied here), trades by id, and cancels, whose
//! answer is a count or, detailed, the orders themselves at any depth.

use super::*;

/// Every open order (one page).
pub(super) fn open_orders(result: Value) -> Result<Reply, ExchangeError> {
    let orders: Vec<DeribitOrder> = parse(orders_of(result))?;
    Ok(Reply::Orders(Page {
        items: orders.into_iter().map(DeribitOrder::into_order).collect(),
        next: None,
    }))
}

/// One page of the order history, the window applied here.
pub(super) fn orders(
    window: &Window,
    cursor: Option<&str>,
    result: Value,
) -> Result<Reply, ExchangeError> {
    let orders: Vec<DeribitOrder> = parse(orders_of(result))?;
    let tier = Tier::parse(cursor);
    let offset = endpoints::offset(tier.position.as_deref());
    let more = (orders.len() >= ORDER_PAGE).then(|| (offset + orders.len()).to_string());
    let next = tier.next_order_page(more);
    // Order history is paged by offset, not by time: the window is applied here.
    let items = orders
        .into_iter()
        .map(DeribitOrder::into_order)
        .filter(|o| within(window, o.created_ms))
        .collect();
    Ok(Reply::Orders(Page { items, next }))
}

/// One page of the trigger-order log: each trigger order cancelled or rejected before it fired,
/// which the order history does not show. A `new` entry is left out (the order is still open, or
/// a later entry ends it) and so is a `triggered` one (the order it became is in the order
/// history). The entry's time is both the order's creation and update: the log's entry for its
/// placement may be on another page.
pub(super) fn trigger_history(
    window: &Window,
    cursor: Option<&str>,
    result: Value,
) -> Result<Reply, ExchangeError> {
    let log: DeribitTriggerLog = parse(result)?;
    let tier = Tier::parse(cursor);
    let more = log
        .continuation
        .filter(|c| !log.entries.is_empty() && !c.is_empty() && c != "none");
    let items = log
        .entries
        .into_iter()
        .filter(|e| matches!(e.order_state.as_str(), "cancelled" | "rejected"))
        .map(DeribitTriggerEntry::into_order)
        .filter(|o| within(window, o.created_ms))
        .collect();
    Ok(Reply::Orders(Page {
        items,
        next: tier.next_order_page(more),
    }))
}

/// One page of trades, the last trade id the cursor.
pub(super) fn fills(cursor: Option<&str>, result: Value) -> Result<Reply, ExchangeError> {
    let page: DeribitTrades = parse(result)?;
    let tier = Tier::parse(cursor);
    let more = page
        .has_more
        .then(|| page.trades.last().map(|t| t.trade_id.clone()))
        .flatten();
    let next = tier.next(more);
    let items = page
        .trades
        .into_iter()
        // `start_id` is inclusive: the cursor's own trade came on the previous page.
        .filter(|t| tier.position.as_deref() != Some(t.trade_id.as_str()))
        .map(DeribitTrade::into_fill)
        .collect::<Result<_, _>>()?;
    Ok(Reply::Fills(Page { items, next }))
}

/// The orders of a `user.orders.*` push (docs/venues/deribit.md §12): one order on a `raw`
/// channel, an array on an aggregated one, each in the order lists' shape.
pub(in crate::exchanges::deribit) fn pushed(data: Value) -> Result<Vec<Order>, ExchangeError> {
    let orders: Vec<DeribitOrder> = match data {
        Value::Array(_) => parse(data)?,
        single => vec![parse(single)?],
    };
    Ok(orders.into_iter().map(DeribitOrder::into_order).collect())
}

/// Order lists come bare, or as `{orders, continuation}` with `with_continuation`.
fn orders_of(result: Value) -> Value {
    match result {
        Value::Object(mut map) if map.contains_key("orders") => {
            map.remove("orders").unwrap_or(Value::Null)
        }
        other => other,
    }
}

/// What a cancel answered: a count, or with `detailed` a list holding the cancelled orders
/// (every object with an `order_id`, however deep: the stored docs do not show the shape).
pub(super) fn cancelled(result: &Value, segment: &Segment) -> Vec<Cancelled> {
    if let Some(count) = result.as_u64() {
        let count = usize::try_from(count).unwrap_or(0);
        return (0..count)
            .map(|_| Cancelled {
                order_id: String::new(),
                client_order_id: None,
                segment: segment.to_string(),
            })
            .collect();
    }
    let mut found = Vec::new();
    collect_orders(result, &mut found);
    found
        .into_iter()
        .map(|(order_id, label)| Cancelled {
            order_id,
            client_order_id: label,
            segment: segment.to_string(),
        })
        .collect()
}

fn collect_orders(value: &Value, out: &mut Vec<(String, Option<String>)>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect_orders(item, out)),
        Value::Object(map) => {
            if let Some(id) = map.get("order_id").and_then(Value::as_str) {
                let label = map
                    .get("label")
                    .and_then(Value::as_str)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned);
                out.push((id.to_owned(), label));
            } else {
                map.values().for_each(|item| collect_orders(item, out));
            }
        }
        _ => {}
    }
}

/// The market family an instrument name belongs to (docs/venues/deribit.md §1): `BTC_USDC`
/// spot, `BTC_USDC-PERPETUAL` linear, `BTC-PERPETUAL` / `BTC-27DEC24` inverse,
/// `BTC-27DEC24-100000-C` option.
pub fn category_of(instrument: &str) -> Category {
    // A combo names its kind with a two-letter tag (`BTC-FS-29APR22_PERP` a future spread,
    // `BTC-CS-8NOV24-70000_72000` a call spread; the combo pages' examples): a future spread is
    // in its legs' family, any other combo an option one.
    let mut parts = instrument.split('-');
    if let (Some(head), Some(tag)) = (parts.next(), parts.next())
        && tag.len() == 2
        && tag.bytes().all(|b| b.is_ascii_uppercase())
    {
        return match (tag, head.contains('_')) {
            ("FS", true) => Category::Linear,
            ("FS", false) => Category::Inverse,
            _ => Category::Option,
        };
    }
    let dashes = instrument.matches('-').count();
    match (instrument.contains('_'), dashes) {
        (true, 0) => Category::Spot,
        (_, 3..) => Category::Option,
        (true, _) => Category::Linear,
        (false, _) => Category::Inverse,
    }
}

/// An order as the order lists show it (docs/venues/deribit.md §6).
#[derive(Debug, Deserialize)]
struct DeribitOrder {
    order_id: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    direction: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    amount: Value,
    #[serde(default)]
    price: Value,
    #[serde(default)]
    filled_amount: Value,
    #[serde(default)]
    average_price: Value,
    order_state: String,
    creation_timestamp: i64,
    #[serde(default)]
    last_update_timestamp: Option<i64>,
}

impl DeribitOrder {
    fn into_order(self) -> Order {
        let filled = amount(&self.filled_amount);
        let price = amount(&self.price);
        let status = match self.order_state.as_str() {
            "open" if !filled.is_zero() => OrderStatus::PartiallyFilled,
            "open" => OrderStatus::Open,
            "filled" => OrderStatus::Filled,
            "rejected" => OrderStatus::Rejected,
            "untriggered" => OrderStatus::Untriggered,
            // cancelled, archive
            _ => OrderStatus::Cancelled,
        };
        let market = self.order_type == "market" || !self.price.is_number();
        Order {
            category: category_of(&self.instrument_name),
            side: if self.direction == "sell" {
                Side::Sell
            } else {
                Side::Buy
            },
            price: (!market && !price.is_zero()).then_some(price),
            avg_price: Some(amount(&self.average_price)).filter(|p| !p.is_zero()),
            order_id: self.order_id,
            client_order_id: non_empty(self.label),
            symbol: self.instrument_name,
            order_type: self.order_type,
            qty: amount(&self.amount),
            filled_qty: filled,
            status,
            created_ms: self.creation_timestamp,
            updated_ms: self
                .last_update_timestamp
                .unwrap_or(self.creation_timestamp),
        }
    }
}

/// `private/get_trigger_order_history`: `{entries, continuation}`.
#[derive(Debug, Deserialize)]
struct DeribitTriggerLog {
    #[serde(default)]
    entries: Vec<DeribitTriggerEntry>,
    #[serde(default)]
    continuation: Option<String>,
}

/// One entry of the trigger-order log.
#[derive(Debug, Deserialize)]
struct DeribitTriggerEntry {
    trigger_order_id: String,
    instrument_name: String,
    direction: String,
    order_state: String,
    #[serde(default)]
    amount: Value,
    #[serde(default)]
    price: Value,
    timestamp: i64,
}

impl DeribitTriggerEntry {
    fn into_order(self) -> Order {
        let price = amount(&self.price);
        Order {
            category: category_of(&self.instrument_name),
            side: if self.direction == "sell" {
                Side::Sell
            } else {
                Side::Buy
            },
            // `market_price` (a stop-market order) is no number.
            price: (self.price.is_number() && !price.is_zero()).then_some(price),
            avg_price: None,
            order_id: self.trigger_order_id,
            client_order_id: None,
            symbol: self.instrument_name,
            order_type: if self.price.is_number() {
                "stop_limit"
            } else {
                "stop_market"
            }
            .to_owned(),
            qty: amount(&self.amount),
            filled_qty: Amount::new("0"),
            status: if self.order_state == "rejected" {
                OrderStatus::Rejected
            } else {
                OrderStatus::Cancelled
            },
            created_ms: self.timestamp,
            updated_ms: self.timestamp,
        }
    }
}

/// `private/get_user_trades_by_currency`.
#[derive(Debug, Deserialize)]
struct DeribitTrades {
    #[serde(default)]
    trades: Vec<DeribitTrade>,
    #[serde(default)]
    has_more: bool,
}

/// One of the user's trades (a fill).
#[derive(Debug, Deserialize)]
struct DeribitTrade {
    trade_id: String,
    order_id: String,
    #[serde(default)]
    label: String,
    instrument_name: String,
    direction: String,
    amount: Value,
    price: Value,
    #[serde(default)]
    fee: Value,
    timestamp: i64,
}

impl DeribitTrade {
    fn into_fill(self) -> Result<Fill, ExchangeError> {
        Ok(Fill {
            side: Side::parse(&self.direction).ok_or_else(|| protocol("direction"))?,
            category: category_of(&self.instrument_name),
            fill_id: self.trade_id,
            order_id: self.order_id,
            client_order_id: non_empty(self.label),
            symbol: self.instrument_name,
            qty: amount(&self.amount),
            price: amount(&self.price),
            fee: amount(&self.fee),
            time_ms: self.timestamp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_categories() {
        for (name, want) in [
            ("BTC_USDT", Category::Spot),
            ("BTC_USDC-PERPETUAL", Category::Linear),
            ("BTC-PERPETUAL", Category::Inverse),
            ("BTC-27DEC24", Category::Inverse),
            ("BTC-27DEC24-100000-C", Category::Option),
        ] {
            assert_eq!(category_of(name), want, "{name}");
        }
    }

    #[test]
    fn detailed_cancels_list_their_orders_and_counts_do_not() {
        let segment = Segment {
            category: Category::Spot,
            settle: Some("USDT"),
        };
        let detailed = serde_json::json!([{"instrument_name":"BTC_USDT","result":[{"order_id":"USDT-1","label":"a"},{"order_id":"USDT-2"}]}]);
        let got = cancelled(&detailed, &segment);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].client_order_id.as_deref(), Some("a"));
        assert_eq!(cancelled(&serde_json::json!(3), &segment).len(), 3);
    }
}
