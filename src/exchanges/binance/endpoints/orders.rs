//! Binance order requests (docs/venues/binance.md §5, §6): per-symbol cancels (USD-M's conditional
//! orders on their own endpoint), placed orders and the order and fill history walk, whose
//! discovery steps read open orders, balances, markets or income to learn the symbols.

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
    let path = if is_conditional(segment) {
        futures_path(call, "/fapi/v1/algoOpenOrders")
    } else {
        market_path(
            call,
            segment,
            "/api/v3/openOrders",
            "/fapi/v1/allOpenOrders",
        )
    };
    Ok(delete(&path, &[("symbol", first.symbol.clone())]))
}

/// Places an order (spot answers `ACK`).
pub(super) fn place(call: &CallContext<'_>, order: &NewOrder) -> Result<Request, ExchangeError> {
    let futures = is_futures(&order.segment);
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
    match order.kind {
        OrderKind::Limit { price } => {
            params.push(("type", "LIMIT".into()));
            params.push(("timeInForce", "GTC".into()));
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
                        what: "a USD-M order sized in contracts of the base coin".to_owned(),
                    });
                }
            }
        }
    }
    if !futures {
        params.push(("newOrderRespType", "ACK".into()));
    }
    Ok(post(
        &market_path(call, &order.segment, "/api/v3/order", "/fapi/v1/order"),
        &params,
    ))
}

/// One step of an order or fill history walk (see `cursor.rs`).
pub(super) fn history(
    segment: &Segment,
    window: &Window,
    cursor: Option<&str>,
    walk_path: &str,
    fapi: &dyn Fn(&str) -> String,
) -> Result<Request, ExchangeError> {
    let cursor = HistoryCursor::parse(cursor)?;
    let futures = is_futures(segment);
    Ok(match cursor.step {
        HistoryStep::OpenOrders if futures => get(&fapi("/fapi/v1/openOrders"), &[]),
        HistoryStep::OpenOrders => get("/api/v3/openOrders", &[]),
        HistoryStep::Balances => get("/api/v3/account", &[("omitZeroBalances", "true".into())]),
        HistoryStep::Markets => get("/api/v3/exchangeInfo", &[]),
        HistoryStep::Income => get(
            &fapi("/fapi/v1/income"),
            &[
                ("incomeType", "COMMISSION".into()),
                ("startTime", window.start_ms.to_string()),
                ("endTime", window.end_ms.to_string()),
                ("limit", "1000".into()),
            ],
        ),
        HistoryStep::Walk => {
            let (from, to) = cursor.sub_window(window.start_ms, window.end_ms, span(segment));
            // After a full page: on from the last record's time (what was seen is left out).
            let from = cursor.after.map_or(from, |(time, _)| time.max(from));
            get(
                walk_path,
                &[
                    ("symbol", cursor.symbol()?.to_owned()),
                    ("startTime", from.to_string()),
                    ("endTime", to.to_string()),
                    ("limit", crate::exchanges::binance::cursor::PAGE.to_string()),
                ],
            )
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
        };
        let settings = VenueSettings::default();
        let req = encode(&Op::PlaceOrder(order), &call(&settings)).unwrap();
        assert_eq!(
            req.body.as_deref(),
            Some("symbol=XVGUSDT&side=BUY&type=MARKET&quoteOrderQty=250&newOrderRespType=ACK")
        );
    }
}
