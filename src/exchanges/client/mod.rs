//! The only module that talks to an exchange over the network.
//!
//! [`Client`] sends what a [`Venue`] built and signed, and records every call for the journal
//! and the report. Each concern has its file: `plan` prepares a request and is the one place that
//! decides whether it mutates (from the operation, never from the adapter's request); `transport`
//! is the sender, which takes only a plan and refuses a mutating one in [`Mode::DryRun`] (and
//! everything in [`Mode::Offline`]) whatever the caller does: a second guard behind the engine's
//! own. `retry` retries only what the exchange certainly did not act on; `exchange` makes one
//! attempt (with the venue's lookup first); `schedule` paces every call under the venue's
//! published limits, in priority order; `session` keeps token sessions; `pace` holds back for
//! bans, venue-asked holds, call counters and nonce order; `paging` follows cursors; `record`
//! keeps the call records.
//!
//! The client asks the adapter for the mechanisms only some venues have
//! ([`super::mechanisms`]) instead of knowing each venue.

mod exchange;
mod held;
mod mode;
mod pace;
mod paging;
mod plan;
mod record;
mod retry;
mod schedule;
mod segments;
mod session;
mod transport;

use std::sync::Arc;

use tokio::time::Instant;

use super::{ExchangeError, Nonces, Op, Tfa, Venue, VenueSettings};
use crate::clock::Clock;
use crate::secret::Credential;

pub use held::HeldClock;
pub use mode::Mode;
pub use paging::{Kept, PageWatch};
pub use record::{CallRecord, CallSink};
pub use schedule::Priority;
pub use segments::Segments;
pub use transport::{http_client, http_client_for, http_client_from};

/// Who signs a call.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Nobody: a public endpoint.
    Public,
    /// This credential.
    Key(&'a Credential),
}

/// A connection to one exchange, shared by every step of a run (and by every key a process
/// responds for: its clones share one request scheduler).
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
    sink: Option<CallSink>,
    /// Told of every page a read follows (the progress display).
    pages: Option<Arc<dyn PageWatch>>,
    tfa: Option<Tfa>,
    /// How long a call may wait for the venue's limits; `None`: a minute from when it starts.
    deadline: Option<Instant>,
    /// Told how long calls waited for the venue's limits (a step of an incident's run).
    held: Option<Arc<HeldClock>>,
    /// Whether this clone's calls are background work ([`Client::in_background`]).
    background: bool,
}

#[derive(Debug)]
struct Inner {
    venue: Box<dyn Venue>,
    http: reqwest::Client,
    base_url: String,
    clock: Clock,
    mode: Mode,
    settings: VenueSettings,
    /// Whether calls wait for the venue's limits (and its refusals) at all: the drill's
    /// attacker does not.
    patient: bool,
    /// The venue's published limits, shared by every call.
    schedule: schedule::Scheduler,
    /// Token venues: the live session of each key.
    sessions: session::Sessions,
    /// Holds, bans, per-key turns, nonces and call counters.
    pace: pace::Pace,
    /// Segments the venue listed at run time.
    discovered: segments::Discovered,
    /// Whether the first change (the lock; in a dry run, the first read) has been answered yet:
    /// the run's clock read waits for it.
    first_change: tokio::sync::watch::Sender<bool>,
}

