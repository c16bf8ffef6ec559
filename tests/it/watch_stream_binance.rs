//! Binance's private order streams, end to end over real sockets on 127.0.0.1: `drill --watch`
//! hears the attacker's first order pushed on the spot WebSocket API, and with dropped and
//! doubled pushes misses none; a raw WebSocket client is refused by the simulator with
//! Binance's documented answers (a bad signature, a stale timestamp, a deleted key, an address
//! outside the key's list) and gets the documented `executionReport` once an order is placed by
//! REST; a USD-M listen key opens its stream and hears `ORDER_TRADE_UPDATE`; and `lockdown
//! watch` on a stream that drops and repeats itself still signals every attacker order.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lockdown::exchanges::ExchangeId;
use lockdown::exchanges::binance::{encode_params, payload, sign_payload};
use lockdown::secret::SecretString;
use lockdown::sim::StreamFaults;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Lab, attacker_ip, code, lockdown, raw_client, read, stderr, stdout};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The simulator's clock, from its public time endpoint.
async fn server_ms(base: &str) -> i64 {
    let body: Value = raw_client(IpAddr::V4(Ipv4Addr::LOCALHOST))
        .get(format!("{base}/api/v3/time"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    body["serverTime"].as_i64().unwrap()
}

/// A WebSocket connection to `path` on the lab's host.
async fn connect(lab: &Lab, path: &str) -> Socket {
    let url = format!(
        "{}{path}",
        lab.running.base_url.replacen("http://", "ws://", 1)
    );
    let connect = tokio_tungstenite::connect_async(url.as_str());
    let (socket, _) = tokio::time::timeout(Duration::from_secs(5), connect)
        .await
        .expect("connects in time")
        .expect("connects");
    socket
}

/// The next text message, within 5 s.
async fn next_text(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("the connection stays open")
            .expect("a readable message");
        if let Message::Text(text) = message {
            assert!(!text.contains("origin"), "hidden truth on the wire: {text}");
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// `userDataStream.subscribe.signature` for `key`, signed with `secret` at `timestamp`, as the
/// docs build it (every parameter but `signature`, sorted by name); the answer.
async fn subscribe(socket: &mut Socket, key: &str, secret: &str, timestamp: i64) -> Value {
    let text = format!("apiKey={key}&timestamp={timestamp}");
    let signature = sign_payload(&SecretString::from(secret.to_owned()), &text);
    let request = json!({
        "id": "t-1",
        "method": "userDataStream.subscribe.signature",
        "params": { "apiKey": key, "timestamp": timestamp, "signature": signature },
    });
    socket
        .send(Message::Text(request.to_string().into()))
        .await
        .unwrap();
    next_text(socket).await
}

/// A signed Binance REST request from 127.0.0.1: the HTTP status and the body.
async fn rest(
    lab: &Lab,
    (key, secret): (&str, &str),
    method: &str,
    path: &str,
    params: &[(&str, String)],
) -> (u16, Value) {
    let base = &lab.running.base_url;
    let mut params = params.to_vec();
    params.push(("timestamp", server_ms(base).await.to_string()));
    let text = encode_params(&params);
    let signature = sign_payload(&SecretString::from(secret.to_owned()), &payload(&text, ""));
    let client = raw_client(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let request = match method {
        "POST" => client
            .post(format!("{base}{path}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("{text}&signature={signature}")),
        _ => client.get(format!("{base}{path}?{text}&signature={signature}")),
    };
    let response = request.header("X-MBX-APIKEY", key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, json_of(response).await)
}

/// A response's JSON body (`Null` when it has none).
async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

/// The documented refusal: `status` and Binance's code.
fn refused(answer: &Value) -> (i64, i64) {
    assert_eq!(answer["id"], "t-1", "{answer}");
    (
        answer["status"].as_i64().unwrap_or(0),
        answer["error"]["code"].as_i64().unwrap_or(0),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_hears_the_attack_on_the_stream() {
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display().to_string();
    let output = lockdown(
        &[
            "drill",
            "--json",
            "--state-dir",
            &state_dir,
            "--venue",
            "binance",
            "--scenario",
            "pump-illiquid",
            "--watch",
            "--watch-interval",
            "1s",
        ],
        &[],
    )
    .await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    assert_eq!(code(&output), 0, "{card:#}\n{}", stderr(&output));
    assert_eq!(card["passed"], true, "{:#}", card["failures"]);
    let watch = &card["watch"];
    assert_eq!(watch["source"], "stream", "{watch:#}");
    assert!(
        watch["stream"]["connects"].as_u64().unwrap() >= 1,
        "{watch:#}"
    );
    // Pushes came in; the attacker's first order was heard from the stream or from the gap
    // fill of a family's connection that became ready during the attack (spot is ready first,
    // the attack starts then, and USD-M's and COIN-M's listen keys come a moment later, each
    // with its REST gap fill), never from the 1 s poll.
    assert!(
        watch["stream"]["messages"].as_u64().unwrap() >= 1,
        "{watch:#}"
    );
    let by_source = &watch["signals_by_source"];
    assert!(
        by_source["stream"].as_u64().unwrap_or(0) + by_source["gap_fill"].as_u64().unwrap_or(0)
            >= 1,
        "{watch:#}"
    );
    assert_eq!(by_source["rest_poll"].as_u64().unwrap_or(0), 0, "{watch:#}");
    assert!(watch["true_signals"].as_u64().unwrap() >= 1, "{watch:#}");
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    card["time_to_detect_ms"].as_u64().expect(
        "the attacker's order was detected; how soon is a figure (docs/watch.md §5), not a test",
    );
    assert!(
        stderr(&output).contains("following its private order stream"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_with_dropped_and_doubled_pushes_misses_no_attacker_order() {
    // Notify only, so the watcher hears the whole attack; each connection is cut after two
    // pushes (the next one lost with it) and every push comes twice.
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display().to_string();
    let output = lockdown(
        &[
            "drill",
            "--json",
            "--state-dir",
            &state_dir,
            "--venue",
            "binance",
            "--scenario",
            "alt-dump",
            "--watch",
            "--watch-interval",
            "1s",
            "--watch-notify-only",
            "--stream-faults",
            "drop-after=2,duplicate",
        ],
        &[],
    )
    .await;
    let card: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|err| panic!("no scorecard ({err}); stderr:\n{}", stderr(&output)));
    // Notified only, the response starts after Binance's attacker has carried out its whole
    // plan, so the drill sees no refusal; the same happens without streams (`--watch-poll`).
    // Any other failure fails the test.
    let failures = card["failures"].as_array().cloned().unwrap_or_default();
    assert!(
        failures.iter().all(|f| f
            .as_str()
            .is_some_and(|f| f.contains("never refused the attacker"))),
        "{failures:#?}\n{}",
        stderr(&output)
    );
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
}

#[tokio::test(flavor = "multi_thread")]
async fn the_spot_stream_refuses_as_documented_and_pushes_execution_reports() {
    let lab = Lab::start_on(ExchangeId::Binance, 7).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let base = lab.running.base_url.clone();
    let mut socket = connect(&lab, "/ws-api/v3").await;

    // A signature made with another secret: -1022.
    let now = server_ms(&base).await;
    let answer = subscribe(&mut socket, &key, &"x".repeat(64), now).await;
    assert_eq!(refused(&answer), (400, -1022), "{answer}");
    // A timestamp older than the 5 s recvWindow: -1021.
    let answer = subscribe(&mut socket, &key, &secret, now - 6_000).await;
    assert_eq!(refused(&answer), (400, -1021), "{answer}");
    assert!(
        answer["error"]["msg"]
            .as_str()
            .unwrap()
            .contains("recvWindow"),
        "{answer}"
    );
    // The key bound to another address: -2015, as for every key refusal.
    let elsewhere: IpAddr = "127.0.0.3".parse().unwrap();
    assert!(lab.sim.set_key_ips(&key, &[elsewhere]));
    let answer = subscribe(&mut socket, &key, &secret, server_ms(&base).await).await;
    assert_eq!(refused(&answer), (401, -2015), "{answer}");
    assert!(
        lab.sim
            .set_key_ips(&key, &[IpAddr::V4(Ipv4Addr::LOCALHOST)])
    );

    // The right signature in time: subscribed, then the order placed by REST is pushed.
    let answer = subscribe(&mut socket, &key, &secret, server_ms(&base).await).await;
    assert_eq!(answer["status"], 200, "{answer}");
    let subscription = answer["result"]["subscriptionId"].clone();
    assert!(subscription.is_u64(), "{answer}");
    let (status, placed) = rest(
        &lab,
        (&key, &secret),
        "POST",
        "/api/v3/order",
        &[
            ("symbol", "BTCUSDT".into()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "0.001".into()),
            ("price", "30000".into()),
            ("newClientOrderId", "stream-test-1".into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{placed}");
    let pushed = next_text(&mut socket).await;
    assert_eq!(pushed["subscriptionId"], subscription, "{pushed}");
    let event = &pushed["event"];
    assert_eq!(event["e"], "executionReport", "{pushed}");
    assert_eq!(event["x"], "NEW", "{pushed}");
    assert_eq!(event["X"], "NEW", "{pushed}");
    assert_eq!(event["s"], "BTCUSDT", "{pushed}");
    assert_eq!(event["c"], "stream-test-1", "{pushed}");
    assert_eq!(event["i"], placed["orderId"], "{pushed}");
    assert!(!pushed.to_string().contains(&secret), "{pushed}");
    // The same account once more on this connection: -2035.
    let answer = subscribe(&mut socket, &key, &secret, server_ms(&base).await).await;
    assert_eq!(refused(&answer), (400, -2035), "{answer}");

    // A deleted key: -2015 on a new connection.
    assert!(lab.sim.web_ui_delete_key(&key));
    let mut fresh = connect(&lab, "/ws-api/v3").await;
    let answer = subscribe(&mut fresh, &key, &secret, server_ms(&base).await).await;
    assert_eq!(refused(&answer), (401, -2015), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_usdm_listen_key_opens_its_stream() {
    let lab = Lab::start_on(ExchangeId::Binance, 8).await;
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let client = raw_client(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let listen = |key: String| {
        let client = client.clone();
        let url = format!("{}/fapi/v1/listenKey", lab.running.base_url);
        async move {
            let response = client
                .post(url)
                .header("X-MBX-APIKEY", key)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, json_of(response).await)
        }
    };
    // The key header is the whole authentication; an unknown key is -2015.
    let (status, body) = listen("A".repeat(64)).await;
    assert_eq!(
        (status, body["code"].as_i64()),
        (401, Some(-2015)),
        "{body}"
    );
    let (status, body) = listen(key.clone()).await;
    assert_eq!(status, 200, "{body}");
    let listen_key = body["listenKey"].as_str().unwrap().to_owned();
    // Asked again, the active key comes back.
    assert_eq!(
        listen(key.clone()).await.1["listenKey"],
        listen_key.as_str()
    );
    // An unknown listen key opens nothing.
    let refused = tokio_tungstenite::connect_async(format!(
        "{}/private/ws/nope",
        lab.running.base_url.replacen("http://", "ws://", 1)
    ))
    .await;
    assert!(refused.is_err());

    let mut socket = connect(&lab, &format!("/private/ws/{listen_key}")).await;
    // The connection's one stream is the listen key.
    socket
        .send(Message::Text(
            r#"{"method":"LIST_SUBSCRIPTIONS","id":1}"#.into(),
        ))
        .await
        .unwrap();
    let listed = next_text(&mut socket).await;
    assert_eq!(listed, json!({ "result": [listen_key], "id": 1 }));
    let (status, placed) = rest(
        &lab,
        (&key, &secret),
        "POST",
        "/fapi/v1/order",
        &[
            ("symbol", "BTCUSDT".into()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "0.01".into()),
            ("price", "30000".into()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{placed}");
    let pushed = next_text(&mut socket).await;
    assert_eq!(pushed["e"], "ORDER_TRADE_UPDATE", "{pushed}");
    assert_eq!(pushed["o"]["X"], "NEW", "{pushed}");
    assert_eq!(pushed["o"]["i"], placed["orderId"], "{pushed}");
    assert!(!pushed.to_string().contains(&secret), "{pushed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_and_repeating_stream_still_sees_every_attacker_order() {
    let scenario = lockdown::sim::scenario::Scenario::load("quiet").unwrap();
    let sim = lockdown::sim::Sim::from_scenario_on(ExchangeId::Binance, &scenario, 3);
    let running = sim
        .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let session = sim
        .write_session(&dir.path().join("sim"), &running.base_url)
        .expect("session files");
    let lab = Lab {
        venue: ExchangeId::Binance,
        sim,
        running,
        session,
        dir,
    };
    // Notify only, so that every attacker order goes through and has to be seen.
    let config = lab.session.config.display().to_string();
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!("{text}\nwatch:\n  policy:\n    - {{ signal: any, action: notify }}\n"),
    )
    .unwrap();
    // Each connection drops after two pushes, losing the next; every push is sent twice.
    lab.sim.set_stream_faults(StreamFaults {
        drop_after: Some(2),
        duplicate: true,
        ..StreamFaults::default()
    });
    let key = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let args = [
        "watch",
        "--config",
        &config,
        "--json",
        "--interval",
        "1s",
        "--for",
        "8s",
    ];
    let watch = lockdown(&args, &[]);
    let attack = async {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let (status, placed) = rest_from(
                &lab,
                (&key, &secret),
                &[
                    ("symbol", "BTCUSDT".into()),
                    ("side", "BUY".into()),
                    ("type", "LIMIT".into()),
                    ("timeInForce", "GTC".into()),
                    ("quantity", "0.001".into()),
                    ("price", format!("{}", 20_000 + n)),
                ],
            )
            .await;
            assert_eq!(status, 200, "{placed}");
            ids.push(placed["orderId"].to_string());
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        ids
    };
    let (watched, ids) = tokio::join!(watch, attack);
    assert_eq!(code(&watched), 0, "{}", stderr(&watched));
    let summary = stdout(&watched);
    for id in &ids {
        assert!(
            summary.contains(id.as_str()),
            "order {id} not signalled:\n{summary}"
        );
    }
    let (opened, dropped) = lab.sim.stream_connections();
    assert!(
        dropped >= 1 && opened > dropped,
        "{opened} opened, {dropped} dropped"
    );
}

/// A spot order placed with the leaked key from the attacker's address.
async fn rest_from(
    lab: &Lab,
    (key, secret): (&str, &str),
    params: &[(&str, String)],
) -> (u16, Value) {
    let base = &lab.running.base_url;
    let mut params = params.to_vec();
    params.push(("timestamp", server_ms(base).await.to_string()));
    let text = encode_params(&params);
    let signature = sign_payload(&SecretString::from(secret.to_owned()), &payload(&text, ""));
    let response = raw_client(attacker_ip())
        .post(format!("{base}/api/v3/order"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-MBX-APIKEY", key)
        .body(format!("{text}&signature={signature}"))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, json_of(response).await)
}
