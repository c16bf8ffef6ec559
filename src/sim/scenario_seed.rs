//! A venue seeded from a drill scenario: its markets and books, the bot's balances and history.
//!
//! The account is the default incident's (`seed.rs`): master UID 1000001 with its IP-bound
//! Wallet key, bot sub UID 1000002 (noted with the scenario's name) holding the leaked, unbound,
//! read-write key, a historical master withdrawal and a master→sub transfer. From the scenario:
//! one instrument and book per market (`deep` or `thin`), the bot's and the master's balances,
//! and the bot's orders (origin Owner, link id = `client_prefix` + a seeded suffix), applied
//! oldest first: `open` rests, `filled` fills at once (a market order at the reference price, a
//! limit order at its own price a little later) and moves the balances, `cancelled` is cancelled
//! a little after placement; one with `in_ledger: false` is noted in [`LedgerGap`], so the
//! session leaves it out of the owner's ledger. Seeded history never touches the books. On OKX
//! the bot also keeps a stop-loss algo order (`okx/seed.rs`), known like its other orders. A
//! backdated attacker (`attacker.start_ago`) has its plan's buys seeded as filled that long ago,
//! origin Attacker, besides what it does live, so that a drill can show what the venue still
//! keeps of them.
//! It must never panic or fail: the scenario was checked when parsed, and anything odd left (an
//! unknown symbol, an unreadable number, a duplicate market) is skipped, never trusted.

use crate::exchanges::ExchangeId;
use crate::sim::book::Liquidity;
use crate::sim::instrument::Instrument;
use crate::sim::matching::Fill;
use crate::sim::num;
use crate::sim::order::{Category, OrderType, Origin, QtyUnit, Side};
use crate::sim::scenario::{
    BotOrder, BotOrderStatus, Depth, MarketKind, OrderKind, OrderSide, Scenario,
};
use crate::sim::seed::{self, BOT_UID, Ending, MASTER_UID, MIN_MS};
use crate::sim::session::LedgerGap;
use crate::sim::state::{Account, NewOrder, Venue};

/// Longest client order id Bybit accepts (docs `order/create-order.mdx`).
const MAX_LINK_ID: usize = 36;

/// Length of the seeded part of a bot order's link id.
const LINK_SUFFIX: usize = 10;

/// Builds the venue `scenario` describes, its ids and books drawn from `seed`.
pub(crate) fn scenario_venue(exchange: ExchangeId, scenario: &Scenario, seed: u64) -> Venue {
    let dialect = exchange.spec().simulator;
    let mut v = Venue::new(dialect, seed, MASTER_UID);
    let now = v.now_ms();
    let note = if scenario.name.trim().is_empty() {
        "bot".to_owned()
    } else {
        scenario.name.clone()
    };
    v.accounts.push(Account {
        uid: BOT_UID,
        parent: Some(MASTER_UID),
        note: note.clone(),
    });
    let mut depths = Vec::new();
    for market in &scenario.markets {
        let Some(price) = num::parse_lenient(&market.price) else {
            continue;
        };
        let category = category(market.category);
        if !dialect.trades(category) {
            continue;
        }
        let inst = match category {
            Category::Inverse => Instrument::inverse(&market.base, &market.quote, price),
            _ => Instrument::new(category, &market.base, &market.quote, price),
        };
        if v.instrument(category, &inst.symbol).is_some() {
            continue;
        }
        depths.push((category, inst.symbol.clone(), market.book));
        v.instruments.push(inst);
    }
    v.open_books(seed, |i| {
        let depth = depths
            .iter()
            .find(|(c, s, _)| *c == i.category && *s == i.symbol)
            .map_or(Depth::Deep, |(_, _, d)| *d);
        match depth {
            Depth::Deep => Liquidity::Deep,
            Depth::Thin => Liquidity::Thin,
        }
    });
    dialect.seed_keys(&mut v, now, &note);
    // The vendor leak: further bots, each with its own leaked key, on a sub-account of its own
    // (on Kraken and BitMEX on the one account: their keys have no hierarchy); each bot's
    // balances and orders are its own, also where bots share an account.
    let more = seed::seed_more_bots(&mut v, scenario.keys, &note);
    let bots: Vec<u64> = std::iter::once(BOT_UID).chain(more).collect();
    let mut holdings: Vec<(u64, &std::collections::BTreeMap<String, String>)> =
        bots.iter().map(|uid| (*uid, &scenario.balances)).collect();
    holdings.push((MASTER_UID, &scenario.master_balances));
    for (uid, coins) in holdings {
        for (coin, amount) in coins {
            if let Some(amount) = num::parse_lenient(amount) {
                v.balances.add(uid, coin, amount);
            }
        }
    }
    let prefix = link_prefix(&scenario.bot.client_prefix);
    let mut orders: Vec<&BotOrder> = scenario.bot.orders.iter().collect();
    // Oldest first, so fills move the balances in the order they happened.
    orders.sort_by_key(|o| std::cmp::Reverse(o.age));
    for uid in &bots {
        for order in &orders {
            seed_bot_order(&mut v, now, *uid, &prefix, order);
        }
    }
    // A backdated attacker's plan, done `start_ago` before the drill, on every leaked key.
    for uid in &bots {
        seed_backdated_attacker(&mut v, now, *uid, scenario);
    }
    // OKX's bot keeps a stop-loss algo order.
    dialect.seed_scenario_extras(&mut v, now, &prefix);
    seed::seed_funds(&mut v, now);
    v
}

