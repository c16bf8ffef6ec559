//! An in-process exchange that the tests and drills stand on.
//!
//! Testnets lack the key-management endpoints a leaked-key response needs (docs/venues/README.md
//! §2.5), so the simulator models them: one venue state (accounts, keys, orders, fills, balances,
//! withdrawals, transfers, one deterministic order book per market) behind a `std::sync::Mutex`,
//! and one dialect per venue that owns its paths, its signature check and its error envelopes:
//! Bybit V5 (`bybit/`), OKX V5 (`okx/`), Deribit JSON-RPC v2 (`deribit/`), Binance (`binance/`) and
//! Kraken Spot (`kraken/`, whose keys only the "web interface" can delete or create:
//! [`Sim::web_ui_delete_key`], [`Sim::web_ui_create_key`]). It is seeded with the
//! default incident ([`Sim::new`]) or from a drill scenario ([`Sim::from_scenario_on`]).
//!
//! The core (this file, the state, seeding, session files, inspection, the front door) knows no
//! venue by name: it asks each venue's `SimDialect` (`dialect.rs`), which each dialect folder
//! implements once; the venue's row in the venue table (`src/venues.rs`, `simulator`) points at
//! it. A new simulated venue adds its folder and one `mod` line here
//! (docs/adding-a-venue.md).
//!
//! Guarantees: requests are verified as the venue documents (exact bytes signed, timestamp window,
//! key live, IP whitelist from the real peer address, per-key rate limits, permissions); the lock
//! is never held across an `.await`; state is deterministic under a seed; secrets never appear in
//! `Debug` output or in [`Inspect`]. The hidden truth (which key leaked, which orders are the
//! attacker's) is visible only through [`Inspect`], never through an endpoint.
//!
//! Faults are injectable ([`Sim::set_faults`], [`Faults`]), drawn from an RNG of their own seeded
//! from the venue seed, one fixed set of draws per private request in arrival order: the same
//! seed, request sequence and faults give the same faults, and the draws never touch the id RNG.
//! - latency: every answer, public ones included, is sent that much later (never under the lock);
//! - `429`: HTTP 429, `Retry-After: 1`, a short text body; the request is not executed;
//! - `5xx`: HTTP 502 or 503 (even odds) with an HTML body; half are answered before the request
//!   runs (nothing happened), half after it ran (it took effect, the client cannot tell);
//! - `reset`: the connection is closed with no answer at all, half before and half after;
//! - `skew`: the exchange's clock runs that far from the host's (as [`Sim::set_clock_skew_ms`]);
//! - `short`: a paginated answer keeps half its page (at least one item) and a cursor to the rest,
//!   so a client that follows cursors still sees every item exactly once.
//!
//! A test can also cut one route's answers short ([`Sim::cut_short`]): JSON that ends mid-way,
//! after the exchange acted, as a proxy that closes the connection in the middle of a body leaves
//! it.
//!
//! `429`, `5xx` and `reset` are tried in that order and the first that hits wins; a short page
//! only when none did. They apply to every request to a private endpoint, signed or not; public
//! `/v5/market/*` endpoints get latency and skew only, so a client can always resync its clock. A
//! fault changes what the client sees, never what the exchange reveals: no truth and no secret in
//! any fault answer. The access log records each one ([`AccessEntry::fault`]).
//!
//! It must never share signing code with `exchanges/`: a shared bug would agree with itself.

mod access;
mod answer;
pub(crate) mod binance;
pub(crate) mod bingx;
pub(crate) mod bitget;
pub(crate) mod bitmex;
mod book;
mod bulk;
pub(crate) mod bybit;
mod caller;
mod dead_man;
pub(crate) mod deribit;
pub(crate) mod dialect;
mod faults;
mod front;
mod funds;
mod hold;
mod ids;
mod injector;
mod inspect;
mod instrument;
mod key;
mod knobs;
pub(crate) mod kraken;
mod matching;
mod num;
pub(crate) mod okx;
mod order;
mod own;
mod placing;
mod ratelimit;
pub mod scenario;
mod scenario_seed;
mod seed;
mod server;
mod session;
mod state;
pub(crate) mod stream;
mod tamper;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub use access::AccessEntry;
pub use faults::Faults;
pub use injector::FaultKind;
pub use inspect::{ExecutionView, Inspect, KeyView, MarketView, OrderView, WithdrawalView};
pub use order::Origin;
pub use scenario::{LedgerState, Owner};
pub use server::Running;
pub use session::Session;
pub use stream::StreamFaults;

