//! The stream source: a venue's private order stream, with the REST poller under it
//! (docs/watch.md §1).
//!
//! Each connection the venue needs ([`Connection`]) runs on a task of its own: connect (a token
//! from REST first where the venue wants one), log in, subscribe, keep alive, and on any drop or
//! refusal connect again after a pause that grows from 250 ms to 30 s. The tasks hand what they
//! read to the source through a channel. The source passes stream orders through the poller's
//! "once per state" filter, and fills the gap by REST every time the connections are all ready
//! again (the first time, that read is the first look): from the last news less the overlap to now,
//! so a drop, a lost message or a late subscription loses nothing. A REST look never holds the
//! pushes back: its reads run on a task of their own ([`RestPoll::answer`]), and the source
//! reads the stream while it runs (a fill took up to a minute under Binance's request weight
//! with twenty keys watched, and every push waited behind it). While any connection is
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

/// What a REST look of the stream source is for. Ordered: a gap fill is also a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Look {
    /// The minute's look while every connection is up (a stream may skip silently).
    Reconcile,
    /// The look after every connection is ready again: from the cursor less the overlap to now.
    GapFill,
}

impl Look {
    fn name(self) -> &'static str {
        match self {
            Look::Reconcile => "rest_poll",
            Look::GapFill => "gap_fill",
        }
    }
}

