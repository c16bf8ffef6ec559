//! The mechanisms only some venues need, one capability trait each, handed out by the adapter
//! ([`super::Venue::sessions`] and its siblings).
//!
//! Each trait names a mechanism the HTTP client (or an action) runs for the venue: token
//! sessions, a read before or a request after an operation, per-key nonces and call counters, an
//! address-wide hold, steps done by hand, and order rules. A venue without the mechanism
//! implements nothing; the client asks for it and, finding none, does what every other venue
//! needs. Implementors stay pure like the rest of the adapter: they build requests and read
//! answers, never send.

use std::time::Duration;

use super::model::{Category, Order, Segment};
use super::{
    CallBudget, CallContext, CancelStyle, ExchangeError, Guide, Op, Reply, Request, Response,
    Session, VenueSettings,
};
use crate::secret::Credential;

/// Token venues (Deribit `public/auth`, docs/venues/deribit.md): a key logs in once and signs with
/// the session's token; on venues that keep a session per sub-account, the client keeps one per
/// key and subject, made by [`TokenSessions::switch`].
pub trait TokenSessions: Send + Sync {
    /// The login request for a key (credentials in it); `None` when this key signs every
    /// request instead (the profile's choice).
    ///
    /// `call.subject` is set when the session is wanted as the base of a sub-account session
    /// ([`TokenSessions::switch`]): a venue that otherwise signs every request must still log in
    /// then.
    fn login(&self, credential: &Credential, call: &CallContext<'_>) -> Option<Request>;

    /// Reads the login answer (also the answer to [`TokenSessions::switch`]).
    fn decode_login(&self, response: &Response) -> Result<Session, ExchangeError>;

    /// The sub-account an operation acts in (Deribit `public/exchange_token`); the client hands
    /// it to `encode` and `sign`. `None` (the default) for the credential's own account.
    fn subject(&self, _op: &Op) -> Option<String> {
        None
    }

    /// Turns the key's own `session` into one for `subject`; `None` (the default) when the venue
    /// has no such switch (the key's own session is then used).
    fn switch(
        &self,
        _session: &Session,
        _subject: &str,
        _call: &CallContext<'_>,
    ) -> Option<Request> {
        None
    }
}

/// Venues that need a second request around an operation.
pub trait CompanionCalls: Send + Sync {
    /// Venues whose writes address a key by an id the owner does not hold (Deribit's numeric
    /// `id`, while clients sign with the `client_id`): the read the client sends first, with
    /// the same credential and subject. Its raw answer reaches `encode` as
    /// [`CallContext::lookup`]; without one (a rendered plan) `encode` must still render.
    /// `None` (the default) for none, and for an operation whose key the profile's `settings`
    /// already describe ([`VenueSettings::listed`]).
    fn lookup(&self, _op: &Op, _settings: &VenueSettings) -> Option<Op> {
        None
    }

    /// Venues that finish an operation with a second request (Deribit binds a new key to its
    /// addresses with `edit_api_key`, as `create_api_key` takes none): what the client sends
    /// after `op` succeeded with `reply`, with the same credential. The call fails if it fails.
    /// It must be idempotent: the client sends it again when its outcome is unknown. `None`
    /// (the default) for none.
    fn then(&self, _op: &Op, _reply: &Reply) -> Option<Op> {
        None
    }
}

/// Venues that sign an ever-increasing integer nonce per key (Kraken, docs/venues/kraken.md §2):
/// the client draws [`CallContext::nonce`] from its per-key [`super::Nonces`] (persisted under the
/// profile's state dir) and sends one request per key at a time, so the exchange sees a key's
/// nonces in the order they were drawn. Such venues may also publish a per-key call counter
/// (docs/venues/kraken.md §7), under which the client paces each key's signed calls.
pub trait KeyCounters: Send + Sync {
    /// The published per-key call counter; `None` for a venue that only answers a rate limit.
    fn budget(&self) -> Option<CallBudget>;

