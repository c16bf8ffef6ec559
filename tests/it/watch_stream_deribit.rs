//! Deribit's private order stream end to end, over real WebSockets on 127.0.0.1: the watcher
//! in `drill --watch` hears the attacker's first order pushed, and a raw client that speaks the
//! documented JSON-RPC is refused for every documented reason (a bad signature, a stale
//! timestamp, a removed key, an address outside the key's whitelist) and, logged in, gets the
//! documented push when an order is placed by REST (docs/venues/deribit.md §12).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use lockdown::exchanges::ExchangeId;
use lockdown::exchanges::model::Segment;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::adapter::{limit_buy, place};
use crate::support::{Lab, attacker_ip, code, lockdown, read, responder_ip, stderr, stdout};
use crate::ws;

/// A WebSocket to the lab's `/ws/api/v2`, opened from `from`.
async fn connect(lab: &Lab, from: IpAddr) -> ws::Socket {
    ws::connect(lab, from, "/ws/api/v2").await
}

/// Sends a JSON-RPC request and returns the answer with the same id (notifications before it
/// are skipped).
async fn call(socket: &mut ws::Socket, id: u64, method: &str, params: Value) -> Value {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
    ws::send(socket, &request.to_string()).await;
    ws::next_where(socket, |message| message["id"] == id).await
}

/// The documented `public/auth` parameters, signed here with `hmac` (not the client's code).
fn auth_params(client_id: &str, secret: &str, timestamp: i64, nonce: &str) -> Value {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{nonce}\n").as_bytes());
    json!({
        "grant_type": "client_signature",
        "client_id": client_id,
        "timestamp": timestamp,
        "nonce": nonce,
        "data": "",
        "signature": hex::encode(mac.finalize().into_bytes()),
    })
}

/// The exchange's clock, asked over the socket.
async fn server_ms(ws: &mut ws::Socket) -> i64 {
    call(ws, 90, "public/get_time", json!({})).await["result"]
        .as_i64()
        .unwrap()
}

