//! The default incident: a grid bot's sub-account key has leaked and an attacker is trading.
//!
//! Master UID 1000001 holds an IP-bound master key with Wallet rights; sub UID 1000002 ("grid-bot")
//! holds the leaked, unbound, read-write bot key. The bot's own orders (link ids `grid-…`, open,
//! filled and cancelled, all within two days) mix with the attacker's (no or non-`grid-` link ids:
//! XVGUSDT pump buys and a linear order, within one day; on Binance also two USD-M conditional
//! orders, `binance/seed.rs`, on OKX two algo orders, `okx/seed.rs`: each dialect seeds its keys
//! and records of its own). Everything random comes from the seed, so the same seed gives the
//! same ids and the same truth set; times are relative to "now".
//! Its books are `Reference` ones (unlimited at the reference price, see `book.rs`), so a market
//! order fills in full at the reference price as it always has here, and so does a limit order
//! priced through it. The keys, the money records and the constants are shared with
//! `scenario_seed.rs`.
//! It must never depend on the host (no files, no network): `Sim::bybit` must not fail.

use crate::exchanges::ExchangeId;
use crate::sim::book::Liquidity;
use crate::sim::funds::{Transfer, WithdrawKind, Withdrawal};
use crate::sim::instrument::Instrument;
use crate::sim::key::{Access, DAY_MS, IpWhitelist, Permissions, Tier};
use crate::sim::matching::Fill;
use crate::sim::order::{Category, EndReason, OrderStatus, OrderType, Origin, QtyUnit, Side};
use crate::sim::state::{Account, NewKey, NewOrder, Venue};

/// The master account's UID.
pub(crate) const MASTER_UID: u64 = 1_000_001;

/// The bot's sub-account UID.
pub(crate) const BOT_UID: u64 = 1_000_002;

/// The first UID of the further bot sub-accounts a many-key scenario seeds (`keys:` above 1):
/// the `n`-th bot (2, 3, …) is `MORE_BOTS_UID + n`, where the dialect gives each bot an account
/// of its own (`SimDialect::more_bot_uid`).
pub(crate) const MORE_BOTS_UID: u64 = 1_000_100;

/// One hour in milliseconds.
pub(crate) const HOUR_MS: i64 = 60 * 60 * 1000;

/// One minute in milliseconds.
pub(crate) const MIN_MS: i64 = 60 * 1000;

/// Builds the default incident from `seed`.
pub(crate) fn default_incident(exchange: ExchangeId, seed: u64) -> Venue {
    let dialect = exchange.spec().simulator;
    let mut v = Venue::new(dialect, seed, MASTER_UID);
    let now = v.now_ms();
    v.accounts.push(Account {
        uid: BOT_UID,
        parent: Some(MASTER_UID),
        note: "grid-bot".to_owned(),
    });
    v.instruments = vec![
        Instrument::new(Category::Spot, "BTC", "USDT", 65_000.0),
        Instrument::new(Category::Spot, "ETH", "USDT", 3_200.0),
        Instrument::new(Category::Spot, "XVG", "USDT", 0.005),
        Instrument::new(Category::Linear, "BTC", "USDT", 65_000.0),
    ];
    // A venue that lists no such market (Kraken Spot has no perpetuals) gets none of its orders.
    v.instruments.retain(|i| dialect.trades(i.category));
    // Binance's attacker also left conditional (algo) orders, one on a USD-M market of its own.
    v.instruments.extend(dialect.incident_markets());
    v.open_books(seed, |_| Liquidity::Reference);
    dialect.seed_keys(&mut v, now, "grid-bot");
    // Balances before the two days below; the fills move them to where they are now.
    v.balances.add(BOT_UID, "USDT", 30_000.0);
    v.balances.add(BOT_UID, "BTC", 0.3);
    v.balances.add(BOT_UID, "ETH", 2.0);
    v.balances.add(BOT_UID, "XVG", 50_000.0);
    v.balances.add(MASTER_UID, "USDT", 100_000.0);
    for spec in bot_orders().into_iter().chain(attacker_orders()) {
        seed_order(&mut v, now, spec);
    }
    seed_funds(&mut v, now);
    // Binance's conditional orders, OKX's algo orders.
    dialect.seed_incident_extras(&mut v, now);
    v
}

