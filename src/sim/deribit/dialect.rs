//! What Deribit brings to the simulator's core (`sim/dialect.rs`): `CURRENCY-number` order ids
//! and `CURRENCY-sequence` trade ids, its instrument names, token authentication and the one
//! two-factor code in the session, a spot pair in a currency outside the method pages' enum and
//! money moved in it, the trigger orders `Inspect` shows; and the `Sim` switches only Deribit has (two-factor
//! challenges, tokens).

use crate::sim::Sim;
use crate::sim::deribit::trigger::TriggerOrder;
use crate::sim::dialect::SimDialect;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::session::{ProfileAuth, ProfileShape};
use crate::sim::state::Venue;

use super::{DeribitDialect, DeribitState, names, seed, tfa};

/// The Deribit dialect.
pub(crate) static DIALECT: DeribitDialect = DeribitDialect;

impl SimDialect for DeribitDialect {
    fn new_order_id(&self, v: &mut Venue, inst: &Instrument) -> String {
        let state = v.own.get_mut::<DeribitState>();
        state.orders_numbered += 1;
        names::order_id(inst, names::FIRST_ORDER_NO + state.orders_numbered)
    }

    fn new_trade_id(&self, _v: &mut Venue, inst: &Instrument, seq: i64) -> String {
        names::trade_id(inst, seq)
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// Money moved in USDE, a currency only `public/get_currencies` names (`seed.rs`).
    fn seed_incident_extras(&self, v: &mut Venue, now: i64) {
        seed::seed_listed_only_money(v, now);
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        names::wire_symbol(v, category, symbol)
    }

    /// A spot pair quoted in a currency outside the method pages' enum (`BTC_USDE`, listed
    /// under `USDE`), which only `public/get_currencies` names; an inverse BTC option (priced and
    /// settled in BTC, listed under BTC); and a BTC future spread, a combo.
    fn incident_markets(&self) -> Vec<Instrument> {
        vec![
            Instrument::new(Category::Spot, "BTC", "USDE", 65_000.0),
            Instrument {
                category: Category::Option,
                symbol: "BTC-27DEC26-100000-C".to_owned(),
                base_coin: "BTC".to_owned(),
                settle_coin: "BTC".to_owned(),
                ref_price: 0.05,
            },
            // A future spread (`future_combo`): the docs' combo names (`BTC-FS-29APR22_PERP`).
            Instrument {
                category: Category::Inverse,
                symbol: "BTC-FS-27DEC26_PERP".to_owned(),
                base_coin: "BTC".to_owned(),
                settle_coin: "BTC".to_owned(),
                ref_price: 50.0,
            },
        ]
    }

    fn extra_order_views(&self, v: &Venue) -> Vec<OrderView> {
        v.own
            .get::<DeribitState>()
            .map(|s| s.trigger_orders.iter().map(TriggerOrder::view).collect())
            .unwrap_or_default()
    }

    /// Token authentication, the bot key on its sub-account (reached through
    /// `public/exchange_token`).
    fn profile_shape(&self) -> ProfileShape {
        ProfileShape {
            auth: ProfileAuth::Token,
            ..ProfileShape::default()
        }
    }

    /// JSON-RPC over WebSocket at `/ws/api/v2`: login, `user.orders.*` pushes, heartbeats
    /// (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&super::stream::STREAM)
    }

    /// The one two-factor code the simulated Deribit accepts (`Sim::set_tfa_required`).
    fn session_extras(&self) -> Vec<(&'static str, String)> {
        vec![("otp", format!("{}\n", tfa::SIMULATED_OTP))]
    }
}

impl Sim {
    /// Makes Deribit's "TFA required" methods (key management) answer with a two-factor
    /// challenge when `on`, as on an account with security keys (docs/venues/deribit.md §4). The
    /// one code the simulator accepts is in the session's `otp` file. Other dialects ignore it.
    pub fn set_tfa_required(&self, on: bool) {
        self.lock().own.get_mut::<DeribitState>().tfa_required = on;
    }

    /// Ends every Deribit token at once, as if each had expired early: the next private call
    /// with one is refused with 13009 `invalid_token`. Other dialects have no tokens.
    pub fn expire_tokens(&self) {
        self.lock()
            .own
            .get_mut::<DeribitState>()
            .tokens
            .expire_all();
    }
}
