//! OKX's private WebSockets (docs/venues/okx.md "Private stream") against the simulator over
//! real sockets on 127.0.0.1: a raw WebSocket client is refused with OKX's documented answers
//! (bad signature, stale timestamp, deleted key, an address outside the key's IP list), gets
//! the documented push after an order is placed by REST, and `drill --watch` follows the
//! attacker through the stream, through dropped and doubled pushes too.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lockdown::exchanges::model::{Category, Segment, Side};
use lockdown::exchanges::{Auth, ExchangeId, NewOrder, Op, OrderKind, QtyUnit, Reply};
use lockdown::secret::{Credential, SecretString};
use lockdown::sim::StreamFaults;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Lab, attacker_ip, code, lockdown, read, responder_ip, stderr, stdout};

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// How long any one answer may take.
const WAIT: Duration = Duration::from_secs(5);

/// The bot key's id, secret and passphrase, as the session wrote them.
fn bot(lab: &Lab) -> (String, String, String) {
    let dir = lab.sim_dir();
    (
        lab.leaked(),
        read(&dir.join("bot.secret")),
        read(&dir.join("bot.passphrase")),
    )
}

/// A WebSocket to `path` of the lab's simulator, from the local address `from`.
async fn connect(lab: &Lab, from: IpAddr, path: &str) -> Socket {
    let base = url::Url::parse(&lab.running.base_url).unwrap();
    let addr = SocketAddr::new(
        base.host_str().unwrap().parse().unwrap(),
        base.port().unwrap(),
    );
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .expect("the upgrade answered")
        .expect("upgraded");
    ws
}

/// The login text as OKX documents it, signed here with `openssl`'s recipe (Python `hmac`
/// gives the same): base64 HMAC-SHA256 of `timestamp + "GET" + "/users/self/verify"`.
fn login(key: &str, secret: &str, passphrase: &str, timestamp: i64) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}GET/users/self/verify").as_bytes());
    let sign = base64_std(&mac.finalize().into_bytes());
    json!({ "op": "login", "args": [{
        "apiKey": key, "passphrase": passphrase,
        "timestamp": timestamp.to_string(), "sign": sign,
    }]})
    .to_string()
}

/// Standard base64 with padding.
fn base64_std(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The next text message, or the close frame as `close <code> <reason>`.
async fn next(ws: &mut Socket) -> String {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("an answer in time")
            .expect("the socket is open")
            .expect("a message");
        match message {
            Message::Text(text) => return text.to_string(),
            Message::Close(Some(frame)) => {
                return format!("close {} {}", u16::from(frame.code), frame.reason);
            }
            Message::Close(None) => return "close".to_owned(),
            _ => {}
        }
    }
}

