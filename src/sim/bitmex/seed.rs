//! The BitMEX key model of the default incident and of drill scenarios.
//!
//! Both keys sit on the bot's account (BitMEX keys belong to one user, docs/venues/bitmex.md §4).
//! The leaked bot key has `order` (trade and cancel) and no `withdraw`, and is bound to no
//! address. The owner's own key (the profile's `master`) has `orderCancel` only, the permission
//! BitMEX meant for risk processes, and is bound to the responder's address (127.0.0.1): what a
//! BitMEX owner should keep ready for an incident. Keys never expire.

use crate::sim::bitmex::PERMS;
use crate::sim::key::{Access, DAY_MS, IpWhitelist, Permissions, Tier};
use crate::sim::seed::BOT_UID;
use crate::sim::state::{NewKey, Venue};

/// Creates the owner's key and the bot's leaked key, both on the bot's account.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    for (tier, note, perms, ips, leaked, age_days) in [
        (
            Tier::Master,
            "lockdown-owner",
            &["orderCancel"][..],
            IpWhitelist::Only(vec![std::net::Ipv4Addr::LOCALHOST.into()]),
            false,
            200,
        ),
        (
            Tier::Sub,
            bot_note,
            &["order"][..],
            IpWhitelist::Any,
            true,
            60,
        ),
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
