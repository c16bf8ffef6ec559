//! OKX's answers about orders and fills (docs/venues/okx.md §5, §6): per-item results of batch
//! and trade endpoints, open orders (the algo pages after the plain ones), the order and fill
//! histories and the dead-man switch. Order statuses map to the model's here and nowhere else.

use super::*;

/// When the dead-man switch fires, if it is armed.
pub(super) fn armed(data: Value) -> Result<Reply, ExchangeError> {
    let armed: OkxDeadMan = first(data)?;
    let trigger: i64 = armed
        .trigger_time
        .parse()
        .map_err(|_| protocol("triggerTime"))?;
    // `triggerTime` 0: disarmed (docs/venues/okx.md §5).
    Ok(Reply::Armed((trigger > 0).then_some(trigger)))
}

/// One page of open orders: plain orders, then algo orders.
pub(super) fn open_orders(
    segment: &Segment,
    cursor: Option<&str>,
    data: Value,
) -> Result<Reply, ExchangeError> {
    let page = ListPage::of(Listing::Open, segment, cursor)?;
    let (items, last) = page_orders(&page, segment, data)?;
    Ok(Reply::Orders(Page {
        items,
        next: page.next(Listing::Open, segment, last),
    }))
}

/// The orders of one page, plain or algo as the page says, and the last one's id (the next
/// page's cursor).
fn page_orders(
    page: &ListPage,
    segment: &Segment,
    data: Value,
) -> Result<(Vec<Order>, Option<String>), ExchangeError> {
    match page {
        ListPage::Orders { .. } => {
            let orders: Vec<OkxOrder> = parse(data)?;
            let last = orders.last().map(|o| o.ord_id.clone());
            let items = orders
                .into_iter()
                .map(|order| order.into_order(segment))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, last))
        }
        ListPage::Algo { .. } => {
            let orders: Vec<OkxAlgoOrder> = parse(data)?;
            let last = orders.last().map(|o| o.algo_id.clone());
            let items = orders
                .into_iter()
                .map(|order| order.into_order(segment))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, last))
        }
    }
}

/// One page of the order history, the last id the cursor; the spot segment's goes on with the
/// algo-order history, which OKX pages newest first with no time filter: the orders created in
/// the window are kept, and a page that reaches back before the window ends its list.
pub(super) fn orders(
    segment: &Segment,
    window: &Window,
    cursor: Option<&str>,
    data: Value,
) -> Result<Reply, ExchangeError> {
    let page = ListPage::of(Listing::History, segment, cursor)?;
    let (items, last) = match page {
        ListPage::Orders { .. } => page_orders(&page, segment, data)?,
        ListPage::Algo { .. } => {
            let (items, last) = page_orders(&page, segment, data)?;
            let older = items.last().is_some_and(|o| o.created_ms < window.start_ms);
            let items = items
                .into_iter()
                .filter(|o| (window.start_ms..=window.end_ms).contains(&o.created_ms))
                .collect();
            (items, last.filter(|_| !older))
        }
    };
    Ok(Reply::Orders(Page {
        items,
        next: page.next(Listing::History, segment, last),
    }))
}

/// One page of fills, the last bill id the cursor.
pub(super) fn fills(segment: &Segment, data: Value) -> Result<Reply, ExchangeError> {
    let fills: Vec<OkxFill> = parse(data)?;
    let next = fills.last().map(|f| f.bill_id.clone());
    let items = fills
        .into_iter()
        .map(|fill| fill.into_fill(segment))
        .collect::<Result<_, _>>()?;
    Ok(Reply::Fills(Page { items, next }))
}

/// Orders as the `orders` WebSocket channel pushes them: the list's fields and a few more
/// (docs/venues/okx.md "Private stream"). An item that does not read is left out: the REST
/// looks still find its order.
pub(in crate::exchanges::okx) fn pushed_orders(data: Value) -> Vec<Order> {
    pushed::<OkxOrder>(data, |order, fallback| order.into_order(fallback))
}

/// Algo orders as `orders-algo` and `algo-advance` push them, read as the algo list's.
pub(in crate::exchanges::okx) fn pushed_algo_orders(data: Value) -> Vec<Order> {
    pushed::<OkxAlgoOrder>(data, |order, fallback| order.into_order(fallback))
}

