//! The simulator's private order streams: one hub per venue that sees every order change, and
//! the WebSocket side every dialect shares (docs/watch.md §1).
//!
//! Orders change only while a request is answered (the front door holds the venue lock for the
//! whole pipeline), so after each one the hub compares every order, the dialects' own ones
//! included ([`super::dialect::SimDialect::extra_order_views`]), with what it last published,
//! and hands each change to every open connection. Each dialect owns its stream's words
//! ([`SimStream`], [`StreamSession`]): the paths, the login and its signature check, the
//! subscription, the message shapes, heartbeats and timeouts, modelled from the venue's docs.
//! This file owns the socket: the upgrade, the loop, and the injected stream faults
//! ([`StreamFaults`]: delays, duplicates, dropped connections) a gap-fill drill needs.
//!
//! The hub costs nothing while no connection is open. The hidden truth ([`OrderView::origin`])
//! rides along in the change for the dialect's convenience; no dialect may put it on the wire.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast;

use crate::sim::Sim;
use crate::sim::inspect::OrderView;
use crate::sim::state::Venue;

/// How many changes a slow connection may fall behind before it is closed (the client fills
/// the gap by REST when it reconnects, as after any drop).
const BACKLOG: usize = 4096;

/// How often a session's [`StreamSession::on_tick`] runs (heartbeats, idle timeouts).
const TICK: Duration = Duration::from_millis(250);

/// One order as it is now, after a change.
pub(crate) type Change = Arc<OrderView>;

/// What a session sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    /// A text message (sent as [`StreamSession::pack`] says).
    Text(String),
    /// Closes the connection with this code and reason (the venue's own words).
    Close(u16, String),
}

/// A venue's private stream server: the paths it answers and how a connection opens.
pub(crate) trait SimStream: Send + Sync + 'static {
    /// The paths served as WebSockets, as axum route patterns (`/v5/private`,
    /// `/ws/{listen_key}`).
    fn paths(&self) -> &'static [&'static str];

    /// A new connection on `path` (with its `query`) from `peer`: its session, or the HTTP
    /// refusal (status and body) the venue gives before the upgrade (an unknown listen key).
    fn open(
        &self,
        v: &mut Venue,
        path: &str,
        query: &str,
        peer: Option<IpAddr>,
    ) -> Result<Box<dyn StreamSession>, (StatusCode, String)>;
}

/// One open connection's state and words.
pub(crate) trait StreamSession: Send {
    /// A text message from the client (a login, a subscription, a ping).
    fn on_text(&mut self, v: &mut Venue, text: &str, now_ms: i64) -> Vec<Out>;

    /// An order changed: the messages this connection gets about it (none unless it is logged
    /// in, subscribed, and the order is its account's).
    fn on_change(&mut self, v: &Venue, change: &OrderView, now_ms: i64) -> Vec<Out>;

    /// Called every 250 ms: the server's heartbeats and idle timeouts.
    fn on_tick(&mut self, _v: &Venue, _now_ms: i64) -> Vec<Out> {
        Vec::new()
    }

    /// How a text goes on the wire: `None` (the default) as a text message, else these bytes
    /// as a binary one (BingX compresses every message with gzip).
    fn pack(&self, _text: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Faults injected into the streams, for the gap-fill drill: every connection counts its own
/// pushed updates. Deterministic: no dice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamFaults {
    /// Each pushed order update waits this long (on top of the REST latency fault).
    pub delay: Duration,
    /// Every pushed order update is sent twice.
    pub duplicate: bool,
    /// The server closes each connection after pushing this many order updates, without a
    /// close frame (a dropped TCP connection), and the update that would come next is lost
    /// with it: only the client's gap fill can find it.
    pub drop_after: Option<u32>,
    /// Every update pushed is also lost on the way (never sent) when its number on the
    /// connection is a multiple of this; only a reconnect's gap fill finds these, so a drill
    /// uses it with `drop_after`.
    pub lose_every: Option<u32>,
}

impl StreamFaults {
    /// Reads `drop-after=N,lose-every=N,duplicate,delay=DUR` (any subset, any order; `none`
    /// for none).
    pub fn parse(text: &str) -> Result<StreamFaults, String> {
        let mut faults = StreamFaults::default();
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "none" {
            return Ok(faults);
        }
        const KNOWN: &str = "drop-after=N, lose-every=N, duplicate, delay=DURATION";
        for item in trimmed.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (item, None),
            };
            let count = |value: Option<&str>| -> Result<u32, String> {
                value
                    .and_then(|v| v.parse::<u32>().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("stream fault \"{name}\" needs a whole number of updates above 0, e.g. \"{name}=3\""))
            };
            match name {
                "drop-after" => faults.drop_after = Some(count(value)?),
                "lose-every" => faults.lose_every = Some(count(value)?),
                "duplicate" if value.is_none() => faults.duplicate = true,
                "delay" => {
                    faults.delay = value
                        .and_then(|v| humantime::parse_duration(v).ok())
                        .filter(|d| *d <= Duration::from_secs(60))
                        .ok_or_else(|| "stream fault \"delay\" needs a duration up to a minute, e.g. \"delay=50ms\"".to_owned())?;
                }
                _ => return Err(format!("unknown stream fault \"{item}\"; known: {KNOWN}")),
            }
        }
        Ok(faults)
    }
}

