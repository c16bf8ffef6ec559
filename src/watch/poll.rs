//! The REST polling source: every venue's open orders and order history, read at an interval
//! with the key's own credential.
//!
//! Each look reads the open orders of every segment (resting orders of any age) and the order
//! history from the cursor to now (orders that filled or were cancelled between two looks: a
//! market order is never open long enough to be seen open). The cursor moves to the look's start
//! only when the look succeeded, and each window starts [`overlap`] before it, since a venue
//! may index an order in its history a moment after it closed: nothing is missed across a failed
//! look or a late index. What is read twice is passed on once: an order is handed to the
//! watcher when it is new or its state (status, filled quantity, update time) changed. The
//! memory of what was seen keeps only what the next windows can show again.
//!
//! An order seen open that leaves the open orders without showing in the look's history is
//! looked up by its creation time: most venues (Binance, Bybit, OKX, BingX) date their order
//! history by when an order was created, not when it closed, so the cancel of a bot's order
//! placed hours ago falls in no recent window, and without this the watcher never learnt of
//! it (an attacker who only cancels the bot's orders, `quiet-sabotage`, raised no signal on
//! BingX, whose spot push names no order).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::source::{Batch, Source};
use crate::exchanges::model::{Category, Order, OrderStatus, Segment};
use crate::exchanges::{Auth, Client, ExchangeError, History, Op, Reply, Window};
use crate::secret::Credential;

/// An order's identity: its market and id (Binance numbers orders per symbol and market).
type OrderKey = (Category, String, String);

/// What a look last saw of an order.
#[derive(Debug, Clone)]
struct State {
    status: OrderStatus,
    filled: String,
    updated_ms: i64,
    /// When the order was created: where the venue's history finds it.
    created_ms: i64,
}

impl State {
    fn of(order: &Order) -> State {
        State {
            status: order.status,
            filled: order.filled_qty.as_str().to_owned(),
            updated_ms: order.updated_ms,
            created_ms: order.created_ms,
        }
    }

    /// Whether `other` says the same of the order.
    fn same(&self, other: &State) -> bool {
        self.status == other.status
            && self.filled == other.filled
            && self.updated_ms == other.updated_ms
    }
}

/// Orders seen open that a look looks up by their creation time when they left the open
/// orders unseen, at most: the rest wait for the next look.
const CHASED_PER_LOOK: usize = 10;
/// How far around an order's creation time its lookup reads the history.
const CHASE_MS: i64 = 1_000;

/// Polls one key's orders.
///
/// A look runs in two halves: its reads on a task of its own, which owns what
/// it needs, and their answer applied here ([`RestPoll::apply`]: the "once per state" filter,
/// the cursor). So a look in flight survives a caller that stops waiting for it (the watcher
/// drops a source's `next()` whenever another branch wins), keeps its turn moving while nobody
/// waits (a look that held one of the venue's [`LOOKS_AT_ONCE`] turns while its key's lock ran
/// would stall every other key's looks), and a stream source reads its pushes meanwhile.
#[derive(Debug)]
pub struct RestPoll {
    client: Client,
    credential: Credential,
    interval: Duration,
    lookback: Duration,
    /// Where the next history window starts (before the overlap); `None` before the first look.
    cursor_ms: Option<i64>,
    segments: Option<Vec<Segment>>,
    seen: HashMap<OrderKey, State>,
    ticker: Option<tokio::time::Interval>,
    /// Looks that may run at once, shared by every key the watcher follows on one venue
    /// ([`RestPoll::sharing_looks`]): their reads draw on one address's limits, and twenty
    /// keys' first looks sent at once overran Binance's weight minute before any answer could
    /// hold the client back, and the address was banned, the master's lock with it.
    looks: Arc<Semaphore>,
    /// The look in flight, if any: answered by [`RestPoll::answer`].
    pending: Option<Pending>,
    /// Reads sent so far (each page of each segment), for the figures; the look's task counts
    /// them as it sends them.
    reads: Arc<AtomicU64>,
    /// What the looks could not do, for the watcher to say.
    notes: Vec<String>,
}

/// A look in flight.
#[derive(Debug)]
struct Pending {
    task: JoinHandle<Result<Fetched, ExchangeError>>,
    /// Set once the look has its turn, before it takes "now" as its window's end.
    begun: Arc<AtomicBool>,
}

/// Looks at once across the keys of one venue, by default ([`RestPoll::sharing_looks`]).
pub const LOOKS_AT_ONCE: usize = 2;

/// How far each history window reaches back before the cursor: a venue may list a closed
/// order in its history a moment after it closed.
pub fn overlap(interval: Duration) -> Duration {
    (interval * 2).max(Duration::from_secs(5))
}

