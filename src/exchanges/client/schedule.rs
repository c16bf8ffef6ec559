//! The request scheduler: one per [`Client`] (its clones share it), so every step and every key
//! a process responds for is paced under the venue's published limits together.
//!
//! Why: without it each caller learns the limits from refusals, all callers refused together
//! wake at the same reset and are refused again (a herd), and a call gave up after a fixed number
//! of waits; 100 parallel locks on one venue locked 30. Now each call first takes its place on
//! every limit it counts against ([`crate::exchanges::mechanisms::RateLimits`], declared per venue
//! as data): a credit pool holds and refills [`SHARE`] of what the venue's does, so the client
//! stays at ~95 % of it and the rest absorbs jitter on the way to the exchange (calls that arrive
//! later than the ones granted after them). A rolling-window limit lets through at most its count
//! in any window stretched to 1 / [`WINDOW_SHARE`] of its length, and a call counts on it from
//! when it was let go until its answer, then from the answer ([`Receipt::settle`]): the exchange
//! counted it on arrival, in between, so a burst that took long to reach it is not followed by
//! the next one too early. That already leaves the exchange's window a round trip of slack per
//! window, so the stretch is smaller: ~95 % of the limit in all at a 50 ms round trip.
//!
//! Calls that must wait queue per limit, ordered by [`Priority`] (from the operation: locks and
//! revocations first, then cancels, then evidence reads, then everything else) and, within a
//! priority, by arrival. Only the head of a queue watches the clock; the others wait for their
//! turn, so waiters are released one by one as the limit allows, never all at one instant. A
//! refusal the exchange still gives (someone else using the same key, a limit not declared) blocks
//! the limit until the announced reset plus a little jitter, and refills it so that after the
//! reset places open one at a time at the pacing rate. A call waits as long as its deadline
//! allows (the caller's, [`Client::with_deadline`], else [`DEFAULT_PATIENCE`]); a wait that would
//! end past it fails at once with an error naming the limit.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::exchanges::mechanisms::{Charge, Limit, Per, Rate};
use crate::exchanges::{ExchangeError, Op};

/// The share of a credit pool the client uses.
pub(super) const SHARE: f64 = 0.95;
/// The share of a rolling window's count the client uses in the window alone (the round trip
/// counted from the answer comes on top).
pub(super) const WINDOW_SHARE: f64 = 0.98;
/// How long a call waits for the limits when its caller set no deadline.
pub(super) const DEFAULT_PATIENCE: Duration = Duration::from_secs(60);
/// The share of a limit background calls (the watcher's looks, [`Priority::Background`]) may
/// fill while a response runs: the rest is kept for it, whose calls then find room at once
/// instead of waiting for the watcher's places to roll out of the window.
pub(super) const BACKGROUND_SHARE: f64 = 0.5;
/// How long after a call of a response background calls keep to their share: the longest
/// window a venue counts in (Binance's minute). Alone, they may use the whole limit.
pub(super) const YIELD_WINDOW: Duration = Duration::from_secs(60);

/// Who goes first when calls queue for a limit: lower first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Locking, revoking or freezing a key: containment.
    Lock,
    /// Cancelling orders.
    Cancel,
    /// Reading evidence: orders, fills, balances, transfers, keys, the access log, and the
    /// run's one clock read the history windows wait on.
    Evidence,
    /// Everything else (creating the replacement key, placing orders, a clock resync).
    Other,
    /// Background work (the watcher's looks, [`super::Client::in_background`]): after every
    /// call of a response, and while one runs ([`Scheduler::yielding`]) only up to
    /// [`BACKGROUND_SHARE`] of a limit.
    Background,
}