/// Creates the master's IP-bound (127.0.0.1) read-write key noted `master-ops`, made 200 days
/// ago, with `permissions` in the dialect's terms; returns its index in `keys`.
pub(crate) fn seed_master_key(v: &mut Venue, now: i64, permissions: Permissions) -> usize {
    let master = v.create_key(
        NewKey {
            uid: MASTER_UID,
            tier: Tier::Master,
            note: "master-ops".to_owned(),
            permissions,
            access: Access::ReadWrite,
            ips: IpWhitelist::Only(vec![std::net::Ipv4Addr::LOCALHOST.into()]),
        },
        false,
    );
    v.keys[master].created_ms = now - 200 * DAY_MS;
    master
}

/// Creates the bot's leaked, unbound, read-write key noted `bot_note`, made 60 days ago, with
/// `permissions` in the dialect's terms; returns its index in `keys`. Its expiry is the
/// dialect's to set.
pub(crate) fn seed_bot_key(
    v: &mut Venue,
    now: i64,
    bot_note: &str,
    permissions: Permissions,
) -> usize {
    let bot = v.create_key(
        NewKey {
            uid: BOT_UID,
            tier: Tier::Sub,
            note: bot_note.to_owned(),
            permissions,
            access: Access::ReadWrite,
            ips: IpWhitelist::Any,
        },
        true,
    );
    v.keys[bot].created_ms = now - 60 * DAY_MS;
    bot
}

