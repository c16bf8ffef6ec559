//! The Deribit shape of the seeded keys: the master's key and the bot's leaked key.
//!
//! The master account (1000001) holds an IP-bound key with `account:read_write`,
//! `trade:read_write` and `wallet:read_write`, enough to manage keys and reach its
//! sub-accounts; the bot's sub-account (1000002) holds the leaked, unbound key with
//! `account:read trade:read_write wallet:read`: it trades, it cannot withdraw. Keys get
//! Deribit's identities: an 8-character `client_id`, a 32-character secret, a small numeric
//! `id`. Key names keep letters, digits and `_` only, at most 16 (docs/venues/deribit.md §4).
//!
//! The default incident also moves money in USDE, a currency only `public/get_currencies` names
//! (the `BTC_USDE` pair's quote, not in the method pages' `currency` enum): the master withdrew
//! USDE four days ago and sent the bot USDE two days ago. A response that reads money movements
//! over the enum's five currencies alone misses both.

use std::net::Ipv4Addr;

use secrecy::SecretString;

use crate::sim::deribit::scope::Scope;
use crate::sim::deribit::state::DeribitState;
use crate::sim::key::{Access, DAY_MS, IpWhitelist, Tier};
use crate::sim::seed::{BOT_UID, MASTER_UID};
use crate::sim::state::{NewKey, Venue};

/// The master key's scope.
const MASTER_SCOPE: &str = "account:read_write trade:read_write wallet:read_write block_trade:read";

/// The bot key's scope.
const BOT_SCOPE: &str = "account:read trade:read_write wallet:read";

/// Creates the master's key and the bot's leaked key, with the default incident's ages.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    for (uid, tier, note, scope, ips, leaked, age_days) in [
        (
            MASTER_UID,
            Tier::Master,
            "master_ops".to_owned(),
            MASTER_SCOPE,
            IpWhitelist::Only(vec![Ipv4Addr::LOCALHOST.into()]),
            false,
            200,
        ),
        (
            BOT_UID,
            Tier::Sub,
            key_name(bot_note),
            BOT_SCOPE,
            IpWhitelist::Any,
            true,
            60,
        ),
    ] {
        let scope = Scope::parse(scope).unwrap_or_default();
        let idx = v.create_key(
            NewKey {
                uid,
                tier,
                note,
                permissions: scope.to_permissions(),
                access: Access::ReadWrite,
                ips,
            },
            leaked,
        );
        give_identity(v, idx);
        v.keys[idx].created_ms = now - age_days * DAY_MS;
    }
}

/// The default incident's USDE withdrawal (the master's, four days ago, completed) and transfer
/// (master to bot, two days ago).
pub(crate) fn seed_listed_only_money(v: &mut Venue, now: i64) {
    crate::sim::seed::seed_money_moves(v, now, "USDE", ("1500", 4), ("2500", 2));
}

/// Gives a new key Deribit's shapes of id, secret and numeric id; Deribit keys do not expire.
pub(crate) fn give_identity(v: &mut Venue, idx: usize) {
    v.own.get_mut::<DeribitState>().keys_numbered += 1;
    let number = v.own.get_mut::<DeribitState>().keys_numbered;
    let client_id = v.ids.alnum(8);
    let secret = v.ids.alnum(32);
    let key = &mut v.keys[idx];
    key.internal_id = number.to_string();
    key.api_key = client_id;
    key.secret = SecretString::from(secret);
    key.expires_ms = None;
}

/// A key name Deribit takes, made from any text.
pub(crate) fn key_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(16)
        .collect();
    if name.is_empty() {
        "bot".to_owned()
    } else {
        name
    }
}

/// Whether Deribit takes a key name.
pub(crate) fn is_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 16
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deribit_names() {
        assert_eq!(key_name("pump-illiquid"), "pump_illiquid");
        assert_eq!(key_name("a very long scenario name"), "a_very_long_scen");
        assert!(is_key_name("lockdown_abc123") && !is_key_name("lockdown-abc123"));
    }
}
