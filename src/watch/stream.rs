//! The stream source: a venue's private order stream, with the REST poller under it
//! (docs/watch.md §1).
//!
//! Each connection the venue needs ([`Connection`]) runs on a task of its own: connect (a token
//! from REST first where the venue wants one), log in, subscribe, keep alive, and on any drop or
//! refusal connect again after a pause that grows from 250 ms to 30 s. The tasks hand what they
//! read to the source through a channel. The source passes stream orders through the poller's
//! "once per state" filter, and fills the gap by REST every time the connections are all ready
//! again (the first time, that read is the first look): from the last news less the overlap to now,
//! so a drop, a lost message or a late subscription loses nothing. While any connection is
//! down the poller looks at its usual interval, and a slow REST look every minute catches
//! what a stream may silently skip. The stream is read with the watched key's own credential,
//! never the master. A token that lapses on its own (Binance's listen key) is asked for again
//! on the venue's period while connected ([`PrivateStream::token_refresh`]): the same token
//! back is extended; another one, or a failure, opens the connection again.
//! A push that cannot say whose its order is (BingX's spot push has no client
//! order id) rings instead ([`Frame::Look`]): the segment it names is read by REST as soon as
//! the clock is past the push, and what that look finds counts as the stream's.
//!
//! [`PrivateStream::token_refresh`]: crate::exchanges::stream::PrivateStream::token_refresh

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::poll::RestPoll;
use super::source::{Batch, Source};
use crate::exchanges::model::Segment;
use crate::exchanges::stream::{Connection, Frame};
use crate::exchanges::{Auth, Client, ExchangeError, Op};
use crate::secret::{Credential, SecretString};

/// The first pause after a drop; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const MAX_PAUSE: Duration = Duration::from_secs(30);
/// How long a connection may take from the TCP connect to "ready".
const READY_WITHIN: Duration = Duration::from_secs(10);
/// How often a REST look runs while every stream is up.
const RECONCILE: Duration = Duration::from_secs(60);

/// What a connection's task tells the source.
#[derive(Debug)]
enum Event {
    /// Connection `n` is logged in and subscribed.
    Ready(usize),
    /// Orders from the stream.
    Orders(Vec<crate::exchanges::model::Order>),
    /// The stream told of a change in this segment at this exchange time that it cannot
    /// describe whole ([`Frame::Look`]): a REST look there once the clock is past it.
    Look(Segment, i64),
    /// Connection `n` dropped or was refused: why (no secret), and the pause before the next try.
    Down(usize, String, Duration),
}

/// Figures of a stream source, for the summary and the drill.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamFigures {
    /// Connections that became ready.
    pub connects: u64,
    /// Drops and refusals.
    pub drops: u64,
    /// Messages that carried orders.
    pub messages: u64,
    /// REST gap fills answered (one each time every connection is ready again).
    pub gap_fills: u64,
}

impl StreamFigures {
    /// The sum of two keys' figures.
    pub fn plus(self, other: StreamFigures) -> StreamFigures {
        StreamFigures {
            connects: self.connects + other.connects,
            drops: self.drops + other.drops,
            messages: self.messages + other.messages,
            gap_fills: self.gap_fills + other.gap_fills,
        }
    }
}