impl Priority {
    /// How urgent an operation is.
    pub fn of(op: &Op) -> Priority {
        match op {
            Op::RestrictKey { .. } | Op::RevokeKey(_) | Op::FreezeAccount { .. } => Priority::Lock,
            Op::CancelAll { .. }
            | Op::CancelAfter { .. }
            | Op::CancelBatch { .. }
            | Op::CancelOrder { .. } => Priority::Cancel,
            Op::WhoAmI
            | Op::SubKeys { .. }
            | Op::OpenOrders { .. }
            | Op::Orders { .. }
            | Op::Fills { .. }
            | Op::Balances
            | Op::WalletBalances { .. }
            | Op::Withdrawals { .. }
            | Op::Transfers { .. }
            | Op::AccessLog { .. } => Priority::Evidence,
            Op::ServerTime
            | Op::CreateKey { .. }
            | Op::PlaceOrder(_)
            | Op::AmendOrder { .. }
            | Op::Withdraw { .. }
            | Op::Segments { .. }
            | Op::StreamToken { .. } => Priority::Other,
        }
    }
}

/// Every limit's state, per key where the limit counts per key.
#[derive(Debug, Default)]
pub(super) struct Scheduler {
    buckets: Mutex<HashMap<(String, &'static str), Arc<Bucket>>>,
    /// Arrival order of tickets.
    arrivals: AtomicU64,
    /// When a call that is not background work last asked for its turn.
    foreground: Mutex<Option<Instant>>,
}

/// One limit's state for one key (or the address).
#[derive(Debug)]
pub(super) struct Bucket {
    limit: Limit,
    state: Mutex<State>,
    /// Rung when the head of the queue changes.
    turn: Notify,
}

/// A queued call: its priority and arrival.
type Ticket = (Priority, u64);

#[derive(Debug, Default)]
struct State {
    /// Rolling windows: when each admitted call went, and its cost.
    sent: VecDeque<(Instant, u32)>,
    /// Credit pools: the credits left and when they were counted.
    credits: Option<(f64, Instant)>,
    /// Nothing goes before this instant: the exchange refused until then.
    blocked_until: Option<Instant>,
    /// The calls waiting, first first.
    queue: BTreeSet<Ticket>,
}

impl Scheduler {
    /// Waits until every limit in `charges` has room for the call, taking its place on each, in
    /// priority order; fails without waiting when the wait would end after `deadline`. The
    /// receipt is settled when the answer came ([`Receipt::settle`]).
    pub(super) async fn admit(
        &self,
        charges: &[Charge],
        key: Option<&str>,
        priority: Priority,
        deadline: Instant,
    ) -> Result<Receipt, ExchangeError> {
        let share = if priority != Priority::Background {
            *self
                .foreground
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            1.0
        } else if self.yielding() {
            BACKGROUND_SHARE
        } else {
            1.0
        };
        let mut places = Vec::with_capacity(charges.len());
        for charge in charges {
            let bucket = self.bucket(charge.limit, key);
            let ticket = (priority, self.arrivals.fetch_add(1, Ordering::Relaxed));
            match bucket.acquire(ticket, charge.cost, deadline, share).await {
                Ok(at) => places.push((bucket, at)),
                Err(wait) => return Err(too_long(charge.limit, wait)),
            }
        }
        Ok(Receipt(places))
    }

    /// Whether background calls keep to their share now: a call that is not background work
    /// asked for its turn within [`YIELD_WINDOW`] (a response runs beside them).
    pub(super) fn yielding(&self) -> bool {
        self.foreground
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < YIELD_WINDOW)
    }

    /// The exchange refused a call with `charges` until `until`: nothing more goes on those
    /// limits before then, and after it one call at a time at the pacing rate.
    pub(super) fn refused(&self, charges: &[Charge], key: Option<&str>, until: Instant) {
        for charge in charges {
            self.bucket(charge.limit, key).block(until);
        }
    }