fn pushed<T: DeserializeOwned>(
    data: Value,
    into: impl Fn(T, &Segment) -> Result<Order, ExchangeError>,
) -> Vec<Order> {
    // Every push names its `instType`; the fallback only matters for a type not known yet.
    let fallback = Segment {
        category: Category::Spot,
        settle: Some("SPOT"),
    };
    let Value::Array(items) = data else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| serde_json::from_value::<T>(item).ok())
        .filter_map(|item| into(item, &fallback).ok())
        .collect()
}

/// Whether `data` holds per-item results.
pub(super) fn has_items(data: &Value) -> bool {
    data.as_array()
        .is_some_and(|items| !items.is_empty() && items.iter().all(|i| i.get("sCode").is_some()))
}

/// One per-item result of a batch or trade endpoint.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxItem {
    #[serde(default)]
    ord_id: String,
    /// `cancel-algos` names the algo order instead.
    #[serde(default)]
    algo_id: String,
    #[serde(default)]
    cl_ord_id: String,
    #[serde(deserialize_with = "decode::flex_string")]
    s_code: String,
    #[serde(default)]
    s_msg: String,
}

/// Reads per-item results (any envelope code).
pub(super) fn items(op: &Op, data: Value) -> Result<Reply, ExchangeError> {
    let items: Vec<OkxItem> = parse(data)?;
    let empty = Response {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
    };
    match op {
        Op::CancelBatch { segment, .. } => {
            let mut cancelled = Vec::new();
            let mut refused = None;
            for item in items {
                match item.s_code.as_str() {
                    "0" => cancelled.push(Cancelled {
                        order_id: if endpoints::is_algo_segment(segment) {
                            item.algo_id
                        } else {
                            item.ord_id
                        },
                        client_order_id: non_empty(item.cl_ord_id),
                        segment: segment_name(segment),
                    }),
                    // Already filled, cancelled or gone: not open, nothing to do.
                    "51400" => {}
                    code => {
                        refused.get_or_insert_with(|| api_error(code, item.s_msg, &empty));
                    }
                }
            }
            match refused {
                Some(err) if cancelled.is_empty() => Err(err),
                _ => Ok(Reply::Cancelled(cancelled)),
            }
        }
        _ => {
            let first = items
                .into_iter()
                .next()
                .ok_or_else(|| protocol("data[0]"))?;
            if first.s_code != "0" {
                return Err(api_error(&first.s_code, first.s_msg, &empty));
            }
            Ok(match op {
                // A trigger order (`order-algo`) is named by its `algoId`.
                Op::PlaceOrder(_) if first.ord_id.is_empty() => Reply::Placed(first.algo_id),
                Op::PlaceOrder(_) | Op::AmendOrder { .. } => Reply::Placed(first.ord_id),
                _ => Reply::Done,
            })
        }
    }
}

/// `POST /api/v5/trade/cancel-all-after`: when the orders go (Unix ms, `0` when disarmed); the
/// answer's `tag` and `ts` (when the request was received) are not needed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxDeadMan {
    #[serde(deserialize_with = "decode::flex_string")]
    trigger_time: String,
}

/// `orders-pending`, `orders-history` and `orders-history-archive` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxOrder {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    ord_id: String,
    #[serde(default)]
    cl_ord_id: String,
    #[serde(default)]
    px: String,
    sz: String,
    #[serde(default)]
    ord_type: String,
    side: String,
    state: String,
    #[serde(default)]
    acc_fill_sz: String,
    #[serde(default)]
    avg_px: String,
    #[serde(deserialize_with = "decode::flex_string")]
    c_time: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    u_time: String,
}

impl OkxOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self.c_time.parse().map_err(|_| protocol("cTime"))?;
        let order_type = self.ord_type.to_ascii_lowercase();
        let price = Amount::new(&self.px);
        Ok(Order {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            order_id: self.ord_id,
            client_order_id: non_empty(self.cl_ord_id),
            symbol: self.inst_id,
            side,
            price: (!self.px.is_empty() && order_type != "market" && !price.is_zero())
                .then_some(price),
            order_type,
            qty: Amount::new(&self.sz),
            filled_qty: Amount::new(&self.acc_fill_sz),
            avg_price: non_empty(self.avg_px)
                .map(|p| Amount::new(&p))
                .filter(|p| !p.is_zero()),
            status: status(&self.state),
            created_ms,
            updated_ms: self.u_time.parse().unwrap_or(created_ms),
        })
    }
}

