//! The Binance key model of the default incident and of drill scenarios.
//!
//! The master account holds an IP-bound master key that trades, withdraws and transfers; the
//! bot's sub-account is a virtual sub-account whose email is the shape Binance gives them
//! (`gridbot_virtual@abcdefghnoemail.com`: the bot's note in letters and digits, then eight
//! seeded letters) and holds the leaked key: spot and futures trading, no IP restriction, no
//! withdrawal. Every account gets an email, the master too (`ops@lockdown.test`). Key ids and
//! secrets are 64 letters and digits, drawn from the seed like everything else. The default
//! incident's attacker also left USD-M conditional (algo) orders: one on `BTCUSDT`, next to
//! regular orders, and one on `ETHUSDT`, a USD-M market where nothing else is open, so that a
//! response must learn its symbols from the conditional orders too. Binance's other products
//! each get a market: COIN-M's `BTCUSD_PERP` (settled in BTC) and an options contract on BTC
//! (`BTC-261225-100000-C`, quoted in USDT); the leaked key may trade options too. The bot's
//! account also holds USDT in its funding wallet, which the spot account does not show, put
//! there by a deposit three days before the incident.

use crate::sim::binance::algo::{AlgoOrder, AlgoStatus, AlgoType};
use crate::sim::binance::caller::flags;
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::wallet::Deposit;
use crate::sim::instrument::Instrument;
use crate::sim::order::{Category, Origin, Side};
use crate::sim::seed::{BOT_UID, HOUR_MS, MASTER_UID, seed_bot_key, seed_master_key};
use crate::sim::state::Venue;

/// The master account's email.
pub(crate) const MASTER_EMAIL: &str = "ops@lockdown.test";

/// The email Binance gives a virtual sub-account made for a bot noted `note`, with `suffix`
/// (eight lowercase letters) as Binance's random part.
pub(crate) fn virtual_email(note: &str, suffix: &str) -> String {
    let mut name: String = note
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() {
        name.push_str("bot");
    }
    format!("{name}_virtual@{suffix}noemail.com")
}

/// Eight seeded lowercase letters, Binance's random part of a virtual sub-account's email.
fn email_suffix(v: &mut Venue) -> String {
    v.ids
        .alnum(8)
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_digit() { 'x' } else { c })
        .collect()
}

/// Registers the further bot's virtual sub-account `uid` under an email of its own, made from
/// its note (`vendor-leak-2` → `vendorleak2_virtual@…noemail.com`): Binance's sub-account
/// endpoints name it by that email.
pub(crate) fn seed_more_bot(v: &mut Venue, uid: u64) {
    let note = v.account(uid).map(|a| a.note.clone()).unwrap_or_default();
    let suffix = email_suffix(v);
    v.own
        .get_mut::<BinanceState>()
        .emails
        .insert(uid, virtual_email(&note, &suffix));
}

/// Creates the master's key and the bot's leaked key, and names every account by email.
pub(crate) fn seed_keys(v: &mut Venue, now: i64, bot_note: &str) {
    let suffix = email_suffix(v);
    v.own
        .get_mut::<BinanceState>()
        .emails
        .insert(MASTER_UID, MASTER_EMAIL.to_owned());
    v.own
        .get_mut::<BinanceState>()
        .emails
        .insert(BOT_UID, virtual_email(bot_note, &suffix));
    seed_master_key(
        v,
        now,
        flags(&[
            "canTrade",
            "canFuturesTrade",
            "enableWithdrawals",
            "enableInternalTransfer",
            "canUniversalTransfer",
        ]),
    );
    let bot = seed_bot_key(
        v,
        now,
        bot_note,
        flags(&["canTrade", "canFuturesTrade", "canVanillaOptions"]),
    );
    // Binance keys do not expire by themselves.
    v.keys[bot].expires_ms = None;
}

/// The USD-M market of the default incident where only a conditional order rests.
pub(crate) fn conditional_market() -> Instrument {
    Instrument::new(Category::Linear, "ETH", "USDT", 3_200.0)
}

/// A COIN-M perpetual: Binance names it `<pair>_PERP` and settles it in its base coin.
pub(crate) fn coin_margined(base: &str, ref_price: f64) -> Instrument {
    Instrument {
        category: Category::Inverse,
        symbol: format!("{base}USD_PERP"),
        base_coin: base.to_owned(),
        settle_coin: base.to_owned(),
        ref_price,
    }
}