/// The reads of one look, with everything they need owned: they run on a task of their own.
struct Fetch {
    client: Client,
    credential: Credential,
    segments: Option<Vec<Segment>>,
    cursor_ms: Option<i64>,
    interval: Duration,
    lookback: Duration,
    looks: Arc<Semaphore>,
    reads: Arc<AtomicU64>,
    begun: Arc<AtomicBool>,
    /// The orders the poller last saw open, with their creation times.
    open_before: Vec<(OrderKey, i64)>,
}

/// What a look's reads found, before the "once per state" filter.
#[derive(Debug)]
struct Fetched {
    orders: Vec<Order>,
    /// The segments read (the venue's list, on the first look).
    segments: Vec<Segment>,
    /// Where the history window began, and "now" when the look had its turn (the window's end).
    start_ms: i64,
    started_ms: i64,
    /// The orders seen open before that were looked up by their creation time.
    chased: Vec<OrderKey>,
    /// What the look could not do, for the watcher to say.
    notes: Vec<String>,
}

impl Fetch {
    async fn run(self) -> Result<Fetched, ExchangeError> {
        // Closed only if the semaphore were, which it never is.
        let _turn = Arc::clone(&self.looks).acquire_owned().await;
        // Said before "now" is read: whoever sees `begun` unset knows the window ends later.
        self.begun.store(true, Ordering::SeqCst);
        let started_ms = self.client.clock().now_ms();
        let segments = match self.segments.clone() {
            Some(segments) => segments,
            None => self.client.segments().await.list,
        };
        let auth = Auth::Key(&self.credential);
        let (mut orders, _) = self
            .client
            .per_segment_permitted(
                &segments,
                auth,
                |segment, cursor| Op::OpenOrders { segment, cursor },
                Reply::into_orders,
            )
            .await?;
        self.reads
            .fetch_add(segments.len() as u64, Ordering::Relaxed);
        let reach = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4);
        let start_ms = match self.cursor_ms {
            None => started_ms - reach(self.lookback),
            Some(cursor) => cursor - reach(overlap(self.interval)),
        };
        let venue = self.client.venue();
        let history: Vec<Segment> = segments
            .iter()
            .filter(|s| venue.reads_history(s, History::Orders))
            .copied()
            .collect();
        let max = reach(venue.max_window(History::Orders));
        for window in Window::split(start_ms, started_ms, max) {
            orders.extend(self.history(&history, window).await?);
        }
        let (found, chased, notes) = self.chase(&orders, &history).await;
        orders.extend(found);
        Ok(Fetched {
            orders,
            segments,
            start_ms,
            started_ms,
            chased,
            notes,
        })
    }
}

impl Fetch {
    /// The order history of `segments` in `window` (those the key may not read: none).
    async fn history(
        &self,
        segments: &[Segment],
        window: Window,
    ) -> Result<Vec<Order>, ExchangeError> {
        let (orders, _) = self
            .client
            .per_segment_permitted(
                segments,
                Auth::Key(&self.credential),
                |segment, cursor| Op::Orders {
                    segment,
                    window,
                    cursor,
                },
                Reply::into_orders,
            )
            .await?;
        self.reads
            .fetch_add(segments.len() as u64, Ordering::Relaxed);
        Ok(orders)
    }

    /// The orders seen open before that `orders` (this look's) no longer show, looked up in
    /// their segments' history around their creation time: how each one ended, which were
    /// looked up, and which lookups failed (said, never the look's failure: a venue that will
    /// not read so far back must not stop the watcher).
    async fn chase(
        &self,
        orders: &[Order],
        history: &[Segment],
    ) -> (Vec<Order>, Vec<OrderKey>, Vec<String>) {
        let shown: std::collections::HashSet<OrderKey> = orders.iter().map(key_of).collect();
        let gone: Vec<&(OrderKey, i64)> = self
            .open_before
            .iter()
            .filter(|(key, _)| !shown.contains(key))
            .take(CHASED_PER_LOOK)
            .collect();
        let mut found = Vec::new();
        let mut chased = Vec::new();
        let mut notes = Vec::new();
        for (key, created_ms) in gone {
            chased.push(key.clone());
            // The segments of the order's market family; where the venue's segments are not
            // cut that way (Deribit's are by currency, each holding every kind), all of them.
            let mut segments: Vec<Segment> = history
                .iter()
                .filter(|s| s.category == key.0)
                .copied()
                .collect();
            if segments.is_empty() {
                segments = history.to_vec();
            }
            let window = Window {
                start_ms: created_ms - CHASE_MS,
                end_ms: created_ms + CHASE_MS,
            };
            let orders = match self.history(&segments, window).await {
                Ok(orders) => orders,
                Err(err) => {
                    notes.push(format!(
                        "{} order {} left the open orders and its history could not be read ({err}): how it ended is not judged",
                        key.1, key.2
                    ));
                    continue;
                }
            };
            found.extend(orders.into_iter().filter(|o| key_of(o) == *key));
        }
        (found, chased, notes)
    }
}

