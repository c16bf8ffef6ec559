//! Binance's answers about orders and fills (docs/venues/binance.md §5, §6): open orders (USD-M
//! followed by its conditional orders), the history walk that first learns which symbols to read,
//! cancels and placed orders. Order statuses map to the model's here and nowhere else.

use super::*;
use crate::exchanges::binance::market::{Discovery, Market};

/// The orders a cancel took off the book.
pub(super) fn cancelled(
    segment: &Segment,
    orders: &[OrderRef],
    body: Value,
) -> Result<Reply, ExchangeError> {
    Ok(match body {
        // Spot: the orders (and order lists) it cancelled.
        Value::Array(items) => {
            let mut cancelled = Vec::new();
            for item in items {
                if let Some(reports) = item.get("orderReports").and_then(Value::as_array) {
                    for report in reports {
                        cancelled.push(cancelled_of(segment, parse(report.clone())?));
                    }
                } else {
                    cancelled.push(cancelled_of(segment, parse(item)?));
                }
            }
            Reply::Cancelled(cancelled)
        }
        // USD-M: `{"code": 200, "msg": "The operation of cancel all open order is done."}`,
        // every open order of the symbol, those named included; for the conditional
        // orders (`algoOpenOrders`) the same answer. The two requests of one USD-M cancel
        // count the named orders once (`Reply::followed_by` keeps the first answer).
        _ => Reply::Cancelled(
            orders
                .iter()
                .map(|o| Cancelled {
                    order_id: o.order_id.clone(),
                    client_order_id: None,
                    segment: segment.to_string(),
                })
                .collect(),
        ),
    })
}

/// One page of open orders: plain orders, then (USD-M) the conditional ones; isolated margin
/// reads its pairs first, then each pair's orders.
pub(super) fn open_orders(
    segment: &Segment,
    cursor: Option<&str>,
    body: Value,
) -> Result<Reply, ExchangeError> {
    if Market::of(segment) == Market::Isolated {
        return isolated_open_orders(segment, cursor, body);
    }
    let page = OpenPage::of(segment, cursor)?;
    let items = match page {
        OpenPage::Orders => parse::<Vec<BinanceOrder>>(body)?
            .into_iter()
            .map(|o| o.into_order(segment))
            .collect::<Result<_, _>>()?,
        OpenPage::Conditional => parse::<Vec<BinanceAlgoOrder>>(body)?
            .into_iter()
            .map(BinanceAlgoOrder::into_order)
            .collect::<Result<_, _>>()?,
    };
    Ok(Reply::Orders(Page {
        items,
        next: page.next(segment),
    }))
}

/// One page of an isolated-margin listing: the pairs (first page), or one pair's orders.
fn isolated_open_orders(
    segment: &Segment,
    cursor: Option<&str>,
    body: Value,
) -> Result<Reply, ExchangeError> {
    let pairs = endpoints::isolated_pairs(cursor)?;
    let Some((_, rest)) = pairs.split_first() else {
        let account: BinanceIsolatedAccount = parse(body)?;
        let symbols: Vec<String> = account.assets.into_iter().map(|a| a.symbol).collect();
        return Ok(Reply::Orders(Page {
            items: Vec::new(),
            next: endpoints::isolated_page(&symbols),
        }));
    };
    let items = parse::<Vec<BinanceOrder>>(body)?
        .into_iter()
        .map(|o| o.into_order(segment))
        .collect::<Result<_, _>>()?;
    Ok(Reply::Orders(Page {
        items,
        next: endpoints::isolated_page(rest),
    }))
}

/// `GET /sapi/v1/margin/isolated/account`: the pairs with an isolated account.
#[derive(Debug, Deserialize)]
struct BinanceIsolatedAccount {
    #[serde(default)]
    assets: Vec<BinanceIsolatedPair>,
}

/// One isolated pair (its assets are not read).
#[derive(Debug, Deserialize)]
struct BinanceIsolatedPair {
    symbol: String,
}

/// The id of a placed order.
pub(super) fn placed(body: Value) -> Result<Reply, ExchangeError> {
    let placed: BinanceOrderAck = parse(body)?;
    Ok(Reply::Placed(placed.order_id.to_string()))
}

