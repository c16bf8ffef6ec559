//! What the Kraken dialect keeps besides the shared venue: each key's last nonce, each key's
//! call counter, the conditional orders and the WebSocket tokens handed out (dead-man switches
//! are shared with OKX: `sim/dead_man.rs`).
//!
//! Lives inside the venue (`Venue::kraken`), under the venue lock like everything else; other
//! dialects leave it empty.

use std::collections::HashMap;

use crate::sim::kraken::counter::CallCounter;
use crate::sim::kraken::stops::StopOrder;
use crate::sim::kraken::stream::WsToken;

/// The Kraken dialect's own state.
#[derive(Debug, Default)]
pub(crate) struct KrakenState {
    /// The highest nonce each key has had accepted (docs/venues/kraken.md §2: it must rise per
    /// key).
    pub(crate) last_nonce: HashMap<String, u64>,
    /// Each key's REST call counter (docs/venues/kraken.md §7).
    pub(crate) counter: CallCounter,
    /// Conditional orders (stop-loss, take-profit), oldest first (`stops.rs`).
    pub(crate) stops: Vec<StopOrder>,
    /// WebSocket tokens handed out by `GetWebSocketsToken`, by token (`stream.rs`).
    pub(crate) ws_tokens: HashMap<String, WsToken>,
}
