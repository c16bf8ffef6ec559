//! What the Deribit dialect keeps besides the shared venue: tokens, nonces, credits, two-factor
//! challenges, the security log, trigger orders, and its own id counters.
//!
//! It lives inside the venue (`Venue::deribit`), behind the same lock, so every request sees one
//! consistent state; other dialects leave it empty.

use crate::sim::deribit::credits::Credits;
use crate::sim::deribit::replay::Nonces;
use crate::sim::deribit::security_log::LogEntry;
use crate::sim::deribit::tfa::Challenges;
use crate::sim::deribit::tokens::Tokens;
use crate::sim::deribit::trigger::TriggerOrder;

/// The Deribit dialect's state.
#[derive(Debug, Default)]
pub(crate) struct DeribitState {
    /// Whether "TFA required" methods ask for a code (`Sim::set_tfa_required`).
    pub(crate) tfa_required: bool,
    pub(crate) tokens: Tokens,
    pub(crate) nonces: Nonces,
    pub(crate) credits: Credits,
    pub(crate) challenges: Challenges,
    pub(crate) security_log: Vec<LogEntry>,
    pub(crate) next_log_id: u64,
    /// Orders numbered so far (ids are `CURRENCY-number`).
    pub(crate) orders_numbered: u64,
    /// Trigger (stop, take) orders, oldest first (`trigger.rs`).
    pub(crate) trigger_orders: Vec<TriggerOrder>,
    /// Key ids handed out so far (the numeric `id` of key management).
    pub(crate) keys_numbered: u64,
}
