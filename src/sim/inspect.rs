//! A read-only snapshot of the simulator for tests and drills, hidden truth included.
//!
//! `Inspect` is cloned out of the venue under the lock and owns its data, so a test can look at
//! it while the server keeps running. It carries the truth no endpoint reveals (which key leaked,
//! which orders and fills are the attacker's) and never a secret: key views have no secret field
//! at all. It also shows each market's reference and last price and what is left of its book,
//! and every withdrawal, so a drill can score the damage.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;
use serde_json::Value;

use crate::sim::access::AccessEntry;
use crate::sim::book::Book;
use crate::sim::funds::Withdrawal;
use crate::sim::instrument::Instrument;
use crate::sim::key::{Access, ApiKey, Tier};
use crate::sim::num;
use crate::sim::order::{Category, Execution, Order, Origin, QtyUnit, Side};
use crate::sim::state::Venue;

/// One API key, without its secret.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyView {
    /// The key id (`apiKey` on the wire, 18 characters).
    pub id: String,
    /// Bybit's numeric internal id (`id` on the wire).
    pub internal_id: String,
    pub uid: u64,
    pub is_master: bool,
    pub note: String,
    pub read_only: bool,
    /// The granted permission groups only, e.g. `{"Spot":["SpotTrade"]}`.
    pub permissions: Value,
    /// `["*"]` when unbound.
    pub ips: Vec<String>,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub deleted: bool,
    /// False while a key is disabled (it is refused, but can be enabled again).
    pub enabled: bool,
    /// Hidden truth: the attacker holds this key's secret.
    pub leaked: bool,
}

impl KeyView {
    fn from_key(k: &ApiKey) -> KeyView {
        KeyView {
            id: k.api_key.clone(),
            internal_id: k.internal_id.clone(),
            uid: k.uid,
            is_master: k.tier == Tier::Master,
            note: k.note.clone(),
            read_only: k.access == Access::ReadOnly,
            permissions: k.permissions.granted(),
            ips: k.ips.to_wire(),
            created_ms: k.created_ms,
            expires_ms: k.expires_ms,
            deleted: k.deleted_ms.is_some(),
            enabled: k.enabled,
            leaked: k.leaked,
        }
    }

    /// Returns true when a request from `ip` would pass this key's whitelist.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.ips
            .iter()
            .any(|s| s == "*" || s.parse::<IpAddr>().is_ok_and(|a| a == ip))
    }
}

/// One order, with its hidden origin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderView {
    pub order_id: String,
    /// Empty when none was given.
    pub order_link_id: String,
    pub uid: u64,
    /// `spot`, `linear`, `inverse` or `option`.
    pub category: String,
    pub symbol: String,
    /// `Buy` or `Sell`.
    pub side: String,
    /// `Limit` or `Market`; a Binance USD-M conditional (algo) order's own type, such as
    /// `STOP_MARKET`, or an OKX algo order's, such as `trigger`.
    pub order_type: String,
    /// `None` for market orders.
    pub price: Option<String>,
    /// As sent, in `qty_unit`.
    pub qty: String,
    /// `base` or `quote` (a spot market Buy counts `qty` in the quote coin by default).
    pub qty_unit: String,
    /// `New`, `PartiallyFilled`, `Filled`, `Cancelled` or `PartiallyFilledCanceled`.
    pub status: String,
    /// Filled quantity in the base coin.
    pub cum_exec_qty: String,
    /// Filled value in the quote (settle) coin.
    pub cum_exec_value: String,
    pub cum_exec_fee: String,
    /// Average fill price; `None` before any fill.
    pub avg_price: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub origin: Origin,
    /// Conditional (Binance and OKX algo) orders only: the price they wait for. They rest off
    /// the book
    /// and no order history lists them.
    pub trigger_price: Option<String>,
}

