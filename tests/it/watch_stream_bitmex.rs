//! BitMEX's private order stream (docs/venues/bitmex.md §12), end to end against the simulator
//! over real HTTP and a real WebSocket on 127.0.0.1: `drill --watch` follows the `order` table
//! and signals the attacker's first order from a push, and misses nothing when connections drop
//! (an update lost with each) and updates come twice; a raw client is refused where BitMEX
//! refuses (a bad signature, an `expires` in the past, an address outside the key's CIDR, a
//! deleted key) and gets the documented `insert` once an order is placed by REST.

use lockdown::exchanges::ExchangeId;
use serde_json::{Value, json};

use crate::adapter::{cancel_order, limit_buy, place};
use crate::support::{Lab, attacker_ip, read, responder_ip};
use crate::ws;

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_follows_the_order_table_to_the_attacker() {
    let (code, card, err) = ws::drill_watch("bitmex", "pump-illiquid", &[]).await;
    // `ws::assert_followed_the_stream` less its lock run: BitMEX keys cannot be locked by API,
    // so the watcher notifies (docs/watch.md §3).
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
    assert!(err.contains("following its private order stream"), "{err}");
    let watch = &card["watch"];
    assert_eq!(watch["source"], "stream", "{watch:#}");
    assert!(
        watch["stream"]["connects"].as_u64().unwrap_or(0) >= 1,
        "{watch:#}"
    );
    assert!(
        watch["signals_by_source"]["stream"].as_u64().unwrap_or(0) >= 1,
        "the attacker's orders came only from REST looks: {watch:#}"
    );
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    assert_eq!(watch["missed"], 0, "{watch:#}");
    card["time_to_detect_ms"].as_u64().expect(
        "the attacker's order was detected; how soon is a figure (docs/watch.md §5), not a test",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_and_duplicated_updates_miss_nothing() {
    // Each connection is cut after two pushes (the next update lost with it) and every update
    // comes twice: the gap fill after each reconnect finds what was lost, each order once.
    let (code, card, err) = ws::drill_watch(
        "bitmex",
        "alt-dump",
        &[
            "--watch-notify-only",
            "--stream-faults",
            "drop-after=2,duplicate",
        ],
    )
    .await;
    ws::assert_fault_drill_missed_nothing(code, &card, &err);
}

/// `authKeyExpires` as BitMEX documents it, signed here apart from the client's signer:
/// hex HMAC-SHA256 of `GET/realtime` + expires (Unix seconds).
fn login(key: &str, secret: &str, expires: i64) -> Value {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("GET/realtime{expires}").as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    json!({ "op": "authKeyExpires", "args": [key, expires, signature] })
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A connection from `from`, its welcome read.
async fn connect(lab: &Lab, from: std::net::IpAddr) -> ws::Socket {
    let mut socket = ws::connect(lab, from, "/realtime").await;
    let welcome = ws::next_json(&mut socket).await;
    assert_eq!(welcome["info"], "Welcome to the BitMEX Realtime API.");
    socket
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_client_is_refused_where_bitmex_refuses_and_gets_the_documented_insert() {
    let lab = Lab::start_on(ExchangeId::Bitmex, 43).await;
    let (_, bot) = lab.creds();
    let key = bot.key.as_str().to_owned();
    let secret = read(&lab.sim_dir().join("bot.secret"));

    for (what, message, status, words) in [
        (
            "bad signature",
            login(&key, "not-the-secret", now_s() + 10),
            401,
            "Signature not valid.",
        ),
        (
            "expires in the past",
            login(&key, &secret, now_s() - 1),
            401,
            "This request has expired",
        ),
        (
            "unknown key",
            login("AAAAAAAAAAAAAAAAAAAAAAAA", &secret, now_s() + 10),
            401,
            "Invalid API Key.",
        ),
    ] {
        let mut socket = connect(&lab, responder_ip()).await;
        let answer = ws::ask(&mut socket, &message).await;
        assert_eq!(answer["status"], status, "{what}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().starts_with(words),
            "{what}: {answer}"
        );
        assert_eq!(answer["request"]["op"], "authKeyExpires", "{what}");
        assert!(!answer.to_string().contains(&secret), "{what}");
        // Not logged in: the order table is account-locked.
        let locked = ws::ask(&mut socket, &json!({"op": "subscribe", "args": ["order"]})).await;
        assert_eq!(locked["status"], 401, "{what}: {locked}");
        assert!(
            locked["error"]
                .as_str()
                .unwrap()
                .contains("account-locked subscription"),
            "{locked}"
        );
    }

    // The key bound to another address: refused from here.
    assert!(lab.sim.set_key_ips(&key, &[attacker_ip()]));
    let mut socket = connect(&lab, responder_ip()).await;
    let answer = ws::ask(&mut socket, &login(&key, &secret, now_s() + 10)).await;
    assert_eq!(answer["status"], 401, "{answer}");
    assert_eq!(
        answer["error"],
        "This IP address is not allowed for this API key."
    );
    assert!(lab.sim.set_key_ips(&key, &[]));

    // Logged in and subscribed: the acknowledgement, the partial of the account's live orders.
    let mut socket = connect(&lab, responder_ip()).await;
    let answer = ws::ask(&mut socket, &login(&key, &secret, now_s() + 10)).await;
    assert_eq!(answer["success"], true, "{answer}");
    let ack = ws::ask(&mut socket, &json!({"op": "subscribe", "args": ["order"]})).await;
    assert_eq!(ack["success"], true, "{ack}");
    assert_eq!(ack["subscribe"], "order");
    let partial = ws::next_where(&mut socket, |v| v["action"] == "partial").await;
    assert_eq!(partial["table"], "order");
    assert_eq!(partial["keys"], json!(["orderID"]));
    let account = partial["filter"]["account"].clone();
    assert!(account.is_u64(), "{partial}");
    assert!(!partial["data"].as_array().unwrap().is_empty());

    // An order placed by REST comes whole, as an `insert` in the REST model's shape.
    let client = lab.client();
    let segment = ExchangeId::Bitmex.venue().segments()[0];
    let placed = place(
        &client,
        &bot,
        limit_buy(segment, "XBT_USDT", 1_000.0, 0.001),
    )
    .await
    .unwrap();
    let insert = ws::next_where(&mut socket, |v| {
        v["action"] == "insert" && v["data"][0]["orderID"] == json!(placed)
    })
    .await;
    let row = &insert["data"][0];
    assert_eq!(insert["table"], "order");
    assert_eq!(row["account"], account);
    assert_eq!(row["symbol"], "XBT_USDT");
    assert_eq!(row["side"], "Buy");
    assert_eq!(row["ordType"], "Limit");
    assert_eq!(row["ordStatus"], "New");
    assert_eq!(row["orderQty"], 0.001);
    assert_eq!(row["price"], 1000.0);
    assert_eq!(row["workingIndicator"], true);
    let raw = insert.to_string();
    assert!(!raw.contains("origin") && !raw.contains(&secret), "{raw}");

    // Cancelled by REST: an `update` with the key and only what changed.
    cancel_order(&client, &bot, segment, "XBT_USDT", &placed)
        .await
        .unwrap();
    let update = ws::next_where(&mut socket, |v| {
        v["action"] == "update" && v["data"][0]["orderID"] == json!(placed)
    })
    .await;
    let row = &update["data"][0];
    assert_eq!(row["ordStatus"], "Canceled", "{update}");
    assert_eq!(row["leavesQty"], 0.0);
    assert_eq!(row["symbol"], "XBT_USDT");
    assert!(row.get("side").is_none(), "{update}");

    // `ping` is answered `pong`.
    ws::send(&mut socket, "ping").await;
    assert_eq!(ws::next_text(&mut socket).await, "pong");

    // Deleted in the web interface: the connection ends, and a new login is an unknown key.
    assert!(lab.sim.web_ui_delete_key(&key));
    let closed = tokio::time::timeout(ws::WAIT * 2, async {
        while !ws::next_text(&mut socket).await.starts_with("close") {}
    })
    .await;
    assert!(closed.is_ok(), "the deleted key's connection stayed open");
    let mut socket = connect(&lab, responder_ip()).await;
    let answer = ws::ask(&mut socket, &login(&key, &secret, now_s() + 10)).await;
    assert_eq!(answer["status"], 401, "{answer}");
    assert_eq!(answer["error"], "Invalid API Key.");
}
