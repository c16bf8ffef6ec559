//! Bitget's answers about orders and fills (docs/venues/bitget.md §5, §6): spot order rows
//! (`unfilled-orders`, `history-orders`) as a plain array, futures rows inside
//! `{entrustedList, endId}` (`orders-pending`, `orders-history`), spot fills as an array and
//! futures fills inside `{fillList, endId}`, the order id of a placed or replaced order, and the
//! cancels: spot's `cancel-symbol-order` answers only the symbol (the venue cancels every open
//! order of it, asynchronously: the next listing proves it), futures' `cancel-all-orders` the
//! orders it cancelled (`successList`) and those it could not (`failureList`, left open for the
//! next listing).

use super::*;

/// One order row, spot or futures.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetOrder {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    client_oid: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    #[serde(default, deserialize_with = "flex_string")]
    price: String,
    #[serde(default, deserialize_with = "flex_string")]
    price_avg: String,
    #[serde(default, deserialize_with = "flex_string")]
    base_price: String,
    #[serde(default, deserialize_with = "flex_string")]
    base_volume: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "flex_string")]
    c_time: String,
    #[serde(default, deserialize_with = "flex_string")]
    u_time: String,
}

impl BitgetOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        // Spot writes `cancelled`, futures `canceled`; `live`/`new`/`init` rest unfilled.
        let status = match self.status.as_str() {
            "live" | "new" | "init" => OrderStatus::Open,
            "partially_filled" | "partially_fill" => OrderStatus::PartiallyFilled,
            "filled" | "full_fill" => OrderStatus::Filled,
            "cancelled" | "canceled" => OrderStatus::Cancelled,
            _ => return Err(protocol("status")),
        };
        // Spot's open orders give the order's price as `priceAvg` and the average fill as
        // `basePrice`; spot's history and every futures row name them `price` and `priceAvg`
        // (docs/venues/bitget.md §6): a row without `price` is the first kind.
        let (price, avg) = if self.price.is_empty() {
            (self.price_avg, self.base_price)
        } else {
            (self.price, self.price_avg)
        };
        let price = (self.order_type != "market")
            .then(|| non_empty(price))
            .flatten()
            .map(|p| Amount::new(&p))
            .filter(|p| !p.is_zero());
        let filled = if self.base_volume.is_empty() {
            "0".to_owned()
        } else {
            self.base_volume
        };
        Ok(Order {
            order_id: self.order_id,
            client_order_id: non_empty(self.client_oid),
            category: category(segment),
            symbol: self.symbol,
            side,
            order_type: self.order_type.to_ascii_lowercase(),
            qty: Amount::new(&self.size),
            price,
            filled_qty: Amount::new(&filled),
            avg_price: non_empty(avg)
                .map(|p| Amount::new(&p))
                .filter(|p| !p.is_zero()),
            status,
            created_ms: ms(&self.c_time),
            updated_ms: ms(&self.u_time),
        })
    }
}

/// One order as the private stream's `orders` channel pushes it (docs/venues/bitget.md §12):
/// the list's fields under other names. `instId` is the symbol, `accBaseVolume` the filled
/// quantity (`baseVolume` is only this update's fill), spot's `newSize` the order's size (its
/// `size` is the notional on a market buy), `price` absent on a spot market order. The futures
/// example in the docs spells the client id `clientOId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushedOrder {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, alias = "clientOId", deserialize_with = "flex_string")]
    client_oid: String,
    #[serde(default)]
    inst_id: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    #[serde(default, deserialize_with = "flex_string")]
    new_size: String,
    #[serde(default, deserialize_with = "flex_string")]
    price: String,
    #[serde(default, deserialize_with = "flex_string")]
    price_avg: String,
    #[serde(default, deserialize_with = "flex_string")]
    acc_base_volume: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "flex_string")]
    c_time: String,
    #[serde(default, deserialize_with = "flex_string")]
    u_time: String,
}

impl PushedOrder {
    /// The same order as a list row, read by the list's decoder.
    fn into_row(self, segment: &Segment) -> BitgetOrder {
        let spot = endpoints::product_type(segment).is_none();
        let size = if spot {
            non_empty(self.new_size).unwrap_or(self.size)
        } else {
            self.size
        };
        BitgetOrder {
            order_id: self.order_id,
            client_oid: self.client_oid,
            symbol: self.inst_id,
            side: self.side,
            order_type: self.order_type,
            size,
            // Without `price` the list's decoder reads the price from `priceAvg` and the
            // average from `basePrice` (spot's open-order row): both are the average here.
            base_price: self.price_avg.clone(),
            price: self.price,
            price_avg: self.price_avg,
            base_volume: self.acc_base_volume,
            status: self.status,
            c_time: self.c_time,
            u_time: self.u_time,
        }
    }
}

