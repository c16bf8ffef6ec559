//! What Kraken Spot brings to the simulator's core (`sim/dialect.rs`): txid order and trade ids,
//! base64 keys and secrets, short free-text client ids, spot markets only, its pair names, and
//! a profile whose bot key names no account (Kraken keys have no hierarchy), and its conditional
//! orders shown by `Inspect`.

use crate::sim::dialect::SimDialect;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::session::{KeyAccount, KeyIdText, ProfileShape};
use crate::sim::state::Venue;

use super::{KrakenDialect, base64, names, seed, stops, stream};

/// The Kraken Spot dialect.
pub(crate) static DIALECT: KrakenDialect = KrakenDialect;

/// Longest `cl_ord_id` Kraken accepts as free text.
const MAX_CL_ORD_ID: usize = 18;

impl SimDialect for KrakenDialect {
    /// A txid (`OQCLML-BW3P3-BUCMWZ`: 6, 5 and 6 characters).
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.txid('O')
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.ids.txid('T')
    }

    /// Base64 of 42 random bytes for the key, of 64 for the secret (docs/venues/kraken.md §2).
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (
            base64::encode(&v.ids.bytes(42)),
            base64::encode(&v.ids.bytes(64)),
        )
    }

    fn client_order_id(&self, raw: String) -> String {
        raw.chars().take(MAX_CL_ORD_ID).collect()
    }

    /// Kraken Spot has spot pairs only (its futures are a separate exchange with separate keys,
    /// docs/venues/kraken.md §1).
    fn trades(&self, category: Category) -> bool {
        category == Category::Spot
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// Kraken keys have no hierarchy and Kraken manages no keys by API: a vendor's bot keys all
    /// belong to the one account, where the owner's key sees and cancels every bot's orders.
    fn more_bot_uid(&self, _n: u64) -> u64 {
        crate::sim::seed::BOT_UID
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        names::pair_name(v, category, symbol)
    }

    /// Kraken keys belong to the account that signs with them: nothing to name.
    fn bot_account(&self, _v: &Venue, _uid: u64) -> String {
        String::new()
    }

    /// The owner's own key as `master` (it cancels and reads the account; Kraken manages no
    /// keys by API), the bot key without an account.
    fn profile_shape(&self) -> ProfileShape {
        ProfileShape {
            key_account: KeyAccount::Omitted,
            key_id: KeyIdText::Quoted,
            ..ProfileShape::default()
        }
    }

    /// The conditional orders (`stop-loss`, `take-profit`, …) are orders too.
    fn extra_order_views(&self, v: &Venue) -> Vec<OrderView> {
        stops::stop_orders(&v.own)
            .iter()
            .map(stops::StopOrder::view)
            .collect()
    }

    /// `wss://ws-auth.kraken.com/v2`, channel `executions` (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&stream::STREAM)
    }
}