/// One watched key's orders from its venue's private stream, the poller under it.
pub struct StreamSource {
    poll: RestPoll,
    /// The segments the stream does not push, polled at the interval while it is up.
    unpushed: Option<RestPoll>,
    events: mpsc::UnboundedReceiver<Event>,
    tasks: Vec<JoinHandle<()>>,
    up: Vec<bool>,
    /// What the last batch came from (`stream`, `gap_fill`, `rest_poll`).
    last: &'static str,
    next_reconcile: Instant,
    /// A REST look that is due and not yet answered (a gap fill or the minute's reconcile).
    /// The watcher drops `next()` when another of its branches wins (an account look, the
    /// stop), so a look in flight is redone on the next call instead of being lost with it: a
    /// cancelled gap fill would leave the orders placed during a drop unread for a minute.
    look_due: Option<&'static str>,
    /// A stream's [`Frame::Look`] is due: the segments it named are read by REST.
    rang: bool,
    /// The latest exchange time a [`Frame::Look`] named: its look waits for the clock to pass
    /// it.
    look_after_ms: i64,
    /// The segments the stream's looks read, and their poller (its news passes the main
    /// poller's "once per state" filter too).
    rung: Vec<Segment>,
    looker: Option<RestPoll>,
    /// Reads of the lookers replaced when a new segment rang.
    looker_reads: u64,
    /// When an empty batch is due if no news came (the judge's clock moves on).
    next_rejudge: Instant,
    figures: Arc<std::sync::Mutex<StreamFigures>>,
    /// Lines for the operator (drops, refusals), taken by the watcher.
    notes: Vec<String>,
}

