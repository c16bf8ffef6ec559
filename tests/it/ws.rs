//! Pieces every private-stream test needs: a WebSocket to a served simulator from a chosen
//! loopback address (the simulator judges IP whitelists by the peer), bounded reads that name
//! what they waited for, and `drill --json --watch` on one venue with the checks a fault drill
//! makes. Each `watch_stream_<venue>.rs` keeps only what is the venue's own: its login text,
//! its refusals, its push shapes.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Lab, code, lockdown, stderr, stdout};

/// A client WebSocket over plain TCP to the simulator.
pub type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// How long any one answer may take.
pub const WAIT: Duration = Duration::from_secs(5);

/// The simulator's address, as a socket address.
pub fn sim_addr(lab: &Lab) -> SocketAddr {
    lab.running.local_addr
}

/// A WebSocket to `path` (with its query, if any) of the lab's simulator, from the local
/// address `from` (`support::responder_ip()`, `support::attacker_ip()`, ...).
pub async fn connect(lab: &Lab, from: IpAddr, path: &str) -> Socket {
    connect_to(sim_addr(lab), from, path).await
}

/// [`connect`] to any served address.
pub async fn connect_to(addr: SocketAddr, from: IpAddr, path: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    let tcp = tokio::time::timeout(WAIT, socket.connect(addr))
        .await
        .expect("the simulator accepted in time")
        .expect("connects");
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
        .await
        .expect("the upgrade answered in time")
        .expect("upgrades");
    ws
}

/// Sends `text` as a text frame.
pub async fn send(ws: &mut Socket, text: &str) {
    ws.send(Message::Text(text.to_owned().into()))
        .await
        .expect("the socket takes a frame");
}

/// The next frame of any kind (bounded by [`WAIT`]); `None` when the connection ended.
pub async fn next_message(ws: &mut Socket) -> Option<Message> {
    match tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("a frame within 5 s")
    {
        Some(Ok(message)) => Some(message),
        Some(Err(_)) | None => None,
    }
}

/// The next text frame, skipping pings, pongs and binary frames; a close comes back as
/// `close <code> <reason>` (or `close`) so a refusal's close can be asserted too.
pub async fn next_text(ws: &mut Socket) -> String {
    loop {
        match next_message(ws).await {
            Some(Message::Text(text)) => return text.to_string(),
            Some(Message::Close(Some(frame))) => {
                return format!("close {} {}", u16::from(frame.code), frame.reason);
            }
            Some(Message::Close(None)) | None => return "close".to_owned(),
            Some(_) => {}
        }
    }
}

/// The next text frame, parsed.
pub async fn next_json(ws: &mut Socket) -> Value {
    let text = next_text(ws).await;
    json_of(&text)
}

/// The next text frame for which `pick` holds (others skipped, at most 50).
pub async fn next_where(ws: &mut Socket, pick: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..50 {
        let text = next_text(ws).await;
        assert!(!text.starts_with("close"), "the connection ended: {text}");
        let value = json_of(&text);
        if pick(&value) {
            return value;
        }
    }
    panic!("50 frames and none was the one looked for")
}

/// Sends `message` and returns the next text answer, parsed.
pub async fn ask(ws: &mut Socket, message: &Value) -> Value {
    send(ws, &message.to_string()).await;
    next_json(ws).await
}

/// `text` parsed, or a panic that shows it.
pub fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// `lockdown drill --json --watch --watch-interval 1s --venue V --scenario S` with `extra`
/// flags, in a fresh state directory: the exit code, the scorecard and stderr.
pub async fn drill_watch(venue: &str, scenario: &str, extra: &[&str]) -> (i32, Value, String) {
    let state = tempfile::tempdir().unwrap();
    let state = state.path().display().to_string();
    let mut args = vec![
        "drill",
        "--json",
        "--state-dir",
        &state,
        "--venue",
        venue,
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

/// The checks of a drill that followed the stream to a lock: it passed, on the stream, the
/// first true signal came pushed, a lock run was made, no false alarm.
pub fn assert_followed_the_stream(code: i32, card: &Value, err: &str) {
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
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
    assert!(watch["lock_run"].is_string(), "{watch:#}");
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
}

/// The checks of a notify-only fault drill: it passed on the stream, the faults were injected
/// (at least one drop), every attacker order was signalled, each once, and nothing was locked.
pub fn assert_fault_drill_missed_nothing(code: i32, card: &Value, err: &str) {
    assert_eq!(code, 0, "{:#}\n{err}", card["failures"]);
    let watch = &card["watch"];
    assert_eq!(watch["source"], "stream", "{watch:#}");
    assert!(
        watch["stream_drops_injected"].as_u64().unwrap_or(0) >= 1,
        "no drop was injected: {watch:#}"
    );
    assert!(
        watch["stream"]["gap_fills"].as_u64().unwrap_or(0) >= 2,
        "a drop must be followed by a gap fill: {watch:#}"
    );
    assert_eq!(watch["missed"], 0, "{watch:#}");
    assert_eq!(watch["false_alarms"], 0, "{watch:#}");
    assert!(watch["lock_run"].is_null(), "notify only: {watch:#}");
    let lines: Vec<&str> = watch["lines"]
        .as_array()
        .expect("the watcher's lines")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let unique: std::collections::BTreeSet<&str> = lines.iter().copied().collect();
    assert_eq!(unique.len(), lines.len(), "a signal said twice: {lines:#?}");
}