impl OrderView {
    pub(crate) fn from_order(o: &Order) -> OrderView {
        OrderView {
            order_id: o.order_id.clone(),
            order_link_id: o.order_link_id.clone(),
            uid: o.uid,
            category: o.category.as_str().to_owned(),
            symbol: o.symbol.clone(),
            side: o.side.as_str().to_owned(),
            order_type: o.order_type.as_str().to_owned(),
            price: o.price.clone(),
            qty: o.qty.clone(),
            qty_unit: match o.qty_unit {
                QtyUnit::Base => "base",
                QtyUnit::Quote => "quote",
            }
            .to_owned(),
            status: o.status.as_str().to_owned(),
            cum_exec_qty: num::fmt(o.cum_exec_qty),
            cum_exec_value: num::fmt(o.cum_exec_value),
            cum_exec_fee: num::fmt(o.cum_exec_fee),
            avg_price: o.avg_price().map(num::fmt),
            created_ms: o.created_ms,
            updated_ms: o.updated_ms,
            origin: o.origin,
            trigger_price: None,
        }
    }

    /// Returns true while the order rests on the book.
    pub fn is_open(&self) -> bool {
        self.status == "New" || self.status == "PartiallyFilled"
    }
}

/// One fill, with the hidden origin of its order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutionView {
    pub exec_id: String,
    pub order_id: String,
    pub order_link_id: String,
    pub uid: u64,
    pub category: String,
    pub symbol: String,
    pub side: String,
    pub exec_price: String,
    /// Base quantity.
    pub exec_qty: String,
    /// `exec_price × exec_qty`, in the quote (settle) coin.
    pub exec_value: String,
    pub exec_fee: String,
    pub fee_currency: String,
    pub is_maker: bool,
    pub exec_time_ms: i64,
    pub origin: Origin,
}

impl ExecutionView {
    fn from_exec(e: &Execution) -> ExecutionView {
        ExecutionView {
            exec_id: e.exec_id.clone(),
            order_id: e.order_id.clone(),
            order_link_id: e.order_link_id.clone(),
            uid: e.uid,
            category: e.category.as_str().to_owned(),
            symbol: e.symbol.clone(),
            side: e.side.as_str().to_owned(),
            exec_price: num::fmt(e.exec_price),
            exec_qty: num::fmt(e.exec_qty),
            exec_value: num::fmt(e.exec_price * e.exec_qty),
            exec_fee: num::fmt(e.exec_fee),
            fee_currency: e.fee_currency.clone(),
            is_maker: e.is_maker,
            exec_time_ms: e.exec_time_ms,
            origin: e.origin,
        }
    }
}

/// One market: its prices and what is left of its book.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarketView {
    /// `spot` or `linear`.
    pub category: String,
    pub symbol: String,
    pub base_coin: String,
    /// Quote coin (spot) or settle coin (linear).
    pub quote_coin: String,
    /// `deep`, `thin`, or `reference` (unlimited at the reference price: the default incident).
    pub liquidity: String,
    /// The mid the book was built around.
    pub reference_price: f64,
    /// The price of the last fill, the reference price before any.
    pub last_price: f64,
    /// Best bid and ask left; `None` once a side is empty.
    pub best_bid: Option<f64>,
    pub best_ask: Option<f64>,
    /// Levels left on each side.
    pub bid_levels: usize,
    pub ask_levels: usize,
    /// Base quantity and quote value traded since the simulator started.
    pub volume: f64,
    pub turnover: f64,
    /// Fills taken from this book.
    pub trades: u64,
}

impl MarketView {
    fn from_book(i: &Instrument, b: &Book) -> MarketView {
        let stats = b.stats();
        MarketView {
            category: i.category.as_str().to_owned(),
            symbol: i.symbol.clone(),
            base_coin: i.base_coin.clone(),
            quote_coin: i.settle_coin.clone(),
            liquidity: b.liquidity().as_str().to_owned(),
            reference_price: b.ref_price(),
            last_price: b.last_price(),
            best_bid: b.best(Side::Buy).map(|l| l.price),
            best_ask: b.best(Side::Sell).map(|l| l.price),
            bid_levels: b.against(Side::Sell).len(),
            ask_levels: b.against(Side::Buy).len(),
            volume: stats.volume,
            turnover: stats.turnover,
            trades: stats.trades,
        }
    }
}

