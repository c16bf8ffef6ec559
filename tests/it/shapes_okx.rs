//! OKX V5's documented example answers (`tests/fixtures/okx/`, from OKX's API docs) against the
//! adapter and against the simulator, endpoint by endpoint, and the list of every endpoint the
//! adapter calls, each with its fixture.
//!
//! Reads go through the client (`shapes::sim_answer`); writes, which the client sends only
//! through `call`, are prepared by the client and sent as they are (`sim_write`), so the
//! simulator's raw answer can be compared.

use lockdown::exchanges::model::{Access, Category, OrderStatus, Segment, Side};
use lockdown::exchanges::{
    Auth, Client, ExchangeId, Method, NewOrder, Op, OrderKind, OrderRef, QtyUnit, Reply, Revoke,
    Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::adapter::{lock_to, open_orders};
use crate::shapes::{
    assert_every_endpoint_documented, assert_same_shape, decode, fixture, sim_answer,
};
use crate::support::{DAY_MS, Lab, raw_client, read, responder_ip};

const OKX: ExchangeId = ExchangeId::Okx;

/// The master key and the leaked bot key, each with its passphrase.
fn creds(lab: &Lab) -> (Credential, Credential) {
    let dir = lab.sim_dir();
    let passphrase = |name: &str| SecretString::from(read(&dir.join(name)));
    let (master, bot) = lab.creds();
    (
        master.with_passphrase(passphrase("master.passphrase")),
        bot.with_passphrase(passphrase("bot.passphrase")),
    )
}

/// The simulator's raw answer to a write the client prepared (signed as `call` would sign it),
/// sent from the responder's address.
pub async fn sim_write(lab: &Lab, client: &Client, op: &Op, auth: Auth<'_>) -> Value {
    let signed = client.prepare(op, auth).unwrap();
    let request = &signed.request;
    let mut url = format!("{}{}", lab.running.base_url, request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(&request.query);
    }
    let http = raw_client(responder_ip());
    let mut builder = match request.method {
        Method::Get => http.get(url),
        _ => http
            .post(url)
            .body(request.body.clone().unwrap_or_default()),
    };
    for header in &signed.headers {
        builder = builder.header(header.name, header.value.as_str());
    }
    let response = builder.send().await.unwrap();
    serde_json::from_slice(&response.bytes().await.unwrap()).expect("the simulator answers JSON")
}

fn spot() -> Segment {
    Segment {
        category: Category::Spot,
        settle: Some("SPOT"),
    }
}

fn swap() -> Segment {
    Segment {
        category: Category::Linear,
        settle: Some("SWAP"),
    }
}

/// The algo segment `cancel-algos` is addressed by (`spot/algo`), as the venue routes an algo
/// order.
fn algo_segment(client: &Client, order: &lockdown::exchanges::model::Order) -> Segment {
    client.venue().batch_route(order).unwrap().0
}

#[tokio::test(flavor = "multi_thread")]
async fn okx_reads_are_answered_as_documented() {
    let lab = Lab::start_on(OKX, 71).await;
    let (master, bot) = creds(&lab);
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let key = Auth::Key(&bot);

    // GET /api/v5/public/time
    let doc = fixture(OKX, "server-time");
    let Reply::ServerTime(ms) = decode(OKX, &Op::ServerTime, &doc.answer) else {
        panic!("not a time");
    };
    assert_eq!(ms, 1_597_026_383_085);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &Op::ServerTime, Auth::Public).await,
        &[],
    );

    // GET /api/v5/account/config
    let doc = fixture(OKX, "account-config");
    let Reply::Key(info) = decode(OKX, &Op::WhoAmI, &doc.answer) else {
        panic!("not a key");
    };
    assert!(info.can_withdraw(), "{info:?}");
    assert!(info.ips.is_empty());
    assert_same_shape(&doc, &sim_answer(&client, &Op::WhoAmI, key).await, &[]);

    // GET /api/v5/users/subaccount/apikey
    let doc = fixture(OKX, "sub-account-keys");
    let sub = lab.account();
    let list = Op::SubKeys {
        account: sub.clone(),
        cursor: None,
    };
    let Reply::Keys(page) = decode(OKX, &list, &doc.answer) else {
        panic!("not keys");
    };
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].ips, ["1.1.1.1", "2.2.2.2"]);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &list, Auth::Key(&master)).await,
        &[],
    );

    // GET /api/v5/trade/orders-pending (the default incident's bot has open orders)
    let doc = fixture(OKX, "orders-pending");
    let pending = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    let Reply::Orders(page) = decode(OKX, &pending, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items[0].order_type, "post_only");
    assert_eq!(page.items[0].status, OrderStatus::Open);
    assert_eq!(page.next.as_deref(), Some("1752588852617379840"));
    assert_same_shape(&doc, &sim_answer(&client, &pending, key).await, &[]);

    // GET /api/v5/trade/orders-algo-pending (the seeded conditional stop is on the first page)
    let doc = fixture(OKX, "orders-algo-pending");
    let algo_pending = Op::OpenOrders {
        segment: spot(),
        cursor: Some("algo:0".into()),
    };
    let Reply::Orders(page) = decode(OKX, &algo_pending, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items[0].status, OrderStatus::Untriggered);
    assert_eq!(page.items[0].order_type, "conditional");
    let sim = sim_answer(&client, &algo_pending, key).await;
    assert_same_shape(&doc, &sim, &[]);

    // GET /api/v5/trade/orders-history and its archive: the archive is read for a window that
    // starts more than 7 days back, and reaches the recent orders too.
    let history = |days: i64, cursor: Option<&str>| Op::Orders {
        segment: spot(),
        window: Window {
            start_ms: now - days * DAY_MS,
            end_ms: now,
        },
        cursor: cursor.map(str::to_owned),
    };
    for (name, days) in [("orders-history", 6), ("orders-history-archive", 30)] {
        let doc = fixture(OKX, name);
        let Reply::Orders(page) = decode(OKX, &history(days, None), &doc.answer) else {
            panic!("not orders");
        };
        assert_eq!(page.items[0].status, OrderStatus::Filled, "{name}");
        assert_same_shape(
            &doc,
            &sim_answer(&client, &history(days, None), key).await,
            &[],
        );
    }

    // GET /api/v5/trade/fills and fills-history
    let fills = |days: i64| Op::Fills {
        segment: spot(),
        window: Window {
            start_ms: now - days * DAY_MS,
            end_ms: now,
        },
        cursor: None,
    };
    for (name, days) in [("fills", 2), ("fills-history", 30)] {
        let doc = fixture(OKX, name);
        let Reply::Fills(page) = decode(OKX, &fills(days), &doc.answer) else {
            panic!("not fills");
        };
        assert_eq!(page.items[0].side, Side::Buy, "{name}");
        assert_same_shape(&doc, &sim_answer(&client, &fills(days), key).await, &[]);
    }

    // GET /api/v5/account/balance and GET /api/v5/asset/balances
    let doc = fixture(OKX, "account-balance");
    let Reply::Balances(trading) = decode(OKX, &Op::Balances, &doc.answer) else {
        panic!("not balances");
    };
    assert!(
        trading
            .iter()
            .all(|b| b.account.as_deref() == Some("trading"))
    );
    assert_same_shape(&doc, &sim_answer(&client, &Op::Balances, key).await, &[]);
    let doc = fixture(OKX, "funding-balances");
    let funding = Op::WalletBalances { account: "funding" };
    let Reply::Balances(held) = decode(OKX, &funding, &doc.answer) else {
        panic!("not balances");
    };
    assert_eq!(
        (held[0].coin.as_str(), held[0].account.as_deref()),
        ("ETH", Some("funding"))
    );
    assert_same_shape(&doc, &sim_answer(&client, &funding, key).await, &[]);

    // GET /api/v5/asset/withdrawal-history and /asset/subaccount/bills (the master's)
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: now,
    };
    let doc = fixture(OKX, "withdrawal-history");
    let op = Op::Withdrawals {
        window: month,
        cursor: None,
    };
    decode(OKX, &op, &doc.answer);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &op, Auth::Key(&master)).await,
        &[],
    );
    let doc = fixture(OKX, "sub-account-bills");
    let op = Op::Transfers {
        window: month,
        cursor: None,
    };
    decode(OKX, &op, &doc.answer);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &op, Auth::Key(&master)).await,
        &[],
    );

    // GET /api/v5/trade/orders-algo-history: an algo order cancelled first.
    let open = open_orders(&client, &[spot()], &bot).await;
    let stop = open.iter().find(|o| o.order_type == "conditional").unwrap();
    let cancel = Op::CancelBatch {
        segment: algo_segment(&client, stop),
        orders: vec![OrderRef {
            symbol: stop.symbol.clone(),
            order_id: stop.order_id.clone(),
        }],
    };
    client.call(&cancel, key).await.unwrap();
    let doc = fixture(OKX, "orders-algo-history");
    // `algo:1` is the page of `conditional,oco` orders in state `canceled`.
    let op = history(6, Some("algo:1"));
    let Reply::Orders(page) = decode(OKX, &history(6, Some("algo:0")), &doc.answer) else {
        panic!("not orders");
    };
    // The example's order (created 2024-10-10) is outside this window: kept out, and the page
    // ends its list.
    assert!(page.items.is_empty() && page.next.as_deref() == Some("algo:1"));
    let sim = sim_answer(&client, &op, key).await;
    assert_eq!(sim["data"][0]["algoId"], stop.order_id.as_str());
    // The example's order triggered and names the order it placed; the simulator never
    // triggers one, so a cancelled algo order's `ordIdList` is empty.
    assert_same_shape(&doc, &sim, &["$.data[].ordIdList"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn okx_writes_are_answered_as_documented() {
    let lab = Lab::start_on(OKX, 72).await;
    let (master, bot) = creds(&lab);
    let client = lab.client();
    client.resync().await.unwrap();
    let key = Auth::Key(&bot);

    // POST /api/v5/trade/order and /trade/order-algo
    let buy = |trigger| NewOrder {
        segment: spot(),
        symbol: "BTC-USDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1_000.0 },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let doc = fixture(OKX, "place-order");
    let place = Op::PlaceOrder(buy(None));
    let Reply::Placed(id) = decode(OKX, &place, &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(id, "312269865356374016");
    let placed = sim_write(&lab, &client, &place, key).await;
    assert_same_shape(&doc, &placed, &[]);
    let doc = fixture(OKX, "place-algo-order");
    let trigger = Op::PlaceOrder(buy(Some(1_100.0)));
    let Reply::Placed(id) = decode(OKX, &trigger, &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(id, "1836487817828872192");
    let sim = sim_write(&lab, &client, &trigger, key).await;
    assert_same_shape(&doc, &sim, &[]);
    let algo_id = sim["data"][0]["algoId"].as_str().unwrap().to_owned();

    // POST /api/v5/trade/cancel-order and /trade/cancel-batch-orders
    let ord_id = placed["data"][0]["ordId"].as_str().unwrap().to_owned();
    let doc = fixture(OKX, "cancel-order");
    let cancel = Op::CancelOrder {
        segment: spot(),
        symbol: "BTC-USDT".into(),
        order_id: ord_id,
    };
    decode(OKX, &cancel, &doc.answer);
    assert_same_shape(&doc, &sim_write(&lab, &client, &cancel, key).await, &[]);
    let open = open_orders(&client, &[spot(), swap()], &bot).await;
    let plain: Vec<_> = open
        .iter()
        .filter(|o| client.venue().batch_route(o).is_none())
        .take(2)
        .collect();
    let doc = fixture(OKX, "cancel-batch-orders");
    let batch = Op::CancelBatch {
        segment: spot(),
        orders: plain
            .iter()
            .map(|o| OrderRef {
                symbol: o.symbol.clone(),
                order_id: o.order_id.clone(),
            })
            .collect(),
    };
    let Reply::Cancelled(gone) = decode(OKX, &batch, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(gone.len(), 2);
    assert_same_shape(&doc, &sim_write(&lab, &client, &batch, key).await, &[]);

    // POST /api/v5/trade/cancel-algos
    let doc = fixture(OKX, "cancel-algos");
    let algo = Op::CancelBatch {
        segment: Segment {
            category: Category::Spot,
            settle: Some("algo"),
        },
        orders: vec![OrderRef {
            symbol: "BTC-USDT".into(),
            order_id: algo_id,
        }],
    };
    let Reply::Cancelled(gone) = decode(OKX, &algo, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(gone[0].order_id, "1836489397437468672");
    assert_same_shape(&doc, &sim_write(&lab, &client, &algo, key).await, &[]);

    // POST /api/v5/trade/cancel-all-after
    let doc = fixture(OKX, "cancel-all-after");
    let arm = Op::CancelAfter { seconds: 60 };
    let Reply::Armed(at) = decode(OKX, &arm, &doc.answer) else {
        panic!("not armed");
    };
    // The example writes seconds where the field's description says milliseconds.
    assert_eq!(at, Some(1_587_971_460));
    assert_same_shape(&doc, &sim_write(&lab, &client, &arm, key).await, &[]);

    // POST /api/v5/asset/withdrawal (the master: a sub-account key may not withdraw)
    let doc = fixture(OKX, "withdrawal");
    let withdraw = Op::Withdraw {
        coin: "USDT".into(),
        amount: "10".into(),
        address: "0x000000000000000000000000000000000000dEaD".into(),
    };
    decode(OKX, &withdraw, &doc.answer);
    assert_same_shape(
        &doc,
        &sim_write(&lab, &client, &withdraw, Auth::Key(&master)).await,
        &[],
    );

    // Key management through the master: modify (lock), create, delete.
    let sub = lab.account();
    let doc = fixture(OKX, "modify-sub-account-key");
    let lock = Op::RestrictKey {
        key: bot.key.clone(),
        account: Some(sub.clone()),
        lock: lock_to(&["127.0.0.1"], Access::Unchanged),
    };
    let Reply::Key(locked) = decode(OKX, &lock, &doc.answer) else {
        panic!("not a key");
    };
    assert_eq!(locked.ips, ["1.1.1.1"]);
    assert_same_shape(
        &doc,
        &sim_write(&lab, &client, &lock, Auth::Key(&master)).await,
        &[],
    );
    let mut doc = fixture(OKX, "create-sub-account-key");
    // The example masks the new key's secrets (`******`); a passphrase that meets OKX's rules
    // stands in for the one the adapter checks came back.
    doc.answer["data"][0]["passphrase"] = "Pass-word1!".into();
    let create = Op::CreateKey {
        account: sub.clone(),
        label: "shapes".into(),
        scope: lockdown::exchanges::model::KeyScope {
            trade: vec![lockdown::exchanges::model::TradePermission::SpotTrade],
            ips: lockdown::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let Reply::Created(created) = decode(OKX, &create, &doc.answer) else {
        panic!("not created");
    };
    assert_eq!(created.info.ips, ["1.1.1.1", "2.2.2.2"]);
    let sim = sim_write(&lab, &client, &create, Auth::Key(&master)).await;
    assert_same_shape(&doc, &sim, &[]);
    let doc = fixture(OKX, "delete-sub-account-key");
    let revoke = Op::RevokeKey(Revoke::ByMaster {
        key: KeyId::new(sim["data"][0]["apiKey"].as_str().unwrap()),
        account: Some(sub),
    });
    decode(OKX, &revoke, &doc.answer);
    assert_same_shape(
        &doc,
        &sim_write(&lab, &client, &revoke, Auth::Key(&master)).await,
        &[],
    );
}

/// Every endpoint the adapter's `encode` produces, one op of each kind (and each page kind),
/// has its documented example under `tests/fixtures/okx/`.
#[test]
fn every_okx_endpoint_has_a_documented_answer() {
    let client = Client::new(
        OKX.venue(),
        "http://127.0.0.1:9",
        lockdown::exchanges::Mode::Live,
    )
    .unwrap();
    let cred = Credential::new(KeyId::new("k"), SecretString::from("s".to_owned()))
        .with_passphrase(SecretString::from("Pass-word1!".to_owned()));
    let now = chrono::Utc::now().timestamp_millis();
    let window = |days: i64| Window {
        start_ms: now - days * DAY_MS,
        end_ms: now,
    };
    let order = |trigger| NewOrder {
        segment: spot(),
        symbol: "BTC-USDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 1.0 },
        qty: 1.0,
        unit: QtyUnit::Base,
        trigger,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    };
    let one = || {
        vec![OrderRef {
            symbol: "BTC-USDT".into(),
            order_id: "1".into(),
        }]
    };
    let ops = [
        Op::ServerTime,
        Op::WhoAmI,
        Op::SubKeys {
            account: "sub001".into(),
            cursor: None,
        },
        Op::RestrictKey {
            key: KeyId::new("k"),
            account: Some("sub001".into()),
            lock: lock_to(&["127.0.0.1"], Access::Unchanged),
        },
        Op::RevokeKey(Revoke::ByMaster {
            key: KeyId::new("k"),
            account: Some("sub001".into()),
        }),
        Op::CreateKey {
            account: "sub001".into(),
            label: "l".into(),
            scope: lockdown::exchanges::model::KeyScope {
                trade: vec![],
                ips: lockdown::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        },
        Op::CancelAfter { seconds: 60 },
        Op::CancelBatch {
            segment: spot(),
            orders: one(),
        },
        Op::CancelBatch {
            segment: Segment {
                category: Category::Spot,
                settle: Some("algo"),
            },
            orders: one(),
        },
        Op::OpenOrders {
            segment: spot(),
            cursor: None,
        },
        Op::OpenOrders {
            segment: spot(),
            cursor: Some("algo:0".into()),
        },
        Op::Orders {
            segment: spot(),
            window: window(1),
            cursor: None,
        },
        Op::Orders {
            segment: spot(),
            window: window(30),
            cursor: None,
        },
        Op::Orders {
            segment: spot(),
            window: window(1),
            cursor: Some("algo:0".into()),
        },
        Op::Fills {
            segment: spot(),
            window: window(1),
            cursor: None,
        },
        Op::Fills {
            segment: spot(),
            window: window(30),
            cursor: None,
        },
        Op::Balances,
        Op::WalletBalances { account: "funding" },
        Op::Withdrawals {
            window: window(1),
            cursor: None,
        },
        Op::Transfers {
            window: window(1),
            cursor: None,
        },
        Op::PlaceOrder(order(None)),
        Op::PlaceOrder(order(Some(2.0))),
        Op::CancelOrder {
            segment: spot(),
            symbol: "BTC-USDT".into(),
            order_id: "1".into(),
        },
        Op::Withdraw {
            coin: "USDT".into(),
            amount: "1".into(),
            address: "0xabc".into(),
        },
    ];
    assert_eq!(
        assert_every_endpoint_documented(OKX, &client, &cred, &ops),
        24
    );
}
