//! Bybit's private stream on the simulator, over a real WebSocket on 127.0.0.1: the login is
//! checked as Bybit documents it (signature, `expires`, a live key, its IP whitelist), the
//! `order` topic pushes an order placed by REST in the REST shape, and `drill --watch` follows
//! the stream, with and without injected drops, losses and duplicates, missing nothing.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::stream::PrivateStream;
use lockdown::exchanges::{Auth, NewOrder, Op, OrderKind, QtyUnit, Reply, TimeInForce};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{
    Lab, attacker_ip, bind_bot_key, code, lockdown, read, responder_ip, stderr, stdout,
};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket to the lab's `/v5/private`, from `from`.
async fn connect(lab: &Lab, from: IpAddr) -> Socket {
    let addr = lab.running.local_addr;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
    let tcp = socket.connect(addr).await.expect("connects");
    let url = format!("ws://{addr}/v5/private");
    let (ws, _) =
        tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
            .await
            .expect("upgrades");
    ws
}

/// Sends `message` and returns the next text answer (bounded).
async fn ask(ws: &mut Socket, message: Value) -> Value {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
    next_text(ws).await
}

async fn next_text(ws: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer within 5 s")
            .expect("the connection is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
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
    let push = next_text(&mut ws).await;
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
    let state = tempfile::tempdir().unwrap();
    let state = state.path().display().to_string();
    let mut args = vec![
        "drill",
        "--json",
        "--state-dir",
        &state,
        "--venue",
        "bybit",
        "--scenario",
        scenario,
        "--watch",
        "--watch-interval",
        "1s",
    ];
    args.extend_from_slice(extra);
    let output = lockdown(&args, &[]).await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    (code(&output), card, stderr(&output))
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_follows_the_private_stream() {
    let (code, card, err) = drill("pump-illiquid", &[]).await;
    assert_eq!(code, 0, "{card:#}\n{err}");
    let watch = &card["watch"];
    assert_eq!(watch["source"], "stream", "{watch:#}");
    assert!(
        watch["stream"]["connects"].as_u64().unwrap() >= 1,
        "{watch:#}"
    );
    // The attacker's first order came in on the stream, not from a REST look.
    assert!(
        watch["signals_by_source"]["stream"].as_u64().unwrap_or(0) >= 1,
        "{watch:#}"
    );
    assert!(watch["lock_run"].is_string(), "{watch:#}");
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
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
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
    let watch = &card["watch"];
    assert_eq!(watch["source"], "stream", "{watch:#}");
    assert!(
        watch["stream_drops_injected"].as_u64().unwrap() >= 1,
        "{watch:#}"
    );
    assert!(
        watch["stream"]["gap_fills"].as_u64().unwrap() >= 2,
        "{watch:#}"
    );
    assert_eq!(watch["missed"], 0, "{watch:#}");
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    assert!(watch["lock_run"].is_null(), "notify only: {watch:#}");
    // One signal per attacker order, however often it came.
    let ids: Vec<&str> = watch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "{ids:#?}");
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
