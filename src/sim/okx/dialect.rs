//! What OKX V5 brings to the simulator's core (`sim/dialect.rs`): 18-digit order and trade ids,
//! UUID keys with 32-hex-digit secrets, short alphanumeric `clOrdId`s, `instId` names,
//! sub-accounts named by name, passphrases in the profile, and its algo orders (seeded, known
//! to the bot's ledger, shown by `Inspect`).

use crate::sim::dialect::SimDialect;
use crate::sim::inspect::OrderView;
use crate::sim::instrument::Instrument;
use crate::sim::order::{Category, Origin, Side};
use crate::sim::session::{KnownOrder, Passphrases, ProfileShape, iso_ms};
use crate::sim::state::Venue;

use super::{OkxDialect, algo_orders, inst, seed};

/// The OKX V5 dialect.
pub(crate) static DIALECT: OkxDialect = OkxDialect;

/// Longest `clOrdId` OKX accepts: letters and digits only.
const MAX_CL_ORD_ID: usize = 32;

impl SimDialect for OkxDialect {
    fn new_order_id(&self, v: &mut Venue, _inst: &Instrument) -> String {
        v.ids.numeric_id()
    }

    fn new_trade_id(&self, v: &mut Venue, _inst: &Instrument, _seq: i64) -> String {
        v.ids.numeric_id()
    }

    /// OKX key ids are UUIDs and secrets 32 uppercase hex digits (the docs' examples).
    fn new_credentials(&self, v: &mut Venue) -> (String, String) {
        (v.ids.uuid(), v.ids.hex(16).to_ascii_uppercase())
    }

    fn client_order_id(&self, raw: String) -> String {
        raw.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(MAX_CL_ORD_ID)
            .collect()
    }

    fn seed_keys(&self, v: &mut Venue, now: i64, bot_note: &str) {
        seed::seed_keys(v, now, bot_note);
    }

    /// A sub-account name to OKX's rules and a passphrase of the key's own.
    fn seed_more_bot(&self, v: &mut Venue, uid: u64, key: usize, n: u64) {
        seed::seed_more_bot(v, uid, key, n);
    }

    fn seed_incident_extras(&self, v: &mut Venue, now: i64) {
        seed::seed_algo_orders(v, now);
        seed::seed_funding(v);
    }

    fn seed_scenario_extras(&self, v: &mut Venue, now: i64, link_prefix: &str) {
        seed::seed_bot_stop(v, now, link_prefix);
        seed::seed_funding(v);
    }

    fn wire_symbol(&self, v: &Venue, category: Category, symbol: &str) -> String {
        inst::inst_id(v, category, symbol)
    }

    /// The algo orders the bot placed are its orders too.
    fn known_extra_orders(&self, v: &Venue, bot_uid: u64) -> Vec<KnownOrder> {
        algo_orders(&v.own)
            .iter()
            .filter(|o| o.origin == Origin::Owner && o.uid == bot_uid)
            .map(|o| KnownOrder {
                order_id: o.algo_id.clone(),
                client_order_id: o.algo_cl_ord_id.clone(),
                category: o.category.as_str(),
                symbol: inst::inst_id(v, o.category, &o.symbol),
                side: match o.side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                },
                qty: o.sz.clone(),
                price: o.order_px.clone().filter(|p| p != "-1"),
                created_at: iso_ms(o.created_ms),
                status: None,
            })
            .collect()
    }

    /// OKX names a sub-account by its name (the account's note).
    fn bot_account(&self, v: &Venue, uid: u64) -> String {
        v.account(uid).map(|a| a.note.clone()).unwrap_or_default()
    }

    fn profile_shape(&self) -> ProfileShape {
        ProfileShape {
            passphrases: Passphrases::Files,
            ..ProfileShape::default()
        }
    }

    fn extra_order_views(&self, v: &Venue) -> Vec<OrderView> {
        algo_orders(&v.own).iter().map(|o| o.view()).collect()
    }

    /// The private and business WebSockets (`stream.rs`).
    fn stream(&self) -> Option<&'static dyn crate::sim::stream::SimStream> {
        Some(&DIALECT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::ExchangeId;
    use crate::sim::scenario::Scenario;
    use crate::sim::scenario_seed::scenario_venue;
    use crate::sim::session::SessionFiles;

    #[test]
    fn an_okx_bot_s_algo_orders_are_in_its_known_orders() {
        let scenario = Scenario::load("quiet").unwrap();
        let v = scenario_venue(ExchangeId::Okx, &scenario, 9);
        let stops: Vec<_> = algo_orders(&v.own)
            .iter()
            .filter(|o| o.origin == Origin::Owner && o.live)
            .collect();
        assert_eq!(stops.len(), 1, "the bot keeps one stop-loss");
        let files = SessionFiles::from_venue(&v);
        let known = files
            .known_orders
            .iter()
            .find(|k| k.order_id == stops[0].algo_id)
            .expect("in the ledger");
        assert_eq!(known.client_order_id, stops[0].algo_cl_ord_id);
        assert!(
            known.symbol.contains('-'),
            "an OKX instId: {}",
            known.symbol
        );
        assert_eq!(files.known_orders.len(), v.orders.len() + 1);
        // Other venues have no algo orders of OKX's.
        let bybit = scenario_venue(ExchangeId::Bybit, &scenario, 9);
        assert!(algo_orders(&bybit.own).is_empty());
    }
}