/// A spot amend's answer names the order it changed (`amendedOrder.orderId`, kept).
pub(super) fn amended(body: Value) -> Result<Reply, ExchangeError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Amended {
        amended_order: BinanceOrderAck,
    }
    let amended: Amended = parse(body)?;
    Ok(Reply::Placed(amended.amended_order.order_id.to_string()))
}

/// One page of an order or fill history walk: discovery steps answer no item and the next
/// step; a walk step answers the records after the last seen one.
pub(super) fn walk_page(op: &Op, body: Value) -> Result<Reply, ExchangeError> {
    let (segment, window, cursor, fills) = match op {
        Op::Orders {
            segment,
            window,
            cursor,
        } => (segment, window, cursor, false),
        Op::Fills {
            segment,
            window,
            cursor,
        } => (segment, window, cursor, true),
        _ => return Err(protocol("history (not an order or fill read)")),
    };
    let mut cursor = HistoryCursor::parse(cursor.as_deref())?;
    let empty = |next: Option<HistoryCursor>| {
        let next = next.map(|c| c.to_text());
        if fills {
            Reply::Fills(Page {
                items: Vec::new(),
                next,
            })
        } else {
            Reply::Orders(Page {
                items: Vec::new(),
                next,
            })
        }
    };
    Ok(match cursor.step {
        // Isolated margin: the pairs with an isolated account are the symbols to walk.
        HistoryStep::OpenOrders if Market::of(segment) == Market::Isolated => {
            let account: BinanceIsolatedAccount = parse(body)?;
            cursor.add_symbols(account.assets.into_iter().map(|a| a.symbol));
            empty(cursor.start_walk())
        }
        HistoryStep::OpenOrders => {
            let open: Vec<BinanceOrder> = parse(body)?;
            cursor.add_symbols(open.into_iter().map(|o| o.symbol));
            match Market::of(segment).discovery() {
                Discovery::Balances => cursor.step = HistoryStep::Balances,
                Discovery::Rows(_) => cursor.step = HistoryStep::Income,
                Discovery::OpenOrdersOnly => return Ok(empty(cursor.start_walk())),
            }
            empty(Some(cursor))
        }
        HistoryStep::Balances => {
            let account: funds::BinanceAccount = parse(body)?;
            cursor.assets = account
                .balances
                .into_iter()
                .filter(|b| !Amount::new(&sum(&b.free, &b.locked)).is_zero())
                .map(|b| b.asset)
                .collect();
            cursor.step = HistoryStep::Markets;
            empty(Some(cursor))
        }
        HistoryStep::Markets => {
            let info: BinanceExchangeInfo = parse(body)?;
            let assets = std::mem::take(&mut cursor.assets);
            cursor.add_symbols(
                info.symbols
                    .into_iter()
                    .filter(|s| assets.contains(&s.base_asset))
                    .map(|s| s.symbol),
            );
            empty(cursor.start_recent())
        }
        HistoryStep::Recent => {
            let orders: Vec<BinanceOrder> = parse(body)?;
            let page = Market::of(segment).history_page();
            // The newest orders hold the whole window when Binance had no more, or when the
            // oldest of them was placed before the window began.
            let whole = orders.len() < page
                || orders
                    .iter()
                    .map(|o| o.time)
                    .min()
                    .is_some_and(|oldest| oldest <= window.start_ms);
            if !whole {
                return Ok(empty(Some(cursor.walk_this())));
            }
            let next = cursor.next_symbol(HistoryStep::Recent).map(|c| c.to_text());
            if fills {
                // A fill changes its order: an order placed or changed in the window is the
                // only way the symbol had a fill there.
                let touched = orders
                    .iter()
                    .any(|o| o.time.max(o.update_time) >= window.start_ms);
                if touched {
                    return Ok(empty(Some(cursor.walk_this())));
                }
                return Ok(Reply::Fills(Page {
                    items: Vec::new(),
                    next,
                }));
            }
            let items = orders
                .into_iter()
                .filter(|o| (window.start_ms..=window.end_ms).contains(&o.time))
                .map(|o| o.into_order(segment))
                .collect::<Result<_, _>>()?;
            Reply::Orders(Page { items, next })
        }
        HistoryStep::Income => {
            let rows: Vec<BinanceIncome> = parse(body)?;
            let full = rows.len() >= crate::exchanges::binance::cursor::PAGE;
            let last = rows.last().map(|r| r.time);
            cursor.add_symbols(rows.into_iter().map(|r| r.symbol).filter(|s| !s.is_empty()));
            let income = matches!(
                Market::of(segment).discovery(),
                Discovery::Rows(path) if path.ends_with("/income")
            );
            // A full page of commissions has more behind it: on from its last row's time (a
            // symbol seen twice counts once), else a symbol that only filled later is missed.
            if full
                && income
                && let Some(last) = last
            {
                let from = cursor.from_ms.unwrap_or(window.start_ms);
                cursor.from_ms = Some(if last > from { last } else { from + 1 });
                if cursor.from_ms.is_some_and(|from| from <= window.end_ms) {
                    return Ok(empty(Some(cursor)));
                }
            }
            empty(cursor.start_walk())
        }
        HistoryStep::Walk => {
            let rows: Vec<Value> = parse(body)?;
            let count = rows.len();
            let market = Market::of(segment);
            let page = market.history_page();
            let span = endpoints::span(segment);
            let bounds = (window.start_ms, window.end_ms);
            // Spot looks at the next symbol's newest orders first.
            let next_symbol = |next: Option<HistoryCursor>| {
                next.map(|mut c| {
                    if c.index != cursor.index && market.discovery() == Discovery::Balances {
                        c.step = HistoryStep::Recent;
                    }
                    c
                })
            };
            if fills {
                let fills: Vec<BinanceTrade> =
                    rows.into_iter().map(parse).collect::<Result<_, _>>()?;
                let last = fills.last().map(|f| (f.time, f.id));
                let next = next_symbol(cursor.after_page((count, page), last, bounds, span));
                let items = fills
                    .into_iter()
                    .filter(|f| cursor.after.is_none_or(|after| (f.time, f.id) > after))
                    .map(|f| f.into_fill(segment))
                    .collect::<Result<_, _>>()?;
                Reply::Fills(Page {
                    items,
                    next: next.map(|c| c.to_text()),
                })
            } else {
                let orders: Vec<BinanceOrder> =
                    rows.into_iter().map(parse).collect::<Result<_, _>>()?;
                let last = orders.last().map(|o| (o.time, o.order_id));
                let next = next_symbol(cursor.after_page((count, page), last, bounds, span));
                let items = orders
                    .into_iter()
                    .filter(|o| {
                        cursor
                            .after
                            .is_none_or(|after| (o.time, o.order_id) > after)
                    })
                    .map(|o| o.into_order(segment))
                    .collect::<Result<_, _>>()?;
                Reply::Orders(Page {
                    items,
                    next: next.map(|c| c.to_text()),
                })
            }
        }
    })
}

