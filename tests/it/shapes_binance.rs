//! Binance's documented example answers (`tests/fixtures/binance/`) against the adapter and the
//! simulator, product by product: spot, cross margin, USD-M (its conditional orders too), COIN-M
//! and options, the funding wallet, withdrawals and deposits, the key's restrictions and both
//! key-management families (sub-account, and Binance Link's broker sub-accounts).
//!
//! For each endpoint: the adapter decodes the documentation's example (something meaningful is
//! checked from it), and the simulator's answer to the same request has the example's fields
//! with the example's JSON types. The simulator is set up first so that no documented list is
//! answered empty: the attacker's key rests orders and takes fills in margin, COIN-M and
//! options. An ignored path says why. The last test lists every endpoint the adapter's `encode`
//! produces and fails naming one without a fixture.

use std::collections::BTreeSet;

use lockdown::exchanges::binance::{encode_params, payload, sign_payload};
use lockdown::exchanges::model::{
    Category, IpWhitelist, KeyScope, Lock, OrderStatus, Segment, Side, TradePermission,
};
use lockdown::exchanges::{
    Auth, CallContext, ExchangeId, KeyFamily, NewOrder, Op, OrderKind, OrderRef, QtyUnit, Reply,
    Revoke, VenueSettings, Window,
};
use lockdown::secret::{KeyId, SecretString};
use serde_json::Value;

