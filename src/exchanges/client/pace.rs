//! Holding back: what binds the address, and what binds each key.
//!
//! Before a request is signed it waits for its turn: under the venue's published limits (the
//! scheduler, `schedule`), and out of a hold the venue asked for after an answer
//! ([`crate::exchanges::mechanisms::Pacing`]): a 429's `Retry-After` binds every request of the
//! address; usage headers near one limit bind the requests that count on that limit (its
//! [`Lane`], per key where the venue counts per account), so that evidence reads near one limit
//! never hold back a revoke counted on another. Past [`SINGLE_FILE`] of a limit, the requests
//! counted on it go one at a time until the venue's window rolls over: the hold comes when the
//! venue reports the limit nearly used, and requests already in flight then must not overrun
//! the margin (Binance answers an overrun with 429, and requests sent after it with a ban).
//! Calls held together are released one at a time, [`HOLD_SPACING`] apart with jitter, not all
//! at the hold's end; a hold longer than the call's deadline is refused without sending. Inside
//! an IP ban ([`ExchangeError::IpBanned`]) nothing is sent at all until it ends; a hold that
//! came after a request's turn refuses it unsent, and the retry queues it again.
//!
//! On venues that count per key ([`crate::exchanges::mechanisms::KeyCounters`], Kraken) each
//! key's nonces come from [`Nonces`] (persisted under the profile's state dir when
//! [`Client::with_nonces`] says so), one request per key is in flight at a time so they arrive
//! in nonce order, and each key's calls are paced under the venue's call counter ([`Counters`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::schedule::{self, Priority, Receipt};
use super::{Client, plan};
use crate::clock;
use crate::exchanges::mechanisms::Lane;
use crate::exchanges::{Counters, ExchangeError, Nonces, Op, Request, Response};
use crate::secret::Credential;

/// How far apart calls held together go once the hold ends (plus up to as much again in
/// jitter).
const HOLD_SPACING: Duration = Duration::from_millis(25);
/// The used share of a limit past which the requests counted on it go one at a time: a third,
/// so that one burst sent below it (twenty keys' locks and the master's reads of each key beside
/// them, all at once: 60 calls of 3000 on Binance's 180000 UID weight) cannot overrun the limit
/// before the first answer says how full it is. Going one at a time costs little where it
/// applies: a limit counted per minute is crossed in far fewer round trips than a minute holds.
const SINGLE_FILE: f64 = 1.0 / 3.0;
/// How far ahead of the clock a key's nonces move after the exchange's first refusal; doubled
/// after each further one.
const NONCE_JUMP_MS: u64 = 1_000;

/// Which requests a hold binds: a lane, with the signing key where the lane counts per key.
type HeldOn = (Lane, Option<String>);

/// The address's own lane: every request waits out its holds.
const ADDRESS: HeldOn = (Lane::Address, None);

/// What the client holds back for.
#[derive(Debug, Default)]
pub(super) struct Pace {
    /// Nothing on a lane is sent before its instant: the venue asked to hold back.
    held_until: Mutex<HashMap<HeldOn, Instant>>,
    /// When the last call held back on a lane was let go: the next goes a spacing later.
    released: Mutex<HashMap<HeldOn, Instant>>,
    /// Lanes past [`SINGLE_FILE`] of their limit, until the venue's window rolls over.
    crowded: Mutex<HashMap<HeldOn, Instant>>,
    /// The turn a crowded lane's requests take one at a time.
    single: Mutex<HashMap<HeldOn, Arc<tokio::sync::Mutex<()>>>>,
    /// The turn background calls take one at a time on each lane the venue reports on.
    background: Mutex<HashMap<HeldOn, Arc<tokio::sync::Mutex<()>>>>,
    /// The exchange banned this address until this instant, with the ban's code.
    banned_until: Mutex<Option<(Instant, String)>>,
    /// Counter-nonce venues: each key's nonces.
    pub(super) nonces: Nonces,
    /// Counter-nonce venues: held from drawing a key's nonce to its answer, per key.
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Venues with a call counter: each key's modelled counter.
    counters: Counters,
}

/// A key's turn to send: held from drawing its nonce to its answer.
pub(super) type Turn = Option<tokio::sync::OwnedMutexGuard<()>>;

/// A crowded lane's turn: held from sending to reading what the answer says of the limit.
pub(super) type SingleFile = Option<tokio::sync::OwnedMutexGuard<()>>;