/// An options contract on `base`, quoted in USDT, named as Binance names them
/// (`BTC-200730-9000-C`: underlying, expiry `YYMMDD`, strike, `C` or `P`).
pub(crate) fn option(base: &str, expiry: &str, strike: u64, premium: f64) -> Instrument {
    Instrument {
        category: Category::Option,
        symbol: format!("{base}-{expiry}-{strike}-C"),
        base_coin: base.to_owned(),
        settle_coin: "USDT".to_owned(),
        ref_price: premium,
    }
}

/// The default incident's markets of Binance's own: the USD-M market of the conditional orders,
/// a COIN-M perpetual and an options contract.
pub(crate) fn incident_markets() -> Vec<Instrument> {
    vec![
        conditional_market(),
        coin_margined("BTC", 65_000.0),
        option("BTC", "261225", 100_000, 1_500.0),
    ]
}

/// Names a scenario's inverse markets as Binance names COIN-M perpetuals (`BTCUSD` becomes
/// `BTCUSD_PERP`), with their books and any order on them.
pub(crate) fn name_perpetuals(v: &mut Venue) {
    let renames: Vec<(String, String)> = v
        .instruments
        .iter()
        .filter(|i| i.category == Category::Inverse && !i.symbol.contains('_'))
        .map(|i| (i.symbol.clone(), format!("{}_PERP", i.symbol)))
        .collect();
    for (old, new) in renames {
        for inst in v
            .instruments
            .iter_mut()
            .filter(|i| i.category == Category::Inverse && i.symbol == old)
        {
            inst.symbol.clone_from(&new);
        }
        if let Some(book) = v.books.remove(&(Category::Inverse, old.clone())) {
            v.books.insert((Category::Inverse, new.clone()), book);
        }
        for order in v
            .orders
            .iter_mut()
            .filter(|o| o.category == Category::Inverse && o.symbol == old)
        {
            order.symbol.clone_from(&new);
        }
    }
}

/// The bot's funding wallet in the default incident, and the deposit that filled it three days
/// before (on Tron, to the funding wallet). Its id and transaction id come from its time, not
/// from the seeded ids, so that seeding it changes nothing else.
pub(crate) fn seed_funding(v: &mut Venue, now: i64) {
    let at_ms = now - 3 * 24 * HOUR_MS;
    let state = v.own.get_mut::<BinanceState>();
    state
        .funding
        .entry(BOT_UID)
        .or_default()
        .insert("USDT".to_owned(), 150.0);
    state.deposits.push(Deposit {
        uid: BOT_UID,
        id: (u64::try_from(at_ms).unwrap_or(0) * 1000 + 376).to_string(),
        coin: "USDT".to_owned(),
        amount: 150.0,
        network: "TRX".to_owned(),
        address: "TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCe".to_owned(),
        tx_id: format!("{at_ms:064x}"),
        at_ms,
        wallet_type: 1,
    });
}

/// The attacker's conditional orders of the default incident, waiting for their triggers: a
/// stop that sells 5 ETH if `ETHUSDT` falls to 2900, and one that buys back the short on
/// `BTCUSDT` above 70000.
pub(crate) fn seed_conditional_orders(v: &mut Venue, now: i64) {
    let seeded = [
        ("ETHUSDT", Side::Sell, "5", "2900", 18 * HOUR_MS),
        ("BTCUSDT", Side::Buy, "0.3", "70000", 17 * HOUR_MS),
    ];
    for (symbol, side, quantity, trigger, ago_ms) in seeded {
        if v.instrument(Category::Linear, symbol).is_none() {
            continue;
        }
        let created = now - ago_ms;
        let order = AlgoOrder {
            algo_id: v.own.get_mut::<BinanceState>().order_id(),
            client_algo_id: format!("x-{}", v.ids.alnum(8).to_ascii_lowercase()),
            uid: BOT_UID,
            symbol: symbol.to_owned(),
            side,
            kind: AlgoType::StopMarket,
            quantity: quantity.to_owned(),
            price: None,
            trigger_price: Some(trigger.to_owned()),
            callback_rate: None,
            reduce_only: false,
            close_position: false,
            status: AlgoStatus::New,
            created_ms: created,
            updated_ms: created,
            origin: Origin::Attacker,
        };
        v.own.get_mut::<BinanceState>().algo_orders.push(order);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_look_like_binance_virtual_sub_accounts() {
        assert_eq!(
            virtual_email("grid-bot", "abcdefgh"),
            "gridbot_virtual@abcdefghnoemail.com"
        );
        assert_eq!(virtual_email("", "x"), "bot_virtual@xnoemail.com");
    }
}
