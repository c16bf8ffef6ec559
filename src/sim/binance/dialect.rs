//! What Binance brings to the simulator's core (`sim/dialect.rs`): growing integer order and
//! trade ids, 64-character keys and secrets, sub-accounts named by email, the attacker's
//! conditional orders on a USD-M market of their own (seeded, shown by `Inspect`), COIN-M
//! perpetuals named `<pair>_PERP` in scenarios too; and the
//! `Sim` switch only Binance has (its request-weight limit).

use crate::sim::Sim;
use crate::sim::dialect::SimDialect;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::state::Venue;

use super::{BinanceDialect, BinanceState, seed};

/// The Binance dialect.
pub(crate) static DIALECT: BinanceDialect = BinanceDialect;

impl SimDialect for BinanceDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.own.get_mut::<BinanceState>().order_id()
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.own.get_mut::<BinanceState>().trade_id()
    }

    /// Binance key ids and secrets are 64 letters and digits (docs/venues/binance.md §3).
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (v.ids.alnum(64), v.ids.alnum(64))
    }

    fn incident_markets(&self) -> Vec<Instrument> {
        seed::incident_markets()
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// A virtual email of the sub-account's own.
    fn seed_more_bot(&self, v: &mut Venue, uid: u64, _key: usize, _n: u64) {
        seed::seed_more_bot(v, uid);
    }

    fn seed_incident_extras(&self, v: &mut Venue, now: i64) {
        seed::seed_conditional_orders(v, now);
        seed::seed_funding(v, now);
    }

    /// A scenario's inverse markets are COIN-M perpetuals, named as Binance names them.
    fn seed_scenario_extras(&self, v: &mut Venue, _now: i64, _link_prefix: &str) {
        seed::name_perpetuals(v);
    }

    /// Binance's sub-account endpoints name a sub-account by its email.
    fn bot_account(&self, v: &Venue, uid: u64) -> String {
        super::email(v, uid)
    }

    /// The spot WebSocket API's User Data Stream (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&super::stream::STREAM)
    }

    fn extra_order_views(&self, v: &Venue) -> Vec<OrderView> {
        v.own
            .get::<BinanceState>()
            .map(|s| s.algo_orders.iter().map(|o| o.view()).collect())
            .unwrap_or_default()
    }
}

impl Sim {
    /// Makes `uid` an account that never opened a margin account: its margin requests are
    /// answered `-3003` (Binance only).
    pub fn binance_without_margin(&self, uid: u64) {
        self.lock()
            .own
            .get_mut::<BinanceState>()
            .without_margin
            .insert(uid);
    }

    /// Sets Binance's spot request-weight limit per IP address and minute (default 6000, the
    /// published one), so tests can reach it; other dialects ignore it.
    pub fn set_weight_limit(&self, per_minute: u32) {
        self.lock().own.get_mut::<BinanceState>().limits.spot_limit = per_minute;
    }
}
