//! The OKX key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key with `read_only,trade,withdraw` (key
//! management needs an IP-bound master, reference §4.4); the bot's sub-account is named to OKX's
//! rules (6 to 20 letters and digits: the bot's note without other characters, plus `01`, such
//! as `gridbot01`) and holds the leaked `read_only,trade` key, bound to no address. Every key has
//! a passphrase that meets OKX's rules, drawn from the seed like its id and secret.

use crate::sim::key::{Access, DAY_MS, IpWhitelist, Permissions, Tier};
use crate::sim::okx::caller::PERM;
use crate::sim::seed::{BOT_UID, MASTER_UID};
use crate::sim::state::{NewKey, Venue};
use secrecy::SecretString;

/// The sub-account name OKX would accept for a bot noted `note`.
pub(crate) fn sub_account_name(note: &str) -> String {
    let mut name: String = note
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(18)
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() {
        name.push_str("bot");
    }
    name.push_str("01");
    while name.len() < 6 {
        name.insert(0, 'x');
    }
    name
}

/// Creates the master's key and the bot's leaked key, and names the bot's sub-account.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    if let Some(bot) = v.accounts.iter_mut().find(|a| a.uid == BOT_UID) {
        bot.note = sub_account_name(bot_note);
    }
    let master = v.create_key(
        NewKey {
            uid: MASTER_UID,
            tier: Tier::Master,
            note: "master-ops".to_owned(),
            permissions: Permissions::of(&[(PERM, &["read_only", "trade", "withdraw"])]),
            access: Access::ReadWrite,
            ips: IpWhitelist::Only(vec![std::net::Ipv4Addr::LOCALHOST.into()]),
        },
        false,
    );
    let phrase = seeded_passphrase(v);
    let key = &mut v.keys[master];
    key.created_ms = now - 200 * DAY_MS;
    key.passphrase = Some(phrase);
    let bot = v.create_key(
        NewKey {
            uid: BOT_UID,
            tier: Tier::Sub,
            note: bot_note.to_owned(),
            permissions: Permissions::of(&[(PERM, &["read_only", "trade"])]),
            access: Access::ReadWrite,
            ips: IpWhitelist::Any,
        },
        true,
    );
    let phrase = seeded_passphrase(v);
    let key = &mut v.keys[bot];
    key.created_ms = now - 60 * DAY_MS;
    // OKX expires unbound keys after 14 idle days; this one trades daily (not modelled).
    key.expires_ms = None;
    key.passphrase = Some(phrase);
}

/// A seeded passphrase with every class OKX requires.
fn seeded_passphrase(v: &mut Venue) -> SecretString {
    SecretString::from(format!("Bot-{}7!", v.ids.alnum(12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_okx_rules() {
        for (note, want) in [
            ("grid-bot", "gridbot01"),
            ("pump-illiquid", "pumpilliquid01"),
            ("quiet", "quiet01"),
            ("", "xbot01"),
            ("a very long name for a bot indeed", "averylongnameforab01"),
        ] {
            let name = sub_account_name(note);
            assert!((6..=20).contains(&name.len()), "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
            assert_eq!(name, want);
        }
    }
}