use injector::CutShort;
use secrecy::SecretString;
use state::{IpEditPolicy, Venue};

use crate::exchanges::ExchangeId;

/// Where the owner's own bot trades from in a drill. The bot and the attacker hold the same
/// leaked key, so the simulator tells them apart by the address a request comes from (the
/// socket's, never a header): an order placed with a leaked key from here is the owner's.
pub const BOT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

/// Who placed an order sent with a key that is `leaked` (or not) from `peer`: the attacker when
/// the key leaked and the caller is anywhere but [`BOT_IP`], the owner otherwise. Every venue's
/// place-order handlers ask this through their caller's `origin()`, so the rule is written once.
pub(crate) fn origin_of(leaked: bool, peer: Option<IpAddr>) -> Origin {
    if leaked && peer != Some(BOT_IP) {
        Origin::Attacker
    } else {
        Origin::Owner
    }
}

/// A handle on one simulated exchange; cheap to clone, every clone sees the same state.
#[derive(Clone)]
pub struct Sim {
    venue: Arc<Mutex<Venue>>,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately shows nothing of the state: it holds secrets.
        f.debug_struct("Sim")
            .field("dialect", &self.dialect())
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Creates a simulator of `dialect` seeded with its default incident.
    pub fn new(dialect: ExchangeId, seed: u64) -> Sim {
        Sim {
            venue: Arc::new(Mutex::new(seed::default_incident(dialect, seed))),
        }
    }

    /// Creates a simulator of `dialect` seeded from a drill scenario.
    pub fn from_scenario_on(dialect: ExchangeId, scenario: &scenario::Scenario, seed: u64) -> Sim {
        Sim {
            venue: Arc::new(Mutex::new(scenario_seed::scenario_venue(
                dialect, scenario, seed,
            ))),
        }
    }

    /// The exchange this simulator speaks as.
    pub fn dialect(&self) -> ExchangeId {
        self.lock().dialect.exchange()
    }

    /// Builds the HTTP router; pure, no I/O.
    ///
    /// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: the IP whitelist is
    /// checked against the real peer address, and without it every IP-bound key answers 10010.
    pub fn router(&self) -> axum::Router {
        let dialect = self.lock().dialect;
        let router = dialect.router(self.clone());
        match dialect.stream() {
            Some(stream) => stream::routes(router, self, stream),
            None => router,
        }
    }

    /// Binds `addr` (port 0 picks a free port), spawns the server and returns at once.
    pub async fn serve(&self, addr: SocketAddr) -> std::io::Result<Running> {
        server::serve(self.router(), addr).await
    }

    /// Writes the session files a `lockdown` profile needs into `dir` (created if missing).
    ///
    /// Secret files are mode 0600. See [`Session`] for the list.
    pub fn write_session(&self, dir: &Path, base_url: &str) -> std::io::Result<Session> {
        let files = session::SessionFiles::from_venue(&self.lock());
        files.write(dir, base_url)
    }

    /// Returns a cloned, read-only view of the state, hidden truth included, secrets excluded.
    pub fn inspect(&self) -> Inspect {
        Inspect::from_venue(&self.lock())
    }

