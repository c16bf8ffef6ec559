//! The Bybit key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key with Wallet rights; the bot's sub-account the
//! leaked, unbound, read-write bot key, which expires 90 days after it was made, as unbound
//! Bybit keys do (docs/venues/bybit.md §4).

use crate::sim::key::{Permissions, UNBOUND_LIFETIME_MS};
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
