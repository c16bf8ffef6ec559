//! Bitget's private WebSocket (docs/venues/bitget.md §12) against the simulator over real
//! sockets on 127.0.0.1: `drill --watch` follows the attacker through the stream and misses
//! nothing when connections drop and pushes come twice; a raw client is refused with Bitget's
//! answers (a bad signature, a stale timestamp, a wrong passphrase, an address outside the
//! key's IP list, a deleted key) and gets the documented pushes after orders are placed by REST.

use lockdown::exchanges::model::{Category, Segment};
use lockdown::secret::{Credential, SecretString};
use serde_json::{Value, json};

use crate::adapter::{limit_buy, place};
use crate::support::{Lab, attacker_ip, read, responder_ip};
use crate::ws;

const PATH: &str = "/v2/ws/private";

/// `drill --json --watch` on Bitget's `pump-illiquid` or `alt-dump` with `extra` flags.
async fn drill(scenario: &str, extra: &[&str]) -> (i32, Value, String) {
    ws::drill_watch("bitget", scenario, extra).await
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_follows_the_attacker_through_the_bitget_stream() {
    let (code, card, err) = drill("pump-illiquid", &[]).await;
    ws::assert_followed_the_stream(code, &card, &err);
    assert_eq!(card["passed"], true, "{:#}", card["failures"]);
    card["time_to_detect_ms"].as_u64().expect(
        "the attacker's order was detected; how soon is a figure (docs/watch.md §5), not a test",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_and_doubled_pushes_miss_nothing() {
    // The watcher only notifies, so it watches the whole attack; each connection is cut after
    // two pushes (the next lost with it) and every push comes twice: the gap fill after each
    // reconnect finds what was lost, and each order is judged once.
    let (code, card, err) = drill(
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

/// The bot key's id, secret and passphrase, as the session wrote them.
fn bot(lab: &Lab) -> (String, String, String) {
    let dir = lab.sim_dir();
    (
        lab.leaked(),
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    )
}

/// The login text as Bitget documents it, signed here on its own: base64 HMAC-SHA256 of
/// `timestamp + "GET" + "/user/verify"`, the timestamp in seconds (what
/// `printf '<ts>GET/user/verify' | openssl dgst -sha256 -hmac <secret> -binary | base64` gives).
fn login(key: &str, secret: &str, passphrase: &str, timestamp: i64) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}GET/user/verify").as_bytes());
    let sign = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    json!({ "op": "login", "args": [{
        "apiKey": key, "passphrase": passphrase,
        "timestamp": timestamp.to_string(), "sign": sign,
    }]})
    .to_string()
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Logs in from `from` with `text` and returns the answer.
async fn answer_to(lab: &Lab, from: std::net::IpAddr, text: &str) -> Value {
    let mut socket = ws::connect(lab, from, PATH).await;
    ws::send(&mut socket, text).await;
    ws::next_json(&mut socket).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_client_is_refused_as_bitget_answers() {
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Bitget, 31).await;
    let (key, secret, passphrase) = bot(&lab);
    // The key bound to the responder's address only.
    assert!(lab.sim.set_key_ips(&key, &[responder_ip()]));
    let cases = [
        (
            "bad signature",
            responder_ip(),
            login(&key, "not-the-secret", &passphrase, now_s()),
            30015,
        ),
        (
            "stale timestamp",
            responder_ip(),
            login(&key, &secret, &passphrase, now_s() - 60),
            30014,
        ),
        (
            "milliseconds for seconds",
            responder_ip(),
            login(&key, &secret, &passphrase, now_s() * 1000),
            30014,
        ),
        (
            "wrong passphrase",
            responder_ip(),
            login(&key, &secret, "Wrong-pass1", now_s()),
            30012,
        ),
        (
            "outside the IP list",
            attacker_ip(),
            login(&key, &secret, &passphrase, now_s()),
            30005,
        ),
        (
            "unknown key",
            responder_ip(),
            login(
                "bg_00000000000000000000000000000000",
                &secret,
                &passphrase,
                now_s(),
            ),
            30011,
        ),
    ];
    for (what, from, text, want) in cases {
        let answer = answer_to(&lab, from, &text).await;
        assert_eq!(answer["event"], "error", "{what}: {answer}");
        assert_eq!(answer["code"], want, "{what}: {answer}");
        // The refusal never echoes what was sent.
        assert!(!answer.to_string().contains(&passphrase), "{what}");
    }

    // `ping` is answered; a subscription before the login is refused; after it, an unknown
    // channel is refused and the documented ones are acknowledged.
    let mut socket = ws::connect(&lab, responder_ip(), PATH).await;
    ws::send(&mut socket, "ping").await;
    assert_eq!(ws::next_text(&mut socket).await, "pong");
    let orders = json!({"instType": "SPOT", "channel": "orders", "instId": "default"});
    let subscribe = json!({"op": "subscribe", "args": [orders]});
    assert_eq!(ws::ask(&mut socket, &subscribe).await["code"], 30004);
    let ok = ws::ask(
        &mut socket,
        &ws::json_of(&login(&key, &secret, &passphrase, now_s())),
    )
    .await;
    assert_eq!(ok, json!({"event": "login", "code": 0}));
    let unknown = json!({"op": "subscribe", "args": [
        {"instType": "SPOT", "channel": "orders", "instId": "NOSUCHUSDT"}
    ]});
    assert_eq!(ws::ask(&mut socket, &unknown).await["code"], 30001);
    let ack = ws::ask(&mut socket, &subscribe).await;
    assert_eq!(ack, json!({"event": "subscribe", "arg": orders}));

    // The key deleted in the web interface: the next login is refused as an unknown key.
    assert!(lab.sim.web_ui_delete_key(&key));
    let answer = answer_to(
        &lab,
        responder_ip(),
        &login(&key, &secret, &passphrase, now_s()),
    )
    .await;
    assert_eq!(answer["code"], 30011, "{answer}");
}

/// The keys of the first item of a fixture's push.
fn documented_fields(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/bitget/stream/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    ws::json_of(&text)["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn orders_placed_by_rest_are_pushed_in_the_documented_shape() {
    let lab = Lab::start_on(lockdown::exchanges::ExchangeId::Bitget, 32).await;
    let (key, secret, passphrase) = bot(&lab);
    let mut socket = ws::connect(&lab, responder_ip(), PATH).await;
    let ok = ws::ask(
        &mut socket,
        &ws::json_of(&login(&key, &secret, &passphrase, now_s())),
    )
    .await;
    assert_eq!(ok["event"], "login", "{ok}");
    let args = json!([
        {"instType": "SPOT", "channel": "orders", "instId": "default"},
        {"instType": "USDT-FUTURES", "channel": "orders", "instId": "default"},
        {"instType": "USDT-FUTURES", "channel": "orders-algo", "instId": "default"},
    ]);
    ws::send(
        &mut socket,
        &json!({"op": "subscribe", "args": args}).to_string(),
    )
    .await;
    for arg in args.as_array().unwrap() {
        let ack = ws::next_json(&mut socket).await;
        assert_eq!(ack, json!({"event": "subscribe", "arg": arg}));
    }

    let client = lab.client();
    client.resync().await.unwrap();
    let bot = Credential::new(
        lockdown::secret::KeyId::new(key.clone()),
        SecretString::from(secret.clone()),
    )
    .with_passphrase(SecretString::from(passphrase.clone()));
    let spot = Segment {
        category: Category::Spot,
        settle: Some("SPOT"),
    };
    let id = place(&client, &bot, limit_buy(spot, "BTCUSDT", 20_000.0, 0.001))
        .await
        .unwrap();
    let push = ws::next_json(&mut socket).await;
    assert_eq!(push["action"], "snapshot", "{push}");
    assert_eq!(push["arg"], args[0]);
    assert!(push["ts"].is_i64(), "{push}");
    let item = &push["data"][0];
    assert_eq!(item["orderId"], id.as_str(), "{item}");
    assert_eq!(
        (
            item["instId"].as_str(),
            item["side"].as_str(),
            item["status"].as_str(),
            item["price"].as_str(),
        ),
        (Some("BTCUSDT"), Some("buy"), Some("live"), Some("20000"))
    );
    // Every field of the docs' spot example is there but this update's fill, which a resting
    // order has not had.
    let fill = [
        "fillPrice",
        "tradeId",
        "baseVolume",
        "fillTime",
        "fillFee",
        "fillFeeCoin",
        "tradeScope",
    ];
    let missing: Vec<String> = documented_fields("spot-orders-push")
        .into_iter()
        .filter(|k| !fill.contains(&k.as_str()) && item.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "missing {missing:?}");

    let usdt = Segment {
        category: Category::Linear,
        settle: Some("USDT-FUTURES"),
    };
    let id = place(&client, &bot, limit_buy(usdt, "BTCUSDT", 20_000.0, 0.001))
        .await
        .unwrap();
    let push = ws::next_json(&mut socket).await;
    assert_eq!(push["arg"], args[1], "{push}");
    let item = &push["data"][0];
    assert_eq!(item["orderId"], id.as_str(), "{item}");
    assert_eq!(item["status"], "live");
    let missing: Vec<String> = documented_fields("futures-orders-push-ccxt")
        .into_iter()
        .filter(|k| item.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "missing {missing:?}");
    let text = push.to_string();
    assert!(
        !text.contains("origin") && !text.contains(&secret) && !text.contains(&passphrase),
        "{text}"
    );
}
