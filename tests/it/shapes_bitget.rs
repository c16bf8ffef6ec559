//! Bitget's documented answers (`tests/fixtures/bitget/`, the example answers of Bitget's V2
//! pages; those not compared verbatim say so in their `note`) against the adapter and against
//! the simulator, endpoint by endpoint; the list of every endpoint the adapter calls, each with
//! its fixture; and the simulator's authentication and key management as Bitget documents them,
//! over HTTP.

use lockdown::exchanges::model::{Access, Category, IpWhitelist, KeyScope, Lock, Segment, Side};
use lockdown::exchanges::{
    Auth, Client, ExchangeError, ExchangeId, Method, NewOrder, Op, OrderKind, OrderRef, QtyUnit,
    Reply, Revoke, TimeInForce, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::shapes::{
    Fixture, assert_every_endpoint_documented, assert_same_shape, decode, fixture, sim_answer,
};
use crate::support::{DAY_MS, Lab, raw_client, read, responder_ip};

const BITGET: ExchangeId = ExchangeId::Bitget;

/// The envelope's fields outside `code` and `data`: Bitget's own examples write them three ways
/// (`msg` with `requestTime`, `msg` without, `message`), so only `code` and `data` are compared.
const ENVELOPE: [&str; 3] = ["$.msg", "$.message", "$.requestTime"];

/// [`assert_same_shape`] on `code` and `data`, with `ignore` besides.
fn same(doc: &Fixture, sim: &Value, ignore: &[&str]) {
    let all: Vec<&str> = ENVELOPE.iter().chain(ignore).copied().collect();
    assert_same_shape(doc, sim, &all);
}

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

fn segment(category: Category, settle: &'static str) -> Segment {
    Segment {
        category,
        settle: Some(settle),
    }
}

fn spot() -> Segment {
    segment(Category::Spot, "SPOT")
}

fn usdt() -> Segment {
    segment(Category::Linear, "USDT-FUTURES")
}

fn order(segment: Segment, symbol: &str, price: f64) -> NewOrder {
    NewOrder {
        segment,
        symbol: symbol.into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: Some("shape1".into()),
        time_in_force: TimeInForce::Gtc,
        reduce_only: false,
    }
}

/// The simulator's raw answer to a write the client prepared, sent from the responder's
/// address (the client refuses to send a mutation through `raw`).
async fn sim_write(lab: &Lab, client: &Client, op: &Op, auth: Auth<'_>) -> Value {
    let signed = client.prepare(op, auth).unwrap();
    let request = &signed.request;
    let url = format!("{}{}", lab.running.base_url, request.path_and_query());
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

#[tokio::test(flavor = "multi_thread")]
async fn bitget_answers_are_shaped_as_documented() {
    let lab = Lab::start_on(BITGET, 81).await;
    let (master, bot) = creds(&lab);
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: now + 60_000,
    };

    // The clock, unsigned.
    let doc = fixture(BITGET, "public-time");
    let Reply::ServerTime(ms) = decode(BITGET, &Op::ServerTime, &doc.answer) else {
        panic!("not a time");
    };
    assert_eq!(ms, 1_688_008_631_614);
    same(
        &doc,
        &sim_answer(&client, &Op::ServerTime, Auth::Public).await,
        &[],
    );

    // The calling key: IP list, authorities, main account.
    let doc = fixture(BITGET, "account-info");
    let Reply::Key(info) = decode(BITGET, &Op::WhoAmI, &doc.answer) else {
        panic!("not a key");
    };
    assert_eq!(info.ips, ["127.0.0.1"]);
    assert!(!info.read_only, "`trade` in the docs' example");
    let sim = sim_answer(&client, &Op::WhoAmI, Auth::Key(&bot)).await;
    assert_eq!(sim["data"]["ips"], "", "the bot key is bound to no address");
    assert!(
        sim["data"]["authorities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "stow")
    );
    same(&doc, &sim, &[]);

    // The bot's sub-account keys, through the master.
    let account = lab.account();
    let doc = fixture(BITGET, "subaccount-apikey-list");
    let keys = Op::SubKeys {
        account: account.clone(),
        cursor: None,
    };
    let Reply::Keys(page) = decode(BITGET, &keys, &doc.answer) else {
        panic!("not keys");
    };
    assert_eq!(page.items[0].permissions, ["spot_trade", "contract_trade"]);
    let sim = sim_answer(&client, &keys, Auth::Key(&master)).await;
    assert!(!sim.to_string().contains("secret"), "no secret in the list");
    // The bot key is unbound: the simulator lists its `ipList` empty, which compares nothing.
    same(&doc, &sim, &["$.data[].ipList", "$.data[].ipList[]"]);

    // Balances.
    let doc = fixture(BITGET, "spot-assets");
    let Reply::Balances(balances) = decode(BITGET, &Op::Balances, &doc.answer) else {
        panic!("not balances");
    };
    assert_eq!(balances[0].coin, "usdt");
    same(
        &doc,
        &sim_answer(&client, &Op::Balances, Auth::Key(&bot)).await,
        &[],
    );

    // A spot order placed, listed open, then cancelled by symbol.
    let place = Op::PlaceOrder(order(spot(), "BTCUSDT", 20_000.0));
    let placed = sim_write(&lab, &client, &place, Auth::Key(&bot)).await;
    let doc = fixture(BITGET, "spot-place-order");
    let Reply::Placed(id) = decode(BITGET, &place, &doc.answer) else {
        panic!("not placed");
    };
    assert_eq!(id, "1001");
    same(&doc, &placed, &[]);
    let open = Op::OpenOrders {
        segment: spot(),
        cursor: None,
    };
    let doc = fixture(BITGET, "spot-unfilled-orders");
    let Reply::Orders(page) = decode(BITGET, &open, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(
        page.items[0].price.as_ref().unwrap().as_str(),
        "34829.12",
        "spot's open orders carry the order's price in `priceAvg`"
    );
    let sim = sim_answer(&client, &open, Auth::Key(&bot)).await;
    // `orderSource` and `uTime` are in the page's field table, not in its example.
    same(&doc, &sim, &["$.data[].orderSource", "$.data[].uTime"]);
    let cancel = Op::CancelBatch {
        segment: spot(),
        orders: vec![OrderRef {
            symbol: "BTCUSDT".into(),
            order_id: placed["data"]["orderId"].as_str().unwrap().into(),
        }],
    };
    let doc = fixture(BITGET, "spot-cancel-symbol-order");
    assert!(matches!(
        decode(BITGET, &cancel, &doc.answer),
        Reply::Cancelled(c) if c.len() == 1
    ));
    same(
        &doc,
        &sim_write(&lab, &client, &cancel, Auth::Key(&bot)).await,
        &[],
    );

    // The spot order history and fills.
    let history = Op::Orders {
        segment: spot(),
        window: month,
        cursor: None,
    };
    let doc = fixture(BITGET, "spot-history-orders");
    let Reply::Orders(page) = decode(BITGET, &history, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items[0].price.as_ref().unwrap().as_str(), "34829.12");
    same(
        &doc,
        &sim_answer(&client, &history, Auth::Key(&bot)).await,
        &[],
    );
    let fills = Op::Fills {
        segment: spot(),
        window: month,
        cursor: None,
    };
    let doc = fixture(BITGET, "spot-fills");
    let Reply::Fills(page) = decode(BITGET, &fills, &doc.answer) else {
        panic!("not fills");
    };
    assert_eq!(page.items[0].fee.as_str(), "0.0000007");
    same(
        &doc,
        &sim_answer(&client, &fills, Auth::Key(&bot)).await,
        &[],
    );

    // A USDT-M order placed, listed, and every USDT-M order cancelled.
    let place = Op::PlaceOrder(order(usdt(), "BTCUSDT", 20_000.0));
    let placed = sim_write(&lab, &client, &place, Auth::Key(&bot)).await;
    same(&fixture(BITGET, "mix-place-order"), &placed, &[]);
    let pending = Op::OpenOrders {
        segment: usdt(),
        cursor: None,
    };
    let doc = fixture(BITGET, "mix-orders-pending");
    let Reply::Orders(page) = decode(BITGET, &pending, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items[0].category, Category::Linear);
    let sim = sim_answer(&client, &pending, Auth::Key(&bot)).await;
    // Hedge-mode and profit fields the simulator's one-way accounts do not have.
    let one_way = [
        "$.data.entrustedList[].posSide",
        "$.data.entrustedList[].totalProfits",
        "$.data.entrustedList[].leverage",
        "$.data.entrustedList[].tradeSide",
        "$.data.entrustedList[].orderSource",
        "$.data.entrustedList[].userId",
        "$.data.entrustedList[].productType",
        "$.data.entrustedList[].reduceOnly",
    ];
    same(&doc, &sim, &one_way);
    let cancel_all = Op::CancelBatch {
        segment: usdt(),
        orders: vec![OrderRef {
            symbol: "BTCUSDT".into(),
            order_id: placed["data"]["orderId"].as_str().unwrap().into(),
        }],
    };
    let doc = fixture(BITGET, "mix-cancel-all-orders");
    let Reply::Cancelled(cancelled) = decode(BITGET, &cancel_all, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(cancelled.len(), 1, "the failure list stays open");
    let sim = sim_write(&lab, &client, &cancel_all, Auth::Key(&bot)).await;
    assert!(
        sim["data"]["successList"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["orderId"] == placed["data"]["orderId"]),
        "{sim}"
    );
    // The simulator's cancel never fails, so its failure list is empty.
    same(&doc, &sim, &["$.data.failureList", "$.data.failureList[]"]);

    // Futures fills of the docs' example decode.
    let doc = fixture(BITGET, "mix-fill-history");
    let mix_fills = Op::Fills {
        segment: usdt(),
        window: month,
        cursor: None,
    };
    let Reply::Fills(page) = decode(BITGET, &mix_fills, &doc.answer) else {
        panic!("not fills");
    };
    assert_eq!(page.items[0].price.as_str(), "1801.33");
}

#[tokio::test(flavor = "multi_thread")]
async fn bitget_signs_and_locks_as_documented() {
    let lab = Lab::start_on(BITGET, 82).await;
    let (master, bot) = creds(&lab);
    let client = lab.client();
    client.resync().await.unwrap();

    // Without its passphrase the key is refused (40011), with another one too (40012).
    let bare = Credential::new(bot.key.clone(), lab.creds().1.secret().clone());
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&bare))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("40011"), "{err:?}");
    let wrong = bare
        .clone()
        .with_passphrase(SecretString::from("other1234"));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::Passphrase { .. }), "{err:?}");
    // Another secret signs wrong (40009); an unknown key is 40006.
    let forged = Credential::new(bot.key.clone(), SecretString::from("not-the-secret"))
        .with_passphrase(SecretString::from(read(
            &lab.sim_dir().join("bot.passphrase"),
        )));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&forged))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::Signature { .. }), "{err:?}");
    let stranger = Credential::new(KeyId::new("bg_nobody"), SecretString::from("x"))
        .with_passphrase(SecretString::from("x"));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&stranger))
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::InvalidKey { .. }), "{err:?}");

    // A sub-account key cannot manage keys (40014).
    let account = lab.account();
    let keys = Op::SubKeys {
        account: account.clone(),
        cursor: None,
    };
    let err = client.call(&keys, Auth::Key(&bot)).await.unwrap_err();
    assert!(matches!(err, ExchangeError::Permission { .. }), "{err:?}");

    // The lock: bound elsewhere, the key is refused from here (40018) and keeps its rights.
    let lock = Op::RestrictKey {
        key: bot.key.clone(),
        account: Some(account.clone()),
        lock: Lock {
            ips: IpWhitelist::parse(&["10.9.9.9"]).unwrap(),
            access: Access::Unchanged,
        },
    };
    let doc = fixture(BITGET, "modify-subaccount-apikey");
    let Reply::Key(info) = decode(BITGET, &lock, &doc.answer) else {
        panic!("not a key");
    };
    assert_eq!(info.ips, ["127.0.0.1"]);
    let sim = sim_write(&lab, &client, &lock, Auth::Key(&master)).await;
    assert_eq!(sim["data"]["ipList"][0], "10.9.9.9");
    assert_eq!(sim["data"]["secretKey"], "", "no secret shown again");
    same(&doc, &sim, &[]);
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert_eq!(err.code(), Some("40018"), "{err:?}");
    let listed = client
        .call(&keys, Auth::Key(&master))
        .await
        .and_then(Reply::into_keys)
        .unwrap();
    let locked = listed.items.iter().find(|k| k.key == bot.key).unwrap();
    assert!(
        locked.permissions.contains(&"spot_trade".to_owned()),
        "rights kept"
    );

    // No API deletes a classic sub-account key: the revoke is refused before anything is sent.
    let revoke = Op::RevokeKey(Revoke::ByMaster {
        key: bot.key.clone(),
        account: Some(account.clone()),
    });
    assert!(matches!(
        client.prepare(&revoke, Auth::Key(&master)),
        Err(ExchangeError::Unsupported { .. })
    ));
    // The web interface does; the key is then unknown (40037).
    assert!(lab.sim.web_ui_delete_key(bot.key.as_str()));
    let keys_after = client
        .call(&keys, Auth::Key(&master))
        .await
        .and_then(Reply::into_keys)
        .unwrap();
    assert!(keys_after.items.iter().all(|k| k.key != bot.key));

    // The replacement: its secret once, its passphrase the one the request chose.
    let create = Op::CreateKey {
        account: account.clone(),
        label: "lockdown-shape".into(),
        scope: KeyScope {
            trade: vec![lockdown::exchanges::model::TradePermission::SpotTrade],
            ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
        },
    };
    let doc = fixture(BITGET, "create-subaccount-apikey");
    assert!(matches!(
        decode(BITGET, &create, &doc.answer),
        Reply::Created(_)
    ));
    let created = client
        .call(&create, Auth::Key(&master))
        .await
        .and_then(Reply::into_created)
        .unwrap();
    let fresh = Credential::new(created.info.key.clone(), created.secret.clone())
        .with_passphrase(created.passphrase.clone().unwrap());
    let me = client
        .call(&Op::WhoAmI, Auth::Key(&fresh))
        .await
        .and_then(Reply::into_key)
        .unwrap();
    assert!(!me.can_withdraw());
    assert_eq!(me.ips, ["127.0.0.1"]);
}