fn category(kind: MarketKind) -> Category {
    match kind {
        MarketKind::Spot => Category::Spot,
        MarketKind::Linear => Category::Linear,
        MarketKind::Inverse => Category::Inverse,
    }
}

/// Keeps the characters Bybit allows in a link id, short enough to leave room for the suffix.
fn link_prefix(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(MAX_LINK_ID - LINK_SUFFIX)
        .collect()
}

/// Keeps a decimal as written when the wire can carry it, else writes it plainly.
fn plain(text: &str, value: f64) -> String {
    if num::parse_positive(text).is_some() {
        text.to_owned()
    } else {
        num::fmt(value)
    }
}

fn seed_bot_order(v: &mut Venue, now: i64, uid: u64, prefix: &str, o: &BotOrder) {
    let category = category(o.category);
    let Some(inst) = v.instrument(category, &o.symbol).cloned() else {
        return;
    };
    let Some(qty) = num::parse_lenient(&o.qty) else {
        return;
    };
    let (order_type, price) = match o.order_type {
        OrderKind::Market => (OrderType::Market, None),
        OrderKind::Limit => {
            let p = o.price.as_deref().and_then(num::parse_lenient);
            // A limit without a readable price is placed at the reference price.
            let p = p.unwrap_or(inst.ref_price);
            let text = o
                .price
                .as_deref()
                .map_or_else(|| num::fmt(p), |t| plain(t, p));
            (OrderType::Limit, Some((p, text)))
        }
    };
    let age_ms = i64::try_from(o.age.as_millis()).unwrap_or(i64::MAX / 4);
    let created = now.saturating_sub(age_ms);
    let link = format!("{prefix}{}", v.ids.alnum(LINK_SUFFIX).to_ascii_lowercase());
    let link = v.client_order_id(link);
    // "A little after": a quarter of its age, at most a quarter of an hour.
    let a_little = (age_ms / 4).min(15 * MIN_MS);
    let ending = match o.status {
        BotOrderStatus::Open => Ending::Open,
        BotOrderStatus::Cancelled => Ending::Cancelled {
            at_ms: created + a_little,
        },
        BotOrderStatus::Filled => {
            let (fill_price, at_ms, maker) = match price {
                Some((p, _)) => (p, created + a_little, true),
                None => (inst.ref_price, created, false),
            };
            let fill = Fill {
                price: fill_price,
                qty,
                is_maker: maker,
            };
            Ending::Filled { fill, at_ms }
        }
    };
    let new = NewOrder {
        uid,
        category,
        symbol: inst.symbol.clone(),
        side: match o.side {
            OrderSide::Buy => Side::Buy,
            OrderSide::Sell => Side::Sell,
        },
        order_type,
        price: price.map(|(_, text)| text),
        qty: plain(&o.qty, qty),
        // The bot counts every order in the base coin (`marketUnit=baseCoin` on market Buys).
        qty_unit: QtyUnit::Base,
        order_link_id: link,
        origin: Origin::Owner,
    };
    seed::record_order(v, &inst, new, created, ending);
    if !o.in_ledger
        && let Some(order) = v.orders.last()
    {
        let id = order.order_id.clone();
        v.own.get_mut::<LedgerGap>().order_ids.insert(id);
    }
}