/// `poll`'s look answered ([`RestPoll::answer`]); never without a poller.
async fn answer_of(poll: Option<&mut RestPoll>, tick: bool) -> Result<Batch, ExchangeError> {
    match poll {
        Some(poll) => poll.answer(tick).await,
        None => std::future::pending().await,
    }
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
    /// An event taken off `events` while gathering the pushes queued before it, handled first.
    held: Option<Event>,
    tasks: Vec<JoinHandle<()>>,
    up: Vec<bool>,
    /// What the last batch came from (`stream`, `gap_fill`, `rest_poll`).
    last: &'static str,
    next_reconcile: Instant,
    /// A REST look that is due and not yet started: it starts as soon as the poller has no
    /// look in flight (a look that began reading before a reconnect cannot fill the gap the
    /// reconnect left, so it is followed by another).
    look_due: Option<Look>,
    /// What the poller's look in flight is for; `None` for its own interval look (while a
    /// connection is down). The look itself lives in the poller: the watcher drops `next()`
    /// whenever another of its branches wins (an account look, the stop), and a look dropped
    /// with it would leave the orders placed during a drop unread for a minute.
    looking: Option<Look>,
    /// A stream's [`Frame::Look`] is due: the segments it named are read by REST, from
    /// `rung_at` on.
    rang: bool,
    /// When the look a [`Frame::Look`] asked for may start: once the clock is past the latest
    /// exchange time one named (`look_after_ms`), or the order falls outside its window.
    rung_at: Instant,
    look_after_ms: i64,
    /// The segments the stream's looks read, and their poller (its news passes the main
    /// poller's "once per state" filter too), and how many of `rung` it reads.
    rung: Vec<Segment>,
    looker: Option<RestPoll>,
    looker_covers: usize,
    /// Reads of the lookers replaced when a new segment rang.
    looker_reads: u64,
    /// Whether the connections' tasks can still tell anything (they never all end on their own).
    listening: bool,
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
            held: None,
            tasks,
            up,
            last: "stream",
            next_reconcile: Instant::now() + RECONCILE,
            look_due: None,
            looking: None,
            rang: false,
            rung_at: Instant::now(),
            look_after_ms: 0,
            rung: Vec::new(),
            looker: None,
            looker_covers: 0,
            looker_reads: 0,
            listening: true,
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

    /// A REST look of `kind` is wanted. A look in flight that has not begun reading reads up
    /// to a later "now", so it serves (a gap fill promotes it); else it follows that one.
    fn due(&mut self, kind: Look) {
        if self.poll.busy() && !self.poll.reading() {
            self.looking = Some(self.looking.map_or(kind, |k| k.max(kind)));
        } else {
            self.look_due = Some(self.look_due.map_or(kind, |k| k.max(kind)));
        }
    }

    /// Starts what is due: the poller's look once it has none in flight, the stream's look
    /// once its clock has passed and its looker is free.
    fn start_due(&mut self) {
        if !self.poll.busy()
            && let Some(kind) = self.look_due.take()
        {
            self.poll.start();
            self.looking = Some(kind);
        }
        let looker_busy = self.looker.as_ref().is_some_and(RestPoll::busy);
        if self.rang && !looker_busy && Instant::now() >= self.rung_at {
            // A new segment rang: a looker that reads it too (replaced only between looks,
            // so a look's answer always meets the cursor it started from).
            if self.looker_covers != self.rung.len()
                && let Some(old) = self.looker.take()
            {
                self.looker_reads += old.reads();
            }
            let (poll, rung) = (&self.poll, &self.rung);
            let looker = self.looker.get_or_insert_with(|| poll.only(rung.clone()));
            self.looker_covers = self.rung.len();
            looker.start();
            // Pushes that ring from here on need a look of their own.
            self.rang = false;
        }
    }

    async fn next_batch(&mut self) -> Result<Batch, ExchangeError> {
        // The judge last ran on the batch just handed out: the next empty one is an interval on.
        self.next_rejudge = Instant::now() + self.poll.interval();
        loop {
            self.start_due();
            let all_up = self.up.iter().all(|up| *up);
            let rung_waits = self.rang && !self.looker.as_ref().is_some_and(RestPoll::busy);
            // Every branch below is cancel-safe: a look in flight lives in its poller and goes
            // on while the watcher does something else. Pushes are read while a look runs: a
            // gap fill can take a minute under a venue's request weight (Binance, twenty keys),
            // and the pushes are what the stream is for.
            let event = if let Some(event) = self.held.take() {
                Some(event)
            } else {
                tokio::select! {
                    // While a connection is down the poller also looks at its own interval.
                    batch = self.poll.answer(!all_up) => {
                        let kind = self.looking.take();
                        self.last = kind.map_or("rest_poll", Look::name);
                        let batch = match batch {
                            Ok(batch) => batch,
                            Err(err) => {
                                // Still due: tried again on the next call, after the watcher's pause.
                                if let Some(kind) = kind {
                                    self.due(kind);
                                }
                                return Err(err);
                            }
                        };
                        if kind == Some(Look::GapFill) {
                            self.tally(|f| f.gap_fills += 1);
                            // One more look an interval on: a venue may list an order in its history
                            // a moment after it closed, and the poller's overlap covers that only for
                            // a look that follows (the minute's reconcile would come too late).
                            self.next_reconcile = Instant::now() + self.poll.interval();
                        }
                        return Ok(batch);
                    }
                    batch = answer_of(self.looker.as_mut(), false) => {
                        let batch = match batch {
                            Ok(batch) => batch,
                            Err(err) => {
                                self.rang = true;
                                return Err(err);
                            }
                        };
                        let fresh = self.poll.admit(batch.orders);
                        if fresh.is_empty() {
                            continue;
                        }
                        self.last = "stream";
                        return Ok(Batch { orders: fresh, exchange_ms: batch.exchange_ms });
                    }
                    // Segments the stream does not push, at the interval while every connection is
                    // up (the poller reads them too while one is down); a look in flight is
                    // answered either way.
                    batch = answer_of(self.unpushed.as_mut(), all_up) => {
                        self.last = "rest_poll";
                        let batch = batch?;
                        let fresh = self.poll.admit(batch.orders);
                        if fresh.is_empty() {
                            continue;
                        }
                        return Ok(Batch { orders: fresh, exchange_ms: batch.exchange_ms });
                    }
                    event = self.events.recv(), if self.listening => event,
                    // No news for an interval: an empty batch, so that orders still inside the
                    // ledger's lag are judged again as time passes (a poller's look does that).
                    () = tokio::time::sleep_until(self.next_rejudge), if all_up => {
                        self.next_rejudge = Instant::now() + self.poll.interval();
                        self.last = "stream";
                        return Ok(Batch { orders: Vec::new(), exchange_ms: self.poll.now_ms() });
                    }
                    () = tokio::time::sleep_until(self.next_reconcile), if all_up => {
                        self.next_reconcile = Instant::now() + RECONCILE;
                        self.due(Look::Reconcile);
                        continue;
                    }
                    () = tokio::time::sleep_until(self.rung_at), if rung_waits => continue,
                }
            };
            let Some(event) = event else {
                // Every task ended (they never do on their own): poll from now on.
                self.listening = false;
                self.up.iter_mut().for_each(|up| *up = false);
                continue;
            };
            match event {
                Event::Ready(n) => {
                    self.up[n] = true;
                    self.tally(|f| f.connects += 1);
                    // One gap fill once every connection is up: while one is down the poller
                    // looks at its interval, and a fill per connection would cost a whole REST
                    // look each (OKX: two connections, ~3 s a look).
                    if !self.up.iter().all(|up| *up) {
                        continue;
                    }
                    self.next_reconcile = Instant::now() + RECONCILE;
                    self.due(Look::GapFill);
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
                    }
                    // The look's history window ends at the client's "now": it must be past the
                    // change the stream told of. A few ms on a good clock; a second at most.
                    let ahead = self.look_after_ms.saturating_sub(self.poll.now_ms());
                    let wait = if ahead >= 0 {
                        ahead.unsigned_abs().min(1000) + 1
                    } else {
                        0
                    };
                    self.rung_at = Instant::now() + Duration::from_millis(wait);
                    // One look answers every push that came before it began.
                    self.rang = true;
                }
                Event::Orders(mut orders) => {
                    self.tally(|f| f.messages += 1);
                    // The pushes already queued behind it go with it: one judging for all.
                    // With twenty keys on one account every change reaches twenty streams, and
                    // a judging per push (each judges every order kept) left the twentieth
                    // key's first signal seconds behind the first's.
                    while let Ok(next) = self.events.try_recv() {
                        match next {
                            Event::Orders(more) => {
                                self.tally(|f| f.messages += 1);
                                orders.extend(more);
                            }
                            other => {
                                self.held = Some(other);
                                break;
                            }
                        }
                    }
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
        self.poll.reads()
            + self.unpushed.as_ref().map_or(0, RestPoll::reads)
            + self.looker.as_ref().map_or(0, RestPoll::reads)
            + self.looker_reads
    }

    fn take_notes(&mut self) -> Vec<String> {
        let mut notes = std::mem::take(&mut self.notes);
        notes.extend(self.poll.take_notes());
        if let Some(unpushed) = &mut self.unpushed {
            notes.extend(unpushed.take_notes());
        }
        notes
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
    use crate::exchanges::model::{Category, OrderStatus, Side};
    use crate::exchanges::{ExchangeId, Mode, NewOrder, OrderKind, QtyUnit, Reply, TimeInForce};
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
        let (sim, running, client, credential, secret) = lab(ExchangeId::Binance, 7).await;
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
            .header("X-MBX-APIKEY", credential.key.as_str())
            .send()
            .await
            .unwrap();
        assert!(closed.status().is_success(), "{}", closed.status());
        let why = asker.refresh_token(Some(&current)).await.unwrap_err();
        assert!(why.contains("another stream token"), "{why}");
        // A key deleted meanwhile cannot extend: the words say so, and carry no secret.
        assert!(sim.web_ui_delete_key(credential.key.as_str()));
        let fresh = asker.token(&op);
        assert!(fresh.await.is_err());
        let why = asker.refresh_token(Some(&current)).await.unwrap_err();
        assert!(why.contains("could not be extended"), "{why}");
        assert!(!why.contains(&secret.trim()[..8]), "{why}");
    }

    /// A leaked key on a served simulator of `venue`: the simulator, its address, a client,
    /// the key, and its secret as written.
    async fn lab(
        venue: ExchangeId,
        seed: u64,
    ) -> (Sim, crate::sim::Running, Client, Credential, String) {
        let sim = Sim::new(venue, seed);
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
        let client = Client::new(venue.venue(), &running.base_url, Mode::Live).unwrap();
        (sim, running, client, credential, secret)
    }

    /// A leaked Bybit key on a served simulator (see [`lab`]).
    async fn bybit_lab(seed: u64) -> (Sim, crate::sim::Running, Client, Credential) {
        let (sim, running, client, credential, _) = lab(ExchangeId::Bybit, seed).await;
        (sim, running, client, credential)
    }

    /// Places a spot limit buy of 0.001 BTC at `price` with the leaked key; its order id.
    async fn buy(
        client: &Client,
        credential: &Credential,
        price: f64,
        client_order_id: &str,
        time_in_force: TimeInForce,
    ) -> String {
        let order = NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle: None,
            },
            symbol: "BTCUSDT".to_owned(),
            side: Side::Buy,
            kind: OrderKind::Limit { price },
            qty: 0.001,
            unit: QtyUnit::Base,
            trigger: None,
            client_order_id: Some(client_order_id.to_owned()),
            time_in_force,
            reduce_only: false,
        };
        client
            .call(&Op::PlaceOrder(order), Auth::Key(credential))
            .await
            .and_then(Reply::into_placed)
            .expect("placed")
    }

    /// The source's batches until `done` holds for one (`None` for a call that timed out),
    /// each call bounded; at most 40 calls. Short bounds drop `next()` on purpose, as the
    /// watcher does whenever another of its branches wins.
    async fn batches_until(
        source: &mut StreamSource,
        done: impl Fn(&StreamSource, Option<&Batch>) -> bool,
    ) -> Option<Batch> {
        for _ in 0..40 {
            let batch = tokio::time::timeout(Duration::from_millis(250), source.next())
                .await
                .ok()
                .map(|batch| batch.expect("no look fails here"));
            if done(source, batch.as_ref()) {
                return batch;
            }
        }
        panic!(
            "10 s and no such batch; the stream's figures: {:?}",
            source.figures()
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_push_is_handed_out_while_the_gap_fill_waits_and_its_order_once() {
        use crate::watch::poll::LOOKS_AT_ONCE;

        let (_sim, _running, client, credential) = bybit_lab(21).await;
        // Every turn of the venue's looks is taken, as other keys' looks take them under a
        // venue's request weight (Binance, twenty keys: a minute): the gap fill waits.
        let looks = Arc::new(tokio::sync::Semaphore::new(LOOKS_AT_ONCE));
        let turns = Arc::clone(&looks)
            .acquire_many_owned(u32::try_from(LOOKS_AT_ONCE).unwrap())
            .await
            .unwrap();
        let poll = RestPoll::new(
            client.clone(),
            credential.clone(),
            Duration::from_secs(1),
            Duration::from_secs(60),
        )
        .sharing_looks(Arc::clone(&looks));
        let mut source = StreamSource::start(&client, &credential, poll)
            .await
            .expect("Bybit has a private stream");
        batches_until(&mut source, |s, _| s.figures().connects >= 1).await;
        assert!(!source.armed(), "no gap fill could have run");

        // The attacker's order, placed with the leaked key while the fill waits for its turn.
        let id = buy(
            &client,
            &credential,
            20_000.0,
            "during-the-fill",
            TimeInForce::Gtc,
        )
        .await;
        let has = |batch: &Batch| batch.orders.iter().any(|o| o.order_id == id);
        let pushed = batches_until(&mut source, |_, b| b.is_some_and(has))
            .await
            .expect("a batch");
        assert_eq!(source.name(), "stream");
        assert_eq!(pushed.orders.len(), 1, "{:?}", pushed.orders);
        assert_eq!(source.figures().gap_fills, 0, "the fill still waits");

        // Its turn comes: the fill answers (once, though `next()` was dropped many times
        // meanwhile), and what the stream handed out already is not handed out again.
        drop(turns);
        let filled = batches_until(&mut source, |s, b| b.is_some() && s.name() == "gap_fill")
            .await
            .expect("a batch");
        assert!(!has(&filled), "passed on twice: {:?}", filled.orders);
        assert_eq!(source.figures().gap_fills, 1);
        assert!(source.armed());
        assert!(source.reads() > 0);
    }

    /// Pushes that queued while the watcher was busy come as one batch, in order: one judging
    /// for all of them, not one each.
    #[tokio::test(flavor = "multi_thread")]
    async fn pushes_queued_while_the_watcher_was_busy_come_as_one_batch() {
        let (_sim, _running, client, credential) = bybit_lab(23).await;
        let poll = RestPoll::new(
            client.clone(),
            credential.clone(),
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        let mut source = StreamSource::start(&client, &credential, poll)
            .await
            .expect("Bybit has a private stream");
        batches_until(&mut source, |s, _| s.armed()).await;
        // Three orders placed while nobody asks the source for a batch: their pushes queue.
        let mut ids = Vec::new();
        for (n, price) in [20_000.0, 20_001.0, 20_002.0].into_iter().enumerate() {
            ids.push(
                buy(
                    &client,
                    &credential,
                    price,
                    &format!("queued-{n}"),
                    TimeInForce::Gtc,
                )
                .await,
            );
        }
        let queued = |source: &StreamSource| source.figures().messages;
        let before = queued(&source);
        for _ in 0..100 {
            if source.events.len() >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(source.events.len() >= 3, "the three pushes are queued");
        let batch = batches_until(&mut source, |_, b| b.is_some_and(|b| !b.orders.is_empty()))
            .await
            .expect("a batch");
        let got: Vec<&str> = batch.orders.iter().map(|o| o.order_id.as_str()).collect();
        assert_eq!(got, ids, "the three, in order, in one batch");
        assert_eq!(queued(&source) - before, 3, "three pushes counted");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_reconnect_while_the_gap_fill_reads_gets_a_fill_of_its_own() {
        use crate::sim::{Faults, StreamFaults};

        let (sim, _running, client, credential) = bybit_lab(22).await;
        // Every REST answer late, so that a look takes a while; an interval long enough that
        // no other look comes between the fills.
        sim.set_faults(Faults::none().with_latency(Duration::from_millis(300)));
        let poll = RestPoll::new(
            client.clone(),
            credential.clone(),
            Duration::from_secs(5),
            Duration::from_secs(60),
        );
        let mut source = StreamSource::start(&client, &credential, poll)
            .await
            .expect("Bybit has a private stream");
        batches_until(&mut source, |s, _| {
            s.looking == Some(Look::GapFill) && s.poll.reading()
        })
        .await;
        // While the fill reads: an order that is never open (an IOC far below the market,
        // cancelled at once), its only push lost with the connection it cut. The fill began
        // before it, so only a fill after the reconnect can find it.
        sim.set_stream_faults(StreamFaults {
            drop_after: Some(0),
            ..StreamFaults::default()
        });
        let id = buy(
            &client,
            &credential,
            1_000.0,
            "lost-with-the-drop",
            TimeInForce::Ioc,
        )
        .await;
        batches_until(&mut source, |s, _| s.figures().drops >= 1).await;
        sim.set_stream_faults(StreamFaults::default());
        let found = batches_until(&mut source, |_, b| {
            b.is_some_and(|b| b.orders.iter().any(|o| o.order_id == id))
        })
        .await
        .expect("a batch");
        assert_eq!(source.name(), "gap_fill", "{:?}", source.figures());
        assert_eq!(source.figures().gap_fills, 2, "{:?}", source.figures());
        assert_eq!(found.orders.len(), 1, "{:?}", found.orders);
        assert_eq!(found.orders[0].status, OrderStatus::Cancelled);
    }
}
