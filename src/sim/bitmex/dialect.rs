//! What BitMEX brings to the simulator's core (`sim/dialect.rs`): UUID order and execution ids,
//! 24-character key ids and 48-character secrets, spot and contract markets (no options), its
//! symbol names, and a profile whose bot key names no account (BitMEX keys belong to the user
//! who made them).

use crate::sim::dialect::SimDialect;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::session::{KeyAccount, KeyIdText, ProfileShape};
use crate::sim::state::Venue;

use super::{BitmexDialect, names, seed};

/// The BitMEX dialect.
pub(crate) static DIALECT: BitmexDialect = BitmexDialect;

/// Longest `clOrdID` BitMEX accepts.
const MAX_CL_ORD_ID: usize = 36;

impl SimDialect for BitmexDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.uuid()
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.ids.uuid()
    }

    /// 24 characters for the key id, 48 for the secret (the swagger's `APIKey.id` and
    /// `secret` lengths, docs/venues/bitmex.md §4).
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (v.ids.alnum(24), v.ids.alnum(48))
    }

    fn client_order_id(&self, raw: String) -> String {
        raw.chars().take(MAX_CL_ORD_ID).collect()
    }

    /// Spot pairs, linear and inverse contracts; BitMEX lists no options.
    fn trades(&self, category: Category) -> bool {
        category != Category::Option
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// BitMEX keys have no hierarchy and BitMEX manages no keys by API: a vendor's bot keys all
    /// belong to the one account, where the owner's key sees and cancels every bot's orders.
    fn more_bot_uid(&self, _n: u64) -> u64 {
        crate::sim::seed::BOT_UID
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        names::wire_symbol(v, category, symbol)
    }

    /// The realtime API's `order` table (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&DIALECT)
    }

    /// BitMEX keys belong to the user who signs with them: nothing to name.
    fn bot_account(&self, _v: &Venue, _uid: u64) -> String {
        String::new()
    }

    /// The owner's `orderCancel` key as `master` (BitMEX manages no keys by API), the bot key
    /// without an account.
    fn profile_shape(&self) -> ProfileShape {
        ProfileShape {
            key_account: KeyAccount::Omitted,
            key_id: KeyIdText::Quoted,
            ..ProfileShape::default()
        }
    }
}