fn cancelled_of(segment: &Segment, order: BinanceOrder) -> Cancelled {
    Cancelled {
        order_id: order.order_id.to_string(),
        client_order_id: non_empty(order.client_order_id),
        segment: segment.to_string(),
    }
}

/// An order (spot `allOrders`/`openOrders`, USD-M likewise; the fields both share).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceOrder {
    symbol: String,
    order_id: u64,
    #[serde(default)]
    client_order_id: String,
    #[serde(default)]
    price: String,
    /// Options call it `quantity`.
    #[serde(default, alias = "quantity")]
    orig_qty: String,
    #[serde(default)]
    executed_qty: String,
    /// Spot: what the fills cost in the quote coin.
    #[serde(default)]
    cummulative_quote_qty: String,
    /// USD-M: the average fill price.
    #[serde(default)]
    avg_price: String,
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    side: String,
    /// Options call it `createTime`.
    #[serde(default, alias = "createTime")]
    time: i64,
    #[serde(default)]
    update_time: i64,
}

impl BinanceOrder {
    fn into_order(self, segment: &Segment) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let order_type = self.kind.to_ascii_lowercase();
        let price = Amount::new(&self.price);
        let filled = Amount::new(&self.executed_qty);
        let avg = if !self.avg_price.is_empty() {
            Amount::new(&self.avg_price)
        } else if !filled.is_zero() {
            // The average of the quote spent over the quantity filled, to 8 places.
            let quote = Amount::new(&self.cummulative_quote_qty).to_decimal_or_zero();
            let average = quote
                .checked_div(filled.to_decimal_or_zero())
                .unwrap_or_default()
                .round_dp(8);
            Amount::from_decimal(average)
        } else {
            Amount::new("0")
        };
        Ok(Order {
            order_id: self.order_id.to_string(),
            client_order_id: non_empty(self.client_order_id),
            category: segment.category,
            symbol: self.symbol,
            side,
            price: (order_type != "market" && !price.is_zero()).then_some(price),
            order_type,
            qty: Amount::new(&self.orig_qty),
            filled_qty: filled,
            avg_price: (!avg.is_zero()).then_some(avg),
            status: status(&self.status),
            created_ms: self.time,
            updated_ms: if self.update_time > 0 {
                self.update_time
            } else {
                self.time
            },
        })
    }
}

