//! Exchanges: the normalized operations the response needs, and the venues that speak them.
//!
//! An adapter ([`Venue`]) is pure: it turns an [`Op`] into an unsigned [`Request`], signs it with
//! a credential at a given time, and turns the exchange's answer into a [`Reply`] or a typed
//! [`ExchangeError`]. Only [`http`] touches the network. That split keeps each venue's quirks in
//! its own folder, lets dry-run render the exact request a mutating step would send, and lets the
//! signers be checked against published vectors without a server.
//!
//! What a venue cannot do by API is data ([`Support::Manual`]), so the engine can turn it into a
//! guided manual step instead of skipping it.

pub mod binance;
mod budget;
pub mod bybit;
mod call;
mod cancel_style;
mod decode;
pub mod deribit;
mod error;
pub mod http;
pub mod kraken;
pub mod model;
mod nonce;
pub mod okx;
mod op;
pub mod redact;
mod request;
pub mod signing;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use budget::CallBudget;
pub(crate) use budget::Counters;
pub use call::{AuthStyle, CallContext, KeyFamily, Session, Tfa, VenueSettings};
pub use cancel_style::CancelStyle;
pub use error::{ExchangeError, Outcome as CallOutcome};
pub use http::{Auth, CallRecord, CallSink, Client, Mode};
pub use nonce::{NonceError, Nonces};
pub use op::{History, NewOrder, Op, OrderKind, OrderRef, Page, QtyUnit, Reply, Revoke, Window};
pub use request::{Header, HeaderValue, Method, Request, Response, Sensitive, SignedRequest};

use crate::secret::Credential;
use model::{Category, Order, Segment};

/// The exchanges lockdown can respond on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeId {
    /// Bybit V5 (docs/venues.md §3).
    Bybit,
    /// OKX V5 (docs/venues.md §4).
    Okx,
    /// Deribit JSON-RPC v2 (docs/venues.md §6).
    Deribit,
    /// Binance Spot, USD-M futures and SAPI (docs/venues.md §5).
    Binance,
    /// Kraken Spot REST (docs/venues.md §7).
    Kraken,
}

impl ExchangeId {
    /// Every supported venue, in the order the docs list them.
    pub const ALL: &'static [ExchangeId] = &[
        ExchangeId::Bybit,
        ExchangeId::Okx,
        ExchangeId::Deribit,
        ExchangeId::Binance,
        ExchangeId::Kraken,
    ];

    /// The lowercase name used in configs and playbooks.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeId::Bybit => "bybit",
            ExchangeId::Okx => "okx",
            ExchangeId::Deribit => "deribit",
            ExchangeId::Binance => "binance",
            ExchangeId::Kraken => "kraken",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<ExchangeId> {
        ExchangeId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == text.trim().to_ascii_lowercase())
    }

    /// Parses a venue name for the command line; the error lists the venues.
    pub fn from_arg(text: &str) -> Result<ExchangeId, String> {
        ExchangeId::parse(text).ok_or_else(|| {
            let names: Vec<&str> = ExchangeId::ALL.iter().map(|id| id.as_str()).collect();
            format!(
                "`{text}` is not a supported venue; supported: {}",
                names.join(", ")
            )
        })
    }

    /// The adapter for this venue.
    pub fn venue(self) -> Box<dyn Venue> {
        match self {
            ExchangeId::Bybit => Box::new(bybit::Bybit),
            ExchangeId::Okx => Box::new(okx::Okx),
            ExchangeId::Deribit => Box::new(deribit::Deribit),
            ExchangeId::Binance => Box::new(binance::Binance),
            ExchangeId::Kraken => Box::new(kraken::Kraken),
        }
    }
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A containment capability a venue may or may not offer by API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// Bind a key to the responder's IP (or make it read-only) through the master credential.
    LockKey,
    /// Delete a key.
    RevokeKey,
    /// Create a restricted replacement key.
    CreateKey,
    /// Cancel every open order of the key's account.
    CancelOrders,
    /// Order history.
    Orders,
    /// Fills.
    Fills,
    /// Balances.
    Balances,
    /// Withdrawals and internal transfers.
    Transfers,
    /// What the exchange says about a key.
    KeyInfo,
    /// The account's security log (logins, key events, IPs).
    AccessLog,
    /// A dead-man switch that cancels orders unless renewed.
    DeadMan,
}