    fn bucket(&self, limit: &'static Limit, key: Option<&str>) -> Arc<Bucket> {
        let who = match limit.per {
            Per::Address => String::new(),
            Per::Key => key.unwrap_or_default().to_owned(),
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(buckets.entry((who, limit.name)).or_insert_with(|| {
            Arc::new(Bucket {
                limit: *limit,
                state: Mutex::default(),
                turn: Notify::new(),
            })
        }))
    }
}

/// The places a call took on its limits, when it was let go.
#[derive(Debug, Default)]
pub(super) struct Receipt(Vec<(Arc<Bucket>, Instant)>);

impl Receipt {
    /// The call was answered: on rolling windows its place moves from when it was let go to
    /// now. The exchange counted it when it arrived, somewhere in between; counting it from the
    /// answer keeps the client's window from emptying before the exchange's does, however long
    /// a burst took to reach it.
    pub(super) fn settle(self) {
        let now = Instant::now();
        for (bucket, at) in self.0 {
            if let Rate::Window { .. } = bucket.limit.rate {
                let mut state = bucket.lock();
                if let Some(i) = state.sent.iter().rposition(|(t, _)| *t == at)
                    && let Some((_, cost)) = state.sent.remove(i)
                {
                    state.sent.push_back((now.max(at), cost));
                }
            }
        }
    }
}

/// The error for a wait longer than the call's deadline allows, naming the limit.
fn too_long(limit: &Limit, wait: Duration) -> ExchangeError {
    ExchangeError::RateLimited {
        code: format!(
            "held by the client under {} for longer than the call's deadline",
            limit.describe()
        ),
        reset_ms: None,
        retry_after_ms: Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1)),
    }
}

impl Bucket {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `ticket` and returns once it is at the head and the limit has room; `Err` with
    /// the wait left when that would be after `deadline`.
    async fn acquire(
        &self,
        ticket: Ticket,
        cost: u32,
        deadline: Instant,
        share: f64,
    ) -> Result<Instant, Duration> {
        let _queued = Queued::new(self, ticket);
        loop {
            let turn = self.turn.notified();
            tokio::pin!(turn);
            turn.as_mut().enable();
            let now = Instant::now();
            let ready_at = {
                let mut state = self.lock();
                if state.queue.first() == Some(&ticket) {
                    match state.take(&self.limit, cost, now, share) {
                        None => return Ok(now),
                        Some(at) => Some(at),
                    }
                } else {
                    None
                }
            };
            let until = match ready_at {
                Some(at) if at > deadline => return Err(at - now),
                Some(at) => at,
                // Not first: wait for the head to change, or for the deadline.
                None if now >= deadline => return Err(Duration::from_millis(1)),
                None => deadline,
            };
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                () = &mut turn => {}
            }
        }
    }

    /// Blocks the limit until `until` (and a little jitter), then lets calls through one at a
    /// time at the pacing rate.
    fn block(&self, until: Instant) {
        let spacing = spacing(&self.limit);
        let jitter = jitter(spacing / 2);
        let until = until + jitter;
        {
            let mut state = self.lock();
            if state.blocked_until.is_some_and(|b| b >= until) {
                return;
            }
            state.blocked_until = Some(until);
            match self.limit.rate {
                Rate::Window { count, .. } => {
                    // The window full, its places opening one per spacing after the reset.
                    let span = span(&self.limit);
                    state.sent = (1..=count)
                        .filter_map(|k| (until + spacing * k).checked_sub(span))
                        .map(|at| (at, 1))
                        .collect();
                }
                Rate::Credits { .. } => state.credits = Some((0.0, until)),
            }
        }
        self.turn.notify_waiters();
    }
}

