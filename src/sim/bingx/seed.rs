//! The BingX key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound (127.0.0.1) key with every code and the right to
//! manage sub-accounts; the bot's sub-account holds the leaked, unbound key with spot trading,
//! read and perpetual trading (`1`, `2`, `3`), no withdrawal. BingX keys do not expire
//! (docs/venues/bingx.md §4).

use crate::sim::bingx::{MANAGE_SUBS, PERMS};
use crate::sim::instrument::Instrument;
use crate::sim::key::Permissions;
use crate::sim::seed::{seed_bot_key, seed_master_key};
use crate::sim::state::Venue;

/// Creates the master's key and the bot's leaked key.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    let master = seed_master_key(
        v,
        now,
        Permissions::of(&[(PERMS, &["1", "2", "3", "4", "5", "7", MANAGE_SUBS])]),
    );
    v.keys[master].expires_ms = None;
    let bot = seed_bot_key(
        v,
        now,
        bot_note,
        Permissions::of(&[(PERMS, &["1", "2", "3"])]),
    );
    v.keys[bot].expires_ms = None;
}

/// BingX's own market in the default incident: a coin-M perpetual (`BTC-USD`, settled in BTC),
/// so that every product the adapter lists has a market.
pub(crate) fn incident_markets() -> Vec<Instrument> {
    vec![Instrument::inverse("BTC", "USD", 65_000.0)]
}
