//! BingX's private order streams, end to end against the simulator over real HTTP and real
//! WebSockets on 127.0.0.1: `drill --watch` follows the spot, USDT-M and coin-M streams to a
//! lock well inside one polling interval, and misses nothing when connections drop (a push lost
//! with each) and pushes come twice; a raw client asks REST for a listen key and is refused
//! where BingX refuses (a bad signature, a stale timestamp, a key outside its IP whitelist or
//! deleted), its socket is refused without a live listen key, and once subscribed it gets the
//! documented gzip-compressed pushes when orders are placed by REST.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};

use hmac::{Hmac, KeyInit, Mac};
use lockdown::exchanges::model::{Category, Segment};
use lockdown::exchanges::{Auth, ExchangeError, ExchangeId, Op};
use lockdown::secret::{Credential, SecretString};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::adapter::{limit_buy, place, spot};
use crate::support::{Lab, attacker_ip, responder_ip};
use crate::ws;

const PATH: &str = "/openApi/user/auth/userDataStream";

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_follows_the_streams_to_a_lock() {
    let (code, card, err) = ws::drill_watch("bingx", "pump-illiquid", &[]).await;
    ws::assert_followed_the_stream(code, &card, &err);
    assert!(err.contains("following its private order stream"), "{err}");
    // Spot, USDT-M and coin-M: one connection each.
    assert!(
        card["watch"]["stream"]["connects"].as_u64().unwrap() >= 3,
        "{card:#}"
    );
    card["time_to_detect_ms"].as_u64().expect(
        "the attacker's order was detected; how soon is a figure (docs/venues/bingx.md §12), not a test",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_and_duplicated_pushes_miss_nothing() {
    let (code, card, err) = ws::drill_watch(
        "bingx",
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

/// The text the watched key's secret signs, as a test holds it.
#[allow(clippy::disallowed_methods)] // the test signs with the secret it was given, as a client does
fn secret_of(key: &Credential) -> String {
    secrecy::ExposeSecret::expose_secret(key.secret()).to_owned()
}

#[allow(clippy::disallowed_methods)] // the test sends the listen key it was given, as a client does
fn text(token: &SecretString) -> String {
    secrecy::ExposeSecret::expose_secret(token).to_owned()
}

/// Hex HMAC-SHA256, computed here apart from the adapter's signer.
fn hmac_hex(secret: &str, text: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `POST /openApi/user/auth/userDataStream` sent by hand from `from`: `query` is signed with
/// `secret` unless it is empty (the docs' header-only form). The JSON answer.
async fn raw_listen_key(
    lab: &Lab,
    from: IpAddr,
    key: &Credential,
    secret: &str,
    query: &str,
) -> Value {
    let url = if query.is_empty() {
        format!("{}{PATH}", lab.running.base_url)
    } else {
        let signature = hmac_hex(secret, query);
        format!(
            "{}{PATH}?{query}&signature={signature}",
            lab.running.base_url
        )
    };
    let http = reqwest::Client::builder()
        .local_address(from)
        .timeout(ws::WAIT)
        .build()
        .unwrap();
    let answer = http
        .post(url)
        .header("X-BX-APIKEY", key.key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap()
}

/// The listen key, by REST through the adapter.
async fn listen_key(lab: &Lab, key: &Credential) -> Result<SecretString, ExchangeError> {
    lab.client()
        .call(&Op::StreamToken { segment: None }, Auth::Key(key))
        .await?
        .into_stream_token()
}

/// The exchange's clock.
async fn now(lab: &Lab) -> i64 {
    lab.client()
        .call(&Op::ServerTime, Auth::Public)
        .await
        .unwrap()
        .into_server_time()
        .unwrap()
}

/// The next message's text, unpacked from its gzip binary frame; `close …` when it ended.
async fn next(socket: &mut ws::Socket) -> String {
    loop {
        match ws::next_message(socket).await {
            Some(Message::Binary(bytes)) => {
                assert_eq!(
                    &bytes[..2],
                    &[0x1f, 0x8b],
                    "every message is gzip-compressed"
                );
                let mut text = String::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_string(&mut text)
                    .unwrap();
                return text;
            }
            Some(Message::Text(text)) => panic!("BingX sends text only compressed: {text}"),
            Some(Message::Close(frame)) => return format!("close {frame:?}"),
            None => return "close".to_owned(),
            Some(_) => {}
        }
    }
}

/// The next message whose JSON `pick` accepts (heartbeats and others skipped, at most 50).
async fn next_where(socket: &mut ws::Socket, pick: impl Fn(&Value) -> bool) -> (Value, String) {
    for _ in 0..50 {
        let text = next(socket).await;
        assert!(!text.starts_with("close"), "the connection ended: {text}");
        if let Ok(value) = serde_json::from_str::<Value>(&text)
            && pick(&value)
        {
            return (value, text);
        }
    }
    panic!("50 messages and none was the one looked for")
}

/// The socket's refusal before the upgrade: HTTP status and JSON body.
async fn refused(lab: &Lab, from: IpAddr, path: &str) -> (u16, Value) {
    let addr = ws::sim_addr(lab);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let attempt = tokio::time::timeout(
        ws::WAIT,
        tokio_tungstenite::client_async(format!("ws://{addr}{path}"), tcp),
    )
    .await
    .expect("the upgrade answered in time");
    match attempt {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Ok(_) => panic!("{path}: the upgrade was accepted"),
        Err(other) => panic!("{path}: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_client_is_refused_where_bingx_refuses_and_gets_the_documented_pushes() {
    let lab = Lab::start_on(ExchangeId::Bingx, 41).await;
    let (_, bot) = lab.creds();
    let secret = secret_of(&bot);
    let at = now(&lab).await;

    // The listen key by REST: signed, or with the key's header only as the docs' example.
    let signed = raw_listen_key(
        &lab,
        responder_ip(),
        &bot,
        &secret,
        &format!("timestamp={at}"),
    )
    .await;
    assert_eq!(
        signed["listenKey"].as_str().map(str::len),
        Some(64),
        "{signed}"
    );
    let bare = raw_listen_key(&lab, responder_ip(), &bot, &secret, "").await;
    assert!(bare["listenKey"].is_string(), "{bare}");
    // A bad signature, a stale timestamp.
    let forged = raw_listen_key(
        &lab,
        responder_ip(),
        &bot,
        "not the secret",
        &format!("timestamp={at}"),
    )
    .await;
    assert_eq!(forged["code"], 100001, "{forged}");
    let stale = raw_listen_key(
        &lab,
        responder_ip(),
        &bot,
        &secret,
        &format!("timestamp={}", at - 60_000),
    )
    .await;
    assert_eq!(stale["code"], 100421, "{stale}");

    // No live listen key: the socket is refused before the upgrade.
    let (status, body) = refused(&lab, responder_ip(), "/market?listenKey=0f0f").await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!(100401)),
        "{body}"
    );
    let (status, _) = refused(&lab, responder_ip(), "/swap-market").await;
    assert_eq!(status, 401);

    // Spot: the heartbeat first, then the subscription's acknowledgement.
    let key = text(&listen_key(&lab, &bot).await.unwrap());
    let mut market = ws::connect(&lab, responder_ip(), &format!("/market?listenKey={key}")).await;
    let (ping, _) = next_where(&mut market, |v| v.get("ping").is_some()).await;
    assert!(
        ping["time"].as_str().is_some_and(|t| t.ends_with("+0800")),
        "{ping}"
    );
    ws::send(
        &mut market,
        &json!({ "pong": ping["ping"], "time": ping["time"] }).to_string(),
    )
    .await;
    ws::send(
        &mut market,
        &json!({ "id": "e745cd6d", "reqType": "sub", "dataType": "spot.executionReport" })
            .to_string(),
    )
    .await;
    let (ack, _) = next_where(&mut market, |v| v["id"] == "e745cd6d").await;
    assert_eq!(ack["code"], 0, "{ack}");

    // USDT-M: the heartbeat is the text `Ping`, and no subscription is needed.
    let mut swap = ws::connect(
        &lab,
        responder_ip(),
        &format!("/swap-market?listenKey={key}"),
    )
    .await;
    assert_eq!(next(&mut swap).await, "Ping");
    ws::send(&mut swap, "Pong").await;

    // A spot order placed by REST comes as `executionReport`, without a client order id.
    let client = lab.client();
    let mut order = limit_buy(spot(), "BTC-USDT", 1_000.0, 0.001);
    order.client_order_id = Some("grid_raw_1".into());
    let placed = place(&client, &bot, order).await.unwrap();
    let (push, raw) = next_where(&mut market, |v| v["dataType"] == "spot.executionReport").await;
    let data = &push["data"];
    assert_eq!(push["code"], 0);
    assert_eq!(data["e"], "executionReport");
    assert_eq!(data["i"].to_string(), placed);
    assert_eq!(data["s"], "BTC-USDT");
    assert_eq!(data["S"], "BUY");
    assert_eq!(data["o"], "LIMIT");
    assert_eq!(data["x"], "NEW");
    assert_eq!(data["q"], "0.001");
    assert_eq!(data["p"], "1000");
    assert!(
        data.get("c").is_none(),
        "the docs list no client order id: {push}"
    );
    assert!(
        !raw.contains("origin") && !raw.contains(&key) && !raw.contains("grid_raw_1"),
        "{raw}"
    );

    // A USDT-M order comes as `ORDER_TRADE_UPDATE`, with its client order id.
    let linear = Segment {
        category: Category::Linear,
        settle: None,
    };
    let mut order = limit_buy(linear, "BTC-USDT", 1_000.0, 0.001);
    order.client_order_id = Some("grid_raw_2".into());
    let placed = place(&client, &bot, order).await.unwrap();
    let (push, raw) = next_where(&mut swap, |v| v["e"] == "ORDER_TRADE_UPDATE").await;
    let o = &push["o"];
    assert_eq!(o["i"].to_string(), placed);
    assert_eq!(o["c"], "grid_raw_2");
    assert_eq!(o["s"], "BTC-USDT");
    assert_eq!(o["o"], "LIMIT");
    assert_eq!(o["X"], "NEW");
    assert!(!raw.contains("origin") && !raw.contains(&key), "{raw}");

    // A key bound elsewhere: no listen key from here, and its live one opens nothing here.
    assert!(lab.sim.set_key_ips(bot.key.as_str(), &[attacker_ip()]));
    let outside = listen_key(&lab, &bot).await.unwrap_err();
    assert!(
        matches!(&outside, ExchangeError::IpRejected { code } if code == "100419"),
        "{outside:?}"
    );
    let (status, body) = refused(&lab, responder_ip(), &format!("/market?listenKey={key}")).await;
    assert_eq!(
        (status, body["code"].clone()),
        (403, json!(100419)),
        "{body}"
    );
    assert!(lab.sim.set_key_ips(bot.key.as_str(), &[]));

    // Deleted: no listen key, the old one opens nothing, and the open streams are told.
    assert!(lab.sim.web_ui_delete_key(bot.key.as_str()));
    let gone = listen_key(&lab, &bot).await.unwrap_err();
    assert!(
        matches!(&gone, ExchangeError::InvalidKey { code } if code == "100413"),
        "{gone:?}"
    );
    let (status, body) = refused(
        &lab,
        responder_ip(),
        &format!("/swap-market?listenKey={key}"),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!(100401)),
        "{body}"
    );
    let (expired, _) = next_where(&mut swap, |v| v["e"] == "listenKeyExpired").await;
    assert_eq!(expired["listenKey"], key.as_str());
}