/// An algo order as `orders-algo-pending` lists it (OKX docs, "Get algo order list"): an
/// `algoId` of its own, its `ordType` (`trigger`, `conditional`, `oco`, `move_order_stop`, …)
/// and the prices it waits for.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxAlgoOrder {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    algo_id: String,
    #[serde(default)]
    algo_cl_ord_id: String,
    #[serde(default)]
    sz: String,
    ord_type: String,
    side: String,
    #[serde(default)]
    state: String,
    /// The trigger order's price once triggered (`-1`: market).
    #[serde(default)]
    ord_px: String,
    #[serde(deserialize_with = "decode::flex_string")]
    c_time: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    u_time: String,
}

impl OkxAlgoOrder {
    /// The order in the model: [`OrderStatus::Untriggered`] while it waits (`live`, and a
    /// `partially_effective` one still has a part waiting), which marks it as conditional in a
    /// snapshot; its `ordType` as the order type, which is how the cancel tells it apart.
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let created_ms: i64 = self.c_time.parse().map_err(|_| protocol("cTime"))?;
        let price = Amount::new(&self.ord_px);
        Ok(Order {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            order_id: self.algo_id,
            client_order_id: non_empty(self.algo_cl_ord_id),
            symbol: self.inst_id,
            side,
            price: (!self.ord_px.is_empty() && self.ord_px != "-1" && !price.is_zero())
                .then_some(price),
            order_type: self.ord_type.to_ascii_lowercase(),
            qty: Amount::new(if self.sz.is_empty() { "0" } else { &self.sz }),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: algo_status(&self.state),
            created_ms,
            updated_ms: self.u_time.parse().unwrap_or(created_ms),
        })
    }
}

/// OKX algo order states: `live` and `pause` wait; `partially_effective` has triggered in part
/// and still waits for the rest; `effective` has triggered (its order is listed by
/// `orders-pending`), `order_failed` failed to and `partially_failed` failed in part (the
/// history's states, OKX docs, "GET / Algo order history").
fn algo_status(state: &str) -> OrderStatus {
    match state {
        "effective" => OrderStatus::Filled,
        "canceled" => OrderStatus::Cancelled,
        "order_failed" | "partially_failed" => OrderStatus::Rejected,
        // live, pause, partially_effective, and anything new: still pending, so cancelled.
        _ => OrderStatus::Untriggered,
    }
}

/// OKX order states (docs/venues/okx.md §6; `orders-pending`/`orders-history` `state`).
fn status(state: &str) -> OrderStatus {
    match state {
        "live" => OrderStatus::Open,
        "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        // canceled, mmp_canceled
        _ => OrderStatus::Cancelled,
    }
}

/// `fills` and `fills-history` items.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxFill {
    #[serde(default)]
    inst_type: String,
    inst_id: String,
    #[serde(default)]
    trade_id: String,
    ord_id: String,
    #[serde(default)]
    cl_ord_id: String,
    bill_id: String,
    fill_px: String,
    fill_sz: String,
    side: String,
    #[serde(default)]
    fee: String,
    #[serde(deserialize_with = "decode::flex_string")]
    ts: String,
}

