//! An in-process exchange that the tests and drills stand on.
//!
//! Testnets lack the key-management endpoints a leaked-key response needs (reference §2.5), so the
//! simulator models them: one venue state (accounts, keys, orders, fills, balances, withdrawals,
//! transfers, one deterministic order book per market) behind a `std::sync::Mutex`, and one
//! dialect per venue that owns its paths, its signature check and its error envelopes. Today the
//! dialect is Bybit V5 (`bybit/`). It is seeded with the default incident ([`Sim::bybit`]) or
//! from a drill scenario ([`Sim::from_scenario`]).
//!
//! Guarantees: requests are verified as the venue documents (exact bytes signed, timestamp window,
//! key live, IP whitelist from the real peer address, per-key rate limits, permissions); the lock
//! is never held across an `.await`; state is deterministic under a seed; secrets never appear in
//! `Debug` output or in [`Inspect`]. The hidden truth (which key leaked, which orders are the
//! attacker's) is visible only through [`Inspect`], never through an endpoint.
//!
//! It must never share signing code with `exchanges/`: a shared bug would agree with itself.

mod access;
mod book;
mod bybit;
mod funds;
mod ids;
mod inspect;
mod instrument;
mod key;
mod matching;
mod num;
mod order;
mod ratelimit;
pub mod scenario;
mod scenario_seed;
mod seed;
mod server;
mod session;
mod state;

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub use access::AccessEntry;
pub use inspect::{ExecutionView, Inspect, KeyView, MarketView, OrderView, WithdrawalView};
pub use order::Origin;
pub use server::Running;
pub use session::Session;

use state::{IpEditPolicy, Venue};

/// A handle on one simulated exchange; cheap to clone, every clone sees the same state.
#[derive(Clone)]
pub struct Sim {
    venue: Arc<Mutex<Venue>>,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately shows nothing of the state: it holds secrets.
        f.debug_struct("Sim")
            .field("dialect", &"bybit")
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Creates a Bybit V5 simulator seeded with the default incident (see `seed.rs`).
    ///
    /// The same `seed` gives the same key ids, secrets, order ids and truth set; times are
    /// relative to the moment of the call.
    pub fn bybit(seed: u64) -> Sim {
        Sim {
            venue: Arc::new(Mutex::new(seed::default_incident(seed))),
        }
    }

    /// Creates a Bybit V5 simulator seeded from a drill scenario (see `scenario_seed.rs`).
    ///
    /// The account is the default incident's (master 1000001, bot sub 1000002 with the leaked
    /// key); markets, books, balances and the bot's orders come from `scenario`. Infallible: the
    /// scenario was checked when parsed, and whatever is still odd is skipped. The same scenario
    /// and `seed` give the same ids, books and history.
    pub fn from_scenario(scenario: &scenario::Scenario, seed: u64) -> Sim {
        Sim {
            venue: Arc::new(Mutex::new(scenario_seed::scenario_venue(scenario, seed))),
        }
    }

    /// Builds the HTTP router; pure, no I/O.
    ///
    /// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`: the IP whitelist is
    /// checked against the real peer address, and without it every IP-bound key answers 10010.
    pub fn router(&self) -> axum::Router {
        bybit::router(self.clone())
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
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.lock().clock_skew_ms = ms;
    }

    /// Makes IP-whitelist edits answer 141019 ("web UI only", reference §3.4) when `on`.
    pub fn set_ip_edit_requires_web_ui(&self, on: bool) {
        self.lock().ip_edit = if on {
            IpEditPolicy::WebUiOnly
        } else {
            IpEditPolicy::Api
        };
    }

    /// Locks the venue; a poisoned lock is recovered, since every mutation is applied whole.
    fn lock(&self) -> MutexGuard<'_, Venue> {
        self.venue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod tests;