/// One withdrawal, seeded or requested through the API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WithdrawalView {
    pub withdraw_id: String,
    pub uid: u64,
    pub coin: String,
    pub chain: String,
    pub amount: String,
    pub to_address: String,
    /// `success` (seeded history) or `SecurityCheck` (accepted through the API).
    pub status: String,
    pub created_ms: i64,
}

impl WithdrawalView {
    fn from_withdrawal(w: &Withdrawal) -> WithdrawalView {
        WithdrawalView {
            withdraw_id: w.withdraw_id.clone(),
            uid: w.uid,
            coin: w.coin.clone(),
            chain: w.chain.clone(),
            amount: w.amount.clone(),
            to_address: w.to_address.clone(),
            status: w.status.clone(),
            created_ms: w.created_ms,
        }
    }
}

/// A cloned view of the whole simulator.
#[derive(Clone, Debug, Serialize)]
pub struct Inspect {
    /// The exchange's clock when the view was taken, Unix ms.
    pub now_ms: i64,
    pub master_uid: u64,
    /// Sub-account UIDs of the master.
    pub sub_uids: Vec<u64>,
    /// Every account's note (label), by UID.
    pub account_notes: BTreeMap<u64, String>,
    /// Every key, deleted ones included.
    pub keys: Vec<KeyView>,
    /// Every order, Binance's USD-M conditional and OKX's algo orders included (after the others).
    pub orders: Vec<OrderView>,
    pub executions: Vec<ExecutionView>,
    /// Wallet balances: UID to coin to amount (decimal string).
    pub balances: BTreeMap<u64, BTreeMap<String, String>>,
    /// Every market, in category then symbol order.
    pub markets: Vec<MarketView>,
    /// Every withdrawal, oldest first.
    pub withdrawals: Vec<WithdrawalView>,
    /// Every answered request, oldest first.
    pub access_log: Vec<AccessEntry>,
    /// Owner orders the attacker cancelled or amended, in that order.
    pub tampered: Vec<String>,
}

impl Inspect {
    pub(crate) fn from_venue(v: &Venue) -> Inspect {
        Inspect {
            now_ms: v.now_ms(),
            master_uid: v.master_uid,
            sub_uids: v
                .accounts
                .iter()
                .filter(|a| a.parent.is_some())
                .map(|a| a.uid)
                .collect(),
            account_notes: v.accounts.iter().map(|a| (a.uid, a.note.clone())).collect(),
            keys: v.keys.iter().map(KeyView::from_key).collect(),
            orders: v
                .orders
                .iter()
                .map(OrderView::from_order)
                .chain(v.dialect.extra_order_views(v))
                .collect(),
            executions: v.executions.iter().map(ExecutionView::from_exec).collect(),
            balances: v
                .balances
                .all()
                .iter()
                .map(|(uid, coins)| {
                    let coins = coins
                        .iter()
                        .map(|(c, a)| (c.clone(), num::fmt(*a)))
                        .collect();
                    (*uid, coins)
                })
                .collect(),
            markets: v
                .books
                .iter()
                .filter_map(|((c, sym), b)| {
                    v.instrument(*c, sym).map(|i| MarketView::from_book(i, b))
                })
                .collect(),
            withdrawals: v
                .withdrawals
                .iter()
                .map(WithdrawalView::from_withdrawal)
                .collect(),
            access_log: v.access_log.clone(),
            tampered: v.tampered.clone(),
        }
    }