impl OkxFill {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        // OKX writes a charge as a negative fee and a rebate as a positive one.
        let fee = match self.fee.strip_prefix('-') {
            Some(charge) => charge.to_owned(),
            None if Amount::new(&self.fee).is_zero() => "0".to_owned(),
            None => format!("-{}", self.fee),
        };
        Ok(Fill {
            category: category(&self.inst_type, &self.inst_id, segment.category),
            side: Side::parse(&self.side).ok_or_else(|| protocol("side"))?,
            time_ms: self.ts.parse().map_err(|_| protocol("ts"))?,
            fill_id: if self.trade_id.is_empty() {
                self.bill_id
            } else {
                self.trade_id
            },
            order_id: self.ord_id,
            client_order_id: non_empty(self.cl_ord_id),
            symbol: self.inst_id,
            qty: Amount::new(&self.fill_sz),
            price: Amount::new(&self.fill_px),
            fee: Amount::new(&fee),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::OrderRef;
    use crate::exchanges::okx::wire::tests::{response, spot};

    #[test]
    fn batch_cancel_keeps_successes_and_fails_only_when_nothing_went() {
        let op = Op::CancelBatch {
            segment: spot(),
            orders: vec![OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: "1".into(),
            }],
        };
        let partly = r#"{"code":"2","msg":"","data":[
            {"ordId":"1","clOrdId":"","sCode":"0","sMsg":""},
            {"ordId":"2","clOrdId":"","sCode":"51400","sMsg":"gone"},
            {"ordId":"3","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let cancelled = decode(&op, &response(200, partly))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(cancelled[0].order_id, "1");
        assert_eq!(cancelled[0].segment, "spot/SPOT");
        let none = r#"{"code":"1","msg":"","data":[
            {"ordId":"3","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let err = decode(&op, &response(200, none)).reply.unwrap_err();
        assert!(matches!(err, ExchangeError::RateLimited { .. }), "{err:?}");
        let all_gone = r#"{"code":"1","msg":"","data":[
            {"ordId":"2","clOrdId":"","sCode":"51400","sMsg":"gone"}]}"#;
        let reply = decode(&op, &response(200, all_gone)).reply.unwrap();
        assert!(reply.into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn reads_orders_with_the_last_id_as_cursor() {
        let body = r#"{"code":"0","msg":"","data":[
            {"instType":"SWAP","instId":"BTC-USDT-SWAP","ordId":"20","clOrdId":"gridabc","px":"60000","sz":"1","ordType":"limit","side":"buy","state":"live","accFillSz":"0","avgPx":"","cTime":"1700000000000","uTime":"1700000000001"},
            {"instType":"SWAP","instId":"BTC-USD-SWAP","ordId":"10","clOrdId":"","px":"","sz":"2","ordType":"market","side":"sell","state":"filled","accFillSz":"2","avgPx":"61000","cTime":"1690000000000","uTime":"1690000000000"}]}"#;
        let op = Op::OpenOrders {
            segment: spot(),
            cursor: None,
        };
        let page = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("10"));
        assert_eq!(page.items[0].category, Category::Linear);
        assert_eq!(page.items[0].status, OrderStatus::Open);
        assert_eq!(page.items[0].price.as_ref().unwrap().as_str(), "60000");
        assert_eq!(page.items[1].category, Category::Inverse);
        assert_eq!(page.items[1].price, None);
        assert_eq!(page.items[1].avg_price.as_ref().unwrap().as_str(), "61000");
        let empty = r#"{"code":"0","msg":"","data":[]}"#;
        let end = decode(&op, &response(200, empty))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        // The spot listing goes on with the algo orders; a swap listing ends.
        assert!(end.items.is_empty());
        assert_eq!(end.next.as_deref(), Some("algo:0"));
        let swap = Op::OpenOrders {
            segment: Segment {
                category: Category::Linear,
                settle: Some("SWAP"),
            },
            cursor: None,
        };
        let end = decode(&swap, &response(200, empty))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(end.items.is_empty() && end.next.is_none());
    }

