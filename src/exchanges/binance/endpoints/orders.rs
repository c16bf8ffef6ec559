//! Binance order requests (docs/venues/binance.md §5, §6): per-symbol cancels in every product
//! (USD-M's conditional orders on their own endpoint), placed orders (a USD-M order with a trigger
//! is a conditional one, placed through `algoOrder`) and the order and fill history walk, whose
//! discovery steps read open orders, balances, markets, income or fills to learn the symbols.

use super::*;

/// Cancels every open order of one symbol (the orders named share it).
pub(super) fn cancel_batch(
    call: &CallContext<'_>,
    segment: &Segment,
    orders: &[OrderRef],
) -> Result<Request, ExchangeError> {
    let Some(first) = orders.first() else {
        return Err(ExchangeError::Protocol {
            detail: "a per-symbol cancel names no order".to_owned(),
        });
    };
    if orders.iter().any(|o| o.symbol != first.symbol) {
        return Err(ExchangeError::Protocol {
            detail: "Binance cancels one symbol a request; the batch names several".to_owned(),
        });
    }
    let market = Market::of(segment);
    let path = market_path(call, market, market.cancel_symbol());
    let mut params = vec![("symbol", first.symbol.clone())];
    params.extend(market.params());
    Ok(delete(&path, &params))
}

/// Places an order (spot and margin answer `ACK`). A trigger makes a USD-M order a conditional
/// one (`POST /fapi/v1/algoOrder`, `algoType=CONDITIONAL`: `STOP` at a limit price, `STOP_MARKET`
/// otherwise, waiting for `triggerPrice`); the other products' conditional orders are refused.
pub(super) fn place(call: &CallContext<'_>, order: &NewOrder) -> Result<Request, ExchangeError> {
    let mut market = Market::of(&order.segment);
    if order.trigger.is_some() {
        if market != Market::UsdM {
            order.plain("binance")?;
        }
        market = Market::UsdmAlgo;
    }
    let futures = market != Market::Spot && market != Market::Margin;
    let mut params = vec![
        ("symbol", order.symbol.clone()),
        (
            "side",
            match order.side {
                Side::Buy => "BUY",
                Side::Sell => "SELL",
            }
            .to_owned(),
        ),
    ];
    if let Some(trigger) = order.trigger {
        params.push(("algoType", "CONDITIONAL".into()));
        match order.kind {
            OrderKind::Limit { price } => {
                params.push(("type", "STOP".into()));
                params.push(("timeInForce", "GTC".into()));
                params.push(("quantity", decimal(order.qty)));
                params.push(("price", decimal(price)));
            }
            OrderKind::Market => {
                params.push(("type", "STOP_MARKET".into()));
                params.push(("quantity", decimal(order.qty)));
            }
        }
        params.push(("triggerPrice", decimal(trigger)));
        return Ok(post(&market_path(call, market, market.order()), &params));
    }
    if let Some(id) = &order.client_order_id {
        // Options name it `clientOrderId`, the others `newClientOrderId`.
        let name = if market == Market::Options {
            "clientOrderId"
        } else {
            "newClientOrderId"
        };
        params.push((name, id.clone()));
    }
    if order.reduce_only {
        if !futures {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "place_order (reduce-only spot or margin order)",
            });
        }
        params.push(("reduceOnly", "true".into()));
    }
    match order.kind {
        // Post-only is its own type on spot and margin (`LIMIT_MAKER`, no time in force), a
        // time in force on futures (`GTX`) and a flag on options (`postOnly`)
        // (docs/venues/binance.md "Placing and amending").
        OrderKind::Limit { price } if order.time_in_force == TimeInForce::PostOnly && !futures => {
            params.push(("type", "LIMIT_MAKER".into()));
            params.push(("quantity", decimal(order.qty)));
            params.push(("price", decimal(price)));
        }
        OrderKind::Limit { price } => {
            params.push(("type", "LIMIT".into()));
            let tif = match (order.time_in_force, market) {
                (TimeInForce::Gtc, _) => "GTC",
                (TimeInForce::Ioc, _) => "IOC",
                (TimeInForce::Fok, _) => "FOK",
                (TimeInForce::PostOnly, Market::Options) => {
                    params.push(("postOnly", "true".into()));
                    "GTC"
                }
                (TimeInForce::PostOnly, _) => "GTX",
            };
            params.push(("timeInForce", tif.into()));
            params.push(("quantity", decimal(order.qty)));
            params.push(("price", decimal(price)));
        }
        OrderKind::Market => {
            params.push(("type", "MARKET".into()));
            match (order.unit, futures) {
                (QtyUnit::Base, _) => params.push(("quantity", decimal(order.qty))),
                // Spot market orders may spend a quote amount (docs/venues/binance.md §6).
                (QtyUnit::Quote, false) => {
                    params.push(("quoteOrderQty", decimal(order.qty)));
                }
                (QtyUnit::Quote, true) => {
                    return Err(ExchangeError::NeedsInput {
                        venue: "binance",
                        what: format!(
                            "a {} order sized in contracts of the base coin",
                            market.name()
                        ),
                    });
                }
            }
        }
    }
    if !futures {
        params.push(("newOrderRespType", "ACK".into()));
    }
    params.extend(market.params());
    Ok(post(&market_path(call, market, market.order()), &params))
}