impl Capability {
    /// Every capability, in the order the README table shows them.
    pub const ALL: &'static [Capability] = &[
        Capability::LockKey,
        Capability::RevokeKey,
        Capability::CreateKey,
        Capability::CancelOrders,
        Capability::Orders,
        Capability::Fills,
        Capability::Balances,
        Capability::Transfers,
        Capability::KeyInfo,
        Capability::AccessLog,
        Capability::DeadMan,
    ];

    /// The column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::LockKey => "lock",
            Capability::RevokeKey => "revoke",
            Capability::CreateKey => "create",
            Capability::CancelOrders => "cancel",
            Capability::Orders => "orders",
            Capability::Fills => "fills",
            Capability::Balances => "balances",
            Capability::Transfers => "transfers",
            Capability::KeyInfo => "key info",
            Capability::AccessLog => "access log",
            Capability::DeadMan => "dead-man switch",
        }
    }
}

/// How a venue supports a capability.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// By API.
    Api,
    /// Only by hand: the engine shows the guide, asks for confirmation and journals it.
    Manual(Guide),
    /// Not at all (the venue has neither an API nor a manual equivalent worth guiding).
    Unavailable(&'static str),
}

/// The README's capability table, generated from the adapters' declared support.
pub fn capability_table() -> String {
    let mut out = String::from("| venue |");
    for capability in Capability::ALL {
        out.push_str(&format!(" {} |", capability.as_str()));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(Capability::ALL.len()));
    out.push('\n');
    for id in ExchangeId::ALL {
        let venue = id.venue();
        out.push_str(&format!("| {id} |"));
        for capability in Capability::ALL {
            let cell = match venue.support(*capability) {
                Support::Api => "API",
                Support::Manual(_) => "manual (guided)",
                Support::Unavailable(_) => "–",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

/// Exact instructions for a step the API cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Guide {
    /// What to do, in one line.
    pub title: String,
    /// Where to do it.
    pub url: String,
    /// The clicks, in order.
    pub steps: Vec<String>,
}

/// A pure venue adapter.
///
/// Implementors must not do I/O: [`http::Client`] sends what `encode` and `sign` build and hands
/// the answer to `decode`. `sign` must sign the exact bytes that will be sent and never change the
/// request after signing.
pub trait Venue: Send + Sync + fmt::Debug {
    /// Which venue this is.
    fn id(&self) -> ExchangeId;

    /// How the venue supports a capability.
    fn support(&self, capability: Capability) -> Support;

    /// What a person must do instead of `op`, on a venue that supports the capability by API
    /// only for some keys (Binance deletes sub-account keys by API, master-account keys only in
    /// its web interface). `None`, the default, when `op` is sent as it is.
    fn by_hand(&self, _op: &Op) -> Option<Guide> {
        None
    }

    /// The account slices that open orders are listed and cancelled in, one call each.
    fn segments(&self) -> &'static [Segment];

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

    /// The widest time window one history call may ask for.
    fn max_window(&self, history: History) -> Duration;

    /// The venue's name for a market (`BTCUSDT`, `BTC-USDT`, `BTC_USDC`).
    fn symbol(&self, category: Category, base: &str, quote: &str) -> String;

    /// Builds the unsigned request for an operation.
    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError>;

    /// Signs a request with a credential (and the key's session, on token venues).
    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest;

    /// Reads the exchange's answer to an operation.
    fn decode(&self, op: &Op, response: &Response) -> Decoded;

    /// Token venues: the login request for a key (credentials in it); `None` elsewhere.
    ///
    /// `call.subject` is set when the session is wanted as the base of a sub-account session
    /// ([`Venue::switch`]): a venue that otherwise signs every request must still log in then.
    fn login(&self, _credential: &Credential, _call: &CallContext<'_>) -> Option<Request> {
        None
    }

    /// Token venues: reads the login answer (also the answer to [`Venue::switch`]).
    fn decode_login(&self, _response: &Response) -> Result<Session, ExchangeError> {
        Err(ExchangeError::Unsupported {
            venue: self.id().as_str(),
            op: "login",
        })
    }

    /// Venues that keep one session per sub-account (Deribit `public/exchange_token`): the
    /// sub-account an operation acts in. The client then keeps a session per key and subject,
    /// made by [`Venue::switch`], and hands the subject to `encode` and `sign`.
    fn subject(&self, _op: &Op) -> Option<String> {
        None
    }

    /// Turns the key's own `session` into one for `subject`; `None` when the venue has no such
    /// switch (the key's own session is then used).
    fn switch(
        &self,
        _session: &Session,
        _subject: &str,
        _call: &CallContext<'_>,
    ) -> Option<Request> {
        None
    }

    /// Venues whose writes address a key by an id the owner does not hold (Deribit's numeric
    /// `id`, while clients sign with the `client_id`): the read the client sends first, with
    /// the same credential and subject. Its raw answer reaches `encode` as
    /// [`CallContext::lookup`]; without one (a rendered plan) `encode` must still render.
    fn lookup(&self, _op: &Op) -> Option<Op> {
        None
    }

    /// Venues that finish an operation with a second request (Deribit binds a new key to its
    /// addresses with `edit_api_key`, as `create_api_key` takes none): what the client sends
    /// after `op` succeeded with `reply`, with the same credential. The call fails if it fails.
    /// It must be idempotent: the client sends it again when its outcome is unknown.
    fn then(&self, _op: &Op, _reply: &Reply) -> Option<Op> {
        None
    }

    /// How long the client must send nothing more after this answer to `request`, read from
    /// the venue's usage headers or its rate-limit answer (Binance: `Retry-After` of a 429, or
    /// the used request weight near the published limit, docs/venues.md §5.7); `now_ms` is the
    /// exchange's clock as far as it is known. `None` (the default) holds nothing back. The
    /// client holds every request of the connection, not just the next one: limits are per
    /// address.
    fn pace(&self, _request: &Request, _response: &Response, _now_ms: i64) -> Option<Duration> {
        None
    }

    /// Whether a market buy may be sized in the quote coin ([`QtyUnit::Quote`]); venues that
    /// take base amounts only (Deribit) answer false, and callers size it in the base coin.
    fn quote_sized_market_buys(&self) -> bool {
        true
    }

    /// Venues that sign an ever-increasing integer nonce per key (Kraken, docs/venues.md §7.2): the
    /// client then draws [`CallContext::nonce`] from its per-key [`Nonces`] (persisted under the
    /// profile's state dir) and sends one request per key at a time, so the exchange sees a
    /// key's nonces in the order they were drawn.
    fn counter_nonce(&self) -> bool {
        false
    }

    /// Venues with a published per-key call counter (Kraken, docs/venues.md §7.7): the client paces
    /// each key's signed calls under it. `None` for venues that only answer a rate limit.
    fn budget(&self) -> Option<CallBudget> {
        None
    }

    /// What an operation costs on the venue's call counter ([`Venue::budget`]); 0 for calls
    /// the counter does not count.
    fn call_cost(&self, _op: &Op) -> f64 {
        1.0
    }
}

/// What a venue made of a response.
#[derive(Debug)]
pub struct Decoded {
    /// The reply, or why there is none.
    pub reply: Result<Reply, ExchangeError>,
    /// The exchange's clock when it answered, where the envelope says.
    pub server_ms: Option<i64>,
    /// The venue's own result code, for the record.
    pub code: Option<String>,
}