    /// What an operation costs on the call counter; 0 for calls the counter does not count.
    fn call_cost(&self, op: &Op) -> f64;
}

/// Venues that say in their answers how long the client must hold back, and which of its
/// requests that binds.
pub trait Pacing: Send + Sync {
    /// How long, and which requests, the client must hold back after this answer to
    /// `request`, read from the venue's usage headers or its rate-limit answer (Binance:
    /// `Retry-After` of a 429 binds the whole address; a used weight near one meter's published
    /// limit binds the requests that count on that meter, docs/venues/binance.md §7); `now_ms`
    /// is the exchange's clock as far as it is known. `None` holds nothing back.
    fn pace(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Hold>;

    /// The limit `request` counts on: it waits out holds on that lane, besides the address's.
    fn lane(&self, request: &Request) -> Lane;

    /// How full the limit `request` counted on is after this answer, if the answer says
    /// (Binance's used weight against the published limit).
    fn load(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Load>;
}

/// How full one limit is, by the venue's own count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// The limit.
    pub lane: Lane,
    /// Its used share, 0 to 1 (more when over).
    pub share: f64,
    /// How long that count stands: until the venue's window rolls over.
    pub stands: Duration,
}

/// A hold the venue asked for: nothing on `lane` goes for `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// How long.
    pub wait: Duration,
    /// Which requests.
    pub lane: Lane,
}

/// Which requests a hold binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Every request from the address (after a refusal the address must back off).
    Address,
    /// The requests that count on one of the venue's per-address limits (Binance's spot
    /// weight), by name.
    Limit(&'static str),
    /// The requests that count on a limit the venue keeps per account (Binance's UID weight),
    /// by name: those signed by the same key.
    KeyLimit(&'static str),
}

/// Venues that support a capability by API only for some keys (Binance deletes sub-account
/// keys by API, master-account keys only in its web interface).
pub trait ManualSteps: Send + Sync {
    /// What a person must do instead of `op`; `None` when `op` is sent as it is.
    fn by_hand(&self, op: &Op) -> Option<Guide>;
}

/// How a venue's open orders are cancelled and its market buys sized, where that differs from
/// one cancel-all per segment and buys sized in either coin.
pub trait OrderRules: Send + Sync {
    /// How every open order is cancelled: a cancel-all per segment (the default), or listed
    /// and cancelled in batches on venues without a cancel-all.
    fn cancel_style(&self) -> CancelStyle {
        CancelStyle::PerSegment
    }

    /// Where a listed open order is cancelled on a venue that cancels in batches
    /// ([`CancelStyle::Batches`]): `None`, the default, in the segment it was listed in, at the
    /// style's batch size; `Some((segment, max))` for an order the venue cancels through an
    /// endpoint of its own (OKX algo orders: `cancel-algos`, at most 10 a request). Such a
    /// segment is only ever named by an [`Op::CancelBatch`].
    fn batch_route(&self, _order: &Order) -> Option<(Segment, usize)> {
        None
    }

    /// Whether a market buy may be sized in the quote coin ([`super::QtyUnit::Quote`]); venues
    /// that take base amounts only (Deribit) answer false, and callers size it in the base coin.
    fn quote_sized_market_buys(&self) -> bool {
        true
    }
}

/// Venues whose account slices are not a fixed list: the coins Bybit's inverse contracts settle
/// in, the currencies Deribit lists. The client reads them once per run with [`Op::Segments`]
/// (every page, a public read) and adds them to [`super::Venue::segments`]; a listing that fails
/// leaves the fixed list and is named ([`crate::exchanges::client::Segments::unread`]), never
/// silently dropped.
pub trait SegmentDiscovery: Send + Sync {
    /// The categories listed at run time, one [`Op::Segments`] each.
    fn categories(&self) -> &'static [Category];
}

/// Venues that publish the rate limits their calls count against: the client's scheduler
/// ([`crate::exchanges::Client`]) paces every call under them instead of learning them from
/// refusals. Declared as data ([`Limit`]), each with its source in docs/venues/<venue>.md §7.
pub trait RateLimits: Send + Sync {
    /// The limits `op` counts against, and what it costs on each; empty for a call no
    /// published limit counts (the client then only waits out what the venue refuses).
    fn charges(&self, op: &Op) -> Vec<Charge>;
}

/// One published rate limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// What the venue calls the endpoint or group, for messages (`/v5/order/history`).
    pub name: &'static str,
    /// Whom it counts.
    pub per: Per,
    /// How it counts.
    pub rate: Rate,
}

/// Whom a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// Every request from the address (Bybit's 600 per 5 s per IP).
    Address,
    /// Each key apart. Venues that count per account or UID (Bybit, OKX, Deribit) are counted
    /// per signing key: the client does not know which keys share an account, and one account's
    /// calls in a response are signed by one key each (the master's, or the leaked key's).
    Key,
}

/// How a limit counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// At most `count` (summed costs) in any rolling window of `window_ms`.
    Window {
        /// Requests (or weight) per window.
        count: u32,
        /// The window.
        window_ms: u64,
    },
    /// A pool of `size` credits refilled at `refill_per_s`, each call paying its cost
    /// (Deribit's credits).
    Credits {
        /// The pool's size.
        size: u32,
        /// Credits back per second.
        refill_per_s: u32,
    },
}

/// What one call costs on one limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    /// The limit.
    pub limit: &'static Limit,
    /// The cost: 1 for a request, the weight or credits where the venue weighs them.
    pub cost: u32,
}

impl Limit {
    /// A charge of one request on this limit.
    pub const fn once(&'static self) -> Charge {
        Charge {
            limit: self,
            cost: 1,
        }
    }

    /// The limit as people read it (`5 requests per 1 s per key`).
    pub fn describe(&self) -> String {
        let per = match self.per {
            Per::Address => "address",
            Per::Key => "key",
        };
        match self.rate {
            Rate::Window { count, window_ms } => format!(
                "{}: {count} per {} s per {per}",
                self.name,
                window_ms as f64 / 1000.0
            ),
            Rate::Credits { size, refill_per_s } => format!(
                "{}: {size} credits refilled at {refill_per_s} a second per {per}",
                self.name
            ),
        }
    }
}
