//! The Bitget key model of the default incident and of drill scenarios.
//!
//! The main account holds a master key bound to the responder's address (127.0.0.1: Bitget's
//! sub-account key endpoints want main-account keys bound to IP addresses) with every right;
//! the bot's virtual sub-account (named by its UID) holds the leaked key with `read`,
//! `spot_trade` and `contract_trade`, bound to no address and unable to withdraw. Every key has
//! a passphrase of letters and digits, drawn from the seed like its id and secret.

use secrecy::SecretString;

use crate::sim::bitget::PERMS;
use crate::sim::bitget::account::RIGHTS;
use crate::sim::key::Permissions;
use crate::sim::seed::{seed_bot_key, seed_master_key};
use crate::sim::state::Venue;

/// Creates the master's key and the bot's leaked key.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    let master = seed_master_key(v, now, Permissions::of(&[(PERMS, &RIGHTS)]));
    let phrase = passphrase(v);
    v.keys[master].passphrase = Some(phrase);
    let bot = seed_bot_key(
        v,
        now,
        bot_note,
        Permissions::of(&[(PERMS, &["read", "spot_trade", "contract_trade"])]),
    );
    let phrase = passphrase(v);
    let key = &mut v.keys[bot];
    key.expires_ms = None;
    key.passphrase = Some(phrase);
}

/// Gives the further bot's leaked key `keys[key]` a passphrase of its own (every Bitget key
/// has its own, set when it is made); its sub-account is named by UID, as the first bot's.
pub(crate) fn seed_more_bot(v: &mut Venue, key: usize) {
    let phrase = passphrase(v);
    v.keys[key].passphrase = Some(phrase);
}

/// A seeded passphrase: letters and digits, as Bitget asks.
fn passphrase(v: &mut Venue) -> SecretString {
    SecretString::from(format!("bg{}7", v.ids.alnum(14)))
}