impl Client {
    /// Whether `other` is a clone of this client: one pacing, one schedule, one session store.
    #[cfg(test)]
    pub(crate) fn shares_pacing_with(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Connects a venue adapter to a base URL.
    pub fn new(venue: Box<dyn Venue>, base_url: &str, mode: Mode) -> Result<Client, ExchangeError> {
        Ok(Client::with_http(venue, base_url, mode, http_client()?))
    }

    /// Connects a venue adapter to a base URL through an HTTP client built earlier (building
    /// one loads the TLS roots, which takes milliseconds: respond builds it while the config
    /// loads).
    pub fn with_http(
        venue: Box<dyn Venue>,
        base_url: &str,
        mode: Mode,
        http: reqwest::Client,
    ) -> Client {
        Client {
            inner: Arc::new(Inner {
                venue,
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                clock: Clock::new(),
                mode,
                settings: VenueSettings::default(),
                patient: true,
                schedule: schedule::Scheduler::default(),
                sessions: session::Sessions::default(),
                pace: pace::Pace::default(),
                discovered: segments::Discovered::default(),
                first_change: tokio::sync::watch::Sender::new(false),
            }),
            sink: None,
            pages: None,
            tfa: None,
            deadline: None,
            held: None,
            background: false,
        }
    }

    /// The same client with the profile's venue settings (before it is shared).
    pub fn with_settings(mut self, settings: VenueSettings) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.settings = settings;
        }
        self
    }

    /// The same client drawing counter nonces from `nonces` (before it is shared): a profile's
    /// client keeps them under its state dir, so every lockdown process agrees on each key's
    /// last nonce.
    pub fn with_nonces(mut self, nonces: Nonces) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.pace.nonces = nonces;
        }
        self
    }

    /// The same client, impatient or not (before it is shared): `0` hands a rate limit straight
    /// back and paces nothing, neither under the venue's published limits nor under its call
    /// counter (the drill's attacker probes that way, so that it meets the exchange's first
    /// refusal when the exchange gives it); any other number waits for the limits as long as
    /// each call's deadline allows ([`Client::with_deadline`]), however many resets that takes.
    pub fn with_rate_limit_waits(mut self, waits: usize) -> Client {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.patient = waits > 0;
        }
        self
    }

    /// The same client, its calls waiting for the venue's limits until `deadline` at most (a
    /// step's timeout, the playbook's deadline); without one, each call waits up to a minute.
    /// A wait that would end later fails at once, naming the limit.
    pub fn with_deadline(&self, deadline: std::time::Instant) -> Client {
        Client {
            deadline: Some(deadline.into()),
            ..self.clone()
        }
    }

    /// The same client, its calls background work (the watcher's looks): they queue after
    /// every call of a response for the venue's limits, and while one runs (a call that is not
    /// background work went within the last minute) they fill at most part of each: half a
    /// declared limit or of a key's call counter ([`schedule::BACKGROUND_SHARE`]), less than
    /// the share of a usage-reported meter past which requests go one at a time (`pace`). So a
    /// response started beside them finds its room at once (docs/watch.md §1); alone, they
    /// use the limits as any call does.
    pub fn in_background(&self) -> Client {
        Client {
            background: true,
            ..self.clone()
        }
    }

    /// The priority of `op` in this client's queues.
    pub(super) fn priority(&self, op: &Op) -> Priority {
        self.priority_as(Priority::of(op))
    }

    /// `priority`, or [`Priority::Background`] for background work.
    pub(super) fn priority_as(&self, priority: Priority) -> Priority {
        if self.background {
            Priority::Background
        } else {
            priority
        }
    }

    /// The same client, its waits for the venue's limits timed on `clock`.
    pub fn timing_holds(&self, clock: Option<Arc<HeldClock>>) -> Client {
        Client {
            held: clock,
            ..self.clone()
        }
    }

    /// Counts this call as waiting for the venue's limits until the guard drops.
    fn holding(&self) -> Option<held::Waiting> {
        self.held.as_ref().map(HeldClock::enter)
    }

    /// The same client, recording its calls into `sink`.
    pub fn recording(&self, sink: CallSink) -> Client {
        Client {
            sink: Some(sink),
            ..self.clone()
        }
    }

    /// The same client, telling `watch` of every page its reads follow (`None`: nobody).
    pub fn watching_pages(&self, watch: Option<Arc<dyn PageWatch>>) -> Client {
        Client {
            pages: watch,
            ..self.clone()
        }
    }

    /// The same client, answering the venue's two-factor challenge with `tfa`.
    pub fn with_tfa(&self, tfa: Tfa) -> Client {
        Client {
            tfa: Some(tfa),
            ..self.clone()
        }
    }

    /// The venue adapter.
    pub fn venue(&self) -> &dyn Venue {
        self.inner.venue.as_ref()
    }

    /// The base URL requests go to (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The exchange's clock as far as it is known.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Returns once this client's first change (in a dry run, its first read) was answered or
    /// failed.
    pub(super) async fn first_change_answered(&self) {
        let mut answered = self.inner.first_change.subscribe();
        let _ = answered.wait_for(|answered| *answered).await;
    }

    /// Whether mutations are sent.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }
}
