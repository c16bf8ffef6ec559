//! BitMEX's documented answers (`tests/fixtures/bitmex/`, built from the models of BitMEX's API
//! explorer, which documents models rather than example answers) against the adapter and
//! against the simulator, endpoint by endpoint; the list of every endpoint the adapter calls,
//! each with its fixture; and the simulator's authentication as BitMEX documents it, over HTTP.

use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::{
    Auth, Client, ExchangeError, ExchangeId, Method, NewOrder, Op, OrderKind, QtyUnit, Reply,
    TimeInForce, Window,
};
use lockdown::secret::{Credential, KeyId, SecretString};
use serde_json::Value;

use crate::shapes::{assert_same_shape, decode, fixture, fixture_names, sim_answer};
use crate::support::{DAY_MS, Lab, raw_client, responder_ip};

const BITMEX: ExchangeId = ExchangeId::Bitmex;

/// The one account-wide segment.
fn account() -> Segment {
    BITMEX.venue().segments()[0]
}

fn order(symbol: &str, price: f64) -> NewOrder {
    NewOrder {
        segment: Segment {
            category: Category::Spot,
            settle: None,
        },
        symbol: symbol.into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: Some("shape-1".into()),
        time_in_force: TimeInForce::Gtc,
        reduce_only: false,
    }
}

