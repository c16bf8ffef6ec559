//! Deribit's documented example answers (`tests/fixtures/deribit/`, taken from the examples of
//! Deribit's OpenAPI spec that docs.deribit.com serves, version 2.1.1) against the adapter and
//! against the simulator: for every method the adapter calls, (a) the adapter decodes the
//! documented example, and (b) the simulator answers the same request in the same shape.
//!
//! Reads go through the client (`sim_answer`); writes and logins, which the client does not send
//! raw, go as the JSON-RPC calls an outside client would make, with a token from `public/auth`.

use lockdown::exchanges::model::{Access, Category, IpWhitelist, KeyScope, Lock, Segment, Side};
use lockdown::exchanges::{
    Auth, ExchangeId, NewOrder, Op, OrderKind, QtyUnit, Reply, Revoke, Window,
};
use lockdown::secret::KeyId;
use serde_json::{Value, json};

use crate::adapter::{cancel_order, limit_buy, place};
use crate::deribit::{login, rpc};
use crate::shapes::{Fixture, assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{Lab, last_days};

const DERIBIT: ExchangeId = ExchangeId::Deribit;

/// Envelope fields not compared: `usIn`, `usOut`, `usDiff` and `testnet` are the envelope the
/// errors article documents (docs/venues/deribit.md §8), which the method examples leave out;
/// `id` is echoed from a JSON-RPC body, and a GET carries none.
const ENVELOPE: &[&str] = &["$.id", "$.usIn", "$.usOut", "$.usDiff", "$.testnet"];

/// `label` and `api` of a trade: in the trade's field list on the method pages, not in the
/// examples' trades; the adapter reads `label` (the client order id).
const TRADE_LABEL: &str = "$.result.trades[].label";
const TRADE_API: &str = "$.result.trades[].api";

/// Compares shapes, the envelope and `ignore` left out.
fn same(doc: &Fixture, sim: &Value, ignore: &[&str]) {
    let all: Vec<&str> = ENVELOPE.iter().chain(ignore).copied().collect();
    assert_same_shape(doc, sim, &all);
}

fn usdt() -> Segment {
    Segment {
        category: Category::Linear,
        settle: Some("USDT"),
    }
}

fn window() -> Window {
    last_days(chrono::Utc::now().timestamp_millis(), 30)
}

/// One operation of each kind the adapter encodes, with the fixture (the JSON-RPC method) its
/// request names.
fn every_op() -> Vec<Op> {
    let lock = Lock {
        ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        access: Access::Unchanged,
    };
    let order = NewOrder {
        segment: usdt(),
        symbol: "BTC_USDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1.0 },
        qty: 1.0,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let whole = Segment {
        category: Category::Spot,
        settle: None,
    };
    vec![
        Op::ServerTime,
        Op::WhoAmI,
        Op::SubKeys {
            account: "1".into(),
            cursor: None,
        },
        Op::RestrictKey {
            key: KeyId::new("K"),
            account: None,
            lock,
        },
        Op::RevokeKey(Revoke::ByMaster {
            key: KeyId::new("K"),
            account: None,
        }),
        Op::CreateKey {
            account: "1".into(),
            label: "lockdown_1".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        },
        Op::CancelAll { segment: usdt() },
        Op::CancelAll { segment: whole },
        Op::OpenOrders {
            segment: usdt(),
            cursor: None,
        },
        Op::OpenOrders {
            segment: whole,
            cursor: None,
        },
        Op::Orders {
            segment: usdt(),
            window: window(),
            cursor: None,
        },
        // The order history's last tier: the trigger-order log.
        Op::Orders {
            segment: usdt(),
            window: window(),
            cursor: Some("t:".into()),
        },
        Op::Fills {
            segment: usdt(),
            window: window(),
            cursor: None,
        },
        Op::Balances,
        Op::Withdrawals {
            window: window(),
            cursor: None,
        },
        Op::Transfers {
            window: window(),
            cursor: None,
        },
        Op::Transfers {
            window: window(),
            cursor: Some("1:BTC:0".into()),
        },
        Op::PlaceOrder(order.clone()),
        Op::PlaceOrder(NewOrder {
            side: Side::Sell,
            ..order
        }),
        Op::CancelOrder {
            segment: usdt(),
            symbol: "BTC_USDT".into(),
            order_id: "USDT-1".into(),
        },
        Op::Withdraw {
            coin: "USDT".into(),
            amount: "1".into(),
            address: "0x0".into(),
        },
        Op::Segments {
            category: Category::Linear,
            cursor: None,
        },
        Op::AccessLog { cursor: None },
    ]
}

/// The JSON-RPC method a request names (`private/get_open_orders_by_currency`).
fn method_of(path: &str) -> String {
    path.trim_start_matches("/api/v2/").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_method_the_adapter_calls_has_a_documented_answer() {
    let lab = Lab::start_on(DERIBIT, 80).await;
    let (_, bot) = lab.creds();
    let client = lab.client();
    let names = fixture_names(DERIBIT);
    let mut methods: Vec<String> = every_op()
        .iter()
        .map(|op| {
            let signed = client.prepare(op, Auth::Key(&bot)).unwrap();
            method_of(&signed.request.path)
        })
        .collect();
    // Logins: `public/auth`, and `public/exchange_token` for a sub-account's session.
    methods.extend(["public/auth".to_owned(), "public/exchange_token".to_owned()]);
    let missing: Vec<&String> = methods
        .iter()
        .filter(|m| !names.contains(&m.replace('/', "-")))
        .collect();
    assert!(missing.is_empty(), "no documented answer for {missing:?}");
    for name in &names {
        let doc = fixture(DERIBIT, name);
        assert_eq!(
            doc.endpoint.replace('/', "-"),
            *name,
            "{}",
            doc.path.display()
        );
        assert!(
            doc.source
                .starts_with("https://docs.deribit.com/api-reference/")
        );
    }
}

/// Compares a read the client sends with its documented answer.
async fn read_shape(lab: &Lab, name: &str, op: &Op, auth: Auth<'_>, ignore: &[&str]) -> Fixture {
    let doc = fixture(DERIBIT, name);
    let sim = sim_answer(&lab.client(), op, auth).await;
    same(&doc, &sim, ignore);
    doc
}

/// A token of `cred`'s own account.
async fn token(lab: &Lab, cred: &lockdown::secret::Credential, nonce: &str) -> String {
    let now = chrono::Utc::now().timestamp_millis();
    let answer = login(lab, cred, now, nonce).await;
    answer["result"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_public_methods_answer_as_documented() {
    let lab = Lab::start_on(DERIBIT, 81).await;
    let doc = read_shape(&lab, "public-get_time", &Op::ServerTime, Auth::Public, &[]).await;
    assert!(matches!(
        decode(DERIBIT, &Op::ServerTime, &doc.answer),
        Reply::ServerTime(1_550_147_385_946)
    ));

    let op = Op::Segments {
        category: Category::Linear,
        cursor: None,
    };
    let doc = read_shape(&lab, "public-get_currencies", &op, Auth::Public, &[]).await;
    // The example lists ETH and BTC only, both fixed segments: nothing new to add.
    let page = decode(DERIBIT, &op, &doc.answer).into_segments().unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);

    let (master, bot) = lab.creds();
    let now = chrono::Utc::now().timestamp_millis();
    let doc = fixture(DERIBIT, "public-auth");
    let sim = login(&lab, &bot, now, "s1").await;
    same(&doc, &sim, &[]);
    let response = lockdown::exchanges::Response {
        status: 200,
        headers: Vec::new(),
        body: serde_json::to_vec(&doc.answer).unwrap(),
    };
    let session = DERIBIT
        .venue()
        .sessions()
        .unwrap()
        .decode_login(&response)
        .unwrap();
    assert!(session.refresh.is_some());

    let main = login(&lab, &master, now, "s2").await;
    let doc = fixture(DERIBIT, "public-exchange_token");
    let sim = rpc(
        &lab,
        "public/exchange_token",
        &format!(
            "refresh_token={}&subject_id={}",
            main["result"]["refresh_token"].as_str().unwrap(),
            lab.account()
        ),
        None,
    )
    .await;
    // The token object `public/auth`'s example shows with `enabled_features`; this example
    // leaves it out.
    same(&doc, &sim, &["$.result.enabled_features"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_order_lists_answer_as_documented() {
    let lab = Lab::start_on(DERIBIT, 82).await;
    let (_, bot) = lab.creds();
    let auth = Auth::Key(&bot);
    let open = Op::OpenOrders {
        segment: usdt(),
        cursor: None,
    };
    // `cancel_reason` is shown for cancelled orders only; the examples' orders are open or
    // filled.
    let order_ignore = ["$.result[].cancel_reason"];
    let doc = read_shape(
        &lab,
        "private-get_open_orders_by_currency",
        &open,
        auth,
        &order_ignore,
    )
    .await;
    let orders = decode(DERIBIT, &open, &doc.answer).into_orders().unwrap();
    assert_eq!(orders.items[0].symbol, "BTC-15FEB19-3250-P");
    assert_eq!(orders.items[0].category, Category::Option);
    let all = Op::OpenOrders {
        segment: Segment {
            category: Category::Spot,
            settle: None,
        },
        cursor: None,
    };
    read_shape(&lab, "private-get_open_orders", &all, auth, &order_ignore).await;

    let history = Op::Orders {
        segment: usdt(),
        window: window(),
        cursor: Some("h:0".into()),
    };
    let doc = read_shape(
        &lab,
        "private-get_order_history_by_currency",
        &history,
        auth,
        &order_ignore,
    )
    .await;
    let wide = Op::Orders {
        segment: usdt(),
        window: Window {
            start_ms: 0,
            end_ms: i64::MAX,
        },
        cursor: None,
    };
    let orders = decode(DERIBIT, &wide, &doc.answer).into_orders().unwrap();
    assert!(!orders.items.is_empty());

    let fills = Op::Fills {
        segment: usdt(),
        window: window(),
        cursor: Some("h:".into()),
    };
    let doc = read_shape(
        &lab,
        "private-get_user_trades_by_currency",
        &fills,
        auth,
        &[
            // Option trades only (the example's first trade is an option's).
            "$.result.trades[].iv",
            "$.result.trades[].underlying_price",
            "$.result.trades[].label",
            "$.result.trades[].api",
        ],
    )
    .await;
    let page = decode(DERIBIT, &fills, &doc.answer).into_fills().unwrap();
    assert_eq!(page.items.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_account_reads_answer_as_documented() {
    let lab = Lab::start_on(DERIBIT, 83).await;
    let (master, bot) = lab.creds();
    let doc = fixture(DERIBIT, "private-get_account_summaries");
    let balances = decode(DERIBIT, &Op::Balances, &doc.answer)
        .into_balances()
        .unwrap();
    assert!(!balances.is_empty());
    let sim = sim_answer(&lab.client(), &Op::Balances, Auth::Key(&bot)).await;
    // The account's fee schedule and rate-limit tiers: the simulator has no fees by index and
    // does not report its credits (`credits.rs`).
    same(
        &doc,
        &sim,
        &["$.result.summaries[].fees", "$.result.summaries[].limits"],
    );

    let doc = fixture(DERIBIT, "private-get_account_summary");
    decode(DERIBIT, &Op::WhoAmI, &doc.answer)
        .into_key()
        .unwrap();
    let sim = sim_answer(&lab.client(), &Op::WhoAmI, Auth::Key(&bot)).await;
    // As above: no fee schedule, no rate-limit tiers reported.
    same(&doc, &sim, &["$.result.fees", "$.result.limits"]);

    let keys = Op::SubKeys {
        account: lab.account(),
        cursor: None,
    };
    // As for one key below: `ip_whitelist` and `public_key` are in the `api_key` schema, not in
    // the example.
    let doc = read_shape(
        &lab,
        "private-list_api_keys",
        &keys,
        Auth::Key(&master),
        &["$.result[].ip_whitelist", "$.result[].public_key"],
    )
    .await;
    let listed = decode(DERIBIT, &keys, &doc.answer).into_keys().unwrap();
    assert!(!listed.items.is_empty());

    let log = Op::AccessLog { cursor: None };
    // The method page's example names an entry's event `result`; its schema, and the list of
    // events it documents, `log`, with the key's client id in `data`: the simulator follows the
    // schema there, and the adapter reads either.
    let doc = read_shape(
        &lab,
        "private-get_access_log",
        &log,
        Auth::Key(&master),
        &[
            "$.result.data[].result",
            "$.result.data[].log",
            "$.result.data[].data",
        ],
    )
    .await;
    let events = decode(DERIBIT, &log, &doc.answer)
        .into_access_log()
        .unwrap();
    assert_eq!(events.items[0].event, "success");

    // The default incident's master withdrew USDT and USDE and sent both to the bot: the walks'
    // `source:currency:offset` cursors point at USDT (in the method pages' enum) and at USDE
    // (named only by `public/get_currencies`), each answered as documented.
    let wide = Window {
        start_ms: 0,
        end_ms: i64::MAX,
    };
    for (name, cursor, ignore) in [
        ("private-get_withdrawals", "0:USDT:0", &[][..]),
        ("private-get_transfers", "0:USDT:0", &[][..]),
        ("private-get_withdrawals", "0:USDE:0", &[][..]),
        ("private-get_transfers", "0:USDE:0", &[][..]),
        // The simulator models no deposits (docs/venues/deribit.md §6): its list is empty.
        ("private-get_deposits", "1:USDT:0", &["$.result.data"][..]),
    ] {
        let doc = fixture(DERIBIT, name);
        let (read, all) = if name == "private-get_withdrawals" {
            let op = |window| Op::Withdrawals {
                window,
                cursor: Some(cursor.to_owned()),
            };
            (op(window()), op(wide))
        } else {
            let op = |window| Op::Transfers {
                window,
                cursor: Some(cursor.to_owned()),
            };
            (op(window()), op(wide))
        };
        let page = decode(DERIBIT, &all, &doc.answer).into_transfers().unwrap();
        assert!(!page.items.is_empty(), "{name}");
        let sim = sim_answer(&lab.client(), &read, Auth::Key(&master)).await;
        same(&doc, &sim, ignore);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_writes_answer_as_documented() {
    let lab = Lab::start_on(DERIBIT, 84).await;
    let (_, bot) = lab.creds();
    let bearer = token(&lab, &bot, "w1").await;
    let bearer = Some(bearer.as_str());

    // A resting buy, as the docs' `private/buy` example (an ETH perpetual).
    let doc = fixture(DERIBIT, "private-buy");
    let op = Op::PlaceOrder(NewOrder {
        segment: usdt(),
        symbol: "BTC_USDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1000.0 },
        qty: 0.01,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    });
    let Reply::Placed(id) = decode(DERIBIT, &op, &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(id, "ETH-584864807");
    let placed = rpc(
        &lab,
        "private/buy",
        "instrument_name=BTC_USDT&amount=0.001&type=limit&price=70000",
        bearer,
    )
    .await;
    // `web` and `replaced` are in this example's order, not in the order lists' examples (the
    // `order` schema has both); the simulator follows the lists.
    let order_only = [
        "$.result.order.web",
        "$.result.order.replaced",
        TRADE_LABEL,
        TRADE_API,
    ];
    same(&doc, &placed, &order_only);
    let sell = rpc(
        &lab,
        "private/sell",
        "instrument_name=BTC_USDT&amount=0.001&type=limit&price=60000",
        bearer,
    )
    .await;
    same(&fixture(DERIBIT, "private-sell"), &sell, &order_only);

    // The docs' `private/cancel` example is an untriggered stop order.
    let stop = rpc(
        &lab,
        "private/sell",
        "instrument_name=BTC_USDT&amount=0.01&type=stop_market&trigger_price=50000&trigger=index_price",
        bearer,
    )
    .await;
    let stop_id = stop["result"]["order"]["order_id"].as_str().unwrap();
    let cancelled = rpc(
        &lab,
        "private/cancel",
        &format!("order_id={stop_id}"),
        bearer,
    )
    .await;
    same(&fixture(DERIBIT, "private-cancel"), &cancelled, &[]);

    let doc = fixture(DERIBIT, "private-cancel_all_by_currency");
    let cancel = Op::CancelAll { segment: usdt() };
    let Reply::Cancelled(done) = decode(DERIBIT, &cancel, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(done.len(), 4);
    let sim = rpc(
        &lab,
        "private/cancel_all_by_currency",
        "currency=USDT&kind=any&type=all",
        bearer,
    )
    .await;
    same(&doc, &sim, &[]);
    let sim = rpc(&lab, "private/cancel_all", "", bearer).await;
    same(&fixture(DERIBIT, "private-cancel_all"), &sim, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deribit_key_management_answers_as_documented() {
    let lab = Lab::start_on(DERIBIT, 85).await;
    let (master, _) = lab.creds();
    let main = token(&lab, &master, "k1").await;
    let main = Some(main.as_str());
    let created = rpc(
        &lab,
        "private/create_api_key",
        "max_scope=account%3Aread%20trade%3Aread&name=shape_test",
        main,
    )
    .await;
    let doc = fixture(DERIBIT, "private-create_api_key");
    // The example shows neither `ip_whitelist` nor `enabled_features` nor `public_key`: the
    // method page's schema (`api_key`) has all three.
    let key_ignore = [
        "$.result.ip_whitelist",
        "$.result.enabled_features",
        "$.result.public_key",
    ];
    same(&doc, &created, &key_ignore);
    let create = Op::CreateKey {
        account: "1".into(),
        label: "NewKeyName".into(),
        scope: KeyScope {
            trade: vec![],
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let Reply::Created(new) = decode(DERIBIT, &create, &doc.answer) else {
        panic!("not created");
    };
    assert_eq!(new.info.key.as_str(), "1sXMQBhM");

    let id = created["result"]["id"].as_i64().unwrap();
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "private/edit_api_key",
        "params": { "id": id, "max_scope": "account:read", "ip_whitelist": ["127.0.0.1"] },
    });
    let edited = post(&lab, "private/edit_api_key", &body, main).await;
    let doc = fixture(DERIBIT, "private-edit_api_key");
    same(&doc, &edited, &key_ignore);
    let restrict = Op::RestrictKey {
        key: KeyId::new("1sXMQBhM"),
        account: None,
        lock: Lock {
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            access: Access::Unchanged,
        },
    };
    assert!(matches!(
        decode(DERIBIT, &restrict, &doc.answer),
        Reply::Key(_)
    ));

    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "private/remove_api_key",
        "params": { "id": id },
    });
    let removed = post(&lab, "private/remove_api_key", &body, main).await;
    same(&fixture(DERIBIT, "private-remove_api_key"), &removed, &[]);

    let doc = fixture(DERIBIT, "private-withdraw");
    let withdraw = Op::Withdraw {
        coin: "BTC".into(),
        amount: "0.5".into(),
        address: "2NBqqD5GRJ8wHy1PYyCXTe9ke5226FhavBz".into(),
    };
    assert!(matches!(
        decode(DERIBIT, &withdraw, &doc.answer),
        Reply::Done
    ));
    let sim = rpc(
        &lab,
        "private/withdraw",
        "currency=USDT&address=0x000000000000000000000000000000000000dEaD&amount=10",
        main,
    )
    .await;
    same(&doc, &sim, &[]);
}

/// One JSON-RPC POST, as an outside client would make it: the envelope back.
async fn post(lab: &Lab, method: &str, body: &Value, bearer: Option<&str>) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!("{}/api/v2/{method}", lab.running.base_url);
    let mut request = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(token) = bearer {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let bytes = request.send().await.unwrap().bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The trigger-order log the order history ends with: the documented example (one `new` entry,
/// a page with more after it) is read as no finished order and a cursor to the next page; the
/// simulator answers an attacker's cancelled stop order in the same shape, and the adapter reads
/// it as a cancelled order.
#[tokio::test(flavor = "multi_thread")]
async fn deribit_trigger_order_log_answers_as_documented() {
    let lab = Lab::start_on(DERIBIT, 85).await;
    let (_, bot) = lab.creds();
    let client = lab.client();
    let mut stop = limit_buy(usdt(), "BTC_USDT", 50_000.0, 0.01);
    stop.side = Side::Sell;
    stop.trigger = Some(55_000.0);
    let id = place(&client, &bot, stop).await.unwrap();
    cancel_order(&client, &bot, usdt(), "BTC_USDT", &id)
        .await
        .unwrap();

    let log = |cursor: &str| Op::Orders {
        segment: usdt(),
        window: Window {
            start_ms: 0,
            end_ms: i64::MAX,
        },
        cursor: Some(cursor.to_owned()),
    };
    let doc = fixture(DERIBIT, "private-get_trigger_order_history");
    let page = decode(DERIBIT, &log("t:"), &doc.answer)
        .into_orders()
        .unwrap();
    assert!(page.items.is_empty(), "a `new` entry is no finished order");
    assert_eq!(page.next.as_deref(), Some("t:1555918941451.SLIS-103"));

    let sim = sim_answer(&client, &log("t:"), Auth::Key(&bot)).await;
    same(
        &doc,
        &sim,
        &[
            // A trailing stop's offset: the simulator models no trailing stops.
            "$.result.entries[].offset",
            // `null` on the last page; the example is a page with more after it.
            "$.result.continuation",
        ],
    );
    let page = client
        .call(&log("t:"), Auth::Key(&bot))
        .await
        .unwrap()
        .into_orders()
        .unwrap();
    let cancelled = page.items.iter().find(|o| o.order_id == id).unwrap();
    assert_eq!(
        cancelled.status,
        lockdown::exchanges::model::OrderStatus::Cancelled
    );
    assert_eq!(page.next, None);

    // The log pages by `continuation`, newest first: the cancellation, then the placement.
    let bearer = token(&lab, &bot, "t1").await;
    let call = |query: String| {
        let lab = &lab;
        let bearer = bearer.clone();
        async move {
            rpc(
                lab,
                "private/get_trigger_order_history",
                &query,
                Some(&bearer),
            )
            .await
        }
    };
    let first = call("currency=USDT&count=1".into()).await;
    assert_eq!(first["result"]["entries"][0]["order_state"], "cancelled");
    let continuation = first["result"]["continuation"].as_str().unwrap().to_owned();
    let second = call(format!("currency=USDT&count=1&continuation={continuation}")).await;
    assert_eq!(second["result"]["entries"][0]["order_state"], "new");
    assert_eq!(
        second["result"]["entries"][0]["trigger_order_id"],
        id.as_str()
    );
    assert!(second["result"]["continuation"].is_null(), "{second}");
}