/// The attacker's plan done long ago (`attacker.start_ago`), besides its live trading: its
/// `orders` buys of `quote_per_order` (100 by default) on its target, market orders filled at the
/// reference price, dated from `start_ago` on at its `rate`, origin Attacker and without a
/// client id. Only filled orders are seeded: an old order that never filled left nothing a
/// response could find, on any venue. Nothing when `start_ago` is zero or there is no target.
fn seed_backdated_attacker(v: &mut Venue, now: i64, uid: u64, scenario: &Scenario) {
    let attacker = &scenario.attacker;
    let ago_ms = i64::try_from(attacker.start_ago.as_millis()).unwrap_or(i64::MAX / 4);
    let Some(target) = attacker.target.as_deref() else {
        return;
    };
    if ago_ms == 0 {
        return;
    }
    let Some(market) = scenario.market(target) else {
        return;
    };
    let Some(inst) = v.instrument(category(market.category), target).cloned() else {
        return;
    };
    let quote = attacker
        .quote_per_order
        .as_deref()
        .and_then(num::parse_lenient)
        .unwrap_or(100.0);
    let qty = quote / inst.ref_price;
    let spacing_ms = (1000.0 / attacker.rate).clamp(1.0, 60_000.0) as i64;
    for i in 0..i64::from(attacker.orders) {
        let created = now - ago_ms + i * spacing_ms;
        let new = NewOrder {
            uid,
            category: inst.category,
            symbol: inst.symbol.clone(),
            side: Side::Buy,
            order_type: OrderType::Market,
            price: None,
            qty: num::fmt(qty),
            qty_unit: QtyUnit::Base,
            order_link_id: v.client_order_id(String::new()),
            origin: Origin::Attacker,
        };
        let fill = Fill {
            price: inst.ref_price,
            qty,
            is_maker: false,
        };
        seed::record_order(
            v,
            &inst,
            new,
            created,
            Ending::Filled {
                fill,
                at_ms: created,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_keeps_allowed_characters_and_leaves_room() {
        assert_eq!(link_prefix("grid-"), "grid-");
        assert_eq!(link_prefix("a b/c_d"), "abc_d");
        assert_eq!(
            link_prefix(&"x".repeat(50)).len(),
            MAX_LINK_ID - LINK_SUFFIX
        );
    }

    #[test]
    fn vendor_leak_seeds_a_sub_account_and_a_leaked_key_per_bot() {
        let scenario = Scenario::load("vendor-leak").unwrap();
        let v = scenario_venue(ExchangeId::Bybit, &scenario, 3);
        let leaked: Vec<_> = v.keys.iter().filter(|k| k.leaked).collect();
        assert_eq!(leaked.len(), 20);
        let uids: std::collections::BTreeSet<u64> = leaked.iter().map(|k| k.uid).collect();
        assert_eq!(uids.len(), 20, "one sub-account per key");
        for uid in uids {
            let account = v.account(uid).unwrap();
            assert_eq!(account.parent, Some(MASTER_UID), "{uid}");
            let orders = v.orders.iter().filter(|o| o.uid == uid).count();
            assert_eq!(orders, scenario.bot.orders.len(), "{uid}");
            assert!(v.balances.get(uid, "USDT") > 0.0, "{uid}");
        }
        let keys: std::collections::BTreeSet<&str> =
            leaked.iter().map(|k| k.api_key.as_str()).collect();
        assert_eq!(keys.len(), 20, "every key its own id");
    }

    /// The leaked keys of `v` with the UIDs of their accounts and the names the profile gives
    /// them, and whether every key's passphrase is its own.
    fn bots(v: &Venue) -> (Vec<u64>, Vec<String>, bool) {
        let leaked: Vec<_> = v.keys.iter().filter(|k| k.leaked).collect();
        let uids = leaked.iter().map(|k| k.uid).collect();
        let names = leaked
            .iter()
            .map(|k| v.dialect.bot_account(v, k.uid))
            .collect();
        // Allowed: a test compares seeded passphrases.
        #[allow(clippy::disallowed_methods)]
        let phrases: std::collections::BTreeSet<String> = leaked
            .iter()
            .filter_map(|k| k.passphrase.as_ref())
            .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
            .collect();
        (uids, names, phrases.len() == leaked.len())
    }

    fn distinct<T: Ord>(items: &[T]) -> usize {
        items
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    }

    #[test]
    fn vendor_leak_bots_are_seeded_as_each_venue_has_them() {
        let scenario = Scenario::load("vendor-leak").unwrap();
        // OKX: a sub-account per bot named to OKX's rules, a passphrase per key.
        let v = scenario_venue(ExchangeId::Okx, &scenario, 3);
        let (uids, names, own_phrases) = bots(&v);
        assert_eq!((uids.len(), distinct(&uids)), (20, 20));
        assert_eq!(distinct(&names), 20, "{names:?}");
        for name in &names {
            assert!((6..=20).contains(&name.len()), "{name}");
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
        }
        assert_eq!(names[0], "vendorleak01");
        assert_eq!(names[19], "vendorleak20");
        assert!(own_phrases, "every OKX key has a passphrase of its own");
        // Binance: every sub-account registered under a virtual email of its own.
        let v = scenario_venue(ExchangeId::Binance, &scenario, 3);
        let (_, emails, _) = bots(&v);
        assert_eq!(distinct(&emails), 20, "{emails:?}");
        assert!(emails.iter().all(|e| e.contains("_virtual@")), "{emails:?}");
        // Bitget: a passphrase per key, sub-accounts by UID.
        let v = scenario_venue(ExchangeId::Bitget, &scenario, 3);
        let (uids, names, own_phrases) = bots(&v);
        assert!(own_phrases, "every Bitget key has a passphrase of its own");
        assert_eq!(names, uids.iter().map(u64::to_string).collect::<Vec<_>>());
        // Kraken and BitMEX: every key on the one account, beside the owner's key.
        for exchange in [ExchangeId::Kraken, ExchangeId::Bitmex] {
            let v = scenario_venue(exchange, &scenario, 3);
            let (uids, _, _) = bots(&v);
            assert_eq!(uids.len(), 20);
            assert!(uids.iter().all(|uid| *uid == BOT_UID), "{exchange:?}");
            assert!(v.keys.iter().any(|k| !k.leaked && k.uid == BOT_UID));
            let bot_orders = v
                .orders
                .iter()
                .filter(|o| o.uid == BOT_UID && o.origin == Origin::Owner)
                .count();
            // Each bot's orders are its own, on the one account.
            assert_eq!(bot_orders, 20 * scenario.bot.orders.len(), "{exchange:?}");
        }
    }

    #[test]
    fn a_backdated_attacker_is_seeded_filled_and_dated_start_ago() {
        let scenario = Scenario::load("aged-out").unwrap();
        let v = scenario_venue(ExchangeId::Bybit, &scenario, 5);
        let now = v.now_ms();
        let old: Vec<_> = v
            .orders
            .iter()
            .filter(|o| o.origin == Origin::Attacker)
            .collect();
        assert_eq!(old.len(), scenario.attacker.orders as usize);
        let ago = i64::try_from(scenario.attacker.start_ago.as_millis()).unwrap();
        for o in &old {
            assert_eq!(o.symbol, "XVGUSDT");
            assert!(o.status == crate::sim::order::OrderStatus::Filled, "{o:?}");
            let age = now - o.created_ms;
            assert!(age <= ago + 1_000 && age > ago - 60_000, "{age}");
            let fills = v.executions.iter().filter(|e| e.order_id == o.order_id);
            assert_eq!(fills.count(), 1, "each old order left its fill");
        }
        // Without `start_ago` nothing of the attacker is seeded.
        let v = scenario_venue(
            ExchangeId::Bybit,
            &Scenario::load("pump-illiquid").unwrap(),
            5,
        );
        assert!(v.orders.iter().all(|o| o.origin == Origin::Owner));
    }

    #[test]
    fn pump_illiquid_seeds_its_markets_balances_and_orders() {
        let scenario = Scenario::load("pump-illiquid").unwrap();
        let v = scenario_venue(ExchangeId::Bybit, &scenario, 9);
        assert_eq!(v.instruments.len(), 4);
        assert_eq!(v.books.len(), 4);
        let xvg = v.book(Category::Spot, "XVGUSDT").unwrap();
        assert_eq!(xvg.liquidity(), Liquidity::Thin);
        let btc = v.book(Category::Linear, "BTCUSDT").unwrap();
        assert_eq!(btc.liquidity(), Liquidity::Deep);
        assert_eq!(v.orders.len(), scenario.bot.orders.len());
        assert!(v.orders.iter().all(|o| o.origin == Origin::Owner));
        assert!(
            v.orders
                .iter()
                .all(|o| o.order_link_id.starts_with("grid-"))
        );
        assert!(
            v.orders
                .windows(2)
                .all(|w| w[0].created_ms <= w[1].created_ms)
        );
        assert_eq!(v.executions.len(), 3);
        // 30000 USDT, minus 0.01 BTC at 65000, plus 0.1 ETH and 0.005 BTC sold, less fees.
        let usdt = 30_000.0 - 650.0 + 320.0 * 0.999 + 325.0 * 0.999;
        assert!((v.balances.get(BOT_UID, "USDT") - usdt).abs() < 1e-6);
        assert_eq!(v.balances.get(MASTER_UID, "USDT"), 100_000.0);
        assert_eq!(v.account(BOT_UID).unwrap().note, "pump-illiquid");
    }
}
