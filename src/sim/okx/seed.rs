//! The OKX key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key with `read_only,trade,withdraw` (key
//! management needs an IP-bound master, docs/venues/okx.md §4); the bot's sub-account is named to
//! OKX's rules (6 to 20 letters and digits: the bot's note without other characters, plus `01`,
//! such as `gridbot01`) and holds the leaked `read_only,trade` key, bound to no address. Every key
//! has a passphrase that meets OKX's rules, drawn from the seed like its id and secret.
//!
//! The default incident's attacker also left two algo orders on the leaked key's account, which
//! `orders-pending` does not list: a spot trigger order and a stop-loss on the swap. In drill
//! scenarios the bot keeps a stop-loss of its own (origin Owner, in the known-orders ledger),
//! so a drill cancels an algo order and its diff must not call it unauthorized.

use crate::sim::key::Permissions;
use crate::sim::okx::OkxState;
use crate::sim::okx::algo::{AlgoKind, AlgoOrder};
use crate::sim::okx::caller::PERM;
use crate::sim::order::{Category, Origin, Side};
use crate::sim::seed::{BOT_UID, HOUR_MS, seed_bot_key, seed_master_key};
use crate::sim::state::Venue;
use secrecy::SecretString;

/// The sub-account name OKX would accept for a bot noted `note`.
pub(crate) fn sub_account_name(note: &str) -> String {
    numbered_sub_account_name(note, 1)
}

/// The name OKX would accept for the `n`-th bot's sub-account (a many-key scenario's further
/// bots are 2, 3, …): the note's letters and digits, lowercased, then `n` in two digits or
/// more, 6 to 20 characters in all (`vendorleak01`, `vendorleak02`).
pub(crate) fn numbered_sub_account_name(note: &str, n: u64) -> String {
    let number = format!("{n:02}");
    let mut name: String = note
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20usize.saturating_sub(number.len()))
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() {
        name.push_str("bot");
    }
    name.push_str(&number);
    while name.len() < 6 {
        name.insert(0, 'x');
    }
    name
}

/// Names the further bot `n`'s sub-account `uid` to OKX's rules and gives its leaked key
/// `keys[key]` a passphrase of its own (every OKX key has its own, set when it is made).
pub(crate) fn seed_more_bot(v: &mut Venue, uid: u64, key: usize, n: u64) {
    let note = v.keys[key].note.clone();
    // The key's note is `<scenario>-<n>`; the name keeps the scenario's part and numbers it.
    let base = note
        .strip_suffix(&format!("-{n}"))
        .unwrap_or(&note)
        .to_owned();
    if let Some(account) = v.accounts.iter_mut().find(|a| a.uid == uid) {
        account.note = numbered_sub_account_name(&base, n);
    }
    let phrase = seeded_passphrase(v);
    v.keys[key].passphrase = Some(phrase);
}

/// The attacker's algo orders of the default incident, waiting for their triggers: a trigger
/// order that sells 0.2 BTC at market once `BTC-USDT` falls to 60000, and a one-way stop that
/// sells 1 `BTC-USDT-SWAP` contract below 58000.
pub(crate) fn seed_algo_orders(v: &mut Venue, now: i64) {
    let seeded = [
        (
            Category::Spot,
            AlgoKind::Trigger,
            "0.2",
            "60000",
            16 * HOUR_MS,
        ),
        (
            Category::Linear,
            AlgoKind::Conditional,
            "1",
            "58000",
            15 * HOUR_MS,
        ),
    ];
    for (category, kind, sz, trigger, ago_ms) in seeded {
        if v.instrument(category, "BTCUSDT").is_none() {
            continue;
        }
        let created = now - ago_ms;
        let trigger_order = kind == AlgoKind::Trigger;
        let order = AlgoOrder {
            algo_id: v.ids.numeric_id(),
            algo_cl_ord_id: String::new(),
            uid: BOT_UID,
            category,
            symbol: "BTCUSDT".to_owned(),
            td_mode: if category == Category::Spot {
                "cash"
            } else {
                "cross"
            }
            .to_owned(),
            side: Side::Sell,
            kind,
            sz: sz.to_owned(),
            trigger_px: trigger_order.then(|| trigger.to_owned()),
            order_px: trigger_order.then(|| "-1".to_owned()),
            tp_trigger_px: None,
            sl_trigger_px: (!trigger_order).then(|| trigger.to_owned()),
            callback: None,
            live: true,
            created_ms: created,
            updated_ms: created,
            origin: Origin::Attacker,
        };
        v.own.get_mut::<OkxState>().algo_orders.push(order);
    }
}

/// The bot's funding account: 250 USDT kept apart from trading (the default incident and drill
/// scenarios alike), so a read of the balances that skips the funding account misses them.
pub(crate) fn seed_funding(v: &mut Venue) {
    v.own
        .get_mut::<OkxState>()
        .funding
        .entry(BOT_UID)
        .or_default()
        .insert("USDT".to_owned(), 250.0);
}

/// The bot's own stop-loss in a drill scenario: a one-way `conditional` order that sells about
/// 100 (quote coin) worth of the first market's base coin at 80% of its reference price, its
/// `algoClOrdId` the scenario's client prefix (letters and digits only) and `sl`.
pub(crate) fn seed_bot_stop(v: &mut Venue, now: i64, prefix: &str) {
    let Some(inst) = v.instruments.first().cloned() else {
        return;
    };
    if inst.ref_price <= 0.0 {
        return;
    }
    let sz = match inst.category {
        Category::Spot => crate::sim::num::fmt(100.0 / inst.ref_price),
        _ => "1".to_owned(),
    };
    let mut cl_id: String = prefix.chars().filter(char::is_ascii_alphanumeric).collect();
    cl_id.push_str("sl");
    cl_id.push_str(&v.ids.alnum(6));
    cl_id.truncate(32);
    let created = now - 20 * HOUR_MS;
    let order = AlgoOrder {
        algo_id: v.ids.numeric_id(),
        algo_cl_ord_id: cl_id,
        uid: BOT_UID,
        category: inst.category,
        symbol: inst.symbol.clone(),
        td_mode: if inst.category == Category::Spot {
            "cash"
        } else {
            "cross"
        }
        .to_owned(),
        side: Side::Sell,
        kind: AlgoKind::Conditional,
        sz,
        trigger_px: None,
        order_px: None,
        tp_trigger_px: None,
        sl_trigger_px: Some(crate::sim::num::fmt(inst.ref_price * 0.8)),
        callback: None,
        live: true,
        created_ms: created,
        updated_ms: created,
        origin: Origin::Owner,
    };
    v.own.get_mut::<OkxState>().algo_orders.push(order);
}

/// Creates the master's key and the bot's leaked key, and names the bot's sub-account.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    if let Some(bot) = v.accounts.iter_mut().find(|a| a.uid == BOT_UID) {
        bot.note = sub_account_name(bot_note);
    }
    let master = seed_master_key(
        v,
        now,
        Permissions::of(&[(PERM, &["read_only", "trade", "withdraw"])]),
    );
    let phrase = seeded_passphrase(v);
    v.keys[master].passphrase = Some(phrase);
    let bot = seed_bot_key(
        v,
        now,
        bot_note,
        Permissions::of(&[(PERM, &["read_only", "trade"])]),
    );
    let phrase = seeded_passphrase(v);
    let key = &mut v.keys[bot];
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
