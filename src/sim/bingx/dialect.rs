//! What BingX brings to the simulator's core (`sim/dialect.rs`): numeric order and fill ids,
//! 85-character key ids and secrets (the docs' example key is 83 characters, keys seen in public
//! code 83 to 85), spot and perpetual markets (no options), hyphenated symbols, and client order
//! ids of at most 40 letters, digits and `_`.

use crate::sim::dialect::SimDialect;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::state::Venue;

use super::{BingxDialect, names, seed, stream};

/// The BingX dialect.
pub(crate) static DIALECT: BingxDialect = BingxDialect;

/// Longest client order id BingX accepts.
const MAX_CLIENT_ID: usize = 40;

impl SimDialect for BingxDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.numeric_id()
    }

    fn new_trade_id(&self, _v: &mut Venue, _inst: &Instrument, seq: i64) -> String {
        (36_000_000 + seq).to_string()
    }

    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (v.ids.alnum(85), v.ids.alnum(85))
    }

    fn client_order_id(&self, raw: String) -> String {
        raw.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .take(MAX_CLIENT_ID)
            .collect()
    }

    /// Spot, USDT-M and coin-M perpetuals; BingX lists no options.
    fn trades(&self, category: Category) -> bool {
        category != Category::Option
    }

    fn incident_markets(&self) -> Vec<Instrument> {
        seed::incident_markets()
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        names::wire_symbol(v, category, symbol)
    }

    /// The spot, USDT-M and coin-M streams on a listen key (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&stream::STREAM)
    }
}