/// The simulator's answer to a write, sent as the client would sign it (the client refuses to
/// send a mutation through `raw`).
async fn sim_write(lab: &Lab, client: &Client, op: &Op, auth: Auth<'_>) -> Value {
    let signed = client.prepare(op, auth).unwrap();
    let request = &signed.request;
    let url = format!("{}{}", lab.running.base_url, request.path_and_query());
    let http = raw_client(responder_ip());
    let mut builder = match request.method {
        Method::Get => http.get(url),
        Method::Post => http.post(url),
        Method::Put => http.put(url),
        Method::Delete => http.delete(url),
    };
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    for header in &signed.headers {
        builder = builder.header(header.name, header.value.as_str());
    }
    let response = builder.send().await.unwrap();
    serde_json::from_slice(&response.bytes().await.unwrap()).expect("the simulator answers JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn bitmex_answers_are_shaped_as_documented() {
    let lab = Lab::start_on(BITMEX, 91).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    let now = client.resync().await.unwrap();
    let month = Window {
        start_ms: now - 30 * DAY_MS,
        end_ms: now + 60_000,
    };

    // GET /api/v1: the clock.
    let doc = fixture(BITMEX, "root");
    let Reply::ServerTime(ms) = decode(BITMEX, &Op::ServerTime, &doc.answer) else {
        panic!("not a time");
    };
    assert_eq!(ms, 1_518_064_236_000);
    assert_same_shape(
        &doc,
        &sim_answer(&client, &Op::ServerTime, Auth::Public).await,
        &[],
    );

    // GET /apiKey: one key is itself; the simulator's account has two (owner and bot).
    let doc = fixture(BITMEX, "api-key");
    let Reply::Key(info) = decode(BITMEX, &Op::WhoAmI, &doc.answer) else {
        panic!("not a key");
    };
    assert_eq!(info.key.as_str(), "LAqUlngMIQkIUjXMUreyu3qn");
    assert_eq!(info.ips, ["203.0.113.10"]);
    let keys = sim_answer(&client, &Op::WhoAmI, Auth::Key(&owner)).await;
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert!(
        !keys.to_string().contains("secret"),
        "the listing shows no secret"
    );
    assert_same_shape(&doc, &keys, &[]);

    // POST /order, then the open orders, the amend and the cancel.
    let placed = sim_write(
        &lab,
        &client,
        &Op::PlaceOrder(order("XBT_USDT", 20_000.0)),
        Auth::Key(&bot),
    )
    .await;
    let doc = fixture(BITMEX, "order-new");
    let Reply::Placed(id) = decode(BITMEX, &Op::PlaceOrder(order("XBTUSD", 219.0)), &doc.answer)
    else {
        panic!("not placed");
    };
    assert_eq!(id, "2f5d2e4e-2b64-4a6b-9c1e-5b6b1e1f0a01");
    assert_same_shape(&doc, &placed, &[]);
    let order_id = placed["orderID"].as_str().unwrap().to_owned();

    let open = Op::OpenOrders {
        segment: account(),
        cursor: None,
    };
    let doc = fixture(BITMEX, "order-list");
    let Reply::Orders(page) = decode(BITMEX, &open, &doc.answer) else {
        panic!("not orders");
    };
    assert_eq!(page.items[0].category, Category::Inverse);
    let listed = sim_answer(&client, &open, Auth::Key(&owner)).await;
    assert!(listed.to_string().contains(&order_id));
    assert_same_shape(&doc, &listed, &[]);
    let history = sim_answer(
        &client,
        &Op::Orders {
            segment: account(),
            window: month,
            cursor: None,
        },
        Auth::Key(&owner),
    )
    .await;
    assert_same_shape(&doc, &history, &[]);

    let amend = Op::AmendOrder {
        segment: account(),
        symbol: "XBT_USDT".into(),
        order_id: order_id.clone(),
        qty: Some(0.002),
        price: None,
    };
    let doc = fixture(BITMEX, "order-amend");
    assert!(matches!(
        decode(BITMEX, &amend, &doc.answer),
        Reply::Placed(_)
    ));
    let amended = sim_write(&lab, &client, &amend, Auth::Key(&bot)).await;
    assert_eq!(amended["orderQty"], 0.002);
    assert_same_shape(&doc, &amended, &[]);

    let cancel = Op::CancelOrder {
        segment: account(),
        symbol: "XBT_USDT".into(),
        order_id: order_id.clone(),
    };
    let doc = fixture(BITMEX, "order-cancel");
    assert!(matches!(decode(BITMEX, &cancel, &doc.answer), Reply::Done));
    let cancelled = sim_write(&lab, &client, &cancel, Auth::Key(&bot)).await;
    assert_eq!(cancelled[0]["ordStatus"], "Canceled");
    assert_same_shape(&doc, &cancelled, &[]);

    // GET /execution/tradeHistory: the default incident's fills.
    let fills = Op::Fills {
        segment: account(),
        window: month,
        cursor: None,
    };
    let doc = fixture(BITMEX, "execution-trade-history");
    let Reply::Fills(page) = decode(BITMEX, &fills, &doc.answer) else {
        panic!("not fills");
    };
    assert_eq!(page.items[0].qty.as_str(), "98");
    assert_same_shape(
        &doc,
        &sim_answer(&client, &fills, Auth::Key(&owner)).await,
        &[],
    );

    // GET /user/wallet: amounts in minor units.
    let doc = fixture(BITMEX, "user-wallet");
    let Reply::Balances(held) = decode(BITMEX, &Op::Balances, &doc.answer) else {
        panic!("not balances");
    };
    assert_eq!(
        (held[0].coin.as_str(), held[0].total.as_str()),
        ("BTC", "1")
    );
    assert_same_shape(
        &doc,
        &sim_answer(&client, &Op::Balances, Auth::Key(&owner)).await,
        &[],
    );

    // GET /user/walletHistory: the incident's transfer to the bot's account.
    let doc = fixture(BITMEX, "user-wallet-history");
    let withdrawals = Op::Withdrawals {
        window: Window {
            start_ms: 1_517_000_000_000,
            end_ms: 1_519_000_000_000,
        },
        cursor: None,
    };
    let Reply::Transfers(page) = decode(BITMEX, &withdrawals, &doc.answer) else {
        panic!("not transfers");
    };
    assert_eq!(page.items[0].amount.as_str(), "0.5");
    let moves = Op::Transfers {
        window: month,
        cursor: None,
    };
    let sim = sim_answer(&client, &moves, Auth::Key(&owner)).await;
    // The wallet history is one list whatever is asked: a transfer here, a withdrawal in the
    // example; the fields are the same model's.
    assert_same_shape(&doc, &sim, &[]);
    let Reply::Transfers(page) = client.call(&moves, Auth::Key(&owner)).await.unwrap() else {
        panic!("not transfers");
    };
    assert_eq!(page.items.len(), 1, "the incident's transfer: {page:?}");

    // POST /order/cancelAllAfter and DELETE /order/all, with the owner's orderCancel key.
    let doc = fixture(BITMEX, "order-cancel-all-after");
    let arm = Op::CancelAfter { seconds: 60 };
    let Reply::Armed(Some(at)) = decode(BITMEX, &arm, &doc.answer) else {
        panic!("not armed");
    };
    assert_eq!(at, 1_518_064_296_000);
    let armed = sim_write(&lab, &client, &arm, Auth::Key(&owner)).await;
    assert_same_shape(&doc, &armed, &[]);
    let doc = fixture(BITMEX, "order-cancel-all");
    let all = Op::CancelAll { segment: account() };
    let Reply::Cancelled(gone) = decode(BITMEX, &all, &doc.answer) else {
        panic!("not cancelled");
    };
    assert_eq!(gone.len(), 1);
    let cancelled = sim_write(&lab, &client, &all, Auth::Key(&owner)).await;
    assert!(
        !cancelled.as_array().unwrap().is_empty(),
        "the bot's orders"
    );
    assert_same_shape(&doc, &cancelled, &[]);
    assert!(lab.sim.inspect().orders.iter().all(|o| !o.is_open()));
}

#[tokio::test(flavor = "multi_thread")]
async fn bitmex_refuses_as_documented() {
    let lab = Lab::start_on(BITMEX, 92).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    client.resync().await.unwrap();
    let refusal = |err: ExchangeError| err.to_string();

    // A wrong secret: `Signature not valid.`
    let forged = Credential::new(bot.key.clone(), SecretString::from("not-the-secret"));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&forged))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExchangeError::Signature { .. }),
        "{}",
        refusal(err)
    );

    // The owner's `orderCancel` key cannot place an order: `Access Denied`.
    let err = client
        .call(
            &Op::PlaceOrder(order("XBT_USDT", 20_000.0)),
            Auth::Key(&owner),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::Permission { ref code, .. } if code == "Access Denied"));

    // The bot key cannot withdraw.
    let err = client
        .call(
            &Op::Withdraw {
                coin: "USDT".into(),
                amount: "10".into(),
                address: "0xattacker".into(),
            },
            Auth::Key(&bot),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ExchangeError::Permission { .. }), "{err:?}");

    // A request whose `api-expires` is past, signed right: refused before the engine.
    let request = client.prepare(&Op::WhoAmI, Auth::Key(&bot)).unwrap();
    let past = (request_time(&request) - 60).to_string();
    let message = format!("GET{}{}", request.request.path_and_query(), past);
    let signature = lockdown::exchanges::bitmex::sign_message(bot.secret(), &message);
    let url = format!(
        "{}{}",
        lab.running.base_url,
        request.request.path_and_query()
    );
    let answer = raw_client(responder_ip())
        .get(url)
        .header("api-key", bot.key.as_str())
        .header("api-expires", past)
        .header("api-signature", signature)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("This request has expired"),
        "{body}"
    );

    // No endpoint deletes a key; the web interface does, and then the key is unknown.
    assert!(lab.sim.web_ui_delete_key(bot.key.as_str()));
    let err = client.call(&Op::WhoAmI, Auth::Key(&bot)).await.unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
    assert_eq!(err.code(), Some("Invalid API Key."));
    let unknown = Credential::new(KeyId::new("x".repeat(24)), SecretString::from("s"));
    let err = client
        .call(&Op::WhoAmI, Auth::Key(&unknown))
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated(), "{err:?}");
}

