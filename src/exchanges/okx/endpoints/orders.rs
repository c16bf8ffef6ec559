//! OKX order requests (docs/venues/okx.md §5, §6): batch cancels (plain orders and algo orders
//! apart, each within its batch size), open-order pages (plain, then algo by type), the order
//! and fill histories (the recent endpoint or the archive, by the window's reach), placed orders
//! and the dead-man switch, refused here when OKX would refuse it.

use super::*;

/// Arms (or, with 0, disarms) the dead-man switch.
pub(super) fn cancel_after(seconds: u32) -> Result<Request, ExchangeError> {
    if seconds != 0 && !DEAD_MAN_SECONDS.contains(&seconds) {
        return Err(ExchangeError::OutOfRange {
            venue: "okx",
            what: format!(
                "a dead-man timeout of 0 (to disarm) or {} to {} seconds, not {seconds}",
                DEAD_MAN_SECONDS.start(),
                DEAD_MAN_SECONDS.end()
            ),
        });
    }
    Ok(Request::post(
        "/api/v5/trade/cancel-all-after",
        json!({ "timeOut": seconds.to_string() }).to_string(),
    ))
}

/// Cancels algo orders by their `algoId`.
pub(super) fn cancel_algos(orders: &[OrderRef]) -> Result<Request, ExchangeError> {
    cancel_many(
        orders,
        ALGO_BATCH,
        "algo orders",
        "/api/v5/trade/cancel-algos",
        |o| json!({ "algoId": o.order_id, "instId": o.symbol }),
    )
}

/// Cancels plain orders by their `ordId`.
pub(super) fn cancel_batch(orders: &[OrderRef]) -> Result<Request, ExchangeError> {
    cancel_many(
        orders,
        BATCH,
        "orders",
        "/api/v5/trade/cancel-batch-orders",
        |o| json!({ "instId": o.symbol, "ordId": o.order_id }),
    )
}

/// A cancel of at most `max` orders (`what`) in one request to `path`, each as `item` names it;
/// more is refused here, before anything is sent.
fn cancel_many(
    orders: &[OrderRef],
    max: usize,
    what: &str,
    path: &str,
    item: impl Fn(&OrderRef) -> Value,
) -> Result<Request, ExchangeError> {
    if orders.len() > max {
        return Err(ExchangeError::Protocol {
            detail: format!(
                "OKX cancels at most {max} {what} a request; {} were asked",
                orders.len()
            ),
        });
    }
    let items: Vec<Value> = orders.iter().map(item).collect();
    Ok(Request::post(path, Value::Array(items).to_string()))
}

/// One page of open orders: plain orders of the segment, then algo orders by type.
pub(super) fn open_orders(
    segment: &Segment,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    Ok(match ListPage::of(Listing::Open, segment, cursor)? {
        ListPage::Orders { after } => {
            let mut q = Query::default();
            q.add("instType", Some(inst_type(segment)));
            q.add("after", after.as_deref());
            q.add("limit", Some(&PAGE.to_string()));
            Request::get("/api/v5/trade/orders-pending", q.finish())
        }
        ListPage::Algo { page, after } => algo_page(Listing::Open, page, after.as_deref()),
    })
}

/// One algo page of a listing: every instrument type at once; `ordType` is sent as OKX's
/// clients send it, the comma of `conditional,oco` unescaped.
pub(super) fn algo_page(listing: Listing, page: usize, after: Option<&str>) -> Request {
    let (types, state) = listing.algo_query(page);
    let mut q = Query::default();
    q.add("state", state);
    q.add("after", after);
    q.add("limit", Some(&PAGE.to_string()));
    let rest = q.finish();
    let mut query = format!("ordType={types}");
    if !rest.is_empty() {
        query.push('&');
        query.push_str(&rest);
    }
    let path = match listing {
        Listing::Open => "/api/v5/trade/orders-algo-pending",
        Listing::History => "/api/v5/trade/orders-algo-history",
    };
    Request::get(path, query)
}

/// What every order names: the instrument, the trade mode (spot from the cash balance, a spot
/// pair in the `MARGIN` segment and contracts in cross margin) and the side.
fn basics(order: &NewOrder) -> serde_json::Map<String, Value> {
    let mut body = serde_json::Map::new();
    body.insert("instId".into(), json!(order.symbol));
    let cash = order.segment.category == Category::Spot && order.segment.settle != Some("MARGIN");
    body.insert("tdMode".into(), json!(if cash { "cash" } else { "cross" }));
    body.insert(
        "side".into(),
        json!(match order.side {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }),
    );
    body
}