/// Amends an open order. Spot: `PUT /api/v3/order/amend/keepPriority`, which only lowers the
/// quantity (`newQty`) and keeps the order id; a new price cannot be sent. USD-M and COIN-M:
/// `PUT /fapi/v1/order` / `/dapi/v1/order`, which require the order's `side` (and, on USD-M, both
/// `quantity` and `price`): the op does not carry the side, so they are refused as needing it.
/// Margin and options have no amend (docs/venues/binance.md "Placing and amending").
pub(super) fn amend(
    call: &CallContext<'_>,
    segment: &Segment,
    symbol: &str,
    order_id: &str,
    qty: Option<f64>,
    price: Option<f64>,
) -> Result<Request, ExchangeError> {
    let market = Market::of(segment);
    match (market, qty, price) {
        (Market::Spot, Some(qty), None) => Ok(put(
            &market_path(call, market, "/api/v3/order/amend/keepPriority"),
            &[
                ("symbol", symbol.to_owned()),
                ("orderId", order_id.to_owned()),
                ("newQty", decimal(qty)),
            ],
        )),
        (Market::Spot, _, _) => Err(ExchangeError::Unsupported {
            venue: "binance",
            op: "amend_order (spot amends only lower the quantity)",
        }),
        (Market::UsdM | Market::CoinM, _, _) => Err(ExchangeError::NeedsInput {
            venue: "binance",
            what: format!("the side of order {order_id} (Binance's futures amend requires it)"),
        }),
        _ => Err(ExchangeError::Unsupported {
            venue: "binance",
            op: "amend_order (margin and options orders)",
        }),
    }
}