async fn send(ws: &mut Socket, text: &str) {
    ws.send(Message::Text(text.to_owned().into()))
        .await
        .unwrap();
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// Logs in with `text` and returns the answer and what followed (the close, on a refusal).
async fn refused(lab: &Lab, from: IpAddr, text: &str) -> (Value, String) {
    let mut ws = connect(lab, from, "/ws/v5/private").await;
    send(&mut ws, text).await;
    let answer = json_of(&next(&mut ws).await);
    (answer, next(&mut ws).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_client_is_refused_as_okx_documents() {
    let lab = Lab::start_on(ExchangeId::Okx, 23).await;
    let (key, secret, passphrase) = bot(&lab);
    // The key bound to the responder's address only.
    assert!(lab.sim.set_key_ips(&key, &[responder_ip()]));
    let cases = [
        (
            "bad signature",
            responder_ip(),
            login(&key, "not-the-secret", &passphrase, now_s()),
            "60007",
        ),
        (
            "stale timestamp",
            responder_ip(),
            login(&key, &secret, &passphrase, now_s() - 60),
            "60006",
        ),
        (
            "wrong passphrase",
            responder_ip(),
            login(&key, &secret, "Wrong-pass1", now_s()),
            "60024",
        ),
        (
            "outside the IP list",
            attacker_ip(),
            login(&key, &secret, &passphrase, now_s()),
            "60009",
        ),
        (
            "unknown key",
            responder_ip(),
            login(
                "3b1e3a4f-0000-4000-8000-000000000000",
                &secret,
                &passphrase,
                now_s(),
            ),
            "60005",
        ),
    ];
    for (what, from, text, want) in cases {
        let (answer, then) = refused(&lab, from, &text).await;
        assert_eq!(answer["event"], "error", "{what}: {answer}");
        assert_eq!(answer["code"], want, "{what}: {answer}");
        assert!(answer["connId"].is_string(), "{what}: {answer}");
        assert_eq!(then, "close 4001 Login Failed", "{what}");
        // The refusal never echoes what was sent.
        assert!(!answer.to_string().contains(&passphrase), "{what}");
    }

    // A subscription before the login is refused, and `ping` is answered.
    let mut ws = connect(&lab, responder_ip(), "/ws/v5/private").await;
    send(&mut ws, "ping").await;
    assert_eq!(next(&mut ws).await, "pong");
    send(
        &mut ws,
        r#"{"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]}"#,
    )
    .await;
    assert_eq!(json_of(&next(&mut ws).await)["code"], "60011");

    // Logged in and subscribed; the key deleted in the web interface closes the connection,
    // and the next login is refused as a key that no longer exists.
    send(&mut ws, &login(&key, &secret, &passphrase, now_s())).await;
    assert_eq!(json_of(&next(&mut ws).await)["event"], "login");
    // A channel of the other address is refused with its own code.
    send(
        &mut ws,
        r#"{"id":"a1","op":"subscribe","args":[{"channel":"orders-algo","instType":"ANY"}]}"#,
    )
    .await;
    let wrong = json_of(&next(&mut ws).await);
    assert_eq!(
        (wrong["code"].as_str(), wrong["id"].as_str()),
        (Some("64001"), Some("a1"))
    );
    assert!(lab.sim.web_ui_delete_key(&key));
    assert_eq!(
        next(&mut ws).await,
        "close 4007 API key has been updated or deleted. Please reconnect."
    );
    let (answer, then) = refused(
        &lab,
        responder_ip(),
        &login(&key, &secret, &passphrase, now_s()),
    )
    .await;
    assert_eq!(answer["code"], "60032", "{answer}");
    assert_eq!(then, "close 4001 Login Failed");
}

/// A spot order of `qty` BTC at `price`, a trigger order when `trigger` is given.
fn spot_buy(price: f64, trigger: Option<f64>) -> Op {
    Op::PlaceOrder(NewOrder {
        segment: Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        },
        symbol: "BTC-USDT".into(),
        side: Side::Buy,
        kind: OrderKind::Limit { price },
        qty: 0.001,
        unit: QtyUnit::Base,
        trigger,
        client_order_id: None,
        time_in_force: Default::default(),
        reduce_only: false,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn orders_placed_by_rest_are_pushed_in_the_documented_shape() {
    let lab = Lab::start_on(ExchangeId::Okx, 24).await;
    let (key, secret, passphrase) = bot(&lab);
    let uid = lab.sim.inspect().key(&key).unwrap().uid;
    let mut private = connect(&lab, responder_ip(), "/ws/v5/private").await;
    let mut business = connect(&lab, responder_ip(), "/ws/v5/business").await;
    for (ws, channels) in [
        (&mut private, vec!["orders"]),
        (&mut business, vec!["orders-algo", "algo-advance"]),
    ] {
        send(ws, &login(&key, &secret, &passphrase, now_s())).await;
        let ok = json_of(&next(ws).await);
        assert_eq!(
            (ok["event"].as_str(), ok["code"].as_str()),
            (Some("login"), Some("0"))
        );
        let args: Vec<Value> = channels
            .iter()
            .map(|c| json!({"channel": c, "instType": "ANY"}))
            .collect();
        send(
            ws,
            &json!({"id": "s1", "op": "subscribe", "args": args}).to_string(),
        )
        .await;
        for channel in channels {
            let ack = json_of(&next(ws).await);
            assert_eq!(ack["event"], "subscribe", "{ack}");
            assert_eq!(ack["arg"], json!({"channel": channel, "instType": "ANY"}));
            assert_eq!(ack["id"], "s1");
        }
    }

    let client = lab.client();
    client.resync().await.unwrap();
    let bot = Credential::new(
        lockdown::secret::KeyId::new(key.clone()),
        SecretString::from(secret.clone()),
    )
    .with_passphrase(SecretString::from(passphrase.clone()));
    let Reply::Placed(id) = client
        .call(&spot_buy(1_000.0, None), Auth::Key(&bot))
        .await
        .unwrap()
    else {
        panic!("not placed");
    };
    let push = json_of(&next(&mut private).await);
    assert_eq!(push["arg"]["channel"], "orders", "{push}");
    assert_eq!(push["arg"]["uid"], uid.to_string());
    let item = &push["data"][0];
    assert_eq!(item["ordId"], id.as_str());
    assert_eq!(
        (
            item["instType"].as_str(),
            item["instId"].as_str(),
            item["side"].as_str()
        ),
        (Some("SPOT"), Some("BTC-USDT"), Some("buy"))
    );
    assert_eq!(
        (item["state"].as_str(), item["px"].as_str()),
        (Some("live"), Some("1000"))
    );
    // Every field of the docs' example push is there.
    let documented = json_of(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/okx/stream/orders-push.json"
        ))
        .unwrap(),
    );
    let missing: Vec<&String> = documented["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| item.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "missing {missing:?}");

    // A trigger order is an algo order: pushed on the business address.
    let Reply::Placed(algo) = client
        .call(&spot_buy(1_000.0, Some(1_100.0)), Auth::Key(&bot))
        .await
        .unwrap()
    else {
        panic!("not placed");
    };
    let push = json_of(&next(&mut business).await);
    assert_eq!(push["arg"]["channel"], "orders-algo", "{push}");
    assert_eq!(push["data"][0]["algoId"], algo.as_str());
    assert_eq!(push["data"][0]["ordType"], "trigger");
    assert_eq!(push["data"][0]["state"], "live");
    let text = push.to_string();
    assert!(
        !text.contains("origin") && !text.contains(&secret),
        "{text}"
    );
}

/// `drill --json --venue okx --scenario pump-illiquid --watch` with `extra` flags.
async fn drill(state: &std::path::Path, extra: &[&str]) -> (i32, Value, String) {
    let state = state.display().to_string();
    let mut args = vec![
        "drill",
        "--json",
        "--state-dir",
        &state,
        "--venue",
        "okx",
        "--scenario",
        "pump-illiquid",
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
async fn drill_watch_follows_the_attacker_through_the_okx_stream() {
    let state = tempfile::tempdir().unwrap();
    let (code, card, err) = drill(state.path(), &[]).await;
    assert_eq!(code, 0, "{card:#}\n{err}");
    assert_eq!(card["passed"], true, "{:#}", card["failures"]);
    let watch = &card["watch"];
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    assert_eq!(watch["source"], "stream", "{watch:#}");
    // Two connections a key: `/private` and `/business`.
    assert!(
        watch["stream"]["connects"].as_u64().unwrap() >= 2,
        "{watch:#}"
    );
    // The attacker's orders came in on pushes, not from REST looks.
    assert!(
        watch["signals_by_source"]["stream"].as_u64().unwrap_or(0) >= 1,
        "{watch:#}"
    );
    assert!(watch["true_signals"].as_u64().unwrap() >= 1, "{watch:#}");
    assert!(watch["lock_run"].is_string(), "{watch:#}");
    card["time_to_detect_ms"].as_u64().expect(
        "the attacker's order was detected; how soon is a figure (docs/watch.md §5), not a test",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_misses_nothing_through_dropped_and_doubled_pushes() {
    // The watcher only notifies, so it watches the whole attack; each connection is cut after
    // two pushes (the next lost with it) and every push comes twice: the gap fill after each
    // reconnect finds what was lost, and each order is judged once.
    let state = tempfile::tempdir().unwrap();
    let (code, card, err) = drill(
        state.path(),
        &[
            "--watch-notify-only",
            "--stream-faults",
            "drop-after=2,duplicate",
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
    let lines: Vec<&str> = watch["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let unique: std::collections::BTreeSet<&&str> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len(), "{lines:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stream_faults_cut_and_double_okx_pushes_as_declared() {
    // `Sim::set_stream_faults` on OKX's connections, as a raw client sees them: two pushes,
    // each sent twice, then the connection cut without a close frame, the third lost with it
    // (the watcher's side of this is the next test).
    let lab = Lab::start_on(ExchangeId::Okx, 25).await;
    lab.sim.set_stream_faults(StreamFaults {
        drop_after: Some(2),
        duplicate: true,
        ..StreamFaults::default()
    });
    let (key, secret, passphrase) = bot(&lab);
    let bot = Credential::new(
        lockdown::secret::KeyId::new(key.clone()),
        SecretString::from(secret.clone()),
    )
    .with_passphrase(SecretString::from(passphrase.clone()));
    let client = lab.client();
    client.resync().await.unwrap();
    let mut private = connect(&lab, responder_ip(), "/ws/v5/private").await;
    send(&mut private, &login(&key, &secret, &passphrase, now_s())).await;
    next(&mut private).await;
    send(
        &mut private,
        r#"{"op":"subscribe","args":[{"channel":"orders","instType":"SPOT"}]}"#,
    )
    .await;
    next(&mut private).await;
    let mut ids = Vec::new();
    for price in [1_000.0, 1_001.0, 1_002.0] {
        let Reply::Placed(id) = client
            .call(&spot_buy(price, None), Auth::Key(&bot))
            .await
            .unwrap()
        else {
            panic!("not placed");
        };
        ids.push(id);
    }
    // Two pushes, each twice, then the connection is cut without a close frame.
    let mut seen = Vec::new();
    for _ in 0..4 {
        let push = json_of(&next(&mut private).await);
        seen.push(push["data"][0]["ordId"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        seen,
        [&ids[0], &ids[0], &ids[1], &ids[1]].map(String::clone)
    );
    let end = tokio::time::timeout(WAIT, private.next())
        .await
        .expect("cut in time");
    assert!(
        !matches!(end, Some(Ok(Message::Text(_)))),
        "the third push is lost with the connection: {end:?}"
    );
    assert_eq!(lab.sim.stream_connections(), (1, 1));
}

/// Places a resting spot buy as the attacker would: the leaked key, from the attacker's
/// address, signed as OKX documents (`exchanges::okx`'s public signing helpers). The order id.
async fn attacker_buy(lab: &Lab, price: &str) -> String {
    let (key, secret, passphrase) = bot(lab);
    let body = format!(
        r#"{{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"{price}","sz":"0.001"}}"#
    );
    let path = "/api/v5/trade/order";
    let ts = lockdown::exchanges::okx::timestamp(chrono::Utc::now().timestamp_millis());
    let prehash = lockdown::exchanges::okx::prehash(&ts, "POST", path, &body);
    let sign = lockdown::exchanges::okx::sign_prehash(&SecretString::from(secret), &prehash);
    let answer: Value = crate::support::raw_client(attacker_ip())
        .post(format!("{}{path}", lab.running.base_url))
        .body(body)
        .header("OK-ACCESS-KEY", key)
        .header("OK-ACCESS-SIGN", sign)
        .header("OK-ACCESS-TIMESTAMP", ts)
        .header("OK-ACCESS-PASSPHRASE", passphrase)
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|body| serde_json::from_slice(&body).unwrap())
        .unwrap();
    assert_eq!(answer["code"], "0", "{answer}");
    answer["data"][0]["ordId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_misses_no_order_through_dropped_lost_and_doubled_pushes() {
    use std::net::Ipv4Addr;
    // A quiet OKX account (every order the bot's, in the ledger); the watcher only notifies,
    // so the attacker keeps trading and every one of its orders must be signalled.
    let scenario = lockdown::sim::scenario::Scenario::load("quiet").unwrap();
    let sim = lockdown::sim::Sim::from_scenario_on(ExchangeId::Okx, &scenario, 7);
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let session = sim
        .write_session(&dir.path().join("sim"), &running.base_url)
        .unwrap();
    let lab = Lab {
        venue: ExchangeId::Okx,
        sim,
        running,
        session,
        dir,
    };
    let config = std::fs::read_to_string(&lab.session.config).unwrap();
    assert!(!config.contains("\nwatch:"), "{config}");
    std::fs::write(
        &lab.session.config,
        format!("{config}\nwatch:\n  policy:\n    - {{ signal: any, action: notify }}\n"),
    )
    .unwrap();
    // Each connection is cut after two pushes, losing the third; every push comes twice.
    lab.sim.set_stream_faults(StreamFaults {
        drop_after: Some(2),
        duplicate: true,
        ..StreamFaults::default()
    });
    let config = lab.session.config.display().to_string();
    let watcher = tokio::spawn(async move {
        lockdown(
            &[
                "watch",
                "--config",
                &config,
                "--json",
                "--interval",
                "1s",
                "--for",
                "9s",
            ],
            &[],
        )
        .await
    });
    // The watcher's first look and its two connections, then five orders, 300 ms apart.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut placed = Vec::new();
    for price in ["60000", "60001", "60002", "60003", "60004"] {
        placed.push(attacker_buy(&lab, price).await);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let output = watcher.await.unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signals = summary["watched"][0]["signals"].as_array().unwrap().clone();
    for id in &placed {
        let about: Vec<&Value> = signals
            .iter()
            .filter(|s| s["order"]["order_id"] == id.as_str())
            .collect();
        assert_eq!(about.len(), 1, "order {id} signalled once: {signals:#?}");
        assert_eq!(about[0]["kind"], "unauthorized_order");
    }
    assert_eq!(signals.len(), placed.len(), "{signals:#?}");
    let sources: Vec<&str> = signals
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(sources.contains(&"stream"), "{sources:?}");
    let (opened, dropped) = lab.sim.stream_connections();
    assert!(
        dropped >= 1 && opened >= 3,
        "opened {opened}, dropped {dropped}"
    );
}