/// A USD-M conditional order as `openAlgoOrders` lists it (Binance's Algo service: an `algoId`
/// of its own, `orderType` such as `STOP_MARKET`, the `triggerPrice` it waits for).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceAlgoOrder {
    algo_id: u64,
    #[serde(default)]
    client_algo_id: Option<String>,
    symbol: String,
    side: String,
    #[serde(default)]
    order_type: String,
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    #[serde(default)]
    algo_status: String,
    #[serde(default)]
    create_time: i64,
    #[serde(default)]
    update_time: i64,
}

impl BinanceAlgoOrder {
    /// The order in the model: USD-M, its Binance type lowercased (`stop_market`), and
    /// [`OrderStatus::Untriggered`] while it waits for its trigger, which is what marks it as
    /// conditional in a snapshot.
    fn into_order(self) -> Result<Order, ExchangeError> {
        let side = Side::parse(&self.side).ok_or_else(|| protocol("side"))?;
        let price = self.price.map(|p| Amount::new(&p)).filter(|p| !p.is_zero());
        Ok(Order {
            order_id: self.algo_id.to_string(),
            client_order_id: self.client_algo_id.and_then(non_empty),
            category: Category::Linear,
            symbol: self.symbol,
            side,
            order_type: self.order_type.to_ascii_lowercase(),
            // `closePosition` orders name no quantity: the whole position.
            qty: Amount::new(self.quantity.as_deref().unwrap_or("0")),
            price,
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: algo_status(&self.algo_status),
            created_ms: self.create_time,
            updated_ms: self.update_time.max(self.create_time),
        })
    }
}

/// Binance's `algoStatus`: `NEW` waits for its trigger; once triggered it is an order of its
/// own (listed by `openOrders`).
pub(in crate::exchanges::binance) fn algo_status(text: &str) -> OrderStatus {
    match text {
        "NEW" => OrderStatus::Untriggered,
        "TRIGGERING" | "TRIGGERED" => OrderStatus::Open,
        "FINISHED" => OrderStatus::Filled,
        "REJECTED" => OrderStatus::Rejected,
        // CANCELED, EXPIRED
        _ => OrderStatus::Cancelled,
    }
}

/// Binance order statuses (docs/venues/binance.md §6); options say `ACCEPTED` for a resting
/// order and spell `CANCELLED` with two Ls.
pub(in crate::exchanges::binance) fn status(text: &str) -> OrderStatus {
    match text {
        "NEW" | "PENDING_NEW" | "ACCEPTED" => OrderStatus::Open,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "REJECTED" => OrderStatus::Rejected,
        // CANCELED, PENDING_CANCEL, EXPIRED, EXPIRED_IN_MATCH
        _ => OrderStatus::Cancelled,
    }
}

/// `POST /api/v3/order` (`ACK`), the margin, USD-M, COIN-M and options `order`, and USD-M's
/// `algoOrder` (whose id is `algoId`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceOrderAck {
    #[serde(alias = "algoId")]
    order_id: u64,
}