/// One step of an order or fill history walk (see `cursor.rs`); `walk` picks the product's
/// orders or fills path.
pub(super) fn history(
    call: &CallContext<'_>,
    segment: &Segment,
    window: &Window,
    cursor: Option<&str>,
    walk: fn(Market) -> &'static str,
) -> Result<Request, ExchangeError> {
    let cursor = HistoryCursor::parse(cursor)?;
    let market = Market::of(segment);
    let walk_path = market_path(call, market, walk(market));
    Ok(match cursor.step {
        // Isolated margin learns its symbols from the account's isolated pairs.
        HistoryStep::OpenOrders if market == Market::Isolated => get(ISOLATED_PAIRS, &[]),
        HistoryStep::OpenOrders => get(&market_path(call, market, market.open_orders()), &[]),
        HistoryStep::Balances => get("/api/v3/account", &[("omitZeroBalances", "true".into())]),
        HistoryStep::Markets => get("/api/v3/exchangeInfo", &[]),
        HistoryStep::Income => {
            let Discovery::Rows(rows) = market.discovery() else {
                return Err(ExchangeError::Protocol {
                    detail: format!("{} has no income step in its history walk", market.name()),
                });
            };
            // Income takes the whole window; options `userTrades` answers its newest 1000 fills
            // without one (its widest window is not documented).
            let mut params = Vec::new();
            if rows.ends_with("/income") {
                params.push(("incomeType", "COMMISSION".to_owned()));
                // After a full page: on from its last row's time (`wire/orders.rs`).
                let from = cursor
                    .from_ms
                    .unwrap_or(window.start_ms)
                    .max(window.start_ms);
                params.push(("startTime", from.to_string()));
                params.push(("endTime", window.end_ms.to_string()));
            }
            params.push(("limit", "1000".into()));
            get(&market_path(call, market, rows), &params)
        }
        // The symbol's newest orders, of any age (orders and fills walks alike).
        HistoryStep::Recent => {
            let mut params = vec![
                ("symbol", cursor.symbol()?.to_owned()),
                ("limit", market.history_page().to_string()),
            ];
            params.extend(market.params());
            get(&market_path(call, market, market.orders()), &params)
        }
        HistoryStep::Walk => {
            let (from, to) = cursor.sub_window(window.start_ms, window.end_ms, span(segment));
            // After a full page: on from the last record's time (what was seen is left out).
            let from = cursor.after.map_or(from, |(time, _)| time.max(from));
            let mut params = vec![
                ("symbol", cursor.symbol()?.to_owned()),
                ("startTime", from.to_string()),
                ("endTime", to.to_string()),
                ("limit", market.history_page().to_string()),
            ];
            params.extend(market.params());
            get(&walk_path, &params)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::VenueSettings;
    use crate::exchanges::binance::endpoints::tests::call;

    #[test]
    fn cancels_go_per_symbol_and_futures_to_their_host() {
        let settings = VenueSettings {
            futures_url: Some("https://fapi.binance.com".into()),
            ..VenueSettings::default()
        };
        let order = |symbol: &str| OrderRef {
            symbol: symbol.into(),
            order_id: "1".into(),
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let req = encode(
            &Op::CancelBatch {
                segment: spot,
                orders: vec![order("XVGUSDT"), order("XVGUSDT")],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str(), req.query.as_str()),
            (Method::Delete, "/api/v3/openOrders", "symbol=XVGUSDT")
        );
        let req = encode(
            &Op::CancelBatch {
                segment: usdm,
                orders: vec![order("BTCUSDT")],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(req.path, "https://fapi.binance.com/fapi/v1/allOpenOrders");
        let mixed = Op::CancelBatch {
            segment: spot,
            orders: vec![order("XVGUSDT"), order("BTCUSDT")],
        };
        assert!(encode(&mixed, &call(&settings)).is_err());
    }

    #[test]
    fn usdm_conditional_orders_are_listed_and_cancelled_apart() {
        let settings = VenueSettings {
            futures_url: Some("https://fapi.binance.com".into()),
            ..VenueSettings::default()
        };
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let list = |segment, cursor: Option<&str>| {
            encode(
                &Op::OpenOrders {
                    segment,
                    cursor: cursor.map(str::to_owned),
                },
                &call(&settings),
            )
        };
        for (label, segment, cursor, path) in [
            (
                "usd-m first page",
                usdm,
                None,
                "https://fapi.binance.com/fapi/v1/openOrders",
            ),
            (
                "usd-m second page",
                usdm,
                Some(CONDITIONAL_PAGE),
                "https://fapi.binance.com/fapi/v1/openAlgoOrders",
            ),
            (
                "the conditional segment itself",
                CONDITIONAL,
                None,
                "https://fapi.binance.com/fapi/v1/openAlgoOrders",
            ),
            ("spot", spot, None, "/api/v3/openOrders"),
        ] {
            let req = list(segment, cursor).unwrap();
            assert_eq!(
                (req.method, req.path.as_str()),
                (Method::Get, path),
                "{label}"
            );
        }
        assert!(
            list(spot, Some(CONDITIONAL_PAGE)).is_err(),
            "spot has no algo page"
        );
        assert!(list(usdm, Some("page-9")).is_err(), "an unknown cursor");
        assert_eq!(OpenPage::Orders.next(&usdm).as_deref(), Some("algo"));
        assert_eq!(OpenPage::Orders.next(&spot), None);
        assert_eq!(OpenPage::Conditional.next(&usdm), None);
        let req = encode(
            &Op::CancelBatch {
                segment: CONDITIONAL,
                orders: vec![OrderRef {
                    symbol: "ETHUSDT".into(),
                    order_id: "4100021".into(),
                }],
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str(), req.query.as_str()),
            (
                Method::Delete,
                "https://fapi.binance.com/fapi/v1/algoOpenOrders",
                "symbol=ETHUSDT"
            )
        );
        assert!(req.mutating);
        assert_eq!(CONDITIONAL.to_string(), "linear/algo");
    }

    #[test]
    fn history_walks_in_windows_the_endpoint_allows() {
        let settings = VenueSettings::default();
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let window = Window {
            start_ms: 0,
            end_ms: 3 * DAY_MS,
        };
        let first = encode(
            &Op::Orders {
                segment: spot,
                window,
                cursor: None,
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(first.path, "/api/v3/openOrders");
        let walking = HistoryCursor {
            symbols: vec!["XVGUSDT".into()],
            ..HistoryCursor::default()
        }
        .start_walk()
        .unwrap();
        let req = encode(
            &Op::Fills {
                segment: spot,
                window,
                cursor: Some(walking.to_text()),
            },
            &call(&settings),
        )
        .unwrap();
        assert_eq!(req.path, "/api/v3/myTrades");
        assert_eq!(
            req.query,
            format!(
                "symbol=XVGUSDT&startTime=0&endTime={}&limit=1000",
                DAY_MS - 1
            )
        );
    }

    #[test]
    fn commissions_read_on_from_where_a_full_page_ended() {
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        let window = Window {
            start_ms: 1000,
            end_ms: 3 * DAY_MS,
        };
        let at = |from_ms| HistoryCursor {
            step: HistoryStep::Income,
            from_ms,
            ..HistoryCursor::default()
        };
        for (from_ms, start) in [(None, "startTime=1000"), (Some(5000), "startTime=5000")] {
            let req = encode(
                &Op::Fills {
                    segment: usdm,
                    window,
                    cursor: Some(at(from_ms).to_text()),
                },
                &call(&VenueSettings::default()),
            )
            .unwrap();
            assert!(req.path.ends_with("/fapi/v1/income"), "{}", req.path);
            assert!(req.query.contains(start), "{}", req.query);
        }
    }

    #[test]
    fn spot_market_buys_may_spend_a_quote_amount() {
        let order = NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle: None,
            },
            symbol: "XVGUSDT".into(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: 250.0,
            unit: QtyUnit::Quote,
            trigger: None,
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        };
        let settings = VenueSettings::default();
        let req = encode(&Op::PlaceOrder(order), &call(&settings)).unwrap();
        assert_eq!(
            req.body.as_deref(),
            Some("symbol=XVGUSDT&side=BUY&type=MARKET&quoteOrderQty=250&newOrderRespType=ACK")
        );
    }
}
