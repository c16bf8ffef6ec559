//! Retries: only what the exchange certainly did not act on, or what is safe to repeat.
//!
//! A refused timestamp is sent again after resyncing the clock from the server-time endpoint
//! (once), a rate limit after the reset the venue announced (the scheduler holds the limit until
//! then, and the call waits for its turn again; however many resets that takes, as long as the
//! call's deadline allows), a refused nonce with one
//! clearly ahead of the clock (`Client::jump_nonces`), an ended token session after logging in again (once). Reads, and a venue's
//! idempotent follow-up, also survive a dropped connection or a server error; a mutation whose
//! outcome is unknown is never sent twice blindly: the engine probes its outcome first. A
//! connection that never opened reached nothing, so even a mutation goes again.

use std::time::Duration;

use tokio::time::Instant;

use super::schedule::{self, DEFAULT_PATIENCE, Priority};
use super::{Auth, Client};
use crate::clock;
use crate::exchanges::mechanisms::Charge;
use crate::exchanges::{CallOutcome, ExchangeError, Op, Reply};

/// Attempts for a read whose connection failed.
const READ_ATTEMPTS: usize = 5;
/// Sends again after the exchange refused a nonce (someone else used the key in between).
const NONCE_RETRIES: usize = 3;

/// Whether an attempt whose outcome is unknown may be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Again {
    /// Reads, and changes that are the same however often they are made.
    Yes,
    /// Changes: the engine finds out first whether the last one took effect.
    No,
}

impl Again {
    /// Reads may go again; changes may not.
    fn after(op: &Op) -> Again {
        if op.is_mutating() {
            Again::No
        } else {
            Again::Yes
        }
    }
}

impl Client {
    /// Sends an operation and decodes the answer, retrying only what is safe to retry; on
    /// venues that finish an operation with a second request
    /// ([`crate::exchanges::mechanisms::CompanionCalls::then`]), sends that too.
    ///
    /// The call waits for its turn under the venue's limits, in the order of its
    /// [`Priority`], until the client's deadline ([`Client::with_deadline`]) or a minute.
    pub async fn call(&self, op: &Op, auth: Auth<'_>) -> Result<Reply, ExchangeError> {
        self.allowed(op)?;
        let this = &self.pinned();
        let priority = self.priority(op);
        let charges = this.inner.venue.charges(op);
        let reply = this
            .retrying(auth, Again::after(op), &charges, move || {
                this.call_once(op, auth, priority)
            })
            .await?;
        match this.inner.venue.then(op, &reply) {
            Some(next) => {
                this.allowed(&next)?;
                // The venue's contract: a follow-up is idempotent, so it may go again.
                let next = &next;
                let charges = this.inner.venue.charges(next);
                let after = this
                    .retrying(auth, Again::Yes, &charges, move || {
                        this.call_once(next, auth, priority)
                    })
                    .await;
                match after {
                    Ok(after) => Ok(reply.followed_by(after)),
                    // A follow-up that only reads more (Bybit's funding wallet after the unified
                    // one) and that the key may not make leaves what the first answer said; the
                    // refusal stays in the call record.
                    Err(ExchangeError::Permission { .. }) if !next.is_mutating() => Ok(reply),
                    Err(err) => Err(err),
                }
            }
            None => Ok(reply),
        }
    }

    /// Refuses an operation the mode does not allow, naming it.
    pub(super) fn allowed(&self, op: &Op) -> Result<(), ExchangeError> {
        if self.inner.mode.permits(op.is_mutating()) {
            Ok(())
        } else {
            Err(ExchangeError::DryRun { op: op.name() })
        }
    }

    /// This client with its deadline fixed: the one it was given, else a minute from now.
    fn pinned(&self) -> Client {
        Client {
            deadline: Some(self.deadline()),
            ..self.clone()
        }
    }

    /// Until when a call may wait.
    pub(super) fn deadline(&self) -> Instant {
        self.deadline
            .unwrap_or_else(|| Instant::now() + DEFAULT_PATIENCE)
    }