fn key_of(order: &Order) -> OrderKey {
    (order.category, order.symbol.clone(), order.order_id.clone())
}

impl RestPoll {
    /// A poller of `credential`'s account through `client`, every `interval`, reading
    /// `lookback` of history on its first look.
    pub fn new(
        client: Client,
        credential: Credential,
        interval: Duration,
        lookback: Duration,
    ) -> RestPoll {
        RestPoll {
            client,
            credential,
            interval,
            lookback,
            cursor_ms: None,
            segments: None,
            seen: HashMap::new(),
            ticker: None,
            looks: Arc::new(Semaphore::new(LOOKS_AT_ONCE)),
            pending: None,
            reads: Arc::new(AtomicU64::new(0)),
            notes: Vec::new(),
        }
    }

    /// What the looks could not do since the last call.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// This poller's looks take turns with every other poller holding `looks`.
    pub fn sharing_looks(mut self, looks: Arc<Semaphore>) -> RestPoll {
        self.looks = looks;
        self
    }

    /// Starts a look now (a stream's gap fill), unless one is in flight already; the next
    /// tick counts from here. [`RestPoll::answer`] hands out what it finds.
    pub fn start(&mut self) {
        if let Some(ticker) = &mut self.ticker {
            ticker.reset();
        }
        if self.pending.is_none() {
            self.pending = Some(self.fetch());
        }
    }

    /// Whether a look is in flight.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether the look in flight has had its turn and began reading. A look in flight that
    /// has not reads up to a "now" later than this call: it covers whatever happened before.
    pub fn reading(&self) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.begun.load(Ordering::SeqCst))
    }

    /// The look in flight, answered: its orders not passed on before in this state. With none
    /// in flight, when `tick`, one starts at the poller's next tick; else this never answers.
    /// Cancel-safe: dropped, the look goes on and the next call answers it.
    pub async fn answer(&mut self, tick: bool) -> Result<Batch, ExchangeError> {
        if self.pending.is_none() {
            if !tick {
                return std::future::pending().await;
            }
            let interval = self.interval;
            let ticker = self.ticker.get_or_insert_with(|| {
                let mut ticker = tokio::time::interval(interval);
                // A slow look is followed by the next at once, never by a catch-up burst.
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticker
            });
            ticker.tick().await;
            self.pending = Some(self.fetch());
        }
        let joined = match self.pending.as_mut() {
            Some(pending) => (&mut pending.task).await,
            None => return std::future::pending().await,
        };
        // Nothing awaited from here on: the answer is applied in the same poll it came in.
        self.pending = None;
        let fetched = joined.map_err(|err| ExchangeError::Transport {
            detail: format!("the look's task ended before it answered ({err}); the next look reads from where it began"),
            reached: true,
        })??;
        Ok(self.apply(fetched))
    }

    /// The orders of `orders` not passed on before in this state (a stream's news), each once.
    pub fn admit(&mut self, orders: Vec<Order>) -> Vec<Order> {
        self.changed(orders)
    }

    /// A poller like this one that reads only `segments` (those a stream does not push).
    pub fn only(&self, segments: Vec<Segment>) -> RestPoll {
        let mut poll = RestPoll::new(
            self.client.clone(),
            self.credential.clone(),
            self.interval,
            self.lookback,
        );
        poll.segments = Some(segments);
        poll.looks = Arc::clone(&self.looks);
        poll
    }

    /// The interval between looks.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reads sent so far, those of a look still in flight included.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Now on the exchange's clock, as far as the client knows it.
    pub fn now_ms(&self) -> i64 {
        self.client.clock().now_ms()
    }

    /// A look's reads, started on a task of their own.
    fn fetch(&self) -> Pending {
        let begun = Arc::new(AtomicBool::new(false));
        let fetch = Fetch {
            client: self.client.clone(),
            credential: self.credential.clone(),
            segments: self.segments.clone(),
            cursor_ms: self.cursor_ms,
            interval: self.interval,
            lookback: self.lookback,
            looks: Arc::clone(&self.looks),
            reads: Arc::clone(&self.reads),
            begun: Arc::clone(&begun),
            open_before: self
                .seen
                .iter()
                .filter(|(_, state)| state.status.is_open())
                .map(|(key, state)| (key.clone(), state.created_ms))
                .collect(),
        };
        Pending {
            task: tokio::spawn(fetch.run()),
            begun,
        }
    }

    /// A look's reads, answered: the cursor moves to where they ended (never back), and what
    /// was not passed on before in this state goes out, each once.
    fn apply(&mut self, fetched: Fetched) -> Batch {
        if self.segments.is_none() {
            self.segments = Some(fetched.segments);
        }
        // Every read answered: the next window starts here (less the overlap).
        self.cursor_ms = Some(
            self.cursor_ms
                .map_or(fetched.started_ms, |c| c.max(fetched.started_ms)),
        );
        let shown: std::collections::HashSet<OrderKey> =
            fetched.orders.iter().map(key_of).collect();
        let fresh = self.changed(fetched.orders);
        // Orders seen open that this look neither showed nor found by their creation time:
        // the venue keeps no trace of them, and they are not looked up again.
        let chased = fetched.chased;
        self.notes.extend(fetched.notes);
        self.seen.retain(|key, state| {
            !state.status.is_open() || shown.contains(key) || !chased.contains(key)
        });
        self.forget_before(fetched.start_ms);
        Batch {
            orders: fresh,
            exchange_ms: fetched.started_ms,
        }
    }

    /// The orders not seen before in this state, each once (an order both open and in the
    /// history counts in its latest state).
    fn changed(&mut self, orders: Vec<Order>) -> Vec<Order> {
        let mut latest: HashMap<OrderKey, Order> = HashMap::new();
        for order in orders {
            let key = (order.category, order.symbol.clone(), order.order_id.clone());
            match latest.get(&key) {
                Some(kept) if kept.updated_ms > order.updated_ms => {}
                _ => {
                    latest.insert(key, order);
                }
            }
        }
        let mut fresh: Vec<Order> = latest
            .into_iter()
            .filter_map(|(key, order)| {
                let state = State::of(&order);
                match self.seen.get(&key) {
                    // Older news than what was seen already (a history page that lags).
                    Some(seen) if seen.same(&state) || seen.updated_ms > state.updated_ms => None,
                    _ => {
                        self.seen.insert(key, state);
                        Some(order)
                    }
                }
            })
            .collect();
        fresh.sort_by_key(|o| (o.created_ms, o.updated_ms));
        fresh
    }

    /// Forgets closed orders no window from now on can show again.
    fn forget_before(&mut self, start_ms: i64) {
        self.seen
            .retain(|_, state| state.status.is_open() || state.updated_ms >= start_ms);
    }
}