/// A fill: spot `myTrades` (`isBuyer`) or USD-M `userTrades` (`side`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceTrade {
    symbol: String,
    id: u64,
    order_id: u64,
    price: String,
    /// Options call it `quantity`.
    #[serde(alias = "quantity")]
    qty: String,
    /// Options call it `fee`.
    #[serde(default, alias = "fee")]
    commission: String,
    #[serde(default)]
    is_buyer: Option<bool>,
    #[serde(default)]
    side: String,
    time: i64,
}

impl BinanceTrade {
    fn into_fill(self, segment: &Segment) -> Result<Fill, ExchangeError> {
        let side = match (self.is_buyer, Side::parse(&self.side)) {
            (_, Some(side)) => side,
            (Some(true), None) => Side::Buy,
            (Some(false), None) => Side::Sell,
            (None, None) => return Err(protocol("isBuyer or side")),
        };
        Ok(Fill {
            fill_id: self.id.to_string(),
            order_id: self.order_id.to_string(),
            client_order_id: None,
            category: segment.category,
            symbol: self.symbol,
            side,
            qty: Amount::new(&self.qty),
            price: Amount::new(&self.price),
            fee: Amount::new(&self.commission),
            time_ms: self.time,
        })
    }
}

/// `GET /api/v3/exchangeInfo`.
#[derive(Debug, Deserialize)]
struct BinanceExchangeInfo {
    #[serde(default)]
    symbols: Vec<BinanceMarket>,
}

/// One market of `exchangeInfo`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceMarket {
    symbol: String,
    #[serde(default)]
    base_asset: String,
}

/// `GET /fapi/v1/income` rows.
#[derive(Debug, Deserialize)]
struct BinanceIncome {
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    time: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::binance::wire::tests::{response, spot};

    /// What a USD-M cancel's `{"code": 200, …}` acknowledges for `op`.
    fn acknowledged(op: &Op) -> Vec<Cancelled> {
        let body = r#"{"code":200,"msg":"The operation of cancel all open order is done."}"#;
        decode(op, &response(200, body))
            .reply
            .unwrap()
            .into_cancelled()
            .unwrap()
    }