impl Client {
    /// Waits for the key's turn and its call counter, and draws the nonce the request signs:
    /// the key's next counter nonce on venues that count per key, a random one elsewhere.
    pub(super) async fn take_turn(
        &self,
        op: &Op,
        signer: Option<&Credential>,
    ) -> Result<(Turn, String), ExchangeError> {
        let Some((counters, cred)) = self.inner.venue.key_counters().zip(signer) else {
            return Ok((None, plan::nonce()));
        };
        let key = cred.key.as_str();
        let waiting = self.holding();
        if let (Some(budget), true, true) = (counters.budget(), self.inner.patient, self.background)
        {
            // Background calls wait, outside the key's turn, for room on the counter before
            // they reserve any (never a place promised ahead of a response's calls), and while
            // a response runs for room below their share of it.
            let cost = counters.call_cost(op);
            loop {
                let share = if self.inner.schedule.yielding() {
                    schedule::BACKGROUND_SHARE
                } else {
                    1.0
                };
                let wait = self
                    .inner
                    .pace
                    .counters
                    .room_below(budget, key, cost, share);
                if wait.is_zero() {
                    break;
                }
                tokio::time::sleep(wait).await;
            }
        }
        // One request per key at a time, from drawing its nonce to its answer, so the exchange
        // sees the nonces in order.
        let turn = self.turn(key).lock_owned().await;
        if let (Some(budget), true) = (counters.budget(), self.inner.patient) {
            let wait = self
                .inner
                .pace
                .counters
                .reserve(budget, key, counters.call_cost(op));
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        drop(waiting);
        let floor = u64::try_from(clock::local_ms()).unwrap_or(0);
        let nonce =
            self.inner
                .pace
                .nonces
                .next(key, floor)
                .map_err(|err| ExchangeError::NonceStore {
                    detail: err.to_string(),
                })?;
        Ok((Some(turn), nonce.to_string()))
    }

    /// After the exchange refused a nonce of `key` (another program with the key, such as the
    /// attacker holding a leaked one, got a higher nonce in first), moves the key's nonces ahead
    /// of the clock: 1 s after the first refusal, then 2 s, then 4 s. Another program that
    /// draws its nonces from the clock, as most Kraken clients do, can no longer overtake the
    /// next attempt; it is itself refused until the clock catches up, which for a leaked key is
    /// only welcome (docs/venues/kraken.md §2).
    pub(super) fn jump_nonces(&self, key: &str, refusals: usize) -> Result<(), ExchangeError> {
        if !self.venue().counter_nonce() {
            return Ok(());
        }
        let ahead_ms = NONCE_JUMP_MS << refusals.saturating_sub(1).min(4);
        let floor = u64::try_from(clock::local_ms()).unwrap_or(0) + ahead_ms;
        self.inner
            .pace
            .nonces
            .next(key, floor)
            .map(drop)
            .map_err(|err| ExchangeError::NonceStore {
                detail: err.to_string(),
            })
    }

    /// The lock a counting venue's requests with `key` take turns on.
    fn turn(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut turns = self
            .inner
            .pace
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(turns.entry(key.to_owned()).or_default())
    }

    /// Waits for `op`'s turn before it is signed: out of a hold the venue asked for (one call
    /// at a time once it ends), then under the venue's limits in `priority` order. Refuses
    /// without waiting inside an IP ban or when the wait would end after the call's deadline.
    /// An impatient client (the drill's attacker) waits for nothing.
    pub(super) async fn await_turn(
        &self,
        op: &Op,
        signer: Option<&Credential>,
        priority: Priority,
    ) -> Result<Receipt, ExchangeError> {
        self.banned()?;
        if !self.inner.patient {
            return Ok(Receipt::default());
        }
        let deadline = self.deadline();
        let _waiting = self.holding();
        self.wait_out(&ADDRESS, deadline).await?;
        let charges = self.inner.venue.charges(op);
        let key = signer.map(|c| c.key.as_str());
        self.inner
            .schedule
            .admit(&charges, key, priority, deadline)
            .await
    }

    /// Waits out a hold on the lane `request` counts on (the address's was waited out in
    /// [`Client::await_turn`]); true when it waited, and the request must be signed again.
    pub(super) async fn await_lane(
        &self,
        request: &Request,
        signer: Option<&Credential>,
    ) -> Result<bool, ExchangeError> {
        if !self.inner.patient {
            return Ok(false);
        }
        let lane = held_on(self.inner.venue.lane(request), signer);
        if lane == ADDRESS {
            return Ok(false);
        }
        let deadline = self.deadline();
        let _waiting = self.holding();
        let mut waited = false;
        while self
            .held_on(&lane)
            .is_some_and(|until| until > Instant::now())
        {
            self.wait_out(&lane, deadline).await?;
            waited = true;
        }
        Ok(waited)
    }

    /// Whether the lane `request` counts on is held now.
    pub(super) fn lane_held(&self, request: &Request, signer: Option<&Credential>) -> bool {
        let lane = held_on(self.inner.venue.lane(request), signer);
        self.held_on(&lane)
            .is_some_and(|until| until > Instant::now())
    }

    /// Waits for the turn of `request`'s lane when it is past [`SINGLE_FILE`] of its limit
    /// (nothing when it is not); true when it waited, and the request must be signed again.
    pub(super) async fn single_file(
        &self,
        request: &Request,
        signer: Option<&Credential>,
    ) -> (SingleFile, bool) {
        let lane = held_on(self.inner.venue.lane(request), signer);
        let crowded = self
            .inner
            .pace
            .crowded
            .lock()
            .ok()
            .and_then(|crowded| crowded.get(&lane).copied())
            .is_some_and(|until| until > Instant::now());
        if !self.inner.patient || lane == ADDRESS || !crowded {
            return (None, false);
        }
        let turn = {
            let mut single = self
                .inner
                .pace
                .single
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(single.entry(lane).or_default())
        };
        if let Ok(guard) = Arc::clone(&turn).try_lock_owned() {
            return (Some(guard), false);
        }
        let _waiting = self.holding();
        (Some(turn.lock_owned().await), true)
    }

    /// A background call's turn on the lane `request` counts on, where the venue reports how
    /// full that lane is (nothing elsewhere): background calls go one at a time per lane, each
    /// after the last one's answer said how full it is, and while a response runs only below
    /// [`SINGLE_FILE`] of its limit (past it, they wait for the venue's window to roll over).
    /// The watcher's looks so stay below the share where requests go one at a time, whatever
    /// their number; what is above it is the response's (docs/watch.md §1). True when it
    /// waited, and the request must be signed again; refuses when the wait would end after the
    /// call's deadline.
    pub(super) async fn background_turn(
        &self,
        request: &Request,
        signer: Option<&Credential>,
    ) -> Result<(SingleFile, bool), ExchangeError> {
        let lane = held_on(self.inner.venue.lane(request), signer);
        if !self.background || !self.inner.patient || lane == ADDRESS {
            return Ok((None, false));
        }
        let deadline = self.deadline();
        let _waiting = self.holding();
        let turn = {
            let mut turns = self
                .inner
                .pace
                .background
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(turns.entry(lane.clone()).or_default())
        };
        let (guard, mut waited) = match Arc::clone(&turn).try_lock_owned() {
            Ok(guard) => (guard, false),
            Err(_) => (turn.lock_owned().await, true),
        };
        waited |= self.await_room(&lane, deadline).await?;
        Ok((Some(guard), waited))
    }

    /// While a response runs ([`schedule::Scheduler::yielding`]), waits while the venue reports
    /// `lane` past [`SINGLE_FILE`] of its limit, until its window rolls over; refuses when that
    /// would be after `deadline`.
    async fn await_room(&self, lane: &HeldOn, deadline: Instant) -> Result<bool, ExchangeError> {
        let mut waited = false;
        loop {
            let now = Instant::now();
            if !self.inner.schedule.yielding() {
                return Ok(waited);
            }
            let Some(until) = self
                .inner
                .pace
                .crowded
                .lock()
                .ok()
                .and_then(|crowded| crowded.get(lane).copied())
                .filter(|until| *until > now)
            else {
                return Ok(waited);
            };
            let at = until + schedule::jitter(HOLD_SPACING);
            if at > deadline {
                return Err(ExchangeError::RateLimited {
                    code: "held by the client: while a response runs, background reads keep below a third of the venue's limit".to_owned(),
                    reset_ms: None,
                    retry_after_ms: Some(millis(at - now)),
                });
            }
            tokio::time::sleep_until(at).await;
            waited = true;
        }
    }

    /// Sleeps until `lane`'s hold ends, one call at a time after it; refuses when that would
    /// be after `deadline`.
    async fn wait_out(&self, lane: &HeldOn, deadline: Instant) -> Result<(), ExchangeError> {
        let now = Instant::now();
        let Some(until) = self.held_on(lane).filter(|until| *until > now) else {
            return Ok(());
        };
        let slot = {
            let mut released = self
                .inner
                .pace
                .released
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let jitter = schedule::jitter(HOLD_SPACING);
            let last = released.get(lane).copied();
            let slot = last
                .map_or(until, |last| last.max(until) + HOLD_SPACING)
                .max(until)
                + jitter;
            released.insert(lane.clone(), slot);
            slot
        };
        if slot > deadline {
            return Err(held_too_long(slot - now));
        }
        tokio::time::sleep_until(slot).await;
        Ok(())
    }

    /// Refuses without sending: inside an IP ban, or inside a hold that came after the
    /// request's turn (its retry queues it again, before signing).
    pub(super) fn gate(&self) -> Result<(), ExchangeError> {
        self.banned()?;
        let now = Instant::now();
        if self.inner.patient
            && let Some(until) = self.held()
            && until > now
        {
            return Err(ExchangeError::RateLimited {
                code: "held by the client".to_owned(),
                reset_ms: None,
                retry_after_ms: Some(millis(until - now)),
            });
        }
        Ok(())
    }

    /// Refuses inside an IP ban.
    fn banned(&self) -> Result<(), ExchangeError> {
        let now = Instant::now();
        if let Ok(banned) = self.inner.pace.banned_until.lock()
            && let Some((until, code)) = banned.as_ref()
            && *until > now
        {
            return Err(ExchangeError::IpBanned {
                code: code.clone(),
                retry_after_ms: Some(millis(*until - now)),
            });
        }
        Ok(())
    }

    /// The hold the venue asked of the whole address, if any.
    fn held(&self) -> Option<Instant> {
        self.held_on(&ADDRESS)
    }

    /// The hold the venue asked of `lane`, if any.
    fn held_on(&self, lane: &HeldOn) -> Option<Instant> {
        self.inner
            .pace
            .held_until
            .lock()
            .ok()
            .and_then(|held| held.get(lane).copied())
    }

    /// Holds the later requests the venue names after this answer to `request` (signed by
    /// `signer`), for as long as it asks; the venue's windows on the exchange's clock, the
    /// answer's own time (`server_ms`) where it says.
    pub(super) fn hold_after(
        &self,
        request: &Request,
        response: &Response,
        signer: Option<&Credential>,
        server_ms: Option<i64>,
    ) {
        let now_ms = server_ms.unwrap_or_else(|| self.clock().now_ms());
        if let Some(load) = self.inner.venue.load(request, response, now_ms)
            && let Ok(mut crowded) = self.inner.pace.crowded.lock()
        {
            let lane = held_on(load.lane, signer);
            if load.share >= SINGLE_FILE {
                crowded.insert(lane, Instant::now() + load.stands);
            } else {
                // The venue's window rolled over: the count starts again.
                crowded.remove(&lane);
            }
        }
        let Some(hold) = self.inner.venue.pace(request, response, now_ms) else {
            return;
        };
        let until = Instant::now() + hold.wait;
        if let Ok(mut held) = self.inner.pace.held_until.lock() {
            let entry = held.entry(held_on(hold.lane, signer)).or_insert(until);
            *entry = (*entry).max(until);
        }
    }

    /// Sends nothing more until the ban ends (a minute when the exchange did not say).
    pub(super) fn ban(&self, code: &str, retry_after_ms: Option<u64>) {
        let until = Instant::now() + Duration::from_millis(retry_after_ms.unwrap_or(60_000));
        if let Ok(mut banned) = self.inner.pace.banned_until.lock() {
            *banned = Some((until, code.to_owned()));
        }
    }
}

/// The lane a hold on `lane` binds: per signing key where the venue counts per account.
fn held_on(lane: Lane, signer: Option<&Credential>) -> HeldOn {
    match lane {
        Lane::KeyLimit(_) => (lane, signer.map(|c| c.key.as_str().to_owned())),
        Lane::Address | Lane::Limit(_) => (lane, None),
    }
}

/// The error for a hold longer than the call's deadline.
fn held_too_long(wait: Duration) -> ExchangeError {
    ExchangeError::RateLimited {
        code: "held by the client: the exchange asked the address to hold back for longer than the call's deadline".to_owned(),
        reset_ms: None,
        retry_after_ms: Some(millis(wait)),
    }
}

/// A duration in whole milliseconds (at least 1, so a remaining wait never reads as none).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}