impl std::fmt::Display for StreamFaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(n) = self.drop_after {
            parts.push(format!("drop-after={n}"));
        }
        if let Some(n) = self.lose_every {
            parts.push(format!("lose-every={n}"));
        }
        if self.duplicate {
            parts.push("duplicate".to_owned());
        }
        if !self.delay.is_zero() {
            parts.push(format!("delay={}", humantime::format_duration(self.delay)));
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

/// The venue's stream hub: what was last published of each order, and the channel to every
/// open connection.
#[derive(Debug)]
pub(crate) struct Hub {
    tx: broadcast::Sender<Change>,
    /// Order (account, id) → its last published state.
    last: HashMap<(u64, String), Published>,
    pub(crate) faults: StreamFaults,
    /// Connections opened, and dropped by a fault, for the drill's figures.
    pub(crate) opened: u64,
    pub(crate) dropped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Published {
    status: String,
    filled: String,
    updated_ms: i64,
    price: Option<String>,
    qty: String,
}

impl Published {
    fn of(view: &OrderView) -> Published {
        Published {
            status: view.status.clone(),
            filled: view.cum_exec_qty.clone(),
            updated_ms: view.updated_ms,
            price: view.price.clone(),
            qty: view.qty.clone(),
        }
    }
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            tx: broadcast::channel(BACKLOG).0,
            last: HashMap::new(),
            faults: StreamFaults::default(),
            opened: 0,
            dropped: 0,
        }
    }
}

/// Every order of the venue as the streams show it: the shared orders and the dialect's own.
fn views(v: &Venue) -> Vec<OrderView> {
    v.orders
        .iter()
        .map(OrderView::from_order)
        .chain(v.dialect.extra_order_views(v))
        .collect()
}

/// Publishes every order that changed since the last call to the open connections; called by
/// the front door after each request, under the venue lock. Nothing to do while none is open.
pub(crate) fn publish(v: &mut Venue) {
    if v.streams.tx.receiver_count() == 0 {
        return;
    }
    let changed: Vec<OrderView> = views(v)
        .into_iter()
        .filter(|view| {
            let now = Published::of(view);
            v.streams.last.get(&(view.uid, view.order_id.clone())) != Some(&now)
        })
        .collect();
    for view in changed {
        v.streams
            .last
            .insert((view.uid, view.order_id.clone()), Published::of(&view));
        // No receiver left between the count and here: nothing to tell.
        let _ = v.streams.tx.send(Arc::new(view));
    }
}

/// A receiver of every change from now on; what exists now is what was last published.
fn subscribe(v: &mut Venue) -> broadcast::Receiver<Change> {
    if v.streams.tx.receiver_count() == 0 {
        let now: HashMap<(u64, String), Published> = views(v)
            .iter()
            .map(|view| ((view.uid, view.order_id.clone()), Published::of(view)))
            .collect();
        v.streams.last = now;
    }
    v.streams.opened += 1;
    v.streams.tx.subscribe()
}

/// Adds the dialect's stream paths, when it has a stream, to its REST router.
pub(crate) fn routes(
    router: axum::Router,
    sim: &Sim,
    stream: &'static dyn SimStream,
) -> axum::Router {
    let mut router = router;
    for path in stream.paths() {
        router = router.route(
            path,
            axum::routing::get(upgrade).with_state((sim.clone(), Streamer(stream))),
        );
    }
    router
}