/// The `api-expires` a prepared request carries.
fn request_time(signed: &lockdown::exchanges::SignedRequest) -> i64 {
    signed
        .headers
        .iter()
        .find(|h| h.name == "api-expires")
        .and_then(|h| h.value.as_str().parse().ok())
        .unwrap()
}

#[test]
fn every_bitmex_endpoint_has_its_documented_answer() {
    let client = Client::new(
        BITMEX.venue(),
        "http://127.0.0.1:9",
        lockdown::exchanges::Mode::Live,
    )
    .unwrap();
    let cred = Credential::new(KeyId::new("k"), SecretString::from("s"));
    let window = Window {
        start_ms: 0,
        end_ms: 1,
    };
    let ops = [
        Op::ServerTime,
        Op::WhoAmI,
        Op::CancelAll { segment: account() },
        Op::CancelAfter { seconds: 60 },
        Op::OpenOrders {
            segment: account(),
            cursor: None,
        },
        Op::Orders {
            segment: account(),
            window,
            cursor: None,
        },
        Op::Fills {
            segment: account(),
            window,
            cursor: None,
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
        Op::PlaceOrder(order("XBTUSD", 1.0)),
        Op::AmendOrder {
            segment: account(),
            symbol: "XBTUSD".into(),
            order_id: "o".into(),
            qty: Some(1.0),
            price: None,
        },
        Op::CancelOrder {
            segment: account(),
            symbol: "XBTUSD".into(),
            order_id: "o".into(),
        },
        Op::Withdraw {
            coin: "BTC".into(),
            amount: "0.1".into(),
            address: "a".into(),
        },
    ];
    let documented: std::collections::BTreeSet<String> = fixture_names(BITMEX)
        .iter()
        .map(|name| fixture(BITMEX, name).endpoint)
        .collect();
    let called: std::collections::BTreeSet<String> = ops
        .iter()
        .map(|op| {
            let auth = if op.is_signed() {
                Auth::Key(&cred)
            } else {
                Auth::Public
            };
            let request = client.prepare(op, auth).unwrap().request;
            format!("{} {}", request.method.as_str(), request.path)
        })
        .collect();
    assert_eq!(called, documented);
    assert_eq!(called.len(), 12);
}

/// `cancelAllAfter` counts in milliseconds and cancels every product's orders when due; the
/// leaked key (with `order`) can disarm it, which is why the playbook arms it again once the key
/// is deleted.
#[tokio::test(flavor = "multi_thread")]
async fn bitmex_dead_man_switch_cancels_every_product_when_due() {
    let lab = Lab::start_on(BITMEX, 93).await;
    let (owner, bot) = lab.creds();
    let client = lab.client();
    client.resync().await.unwrap();
    let open = |lab: &Lab| {
        lab.sim
            .inspect()
            .orders
            .iter()
            .filter(|o| o.is_open())
            .count()
    };
    assert!(open(&lab) > 0, "the incident's bot has open orders");

    // Armed by the owner, disarmed by the leaked key: nothing fires.
    let armed = client
        .call(&Op::CancelAfter { seconds: 1 }, Auth::Key(&owner))
        .await
        .and_then(Reply::into_armed)
        .unwrap();
    assert!(armed.is_some());
    let off = client
        .call(&Op::CancelAfter { seconds: 0 }, Auth::Key(&bot))
        .await
        .and_then(Reply::into_armed)
        .unwrap();
    assert_eq!(off, None);
    lab.sim.set_clock_skew_ms(5_000);
    client.resync().await.unwrap();
    assert!(open(&lab) > 0, "disarmed: nothing cancelled");

    // Armed again: due once the exchange's clock passes it, at the next request.
    client
        .call(&Op::CancelAfter { seconds: 1 }, Auth::Key(&owner))
        .await
        .unwrap();
    lab.sim.set_clock_skew_ms(10_000);
    client.resync().await.unwrap();
    assert_eq!(open(&lab), 0, "every product's orders cancelled");
}