    #[test]
    fn algo_pages_read_algo_orders_as_untriggered() {
        let op = |cursor: &str| Op::OpenOrders {
            segment: spot(),
            cursor: Some(cursor.to_owned()),
        };
        let body = r#"{"code":"0","msg":"","data":[
            {"activePx":"","algoClOrdId":"","algoId":"1753184812254216192","cTime":"1724751378980","instId":"BTC-USDT","instType":"SPOT","ordPx":"-1","ordType":"trigger","side":"sell","state":"live","sz":"0.2","triggerPx":"60000","uTime":"1724751378980"},
            {"algoClOrdId":"stop7","algoId":"1753184812254216100","cTime":"1724751300000","instId":"BTC-USDT-SWAP","instType":"SWAP","ordPx":"","ordType":"conditional","side":"buy","state":"partially_effective","sz":"3","slTriggerPx":"58000","uTime":""},
            {"algoClOrdId":"","algoId":"1753184812254216000","cTime":"1724751200000","instId":"BTC-USDT","instType":"SPOT","ordPx":"61000","ordType":"trigger","side":"buy","state":"live","sz":"1","uTime":"1724751200001"}]}"#;
        let page = decode(&op("algo:1"), &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some("algo:1:1753184812254216000"));
        let trigger = &page.items[0];
        assert_eq!(
            (
                trigger.order_id.as_str(),
                trigger.symbol.as_str(),
                trigger.order_type.as_str(),
                trigger.status,
                trigger.category,
                trigger.side,
                trigger.qty.as_str(),
            ),
            (
                "1753184812254216192",
                "BTC-USDT",
                "trigger",
                OrderStatus::Untriggered,
                Category::Spot,
                Side::Sell,
                "0.2"
            )
        );
        assert!(trigger.status.is_open());
        assert_eq!(trigger.price, None, "a market trigger order has no price");
        let stop = &page.items[1];
        assert_eq!(stop.category, Category::Linear);
        assert_eq!(stop.client_order_id.as_deref(), Some("stop7"));
        assert_eq!(stop.status, OrderStatus::Untriggered);
        assert_eq!(stop.updated_ms, 1_724_751_300_000);
        assert_eq!(
            page.items[2].price.as_ref().map(Amount::as_str),
            Some("61000")
        );
        // An empty algo page moves to the next type; after the last, the listing ends.
        let empty = r#"{"code":"0","msg":"","data":[]}"#;
        let next = |cursor: &str| {
            decode(&op(cursor), &response(200, empty))
                .reply
                .unwrap()
                .into_orders()
                .unwrap()
                .next
        };
        assert_eq!(next("algo:1:5").as_deref(), Some("algo:2"));
        let last = endpoints::ALGO_PAGES.len() - 1;
        assert_eq!(next(&format!("algo:{last}")), None);
        // A bad `ordType` is OKX's parameter error, typed.
        let refused = decode(
            &op("algo:0"),
            &response(
                200,
                r#"{"code":"51000","msg":"Parameter ordType error","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert!(matches!(refused, ExchangeError::Api { .. }), "{refused:?}");
    }

    #[test]
    fn algo_cancels_answer_per_algo_id() {
        let op = Op::CancelBatch {
            segment: endpoints::ALGO_SEGMENT,
            orders: vec![OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: "501".into(),
            }],
        };
        let partly = r#"{"code":"2","msg":"","data":[
            {"algoClOrdId":"","algoId":"501","clOrdId":"","sCode":"0","sMsg":"","tag":""},
            {"algoClOrdId":"","algoId":"502","clOrdId":"","sCode":"51400","sMsg":"gone"},
            {"algoClOrdId":"","algoId":"503","clOrdId":"","sCode":"50011","sMsg":"slow down"}]}"#;
        let cancelled = decode(&op, &response(200, partly))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap();
        assert_eq!(cancelled.len(), 1);
        assert_eq!(
            (
                cancelled[0].order_id.as_str(),
                cancelled[0].segment.as_str()
            ),
            ("501", "spot/algo")
        );
        let refused = r#"{"code":"1","msg":"","data":[
            {"algoId":"503","sCode":"50120","sMsg":"no permission"}]}"#;
        let err = decode(&op, &response(200, refused)).reply.unwrap_err();
        assert!(matches!(err, ExchangeError::Permission { .. }), "{err:?}");
        let all_gone = r#"{"code":"1","msg":"","data":[
            {"algoId":"502","sCode":"51400","sMsg":"gone"}]}"#;
        let reply = decode(&op, &response(200, all_gone)).reply.unwrap();
        assert!(reply.into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn dead_man_answers_with_the_trigger_time() {
        let armed = decode(
            &Op::CancelAfter { seconds: 60 },
            &response(
                200,
                r#"{"code":"0","msg":"","data":[{"triggerTime":"1587971460000","tag":"","ts":"1587971400000"}]}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(armed, Some(1_587_971_460_000));
        let off = decode(
            &Op::CancelAfter { seconds: 0 },
            &response(
                200,
                r#"{"code":"0","msg":"","data":[{"triggerTime":"0","tag":"","ts":"1587971400000"}]}"#,
            ),
        )
        .reply
        .unwrap()
        .into_armed()
        .unwrap();
        assert_eq!(off, None);
        for (label, body) in [
            ("no item", r#"{"code":"0","msg":"","data":[]}"#),
            ("no trigger", r#"{"code":"0","msg":"","data":[{"ts":"1"}]}"#),
            (
                "not a time",
                r#"{"code":"0","msg":"","data":[{"triggerTime":"soon"}]}"#,
            ),
        ] {
            let err = decode(&Op::CancelAfter { seconds: 60 }, &response(200, body))
                .reply
                .unwrap_err();
            assert!(
                matches!(err, ExchangeError::Protocol { .. }),
                "{label}: {err:?}"
            );
        }
        let refused = decode(
            &Op::CancelAfter { seconds: 5 },
            &response(
                400,
                r#"{"code":"51000","msg":"Parameter timeOut error","data":[]}"#,
            ),
        )
        .reply
        .unwrap_err();
        assert_eq!(refused.code(), Some("51000"));
    }
}
