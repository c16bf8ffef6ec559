//! What Bybit V5 brings to the simulator's core (`sim/dialect.rs`): UUID order and execution
//! ids and otherwise the core's plain shapes, which are Bybit's; inverse and option markets of
//! its own (`seed.rs`); its conditional orders (known to the bot's ledger, shown by `Inspect`);
//! and the constructors of a Bybit simulator, the default one.

use crate::exchanges::ExchangeId;
use crate::sim::dialect::SimDialect;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::order::Origin;
use crate::sim::session::{KnownOrder, iso_ms};
use crate::sim::state::Venue;
use crate::sim::{Sim, scenario};

use super::{BybitDialect, conditional, seed};

/// The Bybit V5 dialect.
pub(crate) static DIALECT: BybitDialect = BybitDialect;

impl SimDialect for BybitDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.uuid()
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.ids.uuid()
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    fn incident_markets(&self) -> Vec<Instrument> {
        seed::incident_markets()
    }

    /// The conditional orders the bot placed are its orders too.
    fn known_extra_orders(&self, v: &Venue, bot_uid: u64) -> Vec<KnownOrder> {
        conditional::all(v)
            .iter()
            .filter(|o| o.origin == Origin::Owner && o.uid == bot_uid)
            .map(|o| KnownOrder {
                order_id: o.order_id.clone(),
                client_order_id: o.order_link_id.clone(),
                category: o.category.as_str(),
                symbol: o.symbol.clone(),
                side: o.side.as_str(),
                qty: o.qty.clone(),
                price: o.price.clone(),
                created_at: iso_ms(o.created_ms),
                status: None,
            })
            .collect()
    }

    fn extra_order_views(&self, v: &Venue) -> Vec<OrderView> {
        conditional::all(v)
            .iter()
            .filter_map(conditional::Conditional::view)
            .collect()
    }

    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&super::stream::STREAMS)
    }
}

impl Sim {
    /// Creates a Bybit V5 simulator seeded with the default incident (see `seed.rs`).
    ///
    /// The same `seed` gives the same key ids, secrets, order ids and truth set; times are
    /// relative to the moment of the call.
    pub fn bybit(seed: u64) -> Sim {
        Sim::new(ExchangeId::Bybit, seed)
    }

    /// Creates a Bybit V5 simulator seeded from a drill scenario (see `scenario_seed.rs`).
    ///
    /// The account is the default incident's (master 1000001, bot sub 1000002 with the leaked
    /// key); markets, books, balances and the bot's orders come from `scenario`. Infallible: the
    /// scenario was checked when parsed, and whatever is still odd is skipped. The same scenario
    /// and `seed` give the same ids, books and history.
    pub fn from_scenario(scenario: &scenario::Scenario, seed: u64) -> Sim {
        Sim::from_scenario_on(ExchangeId::Bybit, scenario, seed)
    }
}