    /// Returns the market of `symbol` in `category` (`spot` or `linear`).
    pub fn market(&self, category: &str, symbol: &str) -> Option<&MarketView> {
        self.markets
            .iter()
            .find(|m| m.category == category && m.symbol == symbol)
    }

    /// Returns the market of `symbol`, spot first, then linear.
    fn market_any(&self, symbol: &str) -> Option<&MarketView> {
        [Category::Spot, Category::Linear]
            .iter()
            .find_map(|c| self.market(c.as_str(), symbol))
    }

    /// Returns the last trade price of `symbol` (spot first, then linear); the reference price
    /// before any trade.
    pub fn last_price(&self, symbol: &str) -> Option<f64> {
        self.market_any(symbol).map(|m| m.last_price)
    }

    /// Returns the reference (mid) price `symbol`'s book was built around (spot first).
    pub fn reference_price(&self, symbol: &str) -> Option<f64> {
        self.market_any(symbol).map(|m| m.reference_price)
    }

    /// Returns the fills of order `order_id`, oldest first.
    pub fn fills_of(&self, order_id: &str) -> Vec<&ExecutionView> {
        self.executions
            .iter()
            .filter(|e| e.order_id == order_id)
            .collect()
    }

    /// Returns the wallet balance of `coin` in account `uid`, 0 when absent.
    pub fn balance(&self, uid: u64, coin: &str) -> f64 {
        self.balances
            .get(&uid)
            .and_then(|c| c.get(coin))
            .and_then(|a| a.parse().ok())
            .unwrap_or(0.0)
    }

    /// Returns the key with this id (live or deleted).
    pub fn key(&self, id: &str) -> Option<&KeyView> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Returns the id of the first key flagged leaked.
    pub fn leaked_key_id(&self) -> Option<&str> {
        self.keys.iter().find(|k| k.leaked).map(|k| k.id.as_str())
    }

    /// Returns the master account's first live key.
    pub fn master_key(&self) -> Option<&KeyView> {
        self.keys.iter().find(|k| k.is_master && !k.deleted)
    }

    /// Returns the open orders of account `uid`.
    pub fn open_orders(&self, uid: u64) -> Vec<&OrderView> {
        self.orders
            .iter()
            .filter(|o| o.uid == uid && o.is_open())
            .collect()
    }

    /// Returns the order with this id.
    pub fn order(&self, order_id: &str) -> Option<&OrderView> {
        self.orders.iter().find(|o| o.order_id == order_id)
    }

    /// Returns the ids of every order the attacker placed: the truth set a diff is scored on.
    pub fn attacker_order_ids(&self) -> BTreeSet<String> {
        self.ids_of(Origin::Attacker)
    }

    /// Returns the ids of the owner's orders the attacker cancelled or amended (with a leaked key,
    /// from an address other than the bot's): the truth set of the diff's `tampered` list.
    pub fn tampered_order_ids(&self) -> BTreeSet<String> {
        self.tampered.iter().cloned().collect()
    }

    /// Returns the ids of every order the owner placed.
    pub fn owner_order_ids(&self) -> BTreeSet<String> {
        self.ids_of(Origin::Owner)
    }

    fn ids_of(&self, origin: Origin) -> BTreeSet<String> {
        self.orders
            .iter()
            .filter(|o| o.origin == origin)
            .map(|o| o.order_id.clone())
            .collect()
    }

    /// Returns how many requests met each injected fault, by its log name (`429`, `5xx-after`,
    /// ...).
    pub fn faults_seen(&self) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        for kind in self.access_log.iter().filter_map(|e| e.fault) {
            *seen.entry(kind.as_str().to_owned()).or_insert(0) += 1;
        }
        seen
    }

    /// Returns the access-log entries that used key `id`.
    pub fn requests_by_key(&self, id: &str) -> Vec<&AccessEntry> {
        self.access_log
            .iter()
            .filter(|e| e.key_id.as_deref() == Some(id))
            .collect()
    }
}