    /// Makes the exchange's clock run `ms` ahead (positive) or behind (negative) the host's.
    ///
    /// The same setting as [`Faults::skew_ms`]: the last of the two calls wins.
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.lock().clock_skew_ms = ms;
    }

    /// Injects `faults` from the next request on, replacing the previous ones (see the module
    /// doc); its `skew_ms` sets the clock skew. `Faults::none()` turns everything off.
    ///
    /// The dice are not reset: the fault sequence depends on the seed and on every private
    /// request since the simulator was created.
    pub fn set_faults(&self, faults: Faults) {
        let mut v = self.lock();
        v.clock_skew_ms = faults.skew_ms;
        v.injector.faults = faults;
    }

    /// Returns the faults in force, the current clock skew included.
    pub fn faults(&self) -> Faults {
        let v = self.lock();
        Faults {
            skew_ms: v.clock_skew_ms,
            ..v.injector.faults
        }
    }

    /// Cuts the answer to every request whose line (`POST /api/v5/users/subaccount/apikey`)
    /// contains `route` to its first `keep` bytes, as a proxy that closes the connection in the
    /// middle of a body would: the exchange acts as usual, the client gets JSON cut short. The
    /// access log marks each `cut-short`. Replaces the previous route.
    pub fn cut_short(&self, route: &str, keep: usize) {
        self.lock().injector.cut = Some(CutShort::new(route, keep));
    }

    /// The whole answers [`Sim::cut_short`] cut, secrets included, for a test to search every
    /// output for what the client got of them; never served, never in [`Inspect`].
    pub fn cut_answers(&self) -> Vec<SecretString> {
        let v = self.lock();
        v.injector.cut.as_ref().map_or_else(Vec::new, |cut| {
            cut.whole.iter().cloned().map(SecretString::from).collect()
        })
    }

    /// Holds every request whose line (`POST /v5/user/update-sub-api`) contains `held` before
    /// the exchange applies it, until `needed` requests whose line contains `until` have been
    /// answered since this call (each held one at most 5 s; later ones go straight on): makes
    /// certain which of two requests sent at once the exchange serves first (`hold.rs`).
    pub fn hold(&self, held: &str, until: &str, needed: u64) {
        self.lock().holds.add(held, until, needed);
    }

    /// Makes IP-whitelist edits answer 141019 ("web UI only", docs/venues/bybit.md §4) when `on`.
    pub fn set_ip_edit_requires_web_ui(&self, on: bool) {
        self.lock().ip_edit = if on {
            IpEditPolicy::WebUiOnly
        } else {
            IpEditPolicy::Api
        };
    }

    /// Binds a live key to `ips`, or unbinds it when `ips` is empty, as the venue's web interface
    /// would; returns whether the key exists. Tests use it to unbind the master key (OKX then
    /// refuses sub-account key management with `50035`).
    pub fn set_key_ips(&self, api_key: &str, ips: &[std::net::IpAddr]) -> bool {
        let mut v = self.lock();
        let now = v.now_ms();
        let Some(key) = v
            .keys
            .iter_mut()
            .find(|k| k.api_key == api_key && k.is_live())
        else {
            return false;
        };
        let ips = if ips.is_empty() {
            key::IpWhitelist::Any
        } else {
            key::IpWhitelist::Only(ips.to_vec())
        };
        key.set_ips(ips, now);
        true
    }

    /// Deletes a live key as the venue's web interface would (what no API of some venues can
    /// do: Kraken's keys, Binance's master-account keys); returns whether it existed. The drill's
    /// simulated operator uses it for guided manual steps.
    pub fn web_ui_delete_key(&self, api_key: &str) -> bool {
        self.lock().delete_key(api_key).is_ok()
    }

    /// Creates a key as the venue's web interface would (what no API of some venues can do:
    /// Kraken's keys): on the account of the key `like` (live or deleted), with its permissions
    /// and access, noted `label` and bound to `ips` (unbound when empty). Returns the new key's
    /// id, or `None` when no key `like` ever existed. The drill's simulated operator uses it for
    /// a guided replacement; the secret stays in the simulator, as it would stay on the page.
    pub fn web_ui_create_key(
        &self,
        like: &str,
        label: &str,
        ips: &[std::net::IpAddr],
    ) -> Option<String> {
        let mut v = self.lock();
        let model = v.keys.iter().find(|k| k.api_key == like)?;
        let new = state::NewKey {
            uid: model.uid,
            tier: model.tier,
            note: label.to_owned(),
            permissions: model.permissions.clone(),
            access: model.access,
            ips: if ips.is_empty() {
                key::IpWhitelist::Any
            } else {
                key::IpWhitelist::Only(ips.to_vec())
            },
        };
        let idx = v.create_key(new, false);
        Some(v.keys[idx].api_key.clone())
    }

    /// Locks the venue; a poisoned lock is recovered, since every mutation is applied whole.
    fn lock(&self) -> MutexGuard<'_, Venue> {
        self.venue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod book_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod reveal_tests;
#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod test_env;
#[cfg(test)]
mod tests;