    #[test]
    fn a_futures_cancel_all_acknowledges_the_orders_named() {
        let op = Op::CancelBatch {
            segment: Segment {
                category: Category::Linear,
                settle: None,
            },
            orders: vec![OrderRef {
                symbol: "BTCUSDT".into(),
                order_id: "42".into(),
            }],
        };
        let cancelled = acknowledged(&op);
        assert_eq!(cancelled[0].order_id, "42");
        let none = decode(
            &op,
            &response(400, r#"{"code":-2011,"msg":"Unknown order sent."}"#),
        );
        assert!(none.reply.unwrap().into_cancelled().unwrap().is_empty());
    }

    #[test]
    fn usdm_open_orders_end_with_the_conditional_orders() {
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let first = Op::OpenOrders {
            segment: usdm,
            cursor: None,
        };
        let page = decode(&first, &response(200, "[]"))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next.as_deref(), Some(endpoints::CONDITIONAL_PAGE));
        let second = Op::OpenOrders {
            segment: usdm,
            cursor: page.next,
        };
        let body = r#"[{"algoId":2146760,"clientAlgoId":"6B2I9XVcJpCjqPAJ4YoFX7","algoType":"CONDITIONAL","orderType":"STOP_MARKET","symbol":"ETHUSDT","side":"SELL","positionSide":"BOTH","timeInForce":"GTC","quantity":"5","algoStatus":"NEW","triggerPrice":"2900.00","price":"0","icebergQuantity":null,"reduceOnly":false,"closePosition":false,"createTime":1750485492076,"updateTime":1750485492076},
            {"algoId":2146761,"clientAlgoId":"","orderType":"TAKE_PROFIT","symbol":"BTCUSDT","side":"BUY","quantity":"0.3","algoStatus":"NEW","triggerPrice":"60000","price":"59900","createTime":5,"updateTime":0}]"#;
        let page = decode(&second, &response(200, body))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
        let stop = &page.items[0];
        assert_eq!(
            (
                stop.order_id.as_str(),
                stop.symbol.as_str(),
                stop.order_type.as_str(),
                stop.status,
                stop.category,
                stop.side,
            ),
            (
                "2146760",
                "ETHUSDT",
                "stop_market",
                OrderStatus::Untriggered,
                Category::Linear,
                Side::Sell
            )
        );
        assert!(stop.status.is_open());
        assert_eq!(stop.price, None);
        assert_eq!(stop.qty.as_str(), "5");
        assert_eq!(
            stop.client_order_id.as_deref(),
            Some("6B2I9XVcJpCjqPAJ4YoFX7")
        );
        let take = &page.items[1];
        assert_eq!(take.price.as_ref().map(Amount::as_str), Some("59900"));
        assert_eq!(
            (take.client_order_id.as_deref(), take.updated_ms),
            (None, 5)
        );
        // Spot has no second page.
        let spot = Op::OpenOrders {
            segment: spot(),
            cursor: None,
        };
        let page = decode(&spot, &response(200, "[]"))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.next, None);
    }

    #[test]
    fn a_conditional_cancel_acknowledges_the_orders_named() {
        let op = Op::CancelBatch {
            segment: endpoints::CONDITIONAL,
            orders: vec![OrderRef {
                symbol: "ETHUSDT".into(),
                order_id: "2146760".into(),
            }],
        };
        let cancelled = acknowledged(&op);
        assert_eq!(cancelled[0].order_id, "2146760");
        assert_eq!(cancelled[0].segment, "linear/algo");
        // Without the futures permission: a segment the key cannot reach.
        let refused = decode(&op, &response(401, r#"{"code":-2015,"msg":"x"}"#))
            .reply
            .unwrap_err();
        assert!(
            matches!(refused, ExchangeError::Permission { .. }),
            "{refused:?}"
        );
    }

    #[test]
    fn a_history_walk_learns_symbols_then_reads_them() {
        let window = Window {
            start_ms: 0,
            end_ms: endpoints::DAY_MS * 2,
        };
        let op = |cursor: Option<String>| Op::Orders {
            segment: spot(),
            window,
            cursor,
        };
        let open = r#"[{"symbol":"XVGUSDT","orderId":7,"clientOrderId":"","price":"0.02","origQty":"10","executedQty":"0","status":"NEW","type":"LIMIT","side":"BUY","time":5,"updateTime":5}]"#;
        let page = decode(&op(None), &response(200, open))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(page.items.is_empty());
        let balances = r#"{"balances":[{"asset":"BTC","free":"0.1","locked":"0"},{"asset":"USDT","free":"0","locked":"0"}]}"#;
        let page = decode(&op(page.next), &response(200, balances))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let markets = r#"{"symbols":[{"symbol":"BTCUSDT","baseAsset":"BTC"},{"symbol":"ETHUSDT","baseAsset":"ETH"}]}"#;
        let page = decode(&op(page.next), &response(200, markets))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        let cursor = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!(cursor.symbols, ["BTCUSDT", "XVGUSDT"]);
        assert_eq!(
            cursor.step,
            HistoryStep::Recent,
            "spot looks at the newest orders first"
        );
        let orders = r#"[{"symbol":"BTCUSDT","orderId":3,"clientOrderId":"grid-1","price":"0","origQty":"0.01","executedQty":"0.01","cummulativeQuoteQty":"650","status":"FILLED","type":"MARKET","side":"BUY","time":10,"updateTime":10}]"#;
        let page = decode(&op(page.next), &response(200, orders))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert_eq!(page.items.len(), 1);
        let order = &page.items[0];
        assert_eq!(order.price, None);
        assert_eq!(order.avg_price.as_ref().unwrap().as_str(), "65000");
        assert_eq!(order.client_order_id.as_deref(), Some("grid-1"));
        // An unknown symbol ends its walk without failing the read.
        let unknown = decode(
            &op(page.next),
            &response(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#),
        );
        assert!(unknown.reply.is_ok());
    }

    #[test]
    fn a_full_page_of_commissions_reads_on() {
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let window = Window {
            start_ms: 0,
            end_ms: 7 * endpoints::DAY_MS - 1,
        };
        let income = HistoryCursor {
            step: HistoryStep::Income,
            ..HistoryCursor::default()
        };
        let fills = |cursor: &HistoryCursor| Op::Fills {
            segment: usdm,
            window,
            cursor: Some(cursor.to_text()),
        };
        // A busy bot's 1000 commissions on one symbol, the last at 5000 ms.
        let bot: Vec<String> = (0..1000)
            .map(|i| {
                format!(
                    r#"{{"symbol":"BTCUSDT","incomeType":"COMMISSION","time":{}}}"#,
                    4001 + i
                )
            })
            .collect();
        let page = decode(
            &fills(&income),
            &response(200, &format!("[{}]", bot.join(","))),
        )
        .reply
        .unwrap()
        .into_fills()
        .unwrap();
        let next = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!((next.step, next.from_ms), (HistoryStep::Income, Some(5000)));
        // The attacker's symbol paid its commission after them: found on the next page.
        let later = r#"[{"symbol":"BTCUSDT","time":5000},{"symbol":"XVGUSDT","time":9000}]"#;
        let page = decode(&fills(&next), &response(200, later))
            .reply
            .unwrap()
            .into_fills()
            .unwrap();
        let walk = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!(walk.step, HistoryStep::Walk);
        assert_eq!(walk.symbols, ["BTCUSDT", "XVGUSDT"]);
        assert_eq!(walk.from_ms, None, "the walk starts at the window's start");
    }

    #[test]
    fn spot_reads_the_fills_only_of_symbols_whose_orders_the_window_touched() {
        let day = endpoints::DAY_MS;
        let window = Window {
            start_ms: 10 * day,
            end_ms: 17 * day,
        };
        let recent = HistoryCursor {
            symbols: vec!["AUSDT".into(), "BUSDT".into()],
            ..HistoryCursor::default()
        }
        .start_recent()
        .unwrap();
        let fills = |cursor: &HistoryCursor| Op::Fills {
            segment: spot(),
            window,
            cursor: Some(cursor.to_text()),
        };
        let order = |time: i64, updated: i64| {
            format!(
                r#"{{"symbol":"AUSDT","orderId":{time},"price":"1","origQty":"1","executedQty":"1","status":"FILLED","type":"LIMIT","side":"BUY","time":{time},"updateTime":{updated}}}"#
            )
        };
        // Placed and filled before the window: no fill in it, the next symbol.
        let quiet = format!("[{}]", order(day, 2 * day));
        let page = decode(&fills(&recent), &response(200, &quiet))
            .reply
            .unwrap()
            .into_fills()
            .unwrap();
        let next = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!((next.step, next.index), (HistoryStep::Recent, 1));
        // Placed before, filled inside the window: its fills are walked, from the window's start.
        let touched = format!("[{}]", order(day, 11 * day));
        let page = decode(&fills(&recent), &response(200, &touched))
            .reply
            .unwrap()
            .into_fills()
            .unwrap();
        let next = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!(
            (next.step, next.index, next.from_ms),
            (HistoryStep::Walk, 0, None)
        );
        // A full page inside the window does not reach its start: the orders are walked too.
        let full: Vec<String> = (0..1000)
            .map(|i| order(12 * day + i, 12 * day + i))
            .collect();
        let full = format!("[{}]", full.join(","));
        let orders = Op::Orders {
            segment: spot(),
            window,
            cursor: Some(recent.to_text()),
        };
        let page = decode(&orders, &response(200, &full))
            .reply
            .unwrap()
            .into_orders()
            .unwrap();
        assert!(page.items.is_empty());
        let next = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!((next.step, next.index), (HistoryStep::Walk, 0));
        // After the walk of a symbol, the next one is looked at through its newest orders.
        let last_window = HistoryCursor {
            from_ms: Some(17 * day - 1),
            ..next
        };
        let page = decode(
            &Op::Orders {
                segment: spot(),
                window,
                cursor: Some(last_window.to_text()),
            },
            &response(200, "[]"),
        )
        .reply
        .unwrap()
        .into_orders()
        .unwrap();
        let next = HistoryCursor::parse(page.next.as_deref()).unwrap();
        assert_eq!((next.step, next.index), (HistoryStep::Recent, 1));
    }
}