use crate::shapes::{assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{Lab, last_days, raw_client, read, responder_ip};

const VENUE: ExchangeId = ExchangeId::Binance;

const HOUR_MS: i64 = 3_600_000;

fn segment(category: Category, settle: Option<&'static str>) -> Segment {
    Segment { category, settle }
}

fn spot() -> Segment {
    segment(Category::Spot, None)
}

fn usdm() -> Segment {
    segment(Category::Linear, None)
}

fn margin() -> Segment {
    segment(Category::Spot, Some("MARGIN"))
}

fn isolated() -> Segment {
    segment(Category::Spot, Some("ISOLATED"))
}

fn coinm() -> Segment {
    segment(Category::Inverse, None)
}

fn options() -> Segment {
    segment(Category::Option, None)
}

/// A signed request as any Binance client sends it, from the responder's address; the answer's
/// body.
async fn signed(
    lab: &Lab,
    (key, secret): (&str, &str),
    method: &str,
    path: &str,
    params: &[(&str, String)],
) -> Value {
    let client = raw_client(responder_ip());
    let mut params = params.to_vec();
    params.push((
        "timestamp",
        chrono::Utc::now().timestamp_millis().to_string(),
    ));
    let text = encode_params(&params);
    let signature = sign_payload(&SecretString::from(secret.to_owned()), &payload(&text, ""));
    let signed = format!("{text}&signature={signature}");
    let base = &lab.running.base_url;
    let request = match method {
        "POST" => client
            .post(format!("{base}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(signed),
        "DELETE" => client.delete(format!("{base}{path}?{signed}")),
        _ => client.get(format!("{base}{path}?{signed}")),
    };
    let response = request.header("X-MBX-APIKEY", key).send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(status, 200, "{method} {path}: {body}");
    body
}

fn limit(symbol: &str, side: &str, qty: &str, price: &str) -> Vec<(&'static str, String)> {
    vec![
        ("symbol", symbol.to_owned()),
        ("side", side.to_owned()),
        ("type", "LIMIT".to_owned()),
        ("timeInForce", "GTC".to_owned()),
        ("quantity", qty.to_owned()),
        ("price", price.to_owned()),
    ]
}

/// A history walk's step on one symbol (the adapter's cursor, written out).
fn walk(symbol: &str) -> Option<String> {
    Some(format!(r#"{{"step":"walk","symbols":["{symbol}"]}}"#))
}

/// The lab, with resting orders and fills in margin, COIN-M and options (and a fresh USD-M fill)
/// placed by the bot's key.
async fn lab_with_every_product() -> (Lab, (String, String)) {
    let lab = Lab::start_on(VENUE, 72).await;
    let bot = (lab.leaked(), read(&lab.sim_dir().join("bot.secret")));
    let key = (bot.0.as_str(), bot.1.as_str());
    let mut isolated = limit("ETHUSDT", "BUY", "0.1", "1500");
    isolated.push(("isIsolated", "TRUE".to_owned()));
    for (path, params) in [
        ("/sapi/v1/margin/order", isolated),
        (
            "/sapi/v1/margin/order",
            limit("BTCUSDT", "BUY", "0.01", "30000"),
        ),
        (
            "/sapi/v1/margin/order",
            limit("BTCUSDT", "BUY", "0.001", "70000"),
        ),
        ("/fapi/v1/order", limit("BTCUSDT", "BUY", "0.001", "70000")),
        ("/dapi/v1/order", limit("BTCUSD_PERP", "BUY", "1", "30000")),
        (
            "/dapi/v1/order",
            limit("BTCUSD_PERP", "BUY", "0.001", "70000"),
        ),
        (
            "/eapi/v1/order",
            limit("BTC-261225-100000-C", "BUY", "0.1", "100"),
        ),
        (
            "/eapi/v1/order",
            limit("BTC-261225-100000-C", "BUY", "0.1", "2000"),
        ),
    ] {
        signed(&lab, key, "POST", path, &params).await;
    }
    (lab, bot)
}

fn orders(reply: Reply) -> Vec<lockdown::exchanges::model::Order> {
    reply.into_orders().unwrap().items
}

#[tokio::test(flavor = "multi_thread")]
async fn binance_reads_are_answered_as_documented() {
    let (lab, _) = lab_with_every_product().await;
    let client = lab.client();
    let (_, bot) = lab.creds();
    let auth = Auth::Key(&bot);
    let now = chrono::Utc::now().timestamp_millis();
    let recent = Window {
        start_ms: now - 23 * HOUR_MS,
        end_ms: now + HOUR_MS,
    };
    let week = Window {
        start_ms: now - 6 * 24 * HOUR_MS,
        end_ms: now + HOUR_MS,
    };
    let open = |segment: Segment, cursor: Option<&str>| Op::OpenOrders {
        segment,
        cursor: cursor.map(str::to_owned),
    };
    let history = |segment: Segment, window: Window, symbol: &str| Op::Orders {
        segment,
        window,
        cursor: walk(symbol),
    };
    let fills = |segment: Segment, window: Window, symbol: &str| Op::Fills {
        segment,
        window,
        cursor: walk(symbol),
    };
    let income = |segment: Segment| Op::Orders {
        segment,
        window: week,
        cursor: Some(r#"{"step":"income"}"#.to_owned()),
    };
    // (fixture, op, paths not compared). Every ignored path says why.
    let cases: Vec<(&str, Op, Vec<&str>)> = vec![
        ("spot-time", Op::ServerTime, vec![]),
        (
            "spot-account",
            Op::Balances,
            // `commissionRates` and `uid` are documented; the simulator shows the flat
            // commission fields only and its `uid` (both unread by lockdown).
            vec!["$.commissionRates"],
        ),
        (
            "api-restrictions",
            Op::WhoAmI,
            // Binance shows when a sub-account key's trading authority expires on the key
            // management pages; this page's example (a master key) has none.
            vec!["$.tradingAuthorityExpirationTime"],
        ),
        ("spot-open-orders", open(spot(), None), vec![]),
        (
            "usdm-open-orders",
            open(usdm(), None),
            // Shown only for TRAILING_STOP_MARKET orders (the example's kind).
            vec!["$[].activatePrice", "$[].priceRate"],
        ),
        ("usdm-open-algo-orders", open(usdm(), Some("algo")), vec![]),
        ("margin-open-orders", open(margin(), None), vec![]),
        (
            "coinm-open-orders",
            open(coinm(), None),
            // Shown only for TRAILING_STOP_MARKET orders (the example's kind).
            vec!["$[].activatePrice", "$[].priceRate"],
        ),
        ("options-open-orders", open(options(), None), vec![]),
        ("margin-isolated-account", open(isolated(), None), vec![]),
        (
            "margin-open-orders",
            open(isolated(), Some("isolated:ETHUSDT")),
            vec![],
        ),
        (
            "spot-all-orders",
            history(spot(), recent, "BTCUSDT"),
            vec![],
        ),
        (
            "usdm-all-orders",
            history(usdm(), week, "BTCUSDT"),
            // Shown only for TRAILING_STOP_MARKET orders (the example's kind).
            vec!["$[].activatePrice", "$[].priceRate"],
        ),
        (
            "coinm-all-orders",
            history(coinm(), week, "BTCUSD_PERP"),
            vec!["$[].activatePrice", "$[].priceRate"],
        ),
        (
            "options-history-orders",
            history(options(), week, "BTC-261225-100000-C"),
            // Documented on the open-orders page for the same orders.
            vec!["$[].selfTradePreventionMode"],
        ),
        ("spot-my-trades", fills(spot(), recent, "BTCUSDT"), vec![]),
        ("usdm-user-trades", fills(usdm(), week, "BTCUSDT"), vec![]),
        (
            "coinm-user-trades",
            fills(coinm(), week, "BTCUSD_PERP"),
            vec![],
        ),
        (
            "options-user-trades",
            fills(options(), week, "BTC-261225-100000-C"),
            vec![],
        ),
        (
            "spot-exchange-info",
            Op::Orders {
                segment: spot(),
                window: recent,
                cursor: Some(r#"{"step":"markets"}"#.to_owned()),
            },
            // The page shows each filter and rate limit as a placeholder comment (empty in
            // JSON); the simulator lists its own. Its symbols carry the fields lockdown reads
            // and the basic ones; the rest of the page's symbol fields are not modelled.
            vec![
                "$.rateLimits[]",
                "$.symbols[].baseCommissionPrecision",
                "$.symbols[].quoteCommissionPrecision",
                "$.symbols[].quotePrecision",
                "$.symbols[].icebergAllowed",
                "$.symbols[].ocoAllowed",
                "$.symbols[].otoAllowed",
                "$.symbols[].opoAllowed",
                "$.symbols[].quoteOrderQtyMarketAllowed",
                "$.symbols[].allowTrailingStop",
                "$.symbols[].cancelReplaceAllowed",
                "$.symbols[].amendAllowed",
                "$.symbols[].pegInstructionsAllowed",
                "$.symbols[].isMarginTradingAllowed",
                "$.symbols[].filters",
                "$.symbols[].permissionSets",
                "$.symbols[].defaultSelfTradePreventionMode",
                "$.symbols[].allowedSelfTradePreventionModes",
                "$.sors",
            ],
        ),
        ("usdm-income", income(usdm()), vec![]),
        ("coinm-income", income(coinm()), vec![]),
    ];
    for (name, op, ignore) in &cases {
        let doc = fixture(VENUE, name);
        decode(VENUE, op, &doc.answer);
        let auth = if matches!(op, Op::ServerTime) {
            Auth::Public
        } else {
            auth
        };
        let sim = sim_answer(&client, op, auth).await;
        assert_same_shape(&doc, &sim, ignore);
    }

    // What the adapter makes of the examples.
    let doc = |name: &str| fixture(VENUE, name).answer;
    let Reply::Orders(pairs) = decode(
        VENUE,
        &open(isolated(), None),
        &doc("margin-isolated-account"),
    ) else {
        panic!("not orders");
    };
    assert_eq!(
        (pairs.items.len(), pairs.next.as_deref()),
        (0, Some("isolated:BTCUSDT")),
        "the pairs come first, then each pair's orders"
    );
    let margin_open = orders(decode(
        VENUE,
        &open(margin(), None),
        &doc("margin-open-orders"),
    ));
    assert_eq!(
        (
            margin_open[0].order_id.as_str(),
            margin_open[0].category,
            margin_open[0].side,
            margin_open[0].status
        ),
        ("211842552", Category::Spot, Side::Sell, OrderStatus::Open)
    );
    let coinm_open = orders(decode(
        VENUE,
        &open(coinm(), None),
        &doc("coinm-open-orders"),
    ));
    assert_eq!(
        (
            coinm_open[0].order_id.as_str(),
            coinm_open[0].symbol.as_str(),
            coinm_open[0].category
        ),
        ("1917641", "BTCUSD_200925", Category::Inverse)
    );
    let options_open = orders(decode(
        VENUE,
        &open(options(), None),
        &doc("options-open-orders"),
    ));
    assert_eq!(
        (
            options_open[0].order_id.as_str(),
            options_open[0].qty.as_str(),
            options_open[0].category,
            options_open[0].status
        ),
        (
            "4611875134427365377",
            "1",
            Category::Option,
            OrderStatus::Open
        )
    );
    let Reply::Orders(page) = decode(VENUE, &open(usdm(), None), &doc("usdm-open-orders")) else {
        panic!("not orders");
    };
    assert_eq!(page.next.as_deref(), Some("algo"), "the algo page follows");
    let algo = orders(decode(
        VENUE,
        &open(usdm(), Some("algo")),
        &doc("usdm-open-algo-orders"),
    ));
    assert_eq!(
        (algo[0].order_id.as_str(), algo[0].status),
        ("2148627", OrderStatus::Untriggered)
    );
    let Reply::Fills(trades) = decode(
        VENUE,
        &fills(options(), week, "BTC-200730-9000-C"),
        &doc("options-user-trades"),
    ) else {
        panic!("not fills");
    };
    assert_eq!(
        (trades.items[0].qty.as_str(), trades.items[0].side),
        ("1", Side::Buy)
    );
    let Reply::Balances(balances) = decode(VENUE, &Op::Balances, &doc("spot-account")) else {
        panic!("not balances");
    };
    assert!(!balances.is_empty());
    let Reply::Key(me) = decode(VENUE, &Op::WhoAmI, &doc("api-restrictions")) else {
        panic!("not a key");
    };
    assert!(!me.can_withdraw());
}

#[tokio::test(flavor = "multi_thread")]
async fn binance_orders_and_cancels_are_answered_as_documented() {
    let (lab, bot) = lab_with_every_product().await;
    let key = (bot.0.as_str(), bot.1.as_str());
    let order = |symbol: &str, id: &str| OrderRef {
        symbol: symbol.into(),
        order_id: id.into(),
    };

    // Spot placements answer as `newOrderRespType` asks; LIMIT and MARKET default to FULL.
    for (name, resp, price) in [
        ("spot-order-ack", Some("ACK"), "30000"),
        ("spot-order-result", Some("RESULT"), "30000"),
        ("spot-order-full", None, "70000"),
    ] {
        let mut params = limit("BTCUSDT", "BUY", "0.001", price);
        if let Some(resp) = resp {
            params.push(("newOrderRespType", resp.to_owned()));
        }
        let sim = signed(&lab, key, "POST", "/api/v3/order", &params).await;
        let doc = fixture(VENUE, name);
        // `fills` lists what the order took at once: the documented one took two fills, this
        // one at least one.
        assert_same_shape(&doc, &sim, &[]);
        let placed = NewOrder {
            segment: spot(),
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            kind: OrderKind::Limit { price: 1.0 },
            qty: 1.0,
            unit: QtyUnit::Base,
            trigger: None,
            client_order_id: None,
            time_in_force: Default::default(),
            reduce_only: false,
        };
        let Reply::Placed(id) = decode(VENUE, &Op::PlaceOrder(placed), &doc.answer) else {
            panic!("not placed");
        };
        assert_eq!(id, "28");
    }

    // A margin order, as lockdown places one (`ACK`), then cancelled by its id.
    let mut params = limit("BTCUSDT", "BUY", "0.001", "30000");
    params.push(("newOrderRespType", "ACK".to_owned()));
    let sim = signed(&lab, key, "POST", "/sapi/v1/margin/order", &params).await;
    assert_same_shape(&fixture(VENUE, "margin-order-ack"), &sim, &[]);
    let cancelled = signed(
        &lab,
        key,
        "DELETE",
        "/sapi/v1/margin/order",
        &[
            ("symbol", "BTCUSDT".to_owned()),
            ("orderId", sim["orderId"].to_string()),
        ],
    )
    .await;
    assert_same_shape(&fixture(VENUE, "margin-cancel-order"), &cancelled, &[]);

    // A USD-M conditional order.
    let mut params = limit("ETHUSDT", "SELL", "0.5", "2800");
    params.retain(|(name, _)| *name != "type");
    params.extend([
        ("algoType", "CONDITIONAL".to_owned()),
        ("type", "STOP".to_owned()),
        ("triggerPrice", "2900".to_owned()),
    ]);
    let sim = signed(&lab, key, "POST", "/fapi/v1/algoOrder", &params).await;
    let doc = fixture(VENUE, "usdm-algo-order");
    assert_same_shape(&doc, &sim, &[]);
    let stop = NewOrder {
        segment: usdm(),
        symbol: "ETHUSDT".into(),
        side: Side::Sell,
        kind: OrderKind::Limit { price: 2800.0 },
        qty: 0.5,
        unit: QtyUnit::Base,
        trigger: Some(2900.0),
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let Reply::Placed(id) = decode(VENUE, &Op::PlaceOrder(stop), &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(id, "2146760");

    // Each product's per-symbol cancel.
    let cancels = [
        (
            "spot-cancel-symbol",
            "/api/v3/openOrders",
            spot(),
            "BTCUSDT",
            // The documented list ends with an OCO order list (with its `orderReports`); the
            // simulator places no OCO orders.
            vec![
                "$[].contingencyType",
                "$[].listStatusType",
                "$[].listOrderStatus",
                "$[].listClientOrderId",
                "$[].transactionTime",
                "$[].orders",
                "$[].orderReports",
            ],
        ),
        (
            "margin-cancel-symbol",
            "/sapi/v1/margin/openOrders",
            margin(),
            "BTCUSDT",
            vec![],
        ),
        (
            "usdm-cancel-symbol",
            "/fapi/v1/allOpenOrders",
            usdm(),
            "BTCUSDT",
            vec![],
        ),
        (
            "usdm-cancel-algo-symbol",
            "/fapi/v1/algoOpenOrders",
            segment(Category::Linear, Some("algo")),
            "ETHUSDT",
            vec![],
        ),
        (
            "coinm-cancel-symbol",
            "/dapi/v1/allOpenOrders",
            coinm(),
            "BTCUSD_PERP",
            vec![],
        ),
        (
            "options-cancel-symbol",
            "/eapi/v1/allOpenOrders",
            options(),
            "BTC-261225-100000-C",
            vec![],
        ),
    ];
    for (name, path, segment, symbol, ignore) in cancels {
        let sim = signed(&lab, key, "DELETE", path, &[("symbol", symbol.to_owned())]).await;
        let doc = fixture(VENUE, name);
        assert_same_shape(&doc, &sim, &ignore);
        let op = Op::CancelBatch {
            segment,
            orders: vec![order(symbol, "7")],
        };
        let Reply::Cancelled(cancelled) = decode(VENUE, &op, &doc.answer) else {
            panic!("{name}: not cancelled");
        };
        assert!(!cancelled.is_empty(), "{name}");
    }
    // One order cancelled by its id, in each product that documents the answer.
    for (name, place, cancel, symbol, params, ignore) in [
        (
            "spot-cancel-order",
            "/api/v3/order",
            "/api/v3/order",
            "XVGUSDT",
            limit("XVGUSDT", "BUY", "1000", "0.001"),
            vec![],
        ),
        (
            "usdm-cancel-order",
            "/fapi/v1/order",
            "/fapi/v1/order",
            "BTCUSDT",
            limit("BTCUSDT", "BUY", "0.001", "30000"),
            // Shown only for TRAILING_STOP_MARKET orders (the example's kind).
            vec!["$.activatePrice", "$.priceRate"],
        ),
        (
            "coinm-cancel-order",
            "/dapi/v1/order",
            "/dapi/v1/order",
            "BTCUSD_PERP",
            limit("BTCUSD_PERP", "BUY", "1", "30000"),
            vec!["$.activatePrice", "$.priceRate"],
        ),
        (
            "options-cancel-order",
            "/eapi/v1/order",
            "/eapi/v1/order",
            "BTC-261225-100000-C",
            limit("BTC-261225-100000-C", "BUY", "0.1", "100"),
            // This page's example is older than the open-orders page's: `createDate` for
            // `createTime`, and a `source`; the simulator answers the current fields.
            vec!["$.createDate", "$.source", "$.createTime"],
        ),
    ] {
        let placed = signed(&lab, key, "POST", place, &params).await;
        let id = placed["orderId"].to_string();
        let sim = signed(
            &lab,
            key,
            "DELETE",
            cancel,
            &[("symbol", symbol.to_owned()), ("orderId", id)],
        )
        .await;
        assert_same_shape(&fixture(VENUE, name), &sim, &ignore);
    }

    let after = lab.sim.inspect();
    let uid = after.key(&bot.0).unwrap().uid;
    let left: Vec<_> = after
        .open_orders(uid)
        .into_iter()
        .filter(|o| ["BTCUSD_PERP", "BTC-261225-100000-C"].contains(&o.symbol.as_str()))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_funding_wallet_is_answered_as_documented() {
    let (lab, bot) = lab_with_every_product().await;
    let sim = signed(
        &lab,
        (&bot.0, &bot.1),
        "POST",
        "/sapi/v1/asset/get-funding-asset",
        &[("needBtcValuation", "true".to_owned())],
    )
    .await;
    let doc = fixture(VENUE, "funding-asset");
    assert_same_shape(&doc, &sim, &[]);
    assert_eq!(sim[0]["asset"], "USDT");
    let Reply::Balances(funding) = decode(
        VENUE,
        &Op::WalletBalances { account: "FUNDING" },
        &doc.answer,
    ) else {
        panic!("not balances");
    };
    assert_eq!(
        (
            funding[0].coin.as_str(),
            funding[0].total.as_str(),
            funding[0].account.as_deref()
        ),
        ("USDT", "1", Some("FUNDING"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binance_key_management_is_answered_as_documented() {
    let lab = Lab::start_on(VENUE, 73).await;
    let master = (
        read(&lab.sim_dir().join("master.key")),
        read(&lab.sim_dir().join("master.secret")),
    );
    let master = (master.0.as_str(), master.1.as_str());
    let email = lab.account();
    let bot = lab.leaked();
    let uid = lab.sim.inspect().key(&bot).unwrap().uid;
    let owner = || vec![("email", email.clone()), ("subAccountApiKey", bot.clone())];

    // Bind the key, read its IP list back, take its trade flags away.
    let mut params = owner();
    params.extend([
        ("status", "2".to_owned()),
        ("ipAddress", "127.0.0.1".to_owned()),
    ]);
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v2/sub-account/subAccountApi/ipRestriction",
        &params,
    )
    .await;
    assert_same_shape(&fixture(VENUE, "sub-key-ip-set"), &sim, &[]);
    let sim = signed(
        &lab,
        master,
        "GET",
        "/sapi/v1/sub-account/subAccountApi/ipRestriction",
        &owner(),
    )
    .await;
    assert_same_shape(&fixture(VENUE, "sub-key-ip-restriction"), &sim, &[]);
    let mut params = owner();
    params.push(("canTrade", "false".to_owned()));
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v1/sub-account/subAccountApiPermission",
        &params,
    )
    .await;
    let doc = fixture(VENUE, "sub-key-permission");
    assert_same_shape(&doc, &sim, &[]);
    let op = Op::RestrictKey {
        key: KeyId::new(&bot),
        account: Some(email.clone()),
        lock: Lock {
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            access: lockdown::exchanges::model::Access::ReadOnly,
        },
    };
    let Reply::Key(changed) = decode(VENUE, &op, &doc.answer) else {
        panic!("not a key");
    };
    // The example still trades (`canTrade`, `canFuturesTrade`): not read-only.
    assert_eq!(
        (changed.label.as_str(), changed.read_only),
        ("myKey", false)
    );
    assert!(changed.permissions.contains(&"canFuturesTrade".to_owned()));

    // A new key for the sub-account.
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v1/sub-account/subAccountApi",
        &[
            ("email", email.clone()),
            ("apiName", "replacement".to_owned()),
            ("status", "2".to_owned()),
            ("ipAddress", "127.0.0.1".to_owned()),
            ("canTrade", "true".to_owned()),
        ],
    )
    .await;
    let doc = fixture(VENUE, "sub-key-create");
    assert_same_shape(&doc, &sim, &[]);
    let op = Op::CreateKey {
        account: email.clone(),
        label: "replacement".into(),
        scope: KeyScope {
            trade: vec![TradePermission::SpotTrade],
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let Reply::Created(created) = decode(VENUE, &op, &doc.answer) else {
        panic!("not created");
    };
    assert_eq!(created.info.ips, ["192.168.1.1", "10.0.0.1"]);

    // The transfers between the master and its sub-accounts, the last 7 days.
    let client = lab.client();
    let (master_credential, _) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let transfers = Op::Transfers {
        window: Window {
            start_ms: now - 7 * 24 * HOUR_MS + 1,
            end_ms: now,
        },
        cursor: Some(r#"{"transfers":true,"offset":0}"#.to_owned()),
    };
    let sim = sim_answer(&client, &transfers, Auth::Key(&master_credential)).await;
    let doc = fixture(VENUE, "sub-universal-transfers");
    assert_same_shape(&doc, &sim, &[]);
    let Reply::Transfers(page) = decode(
        VENUE,
        &Op::Transfers {
            window: Window {
                start_ms: 0,
                end_ms: i64::MAX,
            },
            cursor: Some(r#"{"transfers":true,"offset":0}"#.to_owned()),
        },
        &doc.answer,
    ) else {
        panic!("not transfers");
    };
    assert_eq!(
        (page.items[0].id.as_str(), page.items[0].coin.as_str()),
        ("92275823339", "BNB")
    );

    // Binance Link: the sub-account's keys, masked.
    let sim = signed(
        &lab,
        master,
        "GET",
        "/sapi/v1/broker/subAccountApi",
        &[("subAccountId", uid.to_string())],
    )
    .await;
    assert_same_shape(&fixture(VENUE, "broker-keys"), &sim, &[]);
}

/// Cross-margin history and fills, as the history walk reads them (a window under 24 hours).
#[tokio::test(flavor = "multi_thread")]
async fn binance_margin_history_is_answered_as_documented() {
    let (lab, _) = lab_with_every_product().await;
    let client = lab.client();
    let (_, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let recent = Window {
        start_ms: now - 23 * HOUR_MS,
        end_ms: now + HOUR_MS,
    };
    let history = Op::Orders {
        segment: margin(),
        window: recent,
        cursor: walk("BTCUSDT"),
    };
    let fills = Op::Fills {
        segment: margin(),
        window: recent,
        cursor: walk("BTCUSDT"),
    };
    for (name, op) in [
        ("margin-all-orders", &history),
        ("margin-my-trades", &fills),
    ] {
        let sim = sim_answer(&client, op, Auth::Key(&bot)).await;
        assert_same_shape(&fixture(VENUE, name), &sim, &[]);
    }

    let doc = |name: &str| fixture(VENUE, name).answer;
    let whole = Window {
        start_ms: 1_565_000_000_000,
        end_ms: 1_566_000_000_000,
    };
    let past = |cursor| Op::Orders {
        segment: margin(),
        window: whole,
        cursor,
    };
    let listed = orders(decode(
        VENUE,
        &past(walk("BNBBTC")),
        &doc("margin-all-orders"),
    ));
    assert_eq!(
        listed
            .iter()
            .map(|o| (o.order_id.as_str(), o.status, o.category))
            .collect::<Vec<_>>(),
        [
            ("41295", OrderStatus::Cancelled, Category::Spot),
            ("41296", OrderStatus::Cancelled, Category::Spot)
        ]
    );
    let Reply::Fills(trades) = decode(
        VENUE,
        &Op::Fills {
            segment: margin(),
            window: Window {
                start_ms: 1_561_900_000_000,
                end_ms: 1_562_000_000_000,
            },
            cursor: walk("BNBBTC"),
        },
        &doc("margin-my-trades"),
    ) else {
        panic!("not fills");
    };
    assert_eq!(
        (
            trades.items[0].order_id.as_str(),
            trades.items[0].qty.as_str(),
            trades.items[0].side
        ),
        ("39324", "3", Side::Sell)
    );
}

/// USD-M, COIN-M and options placements with the parameters lockdown sends (no
/// `newOrderRespType`: the futures and options pages answer `ACK` by default, the whole order).
#[tokio::test(flavor = "multi_thread")]
async fn binance_futures_and_options_placements_are_answered_as_documented() {
    let lab = Lab::start_on(VENUE, 74).await;
    let bot = (lab.leaked(), read(&lab.sim_dir().join("bot.secret")));
    let key = (bot.0.as_str(), bot.1.as_str());
    let order = |segment: Segment, symbol: &str, qty: f64, price: f64| NewOrder {
        segment,
        symbol: symbol.into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    for (name, path, placed, id, ignore) in [
        (
            "usdm-order",
            "/fapi/v1/order",
            order(usdm(), "BTCUSDT", 0.001, 30000.0),
            "22542179",
            // Shown only for TRAILING_STOP_MARKET orders (the example's kind).
            vec!["$.activatePrice", "$.priceRate"],
        ),
        (
            "coinm-order",
            "/dapi/v1/order",
            order(coinm(), "BTCUSD_PERP", 1.0, 30000.0),
            "22542179",
            vec!["$.activatePrice", "$.priceRate"],
        ),
        (
            "options-order",
            "/eapi/v1/order",
            order(options(), "BTC-261225-100000-C", 0.1, 100.0),
            "4611875134427365377",
            vec![],
        ),
    ] {
        let OrderKind::Limit { price } = placed.kind else {
            unreachable!()
        };
        let params = limit(
            &placed.symbol,
            "BUY",
            &placed.qty.to_string(),
            &price.to_string(),
        );
        let sim = signed(&lab, key, "POST", path, &params).await;
        let doc = fixture(VENUE, name);
        assert_same_shape(&doc, &sim, &ignore);
        let op = Op::PlaceOrder(placed);
        let Reply::Placed(placed_id) = decode(VENUE, &op, &doc.answer) else {
            panic!("{name}: not placed");
        };
        assert_eq!(placed_id, id, "{name}");
    }
}

/// Withdrawals and deposits as the snapshot reads them, and a withdrawal's answer.
#[tokio::test(flavor = "multi_thread")]
async fn binance_money_moves_are_answered_as_documented() {
    let lab = Lab::start_on(VENUE, 75).await;
    let client = lab.client();
    let (master, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let month = last_days(now, 30);
    let withdrawals = Op::Withdrawals {
        window: month,
        cursor: None,
    };
    let deposits = Op::Transfers {
        window: month,
        cursor: None,
    };
    // The master's withdrawal of the month.
    let sim = sim_answer(&client, &withdrawals, Auth::Key(&master)).await;
    // `withdrawOrderId` is "not returned if there's no withdrawOrderId for this withdraw";
    // lockdown and the default incident's withdrawal set none.
    assert_same_shape(
        &fixture(VENUE, "withdraw-history"),
        &sim,
        &["$[].withdrawOrderId"],
    );
    // The deposit that funded the bot's funding wallet.
    let sim = sim_answer(&client, &deposits, Auth::Key(&bot)).await;
    assert_same_shape(&fixture(VENUE, "deposit-history"), &sim, &[]);
    assert_eq!(sim[0]["coin"], "USDT");
    // A withdrawal, with the parameters lockdown sends.
    let address = "0x94df8b352de7f46f64b01d3666bf6e936e44ce60";
    let master_key = (
        read(&lab.sim_dir().join("master.key")),
        read(&lab.sim_dir().join("master.secret")),
    );
    let sim = signed(
        &lab,
        (&master_key.0, &master_key.1),
        "POST",
        "/sapi/v1/capital/withdraw/apply",
        &[
            ("coin", "USDT".to_owned()),
            ("address", address.to_owned()),
            ("amount", "1".to_owned()),
        ],
    )
    .await;
    assert_same_shape(&fixture(VENUE, "withdraw-apply"), &sim, &[]);
    let withdraw = Op::Withdraw {
        coin: "USDT".into(),
        amount: "1".into(),
        address: address.into(),
    };

    let doc = |name: &str| fixture(VENUE, name).answer;
    let always = Window {
        start_ms: 0,
        end_ms: i64::MAX,
    };
    let Reply::Transfers(out) = decode(
        VENUE,
        &Op::Withdrawals {
            window: always,
            cursor: None,
        },
        &doc("withdraw-history"),
    ) else {
        panic!("not withdrawals");
    };
    assert_eq!(
        out.items
            .iter()
            .map(|t| (t.id.as_str(), t.coin.as_str(), t.amount.as_str()))
            .collect::<Vec<_>>(),
        [
            ("b6ae22b3aa844210a7041aee7589627c", "USDT", "8.91"),
            ("156ec387f49b41df8724fa744fa82719", "BTC", "0.0015")
        ]
    );
    let Reply::Transfers(page) = decode(
        VENUE,
        &Op::Transfers {
            window: always,
            cursor: None,
        },
        &doc("deposit-history"),
    ) else {
        panic!("not deposits");
    };
    assert_eq!(
        (
            page.items.len(),
            page.items[0].id.as_str(),
            page.items[0].coin.as_str()
        ),
        (2, "769800519366885376", "BNB")
    );
    assert!(
        page.next
            .as_deref()
            .is_some_and(|n| n.contains("transfers")),
        "the transfers follow the deposits"
    );
    assert!(matches!(
        decode(VENUE, &withdraw, &doc("withdraw-apply")),
        Reply::Done
    ));
}

/// A sub-account's key listing and deletion, and the broker (Binance Link) family's key
/// management and transfers.
#[tokio::test(flavor = "multi_thread")]
async fn binance_key_listings_deletes_and_broker_keys_are_answered_as_documented() {
    let lab = Lab::start_on(VENUE, 76).await;
    let master = (
        read(&lab.sim_dir().join("master.key")),
        read(&lab.sim_dir().join("master.secret")),
    );
    let master = (master.0.as_str(), master.1.as_str());
    let email = lab.account();
    let bot = lab.leaked();
    let uid = lab.sim.inspect().key(&bot).unwrap().uid;
    let doc = |name: &str| fixture(VENUE, name);

    // The sub-account family: list, then delete a fresh key.
    let client = lab.client();
    let (master_credential, _) = lab.creds();
    let listing = Op::SubKeys {
        account: email.clone(),
        cursor: None,
    };
    let sim = sim_answer(&client, &listing, Auth::Key(&master_credential)).await;
    // The example is the SDK's before 7.0.0, which named the rows `list`; the simulator
    // answers today's `rows` (the adapter reads both). The rows are compared as `rows`.
    let sdk = doc("sub-keys");
    let renamed = serde_json::json!({ "total": sdk.answer["total"], "rows": sdk.answer["list"] });
    let differences = crate::shapes::shape_differences(&renamed, &sim, &[]);
    assert!(differences.is_empty(), "{differences:?}\nsimulator: {sim}");
    let Reply::Keys(page) = decode(VENUE, &listing, &sdk.answer) else {
        panic!("not keys");
    };
    assert!(
        page.items.is_empty(),
        "each key is read with its IP list next"
    );
    assert!(
        page.next.as_deref().is_some_and(
            |n| n.contains("k5V49ldtn4tszj6W3hystegdfvmGbqDzjmkCtpTvC0G74WhK7yd4rfCTo4lShf")
        ),
        "{:?}",
        page.next
    );
    let created = signed(
        &lab,
        master,
        "POST",
        "/sapi/v1/sub-account/subAccountApi",
        &[
            ("email", email.clone()),
            ("apiName", "spare".to_owned()),
            ("status", "1".to_owned()),
        ],
    )
    .await;
    let spare = created["apiKey"].as_str().unwrap().to_owned();
    let sim = signed(
        &lab,
        master,
        "DELETE",
        "/sapi/v1/sub-account/subAccountApi",
        &[("email", email.clone()), ("subAccountApiKey", spare)],
    )
    .await;
    assert_same_shape(&doc("sub-key-delete"), &sim, &[]);
    let revoke = Op::RevokeKey(Revoke::ByMaster {
        key: KeyId::new(&bot),
        account: Some(email.clone()),
    });
    assert!(matches!(
        decode(VENUE, &revoke, &doc("sub-key-delete").answer),
        Reply::Done
    ));

    // The broker family, by `subAccountId`.
    let sub_id = uid.to_string();
    let owner = |key: &str| {
        vec![
            ("subAccountId", sub_id.clone()),
            ("subAccountApiKey", key.to_owned()),
        ]
    };
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v1/broker/subAccountApi",
        &[
            ("subAccountId", sub_id.clone()),
            ("canTrade", "true".to_owned()),
            ("marginTrade", "false".to_owned()),
            ("futuresTrade", "false".to_owned()),
        ],
    )
    .await;
    assert_same_shape(&doc("broker-key-create"), &sim, &[]);
    let fresh = sim["apiKey"].as_str().unwrap().to_owned();
    let mut params = owner(&fresh);
    params.extend([
        ("status", "2".to_owned()),
        ("ipAddress", "127.0.0.1".to_owned()),
    ]);
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v2/broker/subAccountApi/ipRestriction",
        &params,
    )
    .await;
    assert_same_shape(&doc("broker-key-ip-set"), &sim, &[]);
    let mut params = owner(&fresh);
    params.extend([
        ("canTrade", "false".to_owned()),
        ("marginTrade", "false".to_owned()),
        ("futuresTrade", "false".to_owned()),
    ]);
    let sim = signed(
        &lab,
        master,
        "POST",
        "/sapi/v1/broker/subAccountApi/permission",
        &params,
    )
    .await;
    assert_same_shape(&doc("broker-key-permission"), &sim, &[]);
    let sim = signed(
        &lab,
        master,
        "DELETE",
        "/sapi/v1/broker/subAccountApi",
        &owner(&fresh),
    )
    .await;
    assert_same_shape(&doc("broker-key-delete"), &sim, &[]);
    // The month's transfers between the master and its sub-accounts.
    let now = chrono::Utc::now().timestamp_millis();
    let sim = signed(
        &lab,
        master,
        "GET",
        "/sapi/v1/broker/transfer",
        &[
            ("startTime", (now - 7 * 24 * HOUR_MS + 1).to_string()),
            ("endTime", now.to_string()),
            ("page", "1".to_owned()),
            ("limit", "500".to_owned()),
        ],
    )
    .await;
    assert_same_shape(&doc("broker-transfers"), &sim, &[]);

    // What the adapter makes of the broker examples.
    let account = Some("1".to_owned());
    let create = Op::CreateKey {
        account: "1".into(),
        label: "replacement".into(),
        scope: KeyScope {
            trade: vec![TradePermission::SpotTrade],
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let Reply::Created(made) = decode(VENUE, &create, &doc("broker-key-create").answer) else {
        panic!("not created");
    };
    assert_eq!(
        (made.info.key.as_str(), made.info.read_only),
        (
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            false
        )
    );
    let restrict = |access| Op::RestrictKey {
        key: KeyId::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"),
        account: account.clone(),
        lock: Lock {
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            access,
        },
    };
    let Reply::Key(flags) = decode(
        VENUE,
        &restrict(lockdown::exchanges::model::Access::ReadOnly),
        &doc("broker-key-permission").answer,
    ) else {
        panic!("not a key");
    };
    // The example turns every flag on: not read-only.
    assert_eq!(
        (flags.read_only, flags.permissions.clone()),
        (
            false,
            vec![
                "canTrade".to_owned(),
                "marginTrade".to_owned(),
                "futuresTrade".to_owned()
            ]
        )
    );
    let Reply::Key(bound) = decode(
        VENUE,
        &restrict(lockdown::exchanges::model::Access::Unchanged),
        &doc("broker-key-ip-set").answer,
    ) else {
        panic!("not a key");
    };
    assert_eq!(bound.ips, ["69.210.67.14", "8.34.21.10"]);
    let revoke = Op::RevokeKey(Revoke::ByMaster {
        key: KeyId::new("k"),
        account,
    });
    assert!(matches!(
        decode(VENUE, &revoke, &doc("broker-key-delete").answer),
        Reply::Done
    ));
    let Reply::Transfers(moved) = decode(
        VENUE,
        &Op::Transfers {
            window: Window {
                start_ms: 0,
                end_ms: i64::MAX,
            },
            cursor: Some(r#"{"transfers":true,"offset":0}"#.to_owned()),
        },
        &doc("broker-transfers").answer,
    ) else {
        panic!("not transfers");
    };
    assert_eq!(
        moved
            .items
            .iter()
            .map(|t| (t.id.as_str(), t.coin.as_str(), t.to.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("2966662589", "BTC", Some("2")),
            ("296666999", "ETH", Some("2"))
        ]
    );
}

/// One operation of every kind the adapter encodes, in every product and key family.
fn every_op() -> Vec<(KeyFamily, Op)> {
    let window = Window {
        start_ms: 0,
        end_ms: 3_600_000,
    };
    let lock = |access| Lock {
        ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        access,
    };
    let scope = KeyScope {
        trade: vec![TradePermission::SpotTrade],
        ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
    };
    let key = KeyId::new("bot-key");
    let email = Some("gridbot_virtual@abcdefghnoemail.com".to_owned());
    let pending = r#"{"next_page":null,"pending":[{"key":"k","label":"l","permissions":[],"created_ms":null}]}"#;
    let algo = segment(Category::Linear, Some("algo"));
    let markets = [spot(), margin(), isolated(), usdm(), coinm(), options()];
    let mut ops = Vec::new();
    for family in [KeyFamily::SubAccount, KeyFamily::Broker] {
        // Broker sub-accounts are named by their `subAccountId`.
        let account = match family {
            KeyFamily::SubAccount => email.clone(),
            KeyFamily::Broker => Some("1001".to_owned()),
        };
        let mut add = |op: Op| ops.push((family, op));
        add(Op::ServerTime);
        add(Op::WhoAmI);
        add(Op::SubKeys {
            account: account.clone().unwrap(),
            cursor: None,
        });
        add(Op::SubKeys {
            account: account.clone().unwrap(),
            cursor: Some(pending.to_owned()),
        });
        for access in [
            lockdown::exchanges::model::Access::ReadOnly,
            lockdown::exchanges::model::Access::Unchanged,
        ] {
            add(Op::RestrictKey {
                key: key.clone(),
                account: account.clone(),
                lock: lock(access),
            });
        }
        add(Op::RevokeKey(Revoke::ByMaster {
            key: key.clone(),
            account: account.clone(),
        }));
        add(Op::CreateKey {
            account: account.clone().unwrap(),
            label: "replacement".into(),
            scope: scope.clone(),
        });
        add(Op::Balances);
        add(Op::WalletBalances { account: "FUNDING" });
        add(Op::Withdrawals {
            window,
            cursor: None,
        });
        add(Op::Transfers {
            window,
            cursor: None,
        });
        add(Op::Transfers {
            window,
            cursor: Some(r#"{"transfers":true,"offset":0}"#.to_owned()),
        });
        add(Op::Withdraw {
            coin: "USDT".into(),
            amount: "1".into(),
            address: "0xabc".into(),
        });
    }
    let family = KeyFamily::SubAccount;
    let mut add = |op: Op| ops.push((family, op));
    add(Op::OpenOrders {
        segment: usdm(),
        cursor: Some("algo".into()),
    });
    add(Op::CancelBatch {
        segment: algo,
        orders: vec![OrderRef {
            symbol: "ETHUSDT".into(),
            order_id: "1".into(),
        }],
    });
    for market in markets {
        add(Op::OpenOrders {
            segment: market,
            cursor: None,
        });
        add(Op::CancelBatch {
            segment: market,
            orders: vec![OrderRef {
                symbol: "BTCUSDT".into(),
                order_id: "1".into(),
            }],
        });
        add(Op::CancelOrder {
            segment: market,
            symbol: "BTCUSDT".into(),
            order_id: "1".into(),
        });
        let order = NewOrder {
            segment: market,
            symbol: "BTCUSDT".into(),
            side: Side::Buy,
            kind: OrderKind::Limit { price: 1.0 },
            qty: 1.0,
            unit: QtyUnit::Base,
            trigger: None,
            client_order_id: None,
            time_in_force: Default::default(),
            reduce_only: false,
        };
        add(Op::PlaceOrder(order.clone()));
        if market == usdm() {
            add(Op::PlaceOrder(NewOrder {
                trigger: Some(2.0),
                ..order
            }));
        }
        let steps: &[&str] = match market.category {
            Category::Spot if market.settle.is_none() => &["open_orders", "balances", "markets"],
            Category::Spot => &["open_orders"],
            _ => &["open_orders", "income"],
        };
        for step in steps {
            add(Op::Orders {
                segment: market,
                window,
                cursor: Some(format!(r#"{{"step":"{step}"}}"#)),
            });
        }
        add(Op::Orders {
            segment: market,
            window,
            cursor: walk("BTCUSDT"),
        });
        add(Op::Fills {
            segment: market,
            window,
            cursor: walk("BTCUSDT"),
        });
    }
    ops
}

/// Endpoints the adapter calls whose documented answer is not kept yet; each must leave this
/// list when its fixture is added (the test fails otherwise).
const NOT_YET: &[&str] = &[];

/// Fixtures of endpoints the simulator serves from the docs that the adapter does not call.
const SIMULATOR_ONLY: &[&str] = &[];

#[test]
fn every_endpoint_the_binance_adapter_calls_has_a_fixture() {
    let venue = VENUE.venue();
    let mut called = BTreeSet::new();
    for (family, op) in every_op() {
        let settings = VenueSettings {
            key_family: family,
            futures_url: Some("https://fapi.binance.com".into()),
            ..VenueSettings::default()
        };
        let call = CallContext {
            now_ms: 1_800_000_000_000,
            nonce: "n",
            session: None,
            tfa: None,
            settings: &settings,
            subject: None,
            lookup: None,
            known: &[],
        };
        let request = venue
            .encode(&op, &call)
            .unwrap_or_else(|err| panic!("{op:?}: {err}"));
        let path = request
            .path
            .strip_prefix("https://")
            .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or(&request.path)
            .to_owned();
        called.insert(format!("{} {path}", request.method.as_str()));
    }
    let documented: BTreeSet<String> = fixture_names(VENUE)
        .iter()
        .map(|name| fixture(VENUE, name).endpoint)
        .collect();
    let missing: Vec<&String> = called.iter().filter(|e| !documented.contains(*e)).collect();
    let not_yet: Vec<&str> = NOT_YET.to_vec();
    assert_eq!(
        missing, not_yet,
        "endpoints without a fixture (left) against the declared list (right)"
    );
    // Every fixture answers an endpoint the adapter calls.
    for endpoint in &documented {
        assert!(
            called.contains(endpoint) || SIMULATOR_ONLY.contains(&endpoint.as_str()),
            "{endpoint}: no op calls it"
        );
    }
}
