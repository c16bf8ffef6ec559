//! The Kraken key model of the default incident and of drill scenarios.
//!
//! Kraken keys have no hierarchy and no management API: both keys sit on the bot's account.
//! The leaked bot key queries funds and orders, creates and cancels orders, may open the private
//! WebSocket (`create-ws-token`, "WebSocket interface": a trading bot follows its orders there,
//! and so does `lockdown watch` with the same key), and cannot withdraw; it is bound to no
//! address. The owner's own key (the profile's `master`) queries
//! funds, orders and the ledger and can cancel orders, nothing else, and is bound to the
//! responder's address (127.0.0.1): what a Kraken owner should keep ready for an incident. The
//! permission strings are those of docs/venues/kraken.md §4. Kraken keys never expire unless set
//! to.

use crate::sim::key::{Access, DAY_MS, IpWhitelist, Permissions, Tier};
use crate::sim::kraken::caller::PERMS;
use crate::sim::seed::BOT_UID;
use crate::sim::state::{NewKey, Venue};

/// The bot key's rights.
const BOT: &[&str] = &[
    "query-funds",
    "query-open-trades",
    "query-closed-trades",
    "modify-trades",
    "close-trades",
    "create-ws-token",
];

/// The owner's key's rights.
const OWNER: &[&str] = &[
    "query-funds",
    "query-open-trades",
    "query-closed-trades",
    "query-ledger",
    "close-trades",
    "export-data",
];

/// Creates the owner's key and the bot's leaked key, both on the bot's account.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    for (tier, note, perms, ips, leaked, age_days) in [
        (
            Tier::Master,
            "lockdown-owner",
            OWNER,
            IpWhitelist::Only(vec![std::net::Ipv4Addr::LOCALHOST.into()]),
            false,
            200,
        ),
        (Tier::Sub, bot_note, BOT, IpWhitelist::Any, true, 60),
    ] {
        let idx = v.create_key(
            NewKey {
                uid: BOT_UID,
                tier,
                note: note.to_owned(),
                permissions: Permissions::of(&[(PERMS, perms)]),
                access: Access::ReadWrite,
                ips,
            },
            leaked,
        );
        let key = &mut v.keys[idx];
        key.created_ms = now - age_days * DAY_MS;
        key.expires_ms = None;
    }
}