fn error_of(answer: &Value) -> (i64, String) {
    let error = &answer["error"];
    (
        error["code"].as_i64().unwrap_or_else(|| panic!("{answer}")),
        error["data"]["reason"]
            .as_str()
            .or_else(|| error["message"].as_str())
            .unwrap_or("")
            .to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_client_is_refused_as_documented_and_hears_an_order_placed_by_rest() {
    let lab = Lab::start_on(ExchangeId::Deribit, 11).await;
    let bot = lab.leaked();
    let secret = read(&lab.sim_dir().join("bot.secret"));
    let mut ws = connect(&lab, responder_ip()).await;
    let now = server_ms(&mut ws).await;

    // A private channel before any login: authorization required.
    let early = call(
        &mut ws,
        1,
        "private/subscribe",
        json!({"channels": ["user.orders.any.any.raw"]}),
    )
    .await;
    assert_eq!(error_of(&early).0, 10_000, "{early}");

    // A signature made with another secret.
    let forged = call(
        &mut ws,
        2,
        "public/auth",
        auth_params(&bot, "not-the-secret", now, "n-forged"),
    )
    .await;
    assert_eq!(
        error_of(&forged),
        (13_009, "invalid_signature".to_owned()),
        "{forged}"
    );
    // A timestamp two minutes old (valid for 60 s).
    let stale = call(
        &mut ws,
        3,
        "public/auth",
        auth_params(&bot, &secret, now - 120_000, "n-stale"),
    )
    .await;
    assert_eq!(
        error_of(&stale),
        (13_009, "timestamp_out_of_window".to_owned()),
        "{stale}"
    );

    // Logged in and subscribed: the answer lists the channel.
    let login = call(
        &mut ws,
        4,
        "public/auth",
        auth_params(&bot, &secret, now, "n-good"),
    )
    .await;
    assert_eq!(login["result"]["token_type"], "bearer", "{login}");
    let subscribed = call(
        &mut ws,
        5,
        "private/subscribe",
        json!({"channels": ["user.orders.any.any.raw", "user.orders.nonsense"]}),
    )
    .await;
    assert_eq!(
        subscribed["result"],
        json!(["user.orders.any.any.raw"]),
        "{subscribed}"
    );

    // An order placed by REST is pushed, in the order lists' shape, without hidden truth.
    let client = lab.client();
    let (_, bot_key) = lab.creds();
    let segment = Segment {
        category: lockdown::exchanges::model::Category::Linear,
        settle: Some("USDT"),
    };
    let id = place(
        &client,
        &bot_key,
        limit_buy(segment, "BTC_USDT", 60_000.0, 0.001),
    )
    .await
    .unwrap();
    let push = ws::next_where(&mut ws, |message| {
        message["method"] == "subscription" && message["params"]["data"]["order_id"] == id
    })
    .await;
    assert_eq!(push["jsonrpc"], "2.0");
    assert_eq!(push["params"]["channel"], "user.orders.any.any.raw");
    let data = &push["params"]["data"];
    assert_eq!(data["instrument_name"], "BTC_USDT");
    assert_eq!(data["direction"], "buy");
    assert_eq!(data["order_state"], "open");
    assert_eq!(data["amount"], 0.001);
    assert_eq!(data["price"], 60_000.0);
    let text = push.to_string();
    for hidden in ["origin", "leaked", "Attacker", "Owner", secret.as_str()] {
        assert!(!text.contains(hidden), "{hidden} in {text}");
    }

    // The same key from an address outside its whitelist: refused at login.
    assert!(lab.sim.set_key_ips(&bot, &[responder_ip()]));
    let mut outside = connect(&lab, attacker_ip()).await;
    let now = server_ms(&mut outside).await;
    let refused = call(
        &mut outside,
        6,
        "public/auth",
        auth_params(&bot, &secret, now, "n-outside"),
    )
    .await;
    assert_eq!(
        error_of(&refused),
        (13_021, "ip_not_whitelisted".to_owned()),
        "{refused}"
    );

    // A removed key: refused at login, and no longer subscribed anew.
    assert!(lab.sim.web_ui_delete_key(&bot));
    let now = server_ms(&mut ws).await;
    let removed = call(
        &mut ws,
        7,
        "public/auth",
        auth_params(&bot, &secret, now, "n-removed"),
    )
    .await;
    assert_eq!(error_of(&removed).0, 13_004, "{removed}");
    let again = call(
        &mut ws,
        8,
        "private/subscribe",
        json!({"channels": ["user.orders.any.any.raw"]}),
    )
    .await;
    assert_eq!(error_of(&again).0, 13_009, "{again}");
    let (opened, _) = lab.sim.stream_connections();
    assert_eq!(opened, 2);
}

/// `drill --json --watch` on Deribit with the 1 s interval and `seed`.
async fn drill(scenario: &str, seed: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--seed", seed];
    args.extend_from_slice(extra);
    ws::drill_watch("deribit", scenario, &args).await
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_hears_the_attackers_first_order_pushed() {
    let (code, card, err) = drill("pump-illiquid", "1", &[]).await;
    ws::assert_followed_the_stream(code, &card, &err);
}

#[tokio::test(flavor = "multi_thread")]
async fn drill_watch_misses_no_order_when_the_stream_drops_and_doubles() {
    // Each connection is cut after two pushes, the next update lost with it, and every update
    // comes twice; the watcher only notifies, so it watches the whole attack.
    let (code, card, err) = drill(
        "pump-illiquid",
        "2",
        &[
            "--watch-notify-only",
            "--stream-faults",
            "drop-after=2,duplicate",
        ],
    )
    .await;
    ws::assert_fault_drill_missed_nothing(code, &card, &err);
}

/// A Deribit simulator seeded with the `quiet` scenario (every order the bot's, all in the
/// ledger), its session files written.
async fn quiet_lab() -> Lab {
    let scenario = lockdown::sim::scenario::Scenario::load("quiet").unwrap();
    let sim = lockdown::sim::Sim::from_scenario_on(ExchangeId::Deribit, &scenario, 1);
    let running = sim
        .serve(SocketAddr::new(responder_ip(), 0))
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let session = sim
        .write_session(&dir.path().join("sim"), &running.base_url)
        .expect("session files");
    Lab {
        venue: ExchangeId::Deribit,
        sim,
        running,
        session,
        dir,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_lost_and_doubled_pushes_miss_no_order() {
    let lab = quiet_lab().await;
    // Every push sent twice; each connection dropped after two, the next push lost with it.
    lab.sim.set_stream_faults(lockdown::sim::StreamFaults {
        duplicate: true,
        drop_after: Some(2),
        ..Default::default()
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
                "12s",
            ],
            &[],
        )
        .await
    });
    // The watcher's stream is open before the first order (bounded: 10 s).
    for _ in 0..100 {
        if lab.sim.stream_connections().0 >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        lab.sim.stream_connections().0 >= 1,
        "the watcher never connected"
    );

    // Six resting orders with the leaked key, none the owner's: pushes 3 and 6 are lost.
    let client = lab.client();
    let (_, bot) = lab.creds();
    let segment = Segment {
        category: lockdown::exchanges::model::Category::Linear,
        settle: Some("USDT"),
    };
    let mut placed = Vec::new();
    for n in 0..6 {
        let order = limit_buy(segment, "BTC_USDT", 1_000.0 + f64::from(n), 0.001);
        placed.push(place(&client, &bot, order).await.unwrap());
        tokio::time::sleep(Duration::from_millis(600)).await;
    }

    let output = watcher.await.unwrap();
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let summary: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signals = summary["watched"][0]["signals"].as_array().unwrap().clone();
    let seen: Vec<&str> = signals
        .iter()
        .filter(|s| s["kind"] == "unauthorized_order")
        .filter_map(|s| s["order"]["order_id"].as_str())
        .collect();
    for id in &placed {
        assert_eq!(
            seen.iter().filter(|s| *s == id).count(),
            1,
            "{id} signalled once: {signals:#?}"
        );
    }
    let sources: Vec<&str> = signals
        .iter()
        .filter_map(|s| s["source"].as_str())
        .collect();
    assert!(sources.contains(&"stream"), "{sources:?}");
    let (opened, dropped) = lab.sim.stream_connections();
    assert!(
        dropped >= 1 && opened > dropped,
        "{opened} opened, {dropped} dropped"
    );
}