impl std::fmt::Debug for StreamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSource")
            .field("up", &self.up)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl StreamSource {
    /// Starts the connections of `client`'s venue stream for `credential`, with `poll` (the
    /// same key's poller) for gap fills and fallback. `None` when the venue has no stream.
    pub async fn start(client: &Client, credential: &Credential, poll: RestPoll) -> Option<Self> {
        let stream = client.venue().private_stream()?;
        let segments = client.segments().await.list;
        let connections = stream.connections(&segments);
        if connections.is_empty() {
            return None;
        }
        // Segments the stream does not push are polled at the interval all along.
        let unpushed: Vec<_> = segments
            .iter()
            .filter(|s| !stream.pushes(s))
            .copied()
            .collect();
        let unpushed = (!unpushed.is_empty()).then(|| poll.only(unpushed));
        let (tx, events) = mpsc::unbounded_channel();
        let figures = Arc::new(std::sync::Mutex::new(StreamFigures::default()));
        let tasks = connections
            .into_iter()
            .enumerate()
            .map(|(n, connection)| {
                let link = Link {
                    n,
                    client: client.clone(),
                    credential: credential.clone(),
                    refresh: stream.token_refresh(&connection),
                    connection,
                    tx: tx.clone(),
                };
                tokio::spawn(link.run())
            })
            .collect::<Vec<_>>();
        let up = vec![false; tasks.len()];
        Some(StreamSource {
            poll,
            unpushed,
            events,
            tasks,
            up,
            last: "stream",
            next_reconcile: Instant::now() + RECONCILE,
            look_due: None,
            rang: false,
            look_after_ms: 0,
            rung: Vec::new(),
            looker: None,
            looker_reads: 0,
            next_rejudge: Instant::now(),
            figures,
            notes: Vec::new(),
        })
    }

    /// The figures so far.
    pub fn figures(&self) -> StreamFigures {
        *self
            .figures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn tally(&self, f: impl FnOnce(&mut StreamFigures)) {
        f(&mut self
            .figures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }

    async fn next_batch(&mut self) -> Result<Batch, ExchangeError> {
        // The judge last ran on the batch just handed out: the next empty one is an interval on.
        self.next_rejudge = Instant::now() + self.poll.interval();
        loop {
            if self.look_due.is_none() && self.rang {
                // The look's history window ends at the client's "now": it must be past the
                // change the stream told of, or the order falls outside it. A few ms on a good
                // clock; a second at most.
                let ahead = self.look_after_ms.saturating_sub(self.poll.now_ms());
                if ahead >= 0 {
                    let wait = ahead.unsigned_abs().min(1000) + 1;
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                }
                let rung = &self.rung;
                let poll = &self.poll;
                let looker = self.looker.get_or_insert_with(|| poll.only(rung.clone()));
                // Cleared only once answered, as below.
                let batch = looker.look_now().await?;
                self.rang = false;
                let fresh = self.poll.admit(batch.orders);
                if fresh.is_empty() {
                    continue;
                }
                self.last = "stream";
                return Ok(Batch {
                    orders: fresh,
                    exchange_ms: batch.exchange_ms,
                });
            }
            if let Some(kind) = self.look_due {
                // Cleared only once answered: a failed look is tried again on the next call
                // (after the watcher's pause), a cancelled one too.
                let batch = self.poll.look_now().await?;
                self.look_due = None;
                if kind == "gap_fill" {
                    self.tally(|f| f.gap_fills += 1);
                    // One more look an interval on: a venue may list an order in its history a
                    // moment after it closed, and the poller's overlap covers that only for
                    // a look that follows (the minute's reconcile would come too late).
                    self.next_reconcile = Instant::now() + self.poll.interval();
                }
                self.last = kind;
                return Ok(batch);
            }
            let all_up = self.up.iter().all(|up| *up);
            let event = if all_up {
                let unpushed = async {
                    match self.unpushed.as_mut() {
                        Some(poll) => poll.next().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    event = self.events.recv() => event,
                    // No news for an interval: an empty batch, so that orders still inside the
                    // ledger's lag are judged again as time passes (a poller's look does that).
                    () = tokio::time::sleep_until(self.next_rejudge) => {
                        self.next_rejudge = Instant::now() + self.poll.interval();
                        self.last = "stream";
                        return Ok(Batch { orders: Vec::new(), exchange_ms: self.poll.now_ms() });
                    }
                    () = tokio::time::sleep_until(self.next_reconcile) => {
                        self.next_reconcile = Instant::now() + RECONCILE;
                        self.look_due = Some("rest_poll");
                        continue;
                    }
                    batch = unpushed => {
                        self.last = "rest_poll";
                        let batch = batch?;
                        let fresh = self.poll.admit(batch.orders);
                        if fresh.is_empty() {
                            continue;
                        }
                        return Ok(Batch { orders: fresh, exchange_ms: batch.exchange_ms });
                    }
                }
            } else {
                // Some stream is down: the poller looks at its interval meanwhile.
                tokio::select! {
                    event = self.events.recv() => event,
                    batch = self.poll.next() => {
                        self.last = "rest_poll";
                        return batch;
                    }
                }
            };
            let Some(event) = event else {
                // Every task ended (they never do on their own): poll from now on.
                self.up.iter_mut().for_each(|up| *up = false);
                self.last = "rest_poll";
                return self.poll.next().await;
            };
            match event {
                Event::Ready(n) => {
                    self.up[n] = true;
                    self.tally(|f| f.connects += 1);
                    // One gap fill once every connection is up: while one is down the poller
                    // looks at its interval, and a fill per connection would hold the others'
                    // pushes back a whole REST look each (OKX: two connections, ~3 s a look).
                    if !self.up.iter().all(|up| *up) {
                        continue;
                    }
                    self.next_reconcile = Instant::now() + RECONCILE;
                    self.look_due = Some("gap_fill");
                    continue;
                }
                Event::Down(n, why, pause) => {
                    self.up[n] = false;
                    self.tally(|f| f.drops += 1);
                    self.notes.push(format!(
                        "the private stream dropped ({why}); polling every {} until it is back, next try in {}",
                        humantime::format_duration(self.poll.interval()),
                        humantime::format_duration(pause)
                    ));
                }
                Event::Look(segment, at_ms) => {
                    self.tally(|f| f.messages += 1);
                    self.look_after_ms = self.look_after_ms.max(at_ms);
                    if !self.rung.contains(&segment) {
                        self.rung.push(segment);
                        if let Some(old) = self.looker.take() {
                            self.looker_reads += old.reads;
                        }
                    }
                    // One look answers every push that came before it ran.
                    self.rang = true;
                }
                Event::Orders(orders) => {
                    self.tally(|f| f.messages += 1);
                    let fresh = self.poll.admit(orders);
                    if !fresh.is_empty() {
                        self.last = "stream";
                        return Ok(Batch {
                            orders: fresh,
                            exchange_ms: self.poll.now_ms(),
                        });
                    }
                }
            }
        }
    }
}

impl Drop for StreamSource {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Source for StreamSource {
    fn name(&self) -> &'static str {
        self.last
    }

    fn reads(&self) -> u64 {
        self.poll.reads
            + self.unpushed.as_ref().map_or(0, |p| p.reads)
            + self.looker.as_ref().map_or(0, |p| p.reads)
            + self.looker_reads
    }

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn figures(&self) -> Option<StreamFigures> {
        Some(StreamSource::figures(self))
    }

    fn armed(&self) -> bool {
        StreamSource::figures(self).gap_fills > 0
    }

    fn next(&mut self) -> Pin<Box<dyn Future<Output = Result<Batch, ExchangeError>> + Send + '_>> {
        Box::pin(self.next_batch())
    }
}

/// One connection's task.
struct Link {
    n: usize,
    client: Client,
    credential: Credential,
    connection: Connection,
    /// How often the connection's token is asked for again while connected (the venue's
    /// [`PrivateStream::token_refresh`](crate::exchanges::stream::PrivateStream::token_refresh)).
    refresh: Option<Duration>,
    tx: mpsc::UnboundedSender<Event>,
}

impl Link {
    async fn run(self) {
        let mut pause = FIRST_PAUSE;
        loop {
            let started = Instant::now();
            let why = match self.session().await {
                Ok(()) => "the server closed the connection".to_owned(),
                Err(why) => why,
            };
            // A connection that lived a while starts the pauses again from the first.
            if started.elapsed() > MAX_PAUSE {
                pause = FIRST_PAUSE;
            }
            if self.tx.send(Event::Down(self.n, why, pause)).is_err() {
                return;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// One connection, from connect to drop: `Ok` when the server closed it, else why not.
    async fn session(&self) -> Result<(), String> {
        let Some(stream) = self.client.venue().private_stream() else {
            return Err("the venue has no private stream".to_owned());
        };
        let token = match &self.connection.token {
            None => None,
            Some(op) => Some(self.token(op).await?),
        };
        let base = url::Url::parse(self.client.base_url())
            .map_err(|err| format!("the profile's base URL: {err}"))?;
        let url = stream
            .url(&base, &self.connection, token.as_ref())
            .map_err(|err| err.to_string())?;
        let connector = connector(&url)?;
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            url.as_str(),
            Some(socket_config()),
            true,
            connector,
        );
        let (mut socket, _) = tokio::time::timeout(READY_WITHIN, connect)
            .await
            .map_err(|_| "the connection timed out".to_owned())?
            // The URL may carry a listen key: never in a message.
            .map_err(|err| format!("cannot connect: {}", describe(&err)))?;
        let now = self.client.clock().now_ms();
        for text in stream.login(&self.connection, &self.credential, token.as_ref(), now) {
            socket
                .send(Message::Text(text.into()))
                .await
                .map_err(|err| format!("cannot send: {}", describe(&err)))?;
        }
        let keepalive = stream.keepalive();
        let mut ping = tokio::time::interval(
            keepalive
                .as_ref()
                .map_or(Duration::from_secs(3600), |k| k.every),
        );
        ping.tick().await;
        // Only a connection that has a token to lose refreshes it.
        let refresh_every = self.refresh.filter(|_| token.is_some());
        let first_refresh = Instant::now() + refresh_every.unwrap_or(Duration::from_secs(3600));
        let mut refresh = tokio::time::interval_at(
            first_refresh,
            refresh_every.unwrap_or(Duration::from_secs(3600)),
        );
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let deadline = Instant::now() + READY_WITHIN;
        let mut ready = false;
        loop {
            let message = tokio::select! {
                message = socket.next() => message,
                _ = ping.tick() => {
                    if let Some(keepalive) = &keepalive {
                        let message = match &keepalive.text {
                            Some(text) => Message::Text(text.clone().into()),
                            None => Message::Ping(Vec::new().into()),
                        };
                        socket.send(message).await.map_err(|err| format!("cannot send: {}", describe(&err)))?;
                    }
                    continue;
                }
                _ = refresh.tick(), if refresh_every.is_some() => {
                    self.refresh_token(token.as_ref()).await?;
                    continue;
                }
                () = tokio::time::sleep_until(deadline), if !ready => {
                    return Err("no login and subscription answer within 10 s".to_owned());
                }
            };
            let text = match message {
                None => return Ok(()),
                Some(Err(err)) => return Err(describe(&err)),
                Some(Ok(Message::Text(text))) => text.to_string(),
                Some(Ok(Message::Binary(bytes))) => match stream.unpack(&bytes) {
                    Some(text) => text,
                    None => continue,
                },
                Some(Ok(Message::Close(frame))) => {
                    return Err(match frame {
                        Some(frame) => format!(
                            "closed by the server: {} {}",
                            u16::from(frame.code),
                            stream.describe(frame.reason.as_str())
                        ),
                        None => "closed by the server".to_owned(),
                    });
                }
                Some(Ok(_)) => continue,
            };
            for frame in stream.read(&self.connection, &text) {
                match frame {
                    Frame::Send(reply) => socket
                        .send(Message::Text(reply.into()))
                        .await
                        .map_err(|err| format!("cannot send: {}", describe(&err)))?,
                    Frame::Ready => {
                        if !ready {
                            ready = true;
                            if self.tx.send(Event::Ready(self.n)).is_err() {
                                return Ok(());
                            }
                        }
                    }
                    Frame::Orders(orders) => {
                        if !orders.is_empty() && self.tx.send(Event::Orders(orders)).is_err() {
                            return Ok(());
                        }
                    }
                    Frame::Look { segment, at_ms } => {
                        if self.tx.send(Event::Look(segment, at_ms)).is_err() {
                            return Ok(());
                        }
                    }
                    Frame::Refused(why) => return Err(format!("refused: {why}")),
                    Frame::Nothing => {}
                }
            }
        }
    }

    /// Asks for the connection's token again: `Ok` when the venue handed back the same one
    /// (extended), else why the connection must be opened again. Nothing secret in the words.
    async fn refresh_token(&self, current: Option<&SecretString>) -> Result<(), String> {
        let (Some(op), Some(current)) = (&self.connection.token, current) else {
            return Ok(());
        };
        let fresh = self.token(op).await.map_err(|why| {
            format!("{why}: it could not be extended, so the connection is opened again")
        })?;
        if same_secret(&fresh, current) {
            Ok(())
        } else {
            Err("the venue handed out another stream token (the old one lapsed); the connection is opened again with it".to_owned())
        }
    }

    async fn token(&self, op: &Op) -> Result<SecretString, String> {
        self.client
            .call(op, Auth::Key(&self.credential))
            .await
            .and_then(crate::exchanges::Reply::into_stream_token)
            .map_err(|err| format!("the stream's token: {err}"))
    }
}

/// Whether two tokens are the same. Allowed: compared here, never shown or kept apart.
#[allow(clippy::disallowed_methods)]
fn same_secret(a: &SecretString, b: &SecretString) -> bool {
    use secrecy::ExposeSecret;
    a.expose_secret() == b.expose_secret()
}

/// Small buffers: a push is a few kilobytes and a watcher holds one socket per key and
/// connection (tungstenite's defaults, 128 KiB each way, cost 50 keys ~12 MB for nothing).
fn socket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(16 << 20))
        .max_frame_size(Some(16 << 20))
}

/// rustls with the platform's roots for `wss://`; plain for `ws://`.
fn connector(url: &url::Url) -> Result<Option<tokio_tungstenite::Connector>, String> {
    if url.scheme() != "wss" {
        return Ok(Some(tokio_tungstenite::Connector::Plain));
    }
    use rustls_platform_verifier::ConfigVerifierExt;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|err| format!("cannot load the TLS roots: {err}"))?;
    Ok(Some(tokio_tungstenite::Connector::Rustls(Arc::new(config))))
}

/// A WebSocket error in words, redacted (a URL in it may carry a listen key).
fn describe(err: &tokio_tungstenite::tungstenite::Error) -> String {
    crate::exchanges::redact::redact(&err.to_string())
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use super::*;
    use crate::exchanges::{ExchangeId, Mode};
    use crate::secret::KeyId;
    use crate::sim::Sim;

    /// The `POST`s for a USD-M listen key the simulator has answered.
    fn listen_key_asks(sim: &Sim) -> usize {
        sim.inspect()
            .access_log
            .iter()
            .filter(|e| e.method == "POST" && e.path == "/fapi/v1/listenKey")
            .count()
    }

    /// The next event within 10 s.
    async fn next_event(events: &mut mpsc::UnboundedReceiver<Event>) -> Event {
        tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("an event within 10 s")
            .expect("the link is running")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_listen_key_is_asked_for_again_on_its_period_and_a_replaced_or_lost_one_reopens_the_link()
     {
        // The Binance simulator on 127.0.0.1, its leaked key's USD-M connection, the listen
        // key asked for again every 200 ms instead of Binance's 30 minutes.
        let sim = Sim::new(ExchangeId::Binance, 7);
        let running = sim
            .serve(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let session = sim.write_session(dir.path(), &running.base_url).unwrap();
        let secret = std::fs::read_to_string(dir.path().join("bot.secret")).unwrap();
        let credential = Credential::new(
            KeyId::new(session.leaked_key.clone()),
            SecretString::from(secret.trim().to_owned()),
        );
        let client =
            Client::new(ExchangeId::Binance.venue(), &running.base_url, Mode::Live).unwrap();
        let stream = client.venue().private_stream().unwrap();
        let connection = stream
            .connections(client.venue().segments())
            .into_iter()
            .find(|c| c.name == "usdm")
            .unwrap();
        assert!(stream.token_refresh(&connection).is_some());
        let link = |tx| Link {
            n: 0,
            client: client.clone(),
            credential: credential.clone(),
            connection: connection.clone(),
            refresh: Some(Duration::from_millis(200)),
            tx,
        };
        let (tx, mut events) = mpsc::unbounded_channel();
        let task = tokio::spawn(link(tx).run());
        assert!(matches!(next_event(&mut events).await, Event::Ready(0)));
        let first = listen_key_asks(&sim);
        // Asked again (and extended: the same key back) while the connection stays up.
        for _ in 0..100 {
            if listen_key_asks(&sim) >= first + 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            listen_key_asks(&sim) >= first + 3,
            "asked {} times",
            listen_key_asks(&sim)
        );
        assert!(events.try_recv().is_err(), "the connection stayed up");
        task.abort();

        // The same key back is kept; once the key is gone (closed by `DELETE`), the next ask
        // gets another one, and the connection must be opened again with it.
        let (tx, _events) = mpsc::unbounded_channel();
        let asker = link(tx);
        let op = connection.token.clone().unwrap();
        let current = asker.token(&op).await.unwrap();
        assert_eq!(asker.refresh_token(Some(&current)).await, Ok(()));
        let closed = crate::exchanges::client::http_client_from(IpAddr::V4(Ipv4Addr::LOCALHOST))
            .unwrap()
            .delete(format!("{}/fapi/v1/listenKey", running.base_url))
            .header("X-MBX-APIKEY", session.leaked_key.as_str())
            .send()
            .await
            .unwrap();
        assert!(closed.status().is_success(), "{}", closed.status());
        let why = asker.refresh_token(Some(&current)).await.unwrap_err();
        assert!(why.contains("another stream token"), "{why}");
        // A key deleted meanwhile cannot extend: the words say so, and carry no secret.
        assert!(sim.web_ui_delete_key(&session.leaked_key));
        let fresh = asker.token(&op);
        assert!(fresh.await.is_err());
        let why = asker.refresh_token(Some(&current)).await.unwrap_err();
        assert!(why.contains("could not be extended"), "{why}");
        assert!(!why.contains(&secret.trim()[..8]), "{why}");
    }
}
