//! The Bybit key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key with Wallet rights; the bot's sub-account the
//! leaked, unbound, read-write bot key, which expires 90 days after it was made, as unbound
//! Bybit keys do (docs/venues.md §3.4).

use crate::sim::key::{Access, DAY_MS, IpWhitelist, Permissions, Tier, UNBOUND_LIFETIME_MS};
use crate::sim::seed::{BOT_UID, MASTER_UID};
use crate::sim::state::{NewKey, Venue};

/// Bybit: the master's IP-bound Wallet key and the bot's leaked key (docs/venues.md §3.4).
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    let master = v.create_key(
        NewKey {
            uid: MASTER_UID,
            tier: Tier::Master,
            note: "master-ops".to_owned(),
            permissions: Permissions::of(&[
                (
                    "Wallet",
                    &["AccountTransfer", "SubMemberTransfer", "Withdraw"],
                ),
                ("Spot", &["SpotTrade"]),
                ("ContractTrade", &["Order", "Position"]),
            ]),
            access: Access::ReadWrite,
            ips: IpWhitelist::Only(vec![std::net::Ipv4Addr::LOCALHOST.into()]),
        },
        false,
    );
    v.keys[master].created_ms = now - 200 * DAY_MS;
    let bot = v.create_key(
        NewKey {
            uid: BOT_UID,
            tier: Tier::Sub,
            note: bot_note.to_owned(),
            permissions: Permissions::of(&[
                ("Spot", &["SpotTrade"]),
                ("ContractTrade", &["Order", "Position"]),
            ]),
            access: Access::ReadWrite,
            ips: IpWhitelist::Any,
        },
        true,
    );
    // Unbound keys live 90 days (docs/venues.md §3.4); this one was made 60 days ago.
    let created = now - 60 * DAY_MS;
    v.keys[bot].created_ms = created;
    v.keys[bot].expires_ms = Some(created + UNBOUND_LIFETIME_MS);
}