/// Places a trigger order (`order-algo`, `ordType` `trigger`): it rests until the last price
/// reaches `triggerPx`, then places the order at `orderPx` (`-1`: market) (OKX docs, "POST /
/// Place algo order"). The answer names its `algoId`.
pub(super) fn place_trigger(order: &NewOrder, trigger: f64) -> Result<Request, ExchangeError> {
    let mut body = basics(order);
    body.insert("ordType".into(), json!("trigger"));
    body.insert("triggerPx".into(), json!(decimal(trigger)));
    body.insert(
        "orderPx".into(),
        json!(match order.kind {
            OrderKind::Limit { price } => decimal(price),
            OrderKind::Market => "-1".to_owned(),
        }),
    );
    body.insert("sz".into(), json!(decimal(order.qty)));
    if let Some(id) = &order.client_order_id {
        body.insert("algoClOrdId".into(), json!(id));
    }
    if order.reduce_only {
        body.insert("reduceOnly".into(), json!(true));
    }
    Ok(Request::post(
        "/api/v5/trade/order-algo",
        Value::Object(body).to_string(),
    ))
}

/// Places an order.
pub(super) fn place(order: &NewOrder) -> Result<Request, ExchangeError> {
    let mut body = basics(order);
    let spot = order.segment.category == Category::Spot;
    match order.kind {
        OrderKind::Limit { price } => {
            // The time in force is the order type (`ordType` limit, post_only, fok, ioc;
            // docs/venues/okx.md "Placing and amending").
            let kind = match order.time_in_force {
                TimeInForce::Gtc => "limit",
                TimeInForce::Ioc => "ioc",
                TimeInForce::Fok => "fok",
                TimeInForce::PostOnly => "post_only",
            };
            body.insert("ordType".into(), json!(kind));
            body.insert("px".into(), json!(decimal(price)));
        }
        OrderKind::Market => {
            body.insert("ordType".into(), json!("market"));
            // A spot market order counts `sz` in `tgtCcy` (quote by default for buys).
            if spot {
                body.insert(
                    "tgtCcy".into(),
                    json!(match order.unit {
                        QtyUnit::Base => "base_ccy",
                        QtyUnit::Quote => "quote_ccy",
                    }),
                );
            }
        }
    }
    body.insert("sz".into(), json!(decimal(order.qty)));
    extras(&mut body, order);
    Ok(Request::post(
        "/api/v5/trade/order",
        Value::Object(body).to_string(),
    ))
}

/// The client order id (`clOrdId`) and `reduceOnly` of a plain order.
fn extras(body: &mut serde_json::Map<String, Value>, order: &NewOrder) {
    if let Some(id) = &order.client_order_id {
        body.insert("clOrdId".into(), json!(id));
    }
    if order.reduce_only {
        body.insert("reduceOnly".into(), json!(true));
    }
}

/// Amends an open order (`POST /api/v5/trade/amend-order`: `newSz`, `newPx`; the order keeps
/// its `ordId`, docs/venues/okx.md "Placing and amending").
pub(super) fn amend(symbol: &str, order_id: &str, qty: Option<f64>, price: Option<f64>) -> Request {
    let mut body = serde_json::Map::new();
    body.insert("instId".into(), json!(symbol));
    body.insert("ordId".into(), json!(order_id));
    if let Some(qty) = qty {
        body.insert("newSz".into(), json!(decimal(qty)));
    }
    if let Some(price) = price {
        body.insert("newPx".into(), json!(decimal(price)));
    }
    Request::post("/api/v5/trade/amend-order", Value::Object(body).to_string())
}

/// Whether a window starts within `reach` of now (with a little slack).
pub(super) fn recent(window: &Window, now_ms: i64, reach: i64) -> bool {
    window.start_ms >= now_ms - reach - SLACK_MS
}