/// The orders of an `orders` push in `segment` (the push's `instType`). An item that does not
/// read is skipped: the next REST look shows its order.
pub(in crate::exchanges::bitget) fn pushed_orders(segment: &Segment, data: Value) -> Vec<Order> {
    let Value::Array(items) = data else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<PushedOrder>(item).ok())
        .filter_map(|o| o.into_row(segment).into_order(segment).ok())
        .collect()
}

/// One trigger (plan) order as the `orders-algo` channel pushes it (docs/venues/bitget.md §12).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushedPlan {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    client_oid: String,
    #[serde(default)]
    inst_id: String,
    #[serde(default)]
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    plan_type: String,
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    #[serde(default, deserialize_with = "flex_string")]
    execute_price: String,
    #[serde(default)]
    status: String,
    #[serde(default, deserialize_with = "flex_string")]
    c_time: String,
    #[serde(default, deserialize_with = "flex_string")]
    u_time: String,
}

impl PushedPlan {
    fn into_order(self, segment: &Segment) -> Option<Order> {
        let side = Side::parse(&self.side)?;
        // `live` waits for its trigger; once triggered the plan is done and the order it
        // placed arrives on `orders`.
        let status = match self.status.as_str() {
            "live" | "not_trigger" | "executing" => OrderStatus::Untriggered,
            "executed" | "triggered" => OrderStatus::Filled,
            "cancelled" | "canceled" => OrderStatus::Cancelled,
            "fail_execute" | "failed" | "fail_trigger" => OrderStatus::Rejected,
            _ => return None,
        };
        let price = (self.order_type == "limit")
            .then(|| non_empty(self.execute_price))
            .flatten()
            .map(|p| Amount::new(&p))
            .filter(|p| !p.is_zero());
        let kind = non_empty(self.plan_type).unwrap_or_else(|| "plan".to_owned());
        Some(Order {
            order_id: self.order_id,
            client_order_id: non_empty(self.client_oid),
            category: category(segment),
            symbol: self.inst_id,
            side,
            order_type: format!("trigger-{kind}"),
            qty: Amount::new(&self.size),
            price,
            filled_qty: Amount::new("0"),
            avg_price: None,
            status,
            created_ms: ms(&self.c_time),
            updated_ms: ms(&self.u_time).max(ms(&self.c_time)),
        })
    }
}

/// The trigger orders of an `orders-algo` push in `segment`; unreadable items are skipped.
pub(in crate::exchanges::bitget) fn pushed_plans(segment: &Segment, data: Value) -> Vec<Order> {
    let Value::Array(items) = data else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<PushedPlan>(item).ok())
        .filter_map(|o| o.into_order(segment))
        .collect()
}

/// The futures list's envelope: rows and the next page's `idLessThan`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MixList<T> {
    #[serde(default = "Vec::new", alias = "fillList")]
    entrusted_list: Vec<T>,
    #[serde(default, deserialize_with = "flex_string")]
    end_id: String,
}

/// Rows and the cursor of the next page, for either shape.
fn rows<T: DeserializeOwned>(
    segment: &Segment,
    data: Value,
    id: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), ExchangeError> {
    if endpoints::product_type(segment).is_none() {
        let items: Vec<T> = match data {
            Value::Null => Vec::new(),
            data => parse(data)?,
        };
        let next = next_below(items.iter().map(&id), items.len());
        return Ok((items, next));
    }
    let list: MixList<T> = match data {
        Value::Null => MixList {
            entrusted_list: Vec::new(),
            end_id: String::new(),
        },
        // `entrustedList` (and `fillList`) are `null` when there is nothing.
        Value::Object(mut map) => {
            for name in ["entrustedList", "fillList"] {
                if map.get(name).is_some_and(Value::is_null) {
                    map.remove(name);
                }
            }
            parse(Value::Object(map))?
        }
        other => parse(other)?,
    };
    let next = (list.entrusted_list.len() >= PAGE)
        .then(|| non_empty(list.end_id))
        .flatten();
    Ok((list.entrusted_list, next))
}

/// A page of orders.
pub(super) fn orders(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let (items, next) = rows(segment, data, |o: &BitgetOrder| o.order_id.as_str())?;
    Ok(Reply::Orders(Page {
        items: items
            .into_iter()
            .map(|o| o.into_order(segment))
            .collect::<Result<_, _>>()?,
        next,
    }))
}

/// The fee of a fill: `feeDetail` is one object on spot, a list on futures.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeeDetail {
    #[serde(default, deserialize_with = "flex_string")]
    total_fee: String,
}

/// One fill row, spot or futures.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetFill {
    #[serde(deserialize_with = "flex_string")]
    trade_id: String,
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    side: String,
    /// Spot: the fill's price.
    #[serde(default, deserialize_with = "flex_string")]
    price_avg: String,
    /// Futures: the fill's price.
    #[serde(default, deserialize_with = "flex_string")]
    price: String,
    /// Spot: the quantity.
    #[serde(default, deserialize_with = "flex_string")]
    size: String,
    /// Futures: the quantity.
    #[serde(default, deserialize_with = "flex_string")]
    base_volume: String,
    #[serde(default)]
    fee_detail: Value,
    #[serde(default, deserialize_with = "flex_string")]
    c_time: String,
}

