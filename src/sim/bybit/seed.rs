//! The Bybit key model and markets of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key with Wallet rights; the bot's sub-account the
//! leaked, unbound, read-write bot key, which expires 90 days after it was made, as unbound
//! Bybit keys do (docs/venues/bybit.md §4).

use crate::sim::instrument::Instrument;
use crate::sim::key::{Permissions, UNBOUND_LIFETIME_MS};
use crate::sim::order::Category;
use crate::sim::seed::{seed_bot_key, seed_master_key};
use crate::sim::state::Venue;

/// Bybit: the master's IP-bound Wallet key and the bot's leaked key (docs/venues/bybit.md §4).
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    seed_master_key(
        v,
        now,
        Permissions::of(&[
            (
                "Wallet",
                &["AccountTransfer", "SubMemberTransfer", "Withdraw"],
            ),
            ("Spot", &["SpotTrade"]),
            ("ContractTrade", &["Order", "Position"]),
        ]),
    );
    let bot = seed_bot_key(
        v,
        now,
        bot_note,
        Permissions::of(&[
            ("Spot", &["SpotTrade"]),
            ("ContractTrade", &["Order", "Position"]),
        ]),
    );
    // Unbound keys live 90 days (docs/venues/bybit.md §4); this one was made 60 days ago.
    let key = &mut v.keys[bot];
    key.expires_ms = Some(key.created_ms + UNBOUND_LIFETIME_MS);
    super::fund::seed(v);
}

/// Bybit's own markets in the default incident: inverse perpetuals settled in their base coin
/// (BTCUSD in BTC, ETHUSD in ETH: docs `market/instrument`, inverse contracts) and USDT-settled
/// options on BTC, ETH and SOL (the docs' example `BTC-27MAR26-70000-P-USDT`), so that every
/// segment the adapter discovers or walks has a market.
pub(crate) fn incident_markets() -> Vec<Instrument> {
    let mut out = vec![
        Instrument::inverse("BTC", "USD", 65_000.0),
        Instrument::inverse("ETH", "USD", 3_200.0),
    ];
    for (base, strike, premium) in [
        ("BTC", "70000", 1_500.0),
        ("ETH", "3500", 90.0),
        ("SOL", "150", 8.0),
    ] {
        out.push(Instrument {
            category: Category::Option,
            symbol: format!("{base}-26DEC26-{strike}-C-USDT"),
            base_coin: base.to_owned(),
            settle_coin: "USDT".to_owned(),
            ref_price: premium,
        });
    }
    out
}