    /// Makes attempts until one succeeds or fails in a way that trying again cannot help (or
    /// must not: a change whose outcome is unknown is sent again only when `again` says so).
    /// `charges` are the limits the attempts count against: a rate-limit refusal holds the
    /// first (the endpoint's) until the reset.
    pub(super) async fn retrying<T, F, Fut>(
        &self,
        auth: Auth<'_>,
        again: Again,
        charges: &[Charge],
        mut attempt: F,
    ) -> Result<T, ExchangeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ExchangeError>>,
    {
        let mut resynced = false;
        let mut relogged = false;
        let mut transport_failures = 0;
        let mut nonce_retries = 0;
        loop {
            match attempt().await {
                // Another request with the key got a higher nonce in first: nothing happened,
                // and the next attempt draws a higher one.
                Err(ExchangeError::Nonce { .. }) if nonce_retries < NONCE_RETRIES => {
                    nonce_retries += 1;
                    if let Auth::Key(cred) = auth {
                        self.jump_nonces(cred.key.as_str(), nonce_retries)?;
                    }
                }
                // A token venue's session ended early: log in again, once.
                Err(ExchangeError::SessionExpired { .. }) if !relogged => {
                    relogged = true;
                    if let Auth::Key(cred) = auth {
                        self.forget_session(cred);
                    }
                }
                Err(ExchangeError::Timestamp { code }) if !resynced => {
                    resynced = true;
                    if let Err(err) = self.resync().await {
                        return Err(match err {
                            ExchangeError::Transport { .. } => err,
                            _ => ExchangeError::Timestamp { code },
                        });
                    }
                }
                // Refused for now: wait for the reset if the deadline allows, without a herd.
                Err(ExchangeError::RateLimited {
                    code,
                    reset_ms,
                    retry_after_ms,
                }) if self.inner.patient => {
                    let wait = self.rate_wait(reset_ms, retry_after_ms);
                    let until = Instant::now() + wait;
                    if until > self.deadline() {
                        return Err(ExchangeError::RateLimited {
                            code,
                            reset_ms,
                            retry_after_ms,
                        });
                    }
                    let key = match auth {
                        Auth::Key(cred) => Some(cred.key.as_str()),
                        Auth::Public => None,
                    };
                    match charges.first() {
                        // The next attempt queues for the limit, released one at a time after
                        // the reset.
                        Some(charge) => {
                            self.inner
                                .schedule
                                .refused(std::slice::from_ref(charge), key, until);
                        }
                        // No declared limit: wait for the reset, plus jitter so that callers
                        // refused together do not come back together.
                        None => {
                            let spread = (wait / 4).min(Duration::from_millis(250));
                            let jitter = schedule::jitter(spread);
                            let _waiting = self.holding();
                            tokio::time::sleep(wait + jitter).await;
                        }
                    }
                }
                // A read is safe to send again after a dropped connection or a server error;
                // a mutation is not (its outcome is unknown): the engine probes first. A
                // connection that never opened reached nothing, so even a mutation may go again.
                Err(err)
                    if transport_failures + 1 < READ_ATTEMPTS
                        && ((again == Again::Yes && err.outcome() == CallOutcome::Unknown)
                            || matches!(err, ExchangeError::Transport { reached: false, .. })) =>
                {
                    transport_failures += 1;
                    let backoff = 100 * (1u64 << transport_failures);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                other => return other,
            }
        }
    }

    /// How long to wait for a rate limit to reset: what the venue said, or 200 ms.
    fn rate_wait(&self, reset_ms: Option<i64>, retry_after_ms: Option<u64>) -> Duration {
        // Bybit's reset header is on its own clock (docs/venues/bybit.md §7).
        retry_after_ms
            .or_else(|| {
                reset_ms.and_then(|reset| u64::try_from(reset - self.clock().now_ms()).ok())
            })
            .map_or(Duration::from_millis(200), Duration::from_millis)
    }

    /// Measures the exchange's clock for the run, once per client (the keys of one incident
    /// share it): waits until the run's first change, its lock, has been answered (nothing goes
    /// in front of it, not even on a venue whose lock takes a login first; in a dry run, the
    /// first read), then reads the server time. A failed read is kept as such and stops
    /// nothing (see [`crate::clock::Clock::settled`]).
    pub async fn measure_clock(&self) {
        if !self.inner.clock.begin_measuring() {
            return;
        }
        // An abandoned read (the run ended first) must not leave the measurement "under way".
        struct Unfinished<'a>(Option<&'a clock::Clock>);
        impl Drop for Unfinished<'_> {
            fn drop(&mut self) {
                if let Some(clock) = self.0 {
                    clock.measure_failed("the run ended before the server time was read".into());
                }
            }
        }
        let mut unfinished = Unfinished(Some(&self.inner.clock));
        self.first_change_answered().await;
        let sent = clock::local_ms();
        // Queued as evidence: every history window waits on this read, so it must not wait
        // behind them (the lock and the cancels still go first).
        let read = self
            .call_once(
                &Op::ServerTime,
                Auth::Public,
                self.priority_as(Priority::Evidence),
            )
            .await
            .and_then(Reply::into_server_time);
        unfinished.0 = None;
        match read {
            Ok(server) => self.inner.clock.measured(sent, server, clock::local_ms()),
            Err(err) => self.inner.clock.measure_failed(err.to_string()),
        }
    }

    /// Reads the exchange's clock and learns the offset to it.
    pub async fn resync(&self) -> Result<i64, ExchangeError> {
        let sent = clock::local_ms();
        let server = self
            .call_once(
                &Op::ServerTime,
                Auth::Public,
                self.priority_as(Priority::Other),
            )
            .await?
            .into_server_time()?;
        self.inner.clock.sync(sent, server, clock::local_ms());
        Ok(server)
    }
}