impl BitgetFill {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let fees: Vec<FeeDetail> = match self.fee_detail {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|i| serde_json::from_value(i).ok())
                .collect(),
            Value::Object(_) => serde_json::from_value(self.fee_detail)
                .ok()
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        let fee: f64 = fees
            .iter()
            .filter_map(|f| f.total_fee.parse::<f64>().ok())
            .map(f64::abs)
            .sum();
        let price = non_empty(self.price_avg).unwrap_or(self.price);
        let qty = non_empty(self.size).unwrap_or(self.base_volume);
        Ok(Fill {
            fill_id: self.trade_id,
            order_id: self.order_id,
            client_order_id: None,
            category: category(segment),
            symbol: self.symbol,
            side,
            qty: Amount::new(&qty),
            price: Amount::new(&price),
            fee: Amount::new(&decode::decimal(fee)),
            time_ms: ms(&self.c_time),
        })
    }
}

/// A page of fills.
pub(super) fn fills(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let (items, next) = rows(segment, data, |f: &BitgetFill| f.trade_id.as_str())?;
    Ok(Reply::Fills(Page {
        items: items
            .into_iter()
            .map(|f| f.into_fill(segment))
            .collect::<Result<_, _>>()?,
        next,
    }))
}

/// `{orderId, clientOid}` of a placed (or replacing) order.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Placed {
    #[serde(deserialize_with = "flex_string")]
    order_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    client_oid: String,
}

pub(super) fn placed(data: Value) -> Result<Reply, ExchangeError> {
    let placed: Placed = parse(data)?;
    if placed.order_id.is_empty() {
        return Err(protocol("orderId"));
    }
    Ok(Reply::Placed(placed.order_id))
}

/// `cancel-all-orders`: what was cancelled and what was not.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CancelAll {
    #[serde(default)]
    success_list: Vec<Placed>,
}

/// The orders a cancel took: those `cancel-all-orders` lists, or on spot the ones the request
/// named (`cancel-symbol-order` answers with the symbol only; the action's next listing
/// verifies).
pub(super) fn cancelled(
    segment: &Segment,
    named: &[crate::exchanges::OrderRef],
    data: Value,
) -> Result<Reply, ExchangeError> {
    let where_ = segment.to_string();
    if endpoints::product_type(segment).is_none() {
        return Ok(Reply::Cancelled(
            named
                .iter()
                .map(|o| Cancelled {
                    order_id: o.order_id.clone(),
                    client_order_id: None,
                    segment: where_.clone(),
                })
                .collect(),
        ));
    }
    let all: CancelAll = parse(data)?;
    Ok(Reply::Cancelled(
        all.success_list
            .into_iter()
            .map(|p| Cancelled {
                order_id: p.order_id,
                client_order_id: non_empty(p.client_oid),
                segment: where_.clone(),
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitget::wire::tests::response;

    const SPOT: Segment = Segment {
        category: Category::Spot,
        settle: Some(endpoints::SPOT),
    };
    const USDT: Segment = Segment {
        category: Category::Linear,
        settle: Some(endpoints::USDT_FUTURES),
    };

    #[test]
    fn spot_and_futures_rows() {
        let spot = r#"{"code":"00000","msg":"success","requestTime":1,"data":[{"userId":"1","symbol":"BTCUSDT","orderId":"1111","clientOid":"c1","priceAvg":"70000","size":"0.5","orderType":"limit","side":"sell","status":"live","basePrice":"0","baseVolume":"0","quoteVolume":"0","enterPointSource":"API","orderSource":"normal","cTime":"1700000000000","uTime":"1700000000001"}]}"#;
        let op = Op::OpenOrders {
            segment: SPOT,
            cursor: None,
        };
        let page = decode(&op, &response(200, spot))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.items[0].status, OrderStatus::Open);
        assert_eq!(page.items[0].price.as_ref().unwrap().as_str(), "70000");
        assert_eq!(page.next, None);
        let mix = r#"{"code":"00000","msg":"success","requestTime":1,"data":{"entrustedList":null,"endId":null}}"#;
        let op = Op::OpenOrders {
            segment: USDT,
            cursor: None,
        };
        let page = decode(&op, &response(200, mix))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(page.items.is_empty());
    }

    #[test]
    fn futures_cancel_all_lists_what_it_took() {
        let body = r#"{"code":"00000","msg":"success","requestTime":1,"data":{"successList":[{"orderId":"1","clientOid":"a"}],"failureList":[{"orderId":"2","clientOid":"b","errorMsg":"x"}]}}"#;
        let op = Op::CancelBatch {
            segment: USDT,
            orders: vec![],
        };
        let cancelled = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].order_id, "1");
    }
}