/// The dialect's stream server, as axum state.
#[derive(Clone, Copy)]
struct Streamer(&'static dyn SimStream);

async fn upgrade(
    State((sim, Streamer(stream))): State<(Sim, Streamer)>,
    extensions: Extensions,
    uri: Uri,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let opened = {
        let mut v = sim.lock();
        v.peer = peer;
        stream
            .open(&mut v, &path, &query, peer)
            .map(|session| (session, subscribe(&mut v)))
    };
    match opened {
        Err((status, body)) => (status, body).into_response(),
        Ok((session, changes)) => {
            ws.on_upgrade(move |socket| serve(sim, session, changes, socket, peer))
        }
    }
}

/// One connection's loop: the client's messages, the hub's changes, the ticks.
async fn serve(
    sim: Sim,
    mut session: Box<dyn StreamSession>,
    mut changes: broadcast::Receiver<Change>,
    mut socket: WebSocket,
    peer: Option<IpAddr>,
) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pushed: u32 = 0;
    loop {
        let outs = tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let mut v = sim.lock();
                    v.peer = peer;
                    let now = v.now_ms();
                    let outs = session.on_text(&mut v, text.as_str(), now);
                    // A stream message may change orders too (Deribit trades over its socket).
                    publish(&mut v);
                    outs
                }
                // Pings are answered by the socket itself; binary and pongs mean nothing here.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Binary(_))) => Vec::new(),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            },
            change = changes.recv() => match change {
                Ok(change) => {
                    let (outs, faults, latency) = {
                        let v = sim.lock();
                        let now = v.now_ms();
                        (session.on_change(&v, &change, now), v.streams.faults, v.injector.faults.latency)
                    };
                    if outs.is_empty() {
                        continue;
                    }
                    pushed += 1;
                    if faults.drop_after.is_some_and(|n| pushed > n) {
                        sim.lock().streams.dropped += 1;
                        // Dropped without a close frame, as a cut connection is.
                        return;
                    }
                    if faults.lose_every.is_some_and(|n| n > 0 && pushed.is_multiple_of(n)) {
                        continue;
                    }
                    let wait = latency + faults.delay;
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    if faults.duplicate {
                        outs.iter().cloned().chain(outs.iter().cloned()).collect()
                    } else {
                        outs
                    }
                }
                // Fell too far behind: closed, as a venue drops a slow consumer.
                Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = ticks.tick() => {
                let v = sim.lock();
                let now = v.now_ms();
                session.on_tick(&v, now)
            }
        };
        for out in outs {
            let sent = match out {
                Out::Text(text) => match session.pack(&text) {
                    Some(bytes) => socket.send(Message::Binary(bytes.into())).await,
                    None => socket.send(Message::Text(text.into())).await,
                },
                Out::Close(code, reason) => {
                    let _ = socket
                        .send(Message::Close(Some(CloseFrame {
                            code,
                            reason: reason.into(),
                        })))
                        .await;
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
        }
    }
}

impl Sim {
    /// Injects `faults` into every stream connection from the next update on.
    pub fn set_stream_faults(&self, faults: StreamFaults) {
        self.lock().streams.faults = faults;
    }

    /// Stream connections opened so far, and those a fault dropped.
    pub fn stream_connections(&self) -> (u64, u64) {
        let v = self.lock();
        (v.streams.opened, v.streams.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::StreamFaults;
    use std::time::Duration;

    #[test]
    fn stream_faults_read_back_as_written() {
        let faults =
            StreamFaults::parse("drop-after=2, duplicate,delay=50ms,lose-every=3").unwrap();
        assert_eq!(faults.drop_after, Some(2));
        assert_eq!(faults.lose_every, Some(3));
        assert!(faults.duplicate);
        assert_eq!(faults.delay, Duration::from_millis(50));
        assert_eq!(
            faults.to_string(),
            "drop-after=2,lose-every=3,duplicate,delay=50ms"
        );
        assert_eq!(
            StreamFaults::parse("none").unwrap(),
            StreamFaults::default()
        );
        for bad in [
            "drop-after=0",
            "drop-after",
            "lose",
            "duplicate=1",
            "delay=2h",
        ] {
            assert!(StreamFaults::parse(bad).is_err(), "{bad}");
        }
    }
}