/// Every endpoint the adapter calls has its documented answer, and no fixture is unused.
#[test]
fn every_bitget_endpoint_has_its_fixture() {
    let client = Client::new(
        BITGET.venue(),
        "http://127.0.0.1:1",
        lockdown::exchanges::Mode::Live,
    )
    .unwrap();
    let cred = Credential::new(KeyId::new("bg_k"), SecretString::from("s"))
        .with_passphrase(SecretString::from("p"));
    let window = Window {
        start_ms: 0,
        end_ms: DAY_MS,
    };
    let account = "1000002".to_owned();
    let mut ops = vec![
        Op::ServerTime,
        Op::WhoAmI,
        Op::SubKeys {
            account: account.clone(),
            cursor: None,
        },
        Op::RestrictKey {
            key: KeyId::new("bg_k"),
            account: Some(account.clone()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        },
        Op::FreezeAccount {
            account: account.clone(),
        },
        Op::CreateKey {
            account,
            label: "l".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        },
        Op::Balances,
        Op::Withdrawals {
            window,
            cursor: None,
        },
        Op::Transfers {
            window,
            cursor: None,
        },
        Op::Withdraw {
            coin: "USDT".into(),
            amount: "1".into(),
            address: "a".into(),
        },
    ];
    for segment in [spot(), usdt()] {
        ops.extend([
            Op::CancelBatch {
                segment,
                orders: vec![OrderRef {
                    symbol: "BTCUSDT".into(),
                    order_id: "1".into(),
                }],
            },
            Op::OpenOrders {
                segment,
                cursor: None,
            },
            Op::Orders {
                segment,
                window,
                cursor: None,
            },
            Op::Fills {
                segment,
                window,
                cursor: None,
            },
            Op::PlaceOrder(order(segment, "BTCUSDT", 1.0)),
            Op::CancelOrder {
                segment,
                symbol: "BTCUSDT".into(),
                order_id: "1".into(),
            },
            Op::AmendOrder {
                segment,
                symbol: "BTCUSDT".into(),
                order_id: "1".into(),
                qty: Some(1.0),
                price: Some(1.0),
            },
        ]);
    }
    assert_eq!(
        assert_every_endpoint_documented(BITGET, &client, &cred, &ops),
        24
    );
}
