//! What Bitget brings to the simulator's core (`sim/dialect.rs`): 19-digit order and trade
//! ids, `bg_`-prefixed 32-hex-digit key ids with 64-hex-digit secrets (the docs' example shape),
//! client ids of at most 50 characters, spot and futures markets (no options), its symbol names,
//! sub-accounts named by UID and passphrases in the profile.

use crate::sim::dialect::SimDialect;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::session::{Passphrases, ProfileShape};
use crate::sim::state::Venue;

use super::{BitgetDialect, seed, wire};

/// The Bitget dialect.
pub(crate) static DIALECT: BitgetDialect = BitgetDialect;

/// Longest `clientOid` Bitget accepts.
const MAX_CLIENT_OID: usize = 50;

impl SimDialect for BitgetDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.numeric_id()
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.ids.numeric_id()
    }

    /// `bg_` and 32 hex digits for the key (`bg_19aab20aafdb177408faf3fba6580656` in the docs'
    /// example), 64 hex digits for the secret.
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (format!("bg_{}", v.ids.hex(16)), v.ids.hex(32))
    }

    fn client_order_id(&self, raw: String) -> String {
        raw.chars().take(MAX_CLIENT_OID).collect()
    }

    /// Spot, USDT-M, USDC-M and coin-M futures; the classic API lists no options.
    fn trades(&self, category: Category) -> bool {
        category != Category::Option
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// A passphrase of the key's own.
    fn seed_more_bot(&self, v: &mut Venue, _uid: u64, key: usize, _n: u64) {
        seed::seed_more_bot(v, key);
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        wire::wire_symbol(v, category, symbol)
    }

    /// The private WebSocket (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&DIALECT)
    }

    fn profile_shape(&self) -> ProfileShape {
        ProfileShape {
            passphrases: Passphrases::Files,
            ..ProfileShape::default()
        }
    }
}