/// `instType`, the `begin`/`end` window (on creation or fill time) and the `after` cursor.
pub(super) fn windowed(segment: &Segment, window: &Window, after: Option<&str>) -> String {
    let mut q = Query::default();
    q.add("instType", Some(inst_type(segment)));
    q.add("begin", Some(&window.start_ms.to_string()));
    q.add("end", Some(&window.end_ms.to_string()));
    q.add("after", after);
    q.add("limit", Some(&PAGE.to_string()));
    q.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::Method;
    use crate::exchanges::okx::endpoints::tests::{NOW, refs};

    #[test]
    fn windows_choose_the_recent_endpoint_or_the_archive() {
        let spot = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let window = |days: i64| Window {
            start_ms: NOW - days * DAY_MS,
            end_ms: NOW - (days - 1).max(0) * DAY_MS,
        };
        let path = |op: Op| encode(&op, NOW).unwrap().path;
        let orders = |days| Op::Orders {
            segment: spot,
            window: window(days),
            cursor: None,
        };
        let fills = |days| Op::Fills {
            segment: spot,
            window: window(days),
            cursor: None,
        };
        assert_eq!(path(orders(7)), "/api/v5/trade/orders-history");
        assert_eq!(path(orders(8)), "/api/v5/trade/orders-history-archive");
        assert_eq!(path(fills(3)), "/api/v5/trade/fills");
        assert_eq!(path(fills(4)), "/api/v5/trade/fills-history");
        let q = encode(
            &Op::Orders {
                segment: spot,
                window: window(1),
                cursor: Some("123".into()),
            },
            NOW,
        )
        .unwrap()
        .query;
        assert_eq!(
            q,
            format!(
                "instType=SPOT&begin={}&end={NOW}&after=123&limit=100",
                NOW - DAY_MS
            )
        );
    }

    #[test]
    fn segments_and_categories_map_to_inst_types() {
        for (category, settle, want) in [
            (Category::Spot, None, "SPOT"),
            (Category::Spot, Some("MARGIN"), "MARGIN"),
            (Category::Linear, None, "SWAP"),
            (Category::Linear, Some("FUTURES"), "FUTURES"),
            (Category::Option, None, "OPTION"),
        ] {
            assert_eq!(inst_type(&Segment { category, settle }), want);
        }
    }

    #[test]
    fn cancel_batches_name_each_order_and_stay_within_twenty() {
        let segment = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let orders = |n| refs(n, "");
        let req = encode(
            &Op::CancelBatch {
                segment,
                orders: orders(2),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            req.body.as_deref(),
            Some(r#"[{"instId":"BTC-USDT","ordId":"0"},{"instId":"BTC-USDT","ordId":"1"}]"#)
        );
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(21)
                },
                NOW
            )
            .is_err()
        );
    }

    #[test]
    fn algo_orders_are_listed_page_by_type_after_the_spot_orders() {
        let spot = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let swap = Segment {
            category: Category::Linear,
            settle: Some("SWAP"),
        };
        let list = |segment, cursor: Option<&str>| {
            encode(
                &Op::OpenOrders {
                    segment,
                    cursor: cursor.map(str::to_owned),
                },
                NOW,
            )
        };
        for (label, segment, cursor, path, query) in [
            (
                "spot orders",
                spot,
                None,
                "/api/v5/trade/orders-pending",
                "instType=SPOT&limit=100",
            ),
            (
                "spot orders, next page",
                spot,
                Some("123"),
                "/api/v5/trade/orders-pending",
                "instType=SPOT&after=123&limit=100",
            ),
            (
                "first algo page: the two types OKX lists together",
                spot,
                Some("algo:0"),
                "/api/v5/trade/orders-algo-pending",
                "ordType=conditional,oco&limit=100",
            ),
            (
                "an algo page after an algoId",
                spot,
                Some("algo:1:777"),
                "/api/v5/trade/orders-algo-pending",
                "ordType=trigger&after=777&limit=100",
            ),
            (
                "the algo segment itself",
                ALGO_SEGMENT,
                None,
                "/api/v5/trade/orders-algo-pending",
                "ordType=conditional,oco&limit=100",
            ),
        ] {
            let req = list(segment, cursor).unwrap();
            assert_eq!(
                (req.method, req.path.as_str(), req.query.as_str()),
                (Method::Get, path, query),
                "{label}"
            );
            assert!(!req.mutating, "{label}");
        }
        assert!(
            list(swap, Some("algo:0")).is_err(),
            "swap has no algo pages"
        );
        assert!(list(spot, Some("algo:7")).is_err(), "past the last type");
        assert!(list(spot, Some("algo:x")).is_err(), "not a page");
        // Pages: orders until an empty page, then each algo type in turn until its empty page.
        let open = Listing::Open;
        let orders = ListPage::Orders { after: None };
        assert_eq!(
            orders.next(open, &spot, Some("9".into())).as_deref(),
            Some("9")
        );
        assert_eq!(orders.next(open, &spot, None).as_deref(), Some("algo:0"));
        assert_eq!(orders.next(open, &swap, None), None);
        let algo = |page| ListPage::Algo { page, after: None };
        assert_eq!(
            algo(0).next(open, &spot, Some("5".into())).as_deref(),
            Some("algo:0:5")
        );
        assert_eq!(algo(0).next(open, &spot, None).as_deref(), Some("algo:1"));
        assert_eq!(algo(ALGO_PAGES.len() - 1).next(open, &spot, None), None);
        // Every type OKX documents is read, each once.
        let mut read: Vec<&str> = ALGO_PAGES.iter().flat_map(|p| p.split(',')).collect();
        read.sort_unstable();
        let mut documented = [
            "conditional",
            "oco",
            "trigger",
            "move_order_stop",
            "iceberg",
            "twap",
            "chase",
            "smart_iceberg",
        ];
        documented.sort_unstable();
        assert_eq!(read, documented);
    }

    #[test]
    fn algo_cancels_name_algo_ids_and_stay_within_ten() {
        let segment = ALGO_SEGMENT;
        let orders = |n| refs(n, "90");
        let req = encode(
            &Op::CancelBatch {
                segment,
                orders: orders(2),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str()),
            (Method::Post, "/api/v5/trade/cancel-algos")
        );
        assert_eq!(
            req.body.as_deref(),
            Some(r#"[{"algoId":"900","instId":"BTC-USDT"},{"algoId":"901","instId":"BTC-USDT"}]"#)
        );
        assert!(req.mutating);
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(10)
                },
                NOW
            )
            .is_ok()
        );
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(11)
                },
                NOW
            )
            .is_err()
        );
        assert_eq!(segment.to_string(), "spot/algo");
        assert!(
            is_algo_segment(&segment)
                && !is_algo_segment(&Segment {
                    category: Category::Spot,
                    settle: Some("SPOT"),
                })
        );
    }

    #[test]
    fn dead_man_arms_within_okx_bounds_only() {
        for (label, seconds, body) in [
            ("disarm", 0, r#"{"timeOut":"0"}"#),
            ("shortest", 10, r#"{"timeOut":"10"}"#),
            ("a minute", 60, r#"{"timeOut":"60"}"#),
            ("longest", 120, r#"{"timeOut":"120"}"#),
        ] {
            let req = encode(&Op::CancelAfter { seconds }, NOW).unwrap();
            assert_eq!(req.method, crate::exchanges::Method::Post, "{label}");
            assert_eq!(req.path, "/api/v5/trade/cancel-all-after", "{label}");
            assert_eq!(req.body.as_deref(), Some(body), "{label}");
            assert!(req.mutating, "{label}");
        }
        for seconds in [1, 5, 9, 121, 86_400] {
            let err = encode(&Op::CancelAfter { seconds }, NOW).unwrap_err();
            assert!(
                matches!(err, ExchangeError::OutOfRange { venue: "okx", .. }),
                "{seconds}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("10 to 120 seconds, not {seconds}")),
                "{err}"
            );
        }
    }

    #[test]
    fn conditional_orders_are_trigger_algo_orders() {
        let order = |kind, settle| crate::exchanges::NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle,
            },
            symbol: "ETH-BTC".into(),
            side: Side::Buy,
            kind,
            qty: 2.0,
            unit: QtyUnit::Base,
            trigger: Some(0.03),
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        };
        for (label, kind, settle, body) in [
            (
                "a limit once triggered",
                OrderKind::Limit { price: 0.025 },
                None,
                r#"{"instId":"ETH-BTC","ordType":"trigger","orderPx":"0.025","side":"buy","sz":"2","tdMode":"cash","triggerPx":"0.03"}"#,
            ),
            (
                "a market order once triggered, on margin",
                OrderKind::Market,
                Some("MARGIN"),
                r#"{"instId":"ETH-BTC","ordType":"trigger","orderPx":"-1","side":"buy","sz":"2","tdMode":"cross","triggerPx":"0.03"}"#,
            ),
        ] {
            let req = encode(&Op::PlaceOrder(order(kind, settle)), NOW).unwrap();
            assert_eq!(req.path, "/api/v5/trade/order-algo", "{label}");
            assert_eq!(req.body.as_deref(), Some(body), "{label}");
        }
    }

    #[test]
    fn market_buys_in_quote_units_say_so() {
        let order = crate::exchanges::NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle: None,
            },
            symbol: "XVG-USDT".into(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: 250.0,
            unit: QtyUnit::Quote,
            trigger: None,
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        };
        let body = encode(&Op::PlaceOrder(order), NOW).unwrap().body.unwrap();
        assert_eq!(
            body,
            r#"{"instId":"XVG-USDT","ordType":"market","side":"buy","sz":"250","tdMode":"cash","tgtCcy":"quote_ccy"}"#
        );
    }
}
