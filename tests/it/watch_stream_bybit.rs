//! Bybit's private stream on the simulator, over a real WebSocket on 127.0.0.1: the login is
//! checked as Bybit documents it (signature, `expires`, a live key, its IP whitelist), the
//! `order` topic pushes an order placed by REST in the REST shape, and `drill --watch` follows
//! the stream, with and without injected drops, losses and duplicates, missing nothing.

use std::net::IpAddr;

use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::stream::PrivateStream;
use lockdown::exchanges::{Auth, NewOrder, Op, OrderKind, QtyUnit, Reply, TimeInForce};
use serde_json::{Value, json};

use crate::support::{Lab, attacker_ip, bind_bot_key, read, responder_ip};
use crate::ws;

/// A WebSocket to the lab's `/v5/private`, from `from`.
async fn connect(lab: &Lab, from: IpAddr) -> ws::Socket {
    ws::connect(lab, from, "/v5/private").await
}

async fn ask(socket: &mut ws::Socket, message: Value) -> Value {
    ws::ask(socket, &message).await
}

fn sign(secret: &str, expires: i64) -> String {
    lockdown::exchanges::signing::hmac_sha256_hex(
        &lockdown::secret::SecretString::from(secret.to_owned()),
        format!("GET/realtime{expires}").as_bytes(),
    )
}

fn auth(key: &str, secret: &str, expires: i64) -> Value {
    json!({"op": "auth", "args": [key, expires, sign(secret, expires)]})
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_login_is_checked_as_bybit_documents_it() {
    let lab = Lab::start(71).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let ok = |answer: &Value| answer["success"] == true && answer["op"] == "auth";

    let mut ws = connect(&lab, responder_ip()).await;
    // Nothing before the login.
    let early = ask(&mut ws, json!({"op": "subscribe", "args": ["order"]})).await;
    assert_eq!(early["success"], false, "{early}");
    // A signature made with another secret, an `expires` already past, an unknown key.
    let bad_sig = ask(&mut ws, auth(&key, "not-the-secret", now_ms() + 5_000)).await;
    assert!(
        !ok(&bad_sig) && bad_sig["ret_msg"] == "Params Error",
        "{bad_sig}"
    );
    let stale = ask(&mut ws, auth(&key, &secret, now_ms() - 1_000)).await;
    assert!(!ok(&stale), "{stale}");
    let unknown = ask(
        &mut ws,
        auth("NoSuchKey12345678", &secret, now_ms() + 5_000),
    )
    .await;
    assert!(!ok(&unknown), "{unknown}");
    // The right one passes, and the documented ping answers the private `pong`.
    let good = ask(&mut ws, auth(&key, &secret, now_ms() + 5_000)).await;
    assert!(ok(&good), "{good}");
    let pong = ask(&mut ws, json!({"op": "ping", "req_id": "p1"})).await;
    assert_eq!(pong["op"], "pong", "{pong}");
    assert_eq!(pong["req_id"], "p1", "{pong}");
    // Mixing the all-in-one and a categorised topic is refused, as the docs say.
    let mixed = ask(
        &mut ws,
        json!({"op": "subscribe", "args": ["order", "order.spot"]}),
    )
    .await;
    assert_eq!(mixed["success"], false, "{mixed}");

    // Bound to the responder's and the bots' addresses: not from the attacker's.
    bind_bot_key(&lab);
    let mut outside = connect(&lab, attacker_ip()).await;
    let refused = ask(&mut outside, auth(&key, &secret, now_ms() + 5_000)).await;
    assert!(!ok(&refused), "{refused}");
    let mut inside = connect(&lab, responder_ip()).await;
    assert!(ok(
        &ask(&mut inside, auth(&key, &secret, now_ms() + 5_000)).await
    ));

    // A deleted key cannot log in.
    assert!(lab.sim.web_ui_delete_key(&key));
    let mut after = connect(&lab, responder_ip()).await;
    let gone = ask(&mut after, auth(&key, &secret, now_ms() + 5_000)).await;
    assert!(!ok(&gone), "{gone}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_placed_by_rest_is_pushed_on_the_order_topic_in_the_rest_shape() {
    let lab = Lab::start(72).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let mut ws = connect(&lab, responder_ip()).await;
    assert_eq!(
        ask(&mut ws, auth(&key, &secret, now_ms() + 5_000)).await["success"],
        true
    );
    let subscribed = ask(&mut ws, json!({"op": "subscribe", "args": ["order"]})).await;
    assert_eq!(subscribed["success"], true, "{subscribed}");

    let (_, bot) = lab.creds();
    let order = NewOrder {
        segment: Segment {
            category: Category::Spot,
            settle: None,
        },
        symbol: "BTCUSDT".to_owned(),
        side: Side::Buy,
        kind: OrderKind::Limit { price: 20_000.0 },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger: None,
        client_order_id: Some("pushed-1".to_owned()),
        time_in_force: TimeInForce::Gtc,
        reduce_only: false,
    };
    let id = lab
        .client()
        .call(&Op::PlaceOrder(order), Auth::Key(&bot))
        .await
        .and_then(Reply::into_placed)
        .expect("placed");
    let push = ws::next_json(&mut ws).await;
    assert_eq!(push["topic"], "order", "{push}");
    let item = &push["data"][0];
    assert_eq!(item["orderId"], id.as_str(), "{push}");
    assert_eq!(item["orderLinkId"], "pushed-1", "{push}");
    assert_eq!(item["category"], "spot", "{push}");
    assert_eq!(item["orderStatus"], "New", "{push}");
    // The client decodes it as the REST order it is.
    let frames = lockdown::exchanges::bybit::stream::BybitStream.read(
        &lockdown::exchanges::stream::Connection {
            name: "private",
            token: None,
        },
        &push.to_string(),
    );
    let [lockdown::exchanges::stream::Frame::Orders(orders)] = frames.as_slice() else {
        panic!("{frames:?}");
    };
    assert_eq!(orders[0].order_id, id);
    // The hidden truth never goes on the wire.
    assert!(!push.to_string().contains("origin"), "{push}");
}

/// `drill --json --watch` on Bybit with `extra` flags: the exit code and the scorecard.
async fn drill(scenario: &str, extra: &[&str]) -> (i32, Value, String) {
    ws::drill_watch("bybit", scenario, extra).await
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_follows_the_private_stream() {
    let (code, card, err) = drill("pump-illiquid", &[]).await;
    ws::assert_followed_the_stream(code, &card, &err);
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_lost_and_duplicated_stream_updates_miss_nothing() {
    // The watcher only notifies, so it watches the whole attack; each connection is cut after
    // two pushes (the next update lost with it), every third update is lost on the way, and
    // every update comes twice: the gap fills after each reconnect find everything, once.
    let (code, card, err) = drill(
        "alt-dump",
        &[
            "--watch-notify-only",
            "--stream-faults",
            "drop-after=2,lose-every=3,duplicate",
        ],
    )
    .await;
    ws::assert_fault_drill_missed_nothing(code, &card, &err);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_order_the_ledger_never_got_is_counted_apart_not_a_false_alarm() {
    // `ledger-gap`: the bots' ledger misses some of their orders. The watcher cannot tell
    // those from the attacker's (neither can the diff), so it signals them; the drill counts
    // them apart, as its detection does, and passes.
    let (code, card, err) = drill("ledger-gap", &[]).await;
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
    let watch = &card["watch"];
    assert!(
        watch["about_orders_never_in_ledger"].as_u64().unwrap() >= 1,
        "{watch:#}"
    );
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
}