impl Source for RestPoll {
    fn name(&self) -> &'static str {
        "rest_poll"
    }

    fn reads(&self) -> u64 {
        RestPoll::reads(self)
    }

    fn take_notes(&mut self) -> Vec<String> {
        RestPoll::take_notes(self)
    }

    fn next(&mut self) -> Pin<Box<dyn Future<Output = Result<Batch, ExchangeError>> + Send + '_>> {
        Box::pin(self.answer(true))
    }
}

impl Drop for RestPoll {
    fn drop(&mut self) {
        if let Some(pending) = &self.pending {
            pending.task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, Side};
    use crate::exchanges::{ExchangeId, Mode};
    use crate::secret::{KeyId, SecretString};

    fn order(id: &str, status: OrderStatus, updated_ms: i64) -> Order {
        Order {
            order_id: id.to_owned(),
            client_order_id: None,
            category: Category::Spot,
            symbol: "BTCUSDT".to_owned(),
            side: Side::Buy,
            order_type: "limit".to_owned(),
            qty: Amount::new("1"),
            price: Some(Amount::new("10")),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status,
            created_ms: 1,
            updated_ms,
        }
    }

    #[test]
    fn an_order_is_passed_on_once_per_state() {
        let client =
            Client::new(ExchangeId::Bybit.venue(), "http://127.0.0.1:9", Mode::Live).unwrap();
        let credential = Credential::new(KeyId::new("k"), SecretString::from("s"));
        let mut poll = RestPoll::new(
            client,
            credential,
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        let first = poll.changed(vec![
            order("1", OrderStatus::Open, 10),
            order("1", OrderStatus::Open, 10),
        ]);
        assert_eq!(first.len(), 1);
        // Open in one list, already cancelled in the other: its latest state, once.
        let second = poll.changed(vec![
            order("1", OrderStatus::Open, 10),
            order("1", OrderStatus::Cancelled, 20),
        ]);
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].status, OrderStatus::Cancelled);
        // A lagging history page with the older state is not news.
        assert!(
            poll.changed(vec![order("1", OrderStatus::Open, 10)])
                .is_empty()
        );
        poll.forget_before(30);
        assert!(poll.seen.is_empty());
    }
}