impl State {
    /// Takes `cost` from the limit at `now`, filling at most `share` of it; `Some(when)` there
    /// is room instead.
    fn take(&mut self, limit: &Limit, cost: u32, now: Instant, share: f64) -> Option<Instant> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Some(until);
            }
            self.blocked_until = None;
        }
        match limit.rate {
            Rate::Window { count, .. } => {
                let span = span(limit);
                while self.sent.front().is_some_and(|(at, _)| *at + span <= now) {
                    self.sent.pop_front();
                }
                // What this call may fill: the whole count, or its share (at least one call).
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let count = ((f64::from(count) * share).floor() as u32).clamp(1, count);
                // A call heavier than the whole limit goes alone.
                let cost = cost.min(count);
                let used: u32 = self.sent.iter().map(|(_, c)| c).sum();
                if used + cost <= count {
                    self.sent.push_back((now, cost));
                    return None;
                }
                let mut freed = 0;
                for (at, c) in &self.sent {
                    freed += c;
                    if used - freed + cost <= count {
                        return Some(*at + span);
                    }
                }
                Some(now + span)
            }
            Rate::Credits { size, refill_per_s } => {
                // Both the pool and its refill at the share: a burst that reaches the exchange
                // late, behind the calls granted after it, still finds credits.
                let rate = f64::from(refill_per_s) * SHARE;
                let size = f64::from(size) * SHARE;
                // What a call of a smaller share must leave in the pool.
                let reserve = size * (1.0 - share);
                let cost = f64::from(cost).min(size - reserve);
                let (left, at) = self.credits.unwrap_or((size, now));
                let left =
                    (left + now.saturating_duration_since(at).as_secs_f64() * rate).min(size);
                if left + 1e-9 >= cost + reserve {
                    self.credits = Some((left - cost, now));
                    None
                } else {
                    self.credits = Some((left, now));
                    let short = cost + reserve - left;
                    Some(now + Duration::from_secs_f64(short / rate.max(1e-9)))
                }
            }
        }
    }
}

/// A random wait up to `max`: callers released by one event do not all come back at once.
pub(super) fn jitter(max: Duration) -> Duration {
    max.mul_f64(rand::rngs::StdRng::from_os_rng().random_range(0.0..1.0))
}

/// A rolling window as the client counts it: stretched so that the count in it is
/// [`WINDOW_SHARE`] of the published rate.
fn span(limit: &Limit) -> Duration {
    match limit.rate {
        Rate::Window { window_ms, .. } => Duration::from_millis(window_ms).div_f64(WINDOW_SHARE),
        Rate::Credits { .. } => Duration::ZERO,
    }
}

/// The time between two calls at the pacing rate.
fn spacing(limit: &Limit) -> Duration {
    match limit.rate {
        Rate::Window { count, .. } => span(limit) / count.max(1),
        Rate::Credits { size, refill_per_s } => {
            // One typical call: a fiftieth of the pool at least (Deribit: 500 of 50 000 credits).
            let cost = f64::from(size) / 100.0;
            Duration::from_secs_f64(cost / (f64::from(refill_per_s).max(1.0) * SHARE))
        }
    }
}

/// A ticket in a bucket's queue, taken out again however the wait ends (granted, past its
/// deadline, or dropped by a caller that gave up), and the next one told.
struct Queued<'a> {
    bucket: &'a Bucket,
    ticket: Ticket,
}

