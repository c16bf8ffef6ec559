//! Bybit's order and market endpoints: the documented example answers against the adapter and
//! the simulator (`shapes.rs`), and the products those answers revealed that the response used to
//! miss: spot conditional orders, which a spot `cancel-all` leaves unless told their
//! `orderFilter`, and inverse contracts settled in a coin other than BTC.

use std::collections::BTreeSet;

use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::{
    Auth, CallContext, ExchangeId, Method, NewOrder, Op, OrderKind, QtyUnit, Reply, Request,
    VenueSettings, Window,
};
use lockdown::secret::SecretString;
use serde_json::Value;

use crate::shapes::{assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{
    Lab, contained, last_days, raw_client, read, report_of, responder_ip, unauthorized_ids,
};

const BYBIT: ExchangeId = ExchangeId::Bybit;

fn segment(category: Category, settle: Option<&'static str>) -> Segment {
    Segment { category, settle }
}

fn limit(segment: Segment, symbol: &str, side: Side, price: f64, qty: f64) -> NewOrder {
    NewOrder {
        segment,
        symbol: symbol.to_owned(),
        side,
        kind: OrderKind::Limit { price },
        qty,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    }
}

/// A context for rendering requests (nothing in it matters to Bybit's encoding).
fn render<T>(then: impl FnOnce(&CallContext<'_>) -> T) -> T {
    let settings = VenueSettings::default();
    let call = CallContext {
        now_ms: 0,
        nonce: "0",
        session: None,
        tfa: None,
        settings: &settings,
        subject: None,
        lookup: None,
        known: &[],
    };
    then(&call)
}

/// Sends `op` signed with the leaked key, as the adapter encodes it, and returns the
/// simulator's answer as it came (`Client::raw` sends reads only).
async fn send_signed(lab: &Lab, op: &Op) -> Value {
    let request: Request = render(|call| BYBIT.venue().encode(op, call)).expect("encodes");
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let payload = request
        .body
        .clone()
        .unwrap_or_else(|| request.query.clone());
    let ts = now_ms();
    let prehash = lockdown::exchanges::bybit::prehash(ts, &key, 5000, &payload);
    let sign = lockdown::exchanges::bybit::sign_prehash(&SecretString::from(secret), &prehash);
    let base = &lab.running.base_url;
    let client = raw_client(responder_ip());
    let builder = match request.method {
        Method::Get => client.get(format!("{base}{}?{}", request.path, request.query)),
        _ => client
            .post(format!("{base}{}", request.path))
            .header("Content-Type", "application/json")
            .body(payload),
    };
    let response = builder
        .header("X-BAPI-API-KEY", key)
        .header("X-BAPI-TIMESTAMP", ts.to_string())
        .header("X-BAPI-RECV-WINDOW", "5000")
        .header("X-BAPI-SIGN", sign)
        .send()
        .await
        .expect("the simulator answers");
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["retCode"], 0, "{op:?}: {body}");
    body
}

/// Places `order` with the leaked key, as the attacker would; its id.
async fn attacker_places(lab: &Lab, order: NewOrder) -> String {
    let (_, bot) = lab.creds();
    lab.client()
        .call(&Op::PlaceOrder(order), Auth::Key(&bot))
        .await
        .and_then(Reply::into_placed)
        .expect("the leaked key places the order")
}

/// Runs `respond` and checks that the order `id` is no longer open and that the report names it
/// among the unauthorized orders.
async fn respond_cancels_and_reports(lab: &Lab, id: &str) {
    let output = lab.respond(&["--yes", "--json"]).await;
    let summary = contained(&output);
    let after = lab.sim.inspect();
    let order = after.order(id).expect("the order exists");
    assert!(!order.is_open(), "the attacker's order survived: {order:?}");
    let reported: BTreeSet<String> = unauthorized_ids(&report_of(&summary));
    assert!(reported.contains(id), "{id} not reported: {reported:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attacker_spot_stop_order_does_not_survive_respond() {
    let lab = Lab::start(31).await;
    let mut stop = limit(
        segment(Category::Spot, None),
        "BTCUSDT",
        Side::Buy,
        30_000.0,
        0.01,
    );
    stop.trigger = Some(32_000.0);
    let id = attacker_places(&lab, stop).await;
    let before = lab.sim.inspect();
    let placed = before.order(&id).expect("listed by Inspect");
    assert!(placed.is_open() && placed.trigger_price.as_deref() == Some("32000"));
    respond_cancels_and_reports(&lab, &id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attacker_order_on_an_eth_settled_inverse_contract_does_not_survive_respond() {
    let lab = Lab::start(32).await;
    let order = limit(
        segment(Category::Inverse, Some("ETH")),
        "ETHUSD",
        Side::Buy,
        1_600.0,
        100.0,
    );
    let id = attacker_places(&lab, order).await;
    respond_cancels_and_reports(&lab, &id).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inverse_settle_coins_are_listed_at_run_time() {
    let lab = Lab::start(33).await;
    let segments = lab.client().segments().await;
    assert!(segments.unread.is_empty(), "{:?}", segments.unread);
    for coin in ["BTC", "ETH"] {
        assert!(
            segments
                .list
                .contains(&segment(Category::Inverse, Some(coin))),
            "inverse/{coin} missing: {:?}",
            segments.list
        );
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn week() -> Window {
    last_days(now_ms(), 7)
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_order_create_and_cancel_are_answered_as_documented() {
    let lab = Lab::start(34).await;
    let linear = segment(Category::Linear, Some("USDT"));
    let place = Op::PlaceOrder(limit(linear, "BTCUSDT", Side::Buy, 30_000.0, 0.01));
    let doc = fixture(BYBIT, "order-create");
    let Reply::Placed(id) = decode(BYBIT, &place, &doc.answer) else {
        panic!("not a placed order");
    };
    assert_eq!(id, "1321003749386327552");
    let sim = send_signed(&lab, &place).await;
    assert_same_shape(&doc, &sim, &[]);
    let placed = sim["result"]["orderId"].as_str().unwrap().to_owned();

    let cancel = Op::CancelOrder {
        segment: linear,
        symbol: "BTCUSDT".into(),
        order_id: placed,
    };
    let doc = fixture(BYBIT, "order-cancel");
    assert!(matches!(decode(BYBIT, &cancel, &doc.answer), Reply::Done));
    let sim = send_signed(&lab, &cancel).await;
    assert_same_shape(&doc, &sim, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_cancel_all_is_answered_as_documented_per_order_filter() {
    let lab = Lab::start(35).await;
    let doc = fixture(BYBIT, "order-cancel-all");
    let spot = segment(Category::Spot, None);
    let stops = segment(Category::Spot, Some("StopOrder"));
    let Reply::Cancelled(listed) = decode(BYBIT, &Op::CancelAll { segment: stops }, &doc.answer)
    else {
        panic!("not a cancel");
    };
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].order_id, "1616024329462743808");
    assert_eq!(listed[0].segment, "spot/StopOrder");

    let mut stop = limit(spot, "BTCUSDT", Side::Buy, 30_000.0, 0.01);
    stop.trigger = Some(32_000.0);
    let id = attacker_places(&lab, stop).await;
    // A spot cancel-all takes ordinary orders only: the stop order stays.
    let plain = send_signed(&lab, &Op::CancelAll { segment: spot }).await;
    assert!(!plain.to_string().contains(&id), "{plain}");
    assert!(lab.sim.inspect().order(&id).unwrap().is_open());
    let sim = send_signed(&lab, &Op::CancelAll { segment: stops }).await;
    assert_same_shape(&doc, &sim, &[]);
    assert_eq!(sim["result"]["list"][0]["orderId"], id.as_str());
    assert!(!lab.sim.inspect().order(&id).unwrap().is_open());
}

/// Fields the order listings' documentation lists among the response parameters that its example
/// omits, and the example's fee coin, which is a coin, not a field.
const ORDER_LIST_IGNORED: &[&str] = &[
    // Documented ("Order create type", "The unit for `qty`"), not in the example.
    "$.result.list[].createType",
    "$.result.list[].marketUnit",
    // The example's fee coin (MNT): a key per coin, not a field.
    "$.result.list[].cumFeeDetail.MNT",
];

#[tokio::test(flavor = "multi_thread")]
async fn bybit_open_orders_are_answered_as_documented() {
    let lab = Lab::start(36).await;
    let (_, bot) = lab.creds();
    let client = lab.client();
    let doc = fixture(BYBIT, "order-realtime");
    let linear = segment(Category::Linear, Some("USDT"));
    let op = Op::OpenOrders {
        segment: linear,
        cursor: None,
    };
    let Reply::Orders(page) = decode(BYBIT, &op, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(
        page.items[0].order_id,
        "fd4300ae-7847-404e-b947-b46980a4d140"
    );
    assert_eq!(page.items[0].symbol, "ETHUSDT");
    assert!(page.next.is_some());
    attacker_places(&lab, limit(linear, "BTCUSDT", Side::Buy, 30_000.0, 0.01)).await;
    let sim = sim_answer(&client, &op, Auth::Key(&bot)).await;
    assert_same_shape(&doc, &sim, ORDER_LIST_IGNORED);

    // A waiting spot stop order has the same shape, `Untriggered` and its trigger.
    let mut stop = limit(
        segment(Category::Spot, None),
        "ETHUSDT",
        Side::Sell,
        4_000.0,
        0.1,
    );
    stop.trigger = Some(3_900.0);
    let id = attacker_places(&lab, stop).await;
    let stops = Op::OpenOrders {
        segment: segment(Category::Spot, Some("StopOrder")),
        cursor: None,
    };
    let sim = sim_answer(&client, &stops, Auth::Key(&bot)).await;
    assert_same_shape(&doc, &sim, ORDER_LIST_IGNORED);
    let listed = &sim["result"]["list"][0];
    assert_eq!(listed["orderId"], id.as_str());
    assert_eq!(listed["orderStatus"], "Untriggered");
    assert_eq!(listed["triggerPrice"], "3900");
    assert_eq!(listed["stopOrderType"], "Stop");
    // Plain spot lists ordinary orders only, so no order is listed twice.
    let plain = Op::OpenOrders {
        segment: segment(Category::Spot, None),
        cursor: None,
    };
    let sim = sim_answer(&client, &plain, Auth::Key(&bot)).await;
    assert!(!sim.to_string().contains(&id));
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_order_history_is_answered_as_documented() {
    let lab = Lab::start(37).await;
    let (_, bot) = lab.creds();
    let doc = fixture(BYBIT, "order-history");
    let linear = segment(Category::Linear, Some("USDT"));
    let op = Op::Orders {
        segment: linear,
        window: week(),
        cursor: None,
    };
    let Reply::Orders(page) = decode(BYBIT, &op, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(
        page.items[0].order_id,
        "14bad3a1-6454-43d8-bcf2-5345896cf74d"
    );
    attacker_places(&lab, limit(linear, "BTCUSDT", Side::Buy, 30_000.0, 0.01)).await;
    let sim = sim_answer(&lab.client(), &op, Auth::Key(&bot)).await;
    assert_same_shape(&doc, &sim, ORDER_LIST_IGNORED);
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_fills_are_answered_as_documented() {
    let lab = Lab::start(38).await;
    let (_, bot) = lab.creds();
    let doc = fixture(BYBIT, "execution-list");
    let linear = segment(Category::Linear, Some("USDT"));
    let op = Op::Fills {
        segment: linear,
        window: week(),
        cursor: None,
    };
    let Reply::Fills(page) = decode(BYBIT, &op, &doc.answer) else {
        panic!("not fills");
    };
    assert_eq!(
        page.items[0].fill_id,
        "e0cbe81d-0f18-5866-9415-cf319b5dab3b"
    );
    assert_eq!(page.next.as_deref(), Some("132766%3A2%2C132766%3A2"));
    let mut buy = limit(linear, "BTCUSDT", Side::Buy, 0.0, 0.01);
    buy.kind = OrderKind::Market;
    attacker_places(&lab, buy).await;
    // The window ends now, after the fill.
    let op = Op::Fills {
        segment: linear,
        window: week(),
        cursor: None,
    };
    let sim = sim_answer(&lab.client(), &op, Auth::Key(&bot)).await;
    // Documented ("Order create type"), not in the example.
    assert_same_shape(&doc, &sim, &["$.result.list[].createType"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bybit_instruments_are_answered_as_documented() {
    let lab = Lab::start(39).await;
    let doc = fixture(BYBIT, "instruments-info");
    let op = Op::Segments {
        category: Category::Inverse,
        cursor: None,
    };
    let Reply::Segments(page) = decode(BYBIT, &op, &doc.answer) else {
        panic!("not segments");
    };
    // The example is a linear contract (the docs' linear/inverse shape), settled in USDT.
    assert_eq!(page.items, [segment(Category::Inverse, Some("USDT"))]);
    let sim = sim_answer(&lab.client(), &op, Auth::Public).await;
    assert_same_shape(&doc, &sim, &[]);
    let settles: BTreeSet<&str> = sim["result"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["settleCoin"].as_str().unwrap())
        .collect();
    assert_eq!(settles, BTreeSet::from(["BTC", "ETH"]));
}

/// One operation of each kind the adapter sends to an order or market endpoint.
fn order_and_market_ops() -> Vec<Op> {
    let spot = segment(Category::Spot, None);
    let mut stop = limit(spot, "BTCUSDT", Side::Buy, 1.0, 1.0);
    stop.trigger = Some(2.0);
    vec![
        Op::ServerTime,
        Op::PlaceOrder(limit(spot, "BTCUSDT", Side::Buy, 1.0, 1.0)),
        Op::PlaceOrder(stop),
        Op::CancelOrder {
            segment: spot,
            symbol: "BTCUSDT".into(),
            order_id: "1".into(),
        },
        Op::CancelAll { segment: spot },
        Op::OpenOrders {
            segment: spot,
            cursor: None,
        },
        Op::Orders {
            segment: spot,
            window: week(),
            cursor: None,
        },
        Op::Fills {
            segment: segment(Category::Option, None),
            window: week(),
            cursor: None,
        },
        Op::Segments {
            category: Category::Inverse,
            cursor: None,
        },
    ]
}

#[test]
fn every_bybit_order_and_market_endpoint_has_a_documented_fixture() {
    let venue = BYBIT.venue();
    let documented: BTreeSet<String> = fixture_names(BYBIT)
        .iter()
        .map(|name| fixture(BYBIT, name).endpoint)
        .collect();
    let missing: Vec<String> = order_and_market_ops()
        .iter()
        .map(|op| {
            let request: Request = render(|call| venue.encode(op, call)).expect("encodes");
            format!("{} {}", request.method.as_str(), request.path)
        })
        .filter(|endpoint| !documented.contains(endpoint))
        .collect();
    assert!(
        missing.is_empty(),
        "endpoints without a documented fixture: {missing:?}"
    );
}

#[test]
fn the_fixtures_are_the_documentation_pages() {
    for name in fixture_names(BYBIT) {
        let fixture = fixture(BYBIT, &name);
        assert!(
            fixture
                .source
                .starts_with("https://bybit-exchange.github.io/docs/v5/"),
            "{name}: {}",
            fixture.source
        );
        assert!(fixture.answer.get("retCode").is_some_and(Value::is_number));
    }
}