/// How a seeded order's client id looks.
enum Link {
    Grid,
    None,
    Other(&'static str),
}

/// Where a seeded order ended up.
enum End {
    Open,
    Cancelled {
        after_ms: i64,
    },
    Filled {
        after_ms: i64,
        price: f64,
        maker: bool,
    },
}

struct Spec {
    origin: Origin,
    category: Category,
    symbol: &'static str,
    side: Side,
    order_type: OrderType,
    price: Option<&'static str>,
    qty: &'static str,
    unit: QtyUnit,
    link: Link,
    ago_ms: i64,
    end: End,
}

/// A grid-bot limit order.
fn grid(
    cat: Category,
    symbol: &'static str,
    side: Side,
    price: &'static str,
    qty: &'static str,
) -> Spec {
    Spec {
        origin: Origin::Owner,
        category: cat,
        symbol,
        side,
        order_type: OrderType::Limit,
        price: Some(price),
        qty,
        unit: QtyUnit::Base,
        link: Link::Grid,
        ago_ms: 0,
        end: End::Open,
    }
}

fn at(mut s: Spec, ago_ms: i64, end: End) -> Spec {
    s.ago_ms = ago_ms;
    s.end = end;
    s
}

fn filled_at(price: f64) -> End {
    End::Filled {
        after_ms: 20 * MIN_MS,
        price,
        maker: true,
    }
}

/// The owner's bot: 6 filled and 1 cancelled spot orders, 3 open spot and 1 open linear order.
fn bot_orders() -> Vec<Spec> {
    use Category::{Linear, Spot};
    use Side::{Buy, Sell};
    vec![
        at(
            grid(Spot, "BTCUSDT", Buy, "63000", "0.01"),
            46 * HOUR_MS,
            filled_at(63_000.0),
        ),
        at(
            grid(Spot, "ETHUSDT", Buy, "3000", "0.2"),
            44 * HOUR_MS,
            End::Cancelled {
                after_ms: 19 * HOUR_MS,
            },
        ),
        at(
            grid(Spot, "BTCUSDT", Sell, "64500", "0.01"),
            40 * HOUR_MS,
            filled_at(64_500.0),
        ),
        at(
            grid(Spot, "ETHUSDT", Buy, "3100", "0.2"),
            36 * HOUR_MS,
            filled_at(3_100.0),
        ),
        at(
            grid(Spot, "ETHUSDT", Sell, "3180", "0.2"),
            30 * HOUR_MS,
            filled_at(3_180.0),
        ),
        at(
            grid(Spot, "BTCUSDT", Buy, "63800", "0.01"),
            20 * HOUR_MS,
            filled_at(63_800.0),
        ),
        at(
            grid(Spot, "BTCUSDT", Sell, "65200", "0.01"),
            10 * HOUR_MS,
            filled_at(65_200.0),
        ),
        at(
            grid(Spot, "BTCUSDT", Buy, "62000", "0.01"),
            8 * HOUR_MS,
            End::Open,
        ),
        at(
            grid(Spot, "BTCUSDT", Sell, "68000", "0.01"),
            8 * HOUR_MS,
            End::Open,
        ),
        at(
            grid(Spot, "ETHUSDT", Buy, "3050", "0.2"),
            6 * HOUR_MS,
            End::Open,
        ),
        at(
            grid(Linear, "BTCUSDT", Buy, "60000", "0.01"),
            5 * HOUR_MS,
            End::Open,
        ),
    ]
}

/// The attacker: 3 XVGUSDT market buys that pumped the price (spot market Buy qty is in USDT,
/// Bybit's default `marketUnit`), 2 resting XVGUSDT buys far above the reference price, and one
/// open linear order.
fn attacker_orders() -> Vec<Spec> {
    let market_buy = |qty, link, ago_ms, price| Spec {
        origin: Origin::Attacker,
        category: Category::Spot,
        symbol: "XVGUSDT",
        side: Side::Buy,
        order_type: OrderType::Market,
        price: None,
        qty,
        unit: QtyUnit::Quote,
        link,
        ago_ms,
        end: End::Filled {
            after_ms: 0,
            price,
            maker: false,
        },
    };
    let limit = |cat, symbol, side, price, qty, link, ago_ms| Spec {
        origin: Origin::Attacker,
        category: cat,
        symbol,
        side,
        order_type: OrderType::Limit,
        price: Some(price),
        qty,
        unit: QtyUnit::Base,
        link,
        ago_ms,
        end: End::Open,
    };
    vec![
        market_buy("3000", Link::None, 23 * HOUR_MS, 0.0112),
        market_buy(
            "3000",
            Link::Other("x-"),
            22 * HOUR_MS + 40 * MIN_MS,
            0.0135,
        ),
        market_buy("2500", Link::None, 22 * HOUR_MS, 0.0158),
        limit(
            Category::Spot,
            "XVGUSDT",
            Side::Buy,
            "0.02",
            "200000",
            Link::None,
            21 * HOUR_MS,
        ),
        limit(
            Category::Spot,
            "XVGUSDT",
            Side::Buy,
            "0.025",
            "150000",
            Link::Other("web"),
            20 * HOUR_MS,
        ),
        limit(
            Category::Linear,
            "BTCUSDT",
            Side::Sell,
            "72000",
            "0.3",
            Link::None,
            19 * HOUR_MS,
        ),
    ]
}

fn seed_order(v: &mut Venue, now: i64, s: Spec) {
    let Some(inst) = v.instrument(s.category, s.symbol).cloned() else {
        return;
    };
    let order_link_id = match s.link {
        Link::Grid => format!("grid-{}", v.ids.alnum(10).to_ascii_lowercase()),
        Link::None => String::new(),
        Link::Other(prefix) => format!("{prefix}{}", v.ids.alnum(8).to_ascii_lowercase()),
    };
    let order_link_id = v.client_order_id(order_link_id);
    let created = now - s.ago_ms;
    let ending = match s.end {
        End::Open => Ending::Open,
        End::Cancelled { after_ms } => Ending::Cancelled {
            at_ms: created + after_ms,
        },
        End::Filled {
            after_ms,
            price,
            maker,
        } => {
            let sent: f64 = s.qty.parse().unwrap_or(0.0);
            let qty = match s.unit {
                QtyUnit::Base => sent,
                QtyUnit::Quote => sent / price,
            };
            let fill = Fill {
                price,
                qty,
                is_maker: maker,
            };
            Ending::Filled {
                fill,
                at_ms: created + after_ms,
            }
        }
    };
    let new = NewOrder {
        uid: BOT_UID,
        category: s.category,
        symbol: s.symbol.to_owned(),
        side: s.side,
        order_type: s.order_type,
        price: s.price.map(str::to_owned),
        qty: s.qty.to_owned(),
        qty_unit: s.unit,
        order_link_id,
        origin: s.origin,
    };
    record_order(v, &inst, new, created, ending);
}

/// How a seeded order ended, and when.
pub(crate) enum Ending {
    Open,
    Cancelled { at_ms: i64 },
    Filled { fill: Fill, at_ms: i64 },
}

/// Records an order of the past, placed at `created_ms` on `inst` (its id drawn now), and how
/// it ended; a fill moves the balances as a live one would, and never touches the book.
pub(crate) fn record_order(
    v: &mut Venue,
    inst: &Instrument,
    new: NewOrder,
    created_ms: i64,
    ending: Ending,
) {
    let order_id = v.new_order_id(inst);
    v.orders.push(new.into_order(order_id, created_ms));
    let idx = v.orders.len() - 1;
    match ending {
        Ending::Open => {}
        Ending::Cancelled { at_ms } => {
            let o = &mut v.orders[idx];
            o.status = OrderStatus::Cancelled;
            o.ended = Some(EndReason::ByUser);
            o.updated_ms = at_ms;
        }
        Ending::Filled { fill, at_ms } => v.apply_fill(idx, inst, fill, at_ms),
    }
}

/// Records the master's withdrawal ten days ago and its transfer to the bot three days ago.
pub(crate) fn seed_funds(v: &mut Venue, now: i64) {
    seed_money_moves(v, now, "USDT", ("2000", 10), ("5000", 3));
}

/// Records a completed on-chain withdrawal of `coin` by the master (`amount`, `days` ago) and a
/// transfer of it from the master to the bot (`amount`, `days` ago), ids drawn from the seed.
pub(crate) fn seed_money_moves(
    v: &mut Venue,
    now: i64,
    coin: &str,
    (withdrawn, withdrawn_days): (&str, i64),
    (moved, moved_days): (&str, i64),
) {
    let created = now - withdrawn_days * DAY_MS;
    let withdrawal = Withdrawal {
        withdraw_id: v
            .ids
            .below(90_000_000)
            .saturating_add(10_000_000)
            .to_string(),
        uid: MASTER_UID,
        kind: WithdrawKind::OnChain,
        tx_id: format!("0x{}", v.ids.hex(32)),
        coin: coin.to_owned(),
        chain: "ETH".to_owned(),
        amount: withdrawn.to_owned(),
        fee: "1".to_owned(),
        to_address: format!("0x{}", v.ids.hex(20)),
        status: "success".to_owned(),
        created_ms: created,
        updated_ms: created + 15 * MIN_MS,
    };
    v.withdrawals.push(withdrawal);
    let transfer = Transfer {
        transfer_id: v.ids.uuid(),
        coin: coin.to_owned(),
        amount: moved.to_owned(),
        from_uid: MASTER_UID,
        to_uid: BOT_UID,
        from_account_type: "UNIFIED".to_owned(),
        to_account_type: "UNIFIED".to_owned(),
        status: "SUCCESS".to_owned(),
        at_ms: now - moved_days * DAY_MS,
    };
    v.transfers.push(transfer);
}

/// Seeds `count - 1` further bots beside the first (the vendor leak: every bot's key was with
/// one vendor), each on the account its dialect says (`SimDialect::more_bot_uid`: a sub-account
/// of the master noted `<note>-<n>` unless the venue's keys have no hierarchy) and holding one
/// leaked key noted `<note>-<n>`, made like the first bot's (same permissions, access and
/// lifetime), then made the venue's own by its dialect (`SimDialect::seed_more_bot`); returns
/// their accounts' UIDs, one per bot (the same UID more than once where bots share an account).
/// Does nothing (and returns none) when the first bot has no leaked key.
pub(crate) fn seed_more_bots(v: &mut Venue, count: u32, note: &str) -> Vec<u64> {
    let Some(first) = v.keys.iter().position(|k| k.leaked && k.uid == BOT_UID) else {
        return Vec::new();
    };
    let mut uids = Vec::new();
    for n in 2..=u64::from(count) {
        let uid = v.dialect.more_bot_uid(n);
        if v.account(uid).is_none() {
            v.accounts.push(Account {
                uid,
                parent: Some(MASTER_UID),
                note: format!("{note}-{n}"),
            });
        }
        let (permissions, access, ips) = {
            let k = &v.keys[first];
            (k.permissions.clone(), k.access, k.ips.clone())
        };
        let key = v.create_key(
            NewKey {
                uid,
                tier: Tier::Sub,
                note: format!("{note}-{n}"),
                permissions,
                access,
                ips,
            },
            true,
        );
        let (created_ms, expires_ms) = {
            let k = &v.keys[first];
            (k.created_ms, k.expires_ms)
        };
        let k = &mut v.keys[key];
        k.created_ms = created_ms;
        k.expires_ms = expires_ms;
        // Its account's name and its key's passphrase, as the venue would have them.
        let dialect = v.dialect;
        dialect.seed_more_bot(v, uid, key, n);
        uids.push(uid);
    }
    uids
}