impl<'a> Queued<'a> {
    fn new(bucket: &'a Bucket, ticket: Ticket) -> Queued<'a> {
        bucket.lock().queue.insert(ticket);
        Queued { bucket, ticket }
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.bucket.lock().queue.remove(&self.ticket);
        self.bucket.turn.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FIVE: Limit = Limit {
        name: "five a second",
        per: Per::Key,
        rate: Rate::Window {
            count: 5,
            window_ms: 1_000,
        },
    };

    static POOL: Limit = Limit {
        name: "pool",
        per: Per::Key,
        rate: Rate::Credits {
            size: 1_000,
            refill_per_s: 1_000,
        },
    };

    #[test]
    fn a_window_admits_its_count_then_the_next_when_the_first_leaves_the_stretched_window() {
        let mut state = State::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(state.take(&FIVE, 1, t0, 1.0), None);
        }
        let next = state.take(&FIVE, 1, t0, 1.0).expect("full");
        assert_eq!(next, t0 + span(&FIVE));
        assert!(span(&FIVE) > Duration::from_millis(1_020));
        assert_eq!(state.take(&FIVE, 1, next, 1.0), None);
    }

    #[test]
    fn a_pool_refills_at_the_share_of_its_rate() {
        let mut state = State::default();
        let t0 = Instant::now();
        // The pool holds 95 % of 1000 credits.
        assert_eq!(state.take(&POOL, 950, t0, 1.0), None);
        let next = state.take(&POOL, 500, t0, 1.0).expect("empty");
        let wait = (next - t0).as_secs_f64();
        assert!((wait - 0.5 / SHARE).abs() < 1e-6, "{wait}");
    }

    #[test]
    fn background_calls_leave_the_rest_of_a_limit_to_the_response() {
        let t0 = Instant::now();
        let mut window = State::default();
        let background = BACKGROUND_SHARE;
        for _ in 0..2 {
            assert_eq!(window.take(&FIVE, 1, t0, background), None);
        }
        // Half of five is two: the third background call waits for the first to leave...
        assert_eq!(
            window.take(&FIVE, 1, t0, background),
            Some(t0 + span(&FIVE))
        );
        // ...while a response's calls still find three places at once.
        for _ in 0..3 {
            assert_eq!(window.take(&FIVE, 1, t0, 1.0), None);
        }
        assert!(window.take(&FIVE, 1, t0, 1.0).is_some());

        let mut pool = State::default();
        // A background call leaves half the pool (475 of the 950 credits used).
        assert_eq!(pool.take(&POOL, 400, t0, background), None);
        let next = pool
            .take(&POOL, 100, t0, background)
            .expect("past its share");
        let wait = (next - t0).as_secs_f64();
        assert!((wait - 0.025 / SHARE).abs() < 1e-6, "{wait}");
        assert_eq!(
            pool.take(&POOL, 550, t0, 1.0),
            None,
            "the rest is the response's"
        );
    }

    #[test]
    fn after_a_refusal_places_open_one_at_a_time() {
        let bucket = Bucket {
            limit: FIVE,
            state: Mutex::default(),
            turn: Notify::new(),
        };
        let until = Instant::now() + Duration::from_secs(1);
        bucket.block(until);
        let mut state = bucket.lock();
        let blocked = state.blocked_until.expect("blocked");
        assert!(blocked >= until);
        assert_eq!(
            state.take(&FIVE, 1, until - Duration::from_millis(1), 1.0),
            Some(blocked)
        );
        // At the reset (after the jitter), one place; the next a spacing later.
        let first = blocked + spacing(&FIVE);
        assert_eq!(state.take(&FIVE, 1, first, 1.0), None);
        assert!(state.take(&FIVE, 1, first, 1.0).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn queued_calls_go_in_priority_order_then_arrival() {
        let scheduler = Arc::new(Scheduler::default());
        let charges = [FIVE.once()];
        let deadline = Instant::now() + Duration::from_secs(600);
        // Fill the window.
        for _ in 0..5 {
            scheduler
                .admit(&charges, Some("k"), Priority::Evidence, deadline)
                .await
                .unwrap();
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, priority) in [
            Priority::Evidence,
            Priority::Background,
            Priority::Other,
            Priority::Evidence,
            Priority::Lock,
            Priority::Cancel,
        ]
        .into_iter()
        .enumerate()
        {
            let scheduler = Arc::clone(&scheduler);
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                scheduler
                    .admit(&[FIVE.once()], Some("k"), priority, deadline)
                    .await
                    .unwrap();
                order.lock().unwrap().push(i);
            }));
            // Each queues before the next arrives.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![4, 5, 0, 3, 2, 1]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_past_the_deadline_fails_at_once_naming_the_limit() {
        let scheduler = Scheduler::default();
        let charges = [FIVE.once()];
        let deadline = Instant::now() + Duration::from_millis(100);
        for _ in 0..5 {
            scheduler
                .admit(&charges, Some("k"), Priority::Lock, deadline)
                .await
                .unwrap();
        }
        let err = scheduler
            .admit(&charges, Some("k"), Priority::Lock, deadline)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("five a second"), "{err}");
        // Another key has its own window.
        scheduler
            .admit(&charges, Some("other"), Priority::Lock, deadline)
            .await
            .unwrap();
    }
}
