//! The venue state and the operations every dialect shares.
//!
//! One `Venue` holds accounts, keys, orders, fills, balances, withdrawals, transfers, one order
//! book per market, the access log, the rate limiter and the fault injector. Its operations are
//! venue semantics (place an order, cancel a set, create or delete a key) with no wire format:
//! dialects parse, check auth and permissions, call these, and shape the answer. Every operation
//! validates before it mutates, so a refused request leaves no trace but its access-log entry,
//! and a poisoned lock never holds a half-done change. Placing orders and recording fills live
//! in `placing.rs`; what differs by venue (id and key shapes) is asked of the venue's dialect
//! (`dialect.rs`), and a dialect's own state sits in `own`, never in a field of its name.

use std::collections::BTreeMap;
use std::net::IpAddr;

use secrecy::SecretString;

use crate::sim::access::AccessEntry;
use crate::sim::book::{Book, Liquidity};
use crate::sim::dead_man::DeadMan;
use crate::sim::dialect::SimDialect;
use crate::sim::funds::{Balances, Transfer, WithdrawKind, Withdrawal};
use crate::sim::ids::IdGen;
use crate::sim::injector::{Injector, ShortPage};
use crate::sim::instrument::Instrument;
use crate::sim::key::{Access, ApiKey, IpWhitelist, Permissions, Tier};
use crate::sim::num;
use crate::sim::order::{
    Category, EndReason, Execution, Order, OrderStatus, OrderType, Origin, QtyUnit, Side,
};
use crate::sim::own::OwnStates;
use crate::sim::ratelimit::RateLimiter;

/// Whether the API may edit a key's IP whitelist (docs/venues/bybit.md §4, code 141019).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpEditPolicy {
    Api,
    WebUiOnly,
}

/// One account: the master or one of its sub-accounts.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) uid: u64,
    /// The master's UID for a sub-account; `None` for the master.
    pub(crate) parent: Option<u64>,
    pub(crate) note: String,
}

/// Why the venue refused an operation; dialects map these to their own codes.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum VenueError {
    #[error("symbol `{symbol}` is not traded in category `{category}`")]
    UnknownSymbol {
        category: &'static str,
        symbol: String,
    },
    #[error("insufficient balance of `{coin}`")]
    InsufficientBalance { coin: String },
    #[error("insufficient available `{coin}` for the fees")]
    InsufficientMargin { coin: String },
    #[error("order not exists or too late to cancel")]
    NoSuchOrder,
    #[error("order link id `{0}` is already used")]
    DuplicateOrderLinkId(String),
    #[error("no live key `{0}`")]
    NoSuchKey(String),
    #[error("a post-only order would take liquidity")]
    PostOnlyWouldTake,
    #[error("a reduce-only order has no position to reduce")]
    ReduceOnlyNoPosition,
}

/// Which symbols an operation covers; Bybit's priority is symbol > baseCoin > settleCoin
/// (docs/venues/bybit.md §5).
#[derive(Clone, Debug, Default)]
pub(crate) struct SymbolFilter {
    pub(crate) symbol: Option<String>,
    pub(crate) base_coin: Option<String>,
    pub(crate) settle_coin: Option<String>,
}

impl SymbolFilter {
    /// Returns true when no field is set.
    pub(crate) fn is_empty(&self) -> bool {
        self.symbol.is_none() && self.base_coin.is_none() && self.settle_coin.is_none()
    }

    fn matches(&self, symbol: &str, instrument: Option<&Instrument>) -> bool {
        if let Some(s) = &self.symbol {
            return s == symbol;
        }
        if let Some(b) = &self.base_coin {
            return instrument.is_some_and(|i| &i.base_coin == b);
        }
        if let Some(c) = &self.settle_coin {
            return instrument.is_some_and(|i| &i.settle_coin == c);
        }
        true
    }
}

/// A new order as a dialect validated it.
#[derive(Clone, Debug)]
pub(crate) struct NewOrder {
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) price: Option<String>,
    pub(crate) qty: String,
    pub(crate) qty_unit: QtyUnit,
    pub(crate) order_link_id: String,
    pub(crate) origin: Origin,
}

impl NewOrder {
    /// The order as recorded when placed at `at_ms` under `order_id`: new, nothing filled.
    pub(crate) fn into_order(self, order_id: String, at_ms: i64) -> Order {
        Order {
            order_id,
            order_link_id: self.order_link_id,
            uid: self.uid,
            category: self.category,
            symbol: self.symbol,
            side: self.side,
            order_type: self.order_type,
            price: self.price,
            qty: self.qty,
            qty_unit: self.qty_unit,
            status: OrderStatus::New,
            cum_exec_qty: 0.0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            created_ms: at_ms,
            updated_ms: at_ms,
            ended: None,
            origin: self.origin,
        }
    }
}

/// Names one order: by the exchange's id, or by the client's link id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OrderRef {
    Id(String),
    LinkId(String),
}

/// A withdrawal request as a dialect validated it.
#[derive(Clone, Debug)]
pub(crate) struct NewWithdrawal {
    pub(crate) uid: u64,
    pub(crate) kind: WithdrawKind,
    pub(crate) coin: String,
    pub(crate) chain: String,
    pub(crate) address: String,
    pub(crate) amount: f64,
}

/// A new API key as a dialect validated it.
#[derive(Clone, Debug)]
pub(crate) struct NewKey {
    pub(crate) uid: u64,
    pub(crate) tier: Tier,
    pub(crate) note: String,
    pub(crate) permissions: Permissions,
    pub(crate) access: Access,
    pub(crate) ips: IpWhitelist,
}

/// Everything the simulated exchange knows.
#[derive(Debug)]
pub(crate) struct Venue {
    /// Which exchange this venue speaks as: its routes, auth, key model and session files.
    pub(crate) dialect: &'static dyn SimDialect,
    pub(crate) master_uid: u64,
    pub(crate) accounts: Vec<Account>,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) orders: Vec<Order>,
    pub(crate) executions: Vec<Execution>,
    pub(crate) balances: Balances,
    pub(crate) withdrawals: Vec<Withdrawal>,
    pub(crate) transfers: Vec<Transfer>,
    pub(crate) instruments: Vec<Instrument>,
    /// One book per instrument, by category and symbol.
    pub(crate) books: BTreeMap<(Category, String), Book>,
    pub(crate) access_log: Vec<AccessEntry>,
    pub(crate) limiter: RateLimiter,
    pub(crate) ids: IdGen,
    pub(crate) clock_skew_ms: i64,
    pub(crate) ip_edit: IpEditPolicy,
    pub(crate) next_seq: i64,
    /// The configured faults and their seeded dice (`injector.rs`).
    pub(crate) injector: Injector,
    /// Whether the request being answered has its page cut short; `Off` between requests.
    pub(crate) short_page: ShortPage,
    /// The dialects' own state (Deribit's tokens, Binance's weights, OKX's algo orders, ...),
    /// one slot per type, created on first use (`own.rs`).
    pub(crate) own: OwnStates,
    /// Armed dead-man switches (Kraken and OKX); empty on other dialects.
    pub(crate) dead_man: DeadMan,
    /// The address of the request being answered (`tamper.rs`).
    pub(crate) peer: Option<IpAddr>,
    /// Hidden truth: owner orders the attacker cancelled or amended, in that order
    /// (`tamper.rs`).
    pub(crate) tampered: Vec<String>,
    /// Requests held until another is answered (`hold.rs`, a test knob).
    pub(crate) holds: std::sync::Arc<super::hold::Holds>,
    /// The private streams' hub: what was last pushed, and the open connections
    /// (`stream.rs`).
    pub(crate) streams: super::stream::Hub,
}

impl Venue {
    /// Creates an empty venue speaking `dialect` whose ids come from `seed`.
    pub(crate) fn new(dialect: &'static dyn SimDialect, seed: u64, master_uid: u64) -> Venue {
        Venue {
            dialect,
            master_uid,
            accounts: vec![Account {
                uid: master_uid,
                parent: None,
                note: String::new(),
            }],
            keys: Vec::new(),
            orders: Vec::new(),
            executions: Vec::new(),
            balances: Balances::default(),
            withdrawals: Vec::new(),
            transfers: Vec::new(),
            instruments: Vec::new(),
            books: BTreeMap::new(),
            access_log: Vec::new(),
            limiter: RateLimiter::default(),
            ids: IdGen::new(seed),
            clock_skew_ms: 0,
            ip_edit: IpEditPolicy::Api,
            next_seq: 1,
            injector: Injector::new(seed),
            short_page: ShortPage::Off,
            own: OwnStates::default(),
            dead_man: DeadMan::default(),
            peer: None,
            tampered: Vec::new(),
            holds: std::sync::Arc::default(),
            streams: super::stream::Hub::default(),
        }
    }

    /// A new order id in the dialect's shape (Bybit's UUID, Deribit's `CURRENCY-number`, ...).
    pub(crate) fn new_order_id(&mut self, inst: &Instrument) -> String {
        let dialect = self.dialect;
        dialect.new_order_id(self, inst)
    }

    /// Returns the exchange's clock, Unix ms: the host's plus the configured skew.
    pub(crate) fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.clock_skew_ms
    }

    /// Returns the live key with this id.
    pub(crate) fn live_key(&self, api_key: &str) -> Option<&ApiKey> {
        self.keys
            .iter()
            .find(|k| k.api_key == api_key && k.is_live())
    }

    /// Returns true when any key with this id, live or deleted, is one the attacker holds.
    pub(crate) fn is_leaked_key(&self, api_key: &str) -> bool {
        self.keys.iter().any(|k| k.api_key == api_key && k.leaked)
    }

    /// Returns the account with this UID.
    pub(crate) fn account(&self, uid: u64) -> Option<&Account> {
        self.accounts.iter().find(|a| a.uid == uid)
    }

    /// Returns true when `uid` is a sub-account of `master`.
    pub(crate) fn is_sub_of(&self, uid: u64, master: u64) -> bool {
        self.account(uid).is_some_and(|a| a.parent == Some(master))
    }

    /// Returns the instrument for `symbol` in `category`.
    pub(crate) fn instrument(&self, category: Category, symbol: &str) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|i| i.category == category && i.symbol == symbol)
    }

    /// Returns the book of `symbol` in `category`.
    pub(crate) fn book(&self, category: Category, symbol: &str) -> Option<&Book> {
        self.books.get(&(category, symbol.to_owned()))
    }

    /// Builds a book for every instrument, of the kind `liquidity` picks, sized from `seed`.
    pub(crate) fn open_books(&mut self, seed: u64, liquidity: impl Fn(&Instrument) -> Liquidity) {
        let books: Vec<_> = self
            .instruments
            .iter()
            .map(|i| {
                let key = format!("{}:{}", i.category.as_str(), i.symbol);
                let quote_usd = self.reference_usd(&i.settle_coin);
                let book = Book::new(liquidity(i), i.ref_price, quote_usd, seed, &key);
                ((i.category, i.symbol.clone()), book)
            })
            .collect();
        self.books.extend(books);
    }

    /// Returns the last trade price of `symbol` in `category` (its reference price before any).
    pub(crate) fn last_price(&self, category: Category, symbol: &str) -> Option<f64> {
        match self.book(category, symbol) {
            Some(book) => Some(book.last_price()),
            None => self.instrument(category, symbol).map(|i| i.ref_price),
        }
    }

    /// Returns the USD price of `coin` from last prices: 1 for stablecoins, its `COINUSDT` spot
    /// price, else a spot market of it quoted in a coin that has one (`VIABTC` × `BTCUSDT`), else
    /// 0.
    pub(crate) fn usd_price(&self, coin: &str) -> f64 {
        if is_usd(coin) {
            return 1.0;
        }
        if let Some(p) = self.last_price(Category::Spot, &format!("{coin}USDT")) {
            return p;
        }
        self.instruments
            .iter()
            .filter(|i| i.category == Category::Spot && i.base_coin == coin)
            .find_map(|i| {
                let quote = if is_usd(&i.settle_coin) {
                    1.0
                } else {
                    self.last_price(Category::Spot, &format!("{}USDT", i.settle_coin))?
                };
                Some(self.last_price(Category::Spot, &i.symbol)? * quote)
            })
            .unwrap_or(0.0)
    }

    /// Returns the USD worth of one `coin` at reference prices (1 when unknown): sizes books.
    fn reference_usd(&self, coin: &str) -> f64 {
        if is_usd(coin) {
            return 1.0;
        }
        self.instrument(Category::Spot, &format!("{coin}USDT"))
            .map_or(1.0, |i| i.ref_price)
    }

    /// Returns true when `order` matches `category` and `filter`.
    pub(crate) fn order_matches(
        &self,
        order: &Order,
        category: Category,
        filter: &SymbolFilter,
    ) -> bool {
        order.category == category
            && filter.matches(&order.symbol, self.instrument(category, &order.symbol))
    }

    /// Returns the amount of `coin` held by open spot orders of `uid`.
    pub(crate) fn locked(&self, uid: u64, coin: &str) -> f64 {
        self.orders
            .iter()
            .filter(|o| o.uid == uid && o.category == Category::Spot && o.status.is_open())
            .filter_map(|o| {
                let inst = self.instrument(Category::Spot, &o.symbol)?;
                let leaves = o.leaves_qty();
                match (o.side, o.qty_unit) {
                    (Side::Buy, QtyUnit::Base) if inst.settle_coin == coin => {
                        Some(leaves * o.price.as_deref().and_then(num::parse_positive)?)
                    }
                    (Side::Buy, QtyUnit::Quote) if inst.settle_coin == coin => Some(leaves),
                    (Side::Sell, QtyUnit::Base) if inst.base_coin == coin => Some(leaves),
                    _ => None,
                }
            })
            .sum()
    }

    /// Returns the wallet balance of `coin` not held by open orders.
    pub(crate) fn free(&self, uid: u64, coin: &str) -> f64 {
        self.balances.get(uid, coin) - self.locked(uid, coin)
    }

    /// Cancels the open orders of `uid` in `category` that match `filter`, at most `max`
    /// (oldest first), and returns them as cancelled.
    pub(crate) fn cancel_open(
        &mut self,
        uid: u64,
        category: Category,
        filter: &SymbolFilter,
        max: Option<usize>,
    ) -> Vec<Order> {
        let mut hits: Vec<usize> = (0..self.orders.len())
            .filter(|&i| {
                let o = &self.orders[i];
                o.uid == uid && o.status.is_open() && self.order_matches(o, category, filter)
            })
            .collect();
        hits.sort_by_key(|&i| (self.orders[i].created_ms, i));
        hits.truncate(max.unwrap_or(usize::MAX));
        hits.into_iter().map(|i| self.cancel_at(i)).collect()
    }

    /// Where one open order of `uid` in `category` and `symbol`, named by id or link id, is.
    fn open_order(
        &self,
        uid: u64,
        category: Category,
        symbol: &str,
        which: &OrderRef,
    ) -> Result<usize, VenueError> {
        self.orders
            .iter()
            .position(|o| {
                o.uid == uid
                    && o.category == category
                    && o.symbol == symbol
                    && o.status.is_open()
                    && match which {
                        OrderRef::Id(id) => &o.order_id == id,
                        OrderRef::LinkId(link) => &o.order_link_id == link,
                    }
            })
            .ok_or(VenueError::NoSuchOrder)
    }

    /// Cancels one open order of `uid` in `category` and `symbol`, named by id or link id.
    pub(crate) fn cancel_one(
        &mut self,
        uid: u64,
        category: Category,
        symbol: &str,
        which: &OrderRef,
    ) -> Result<Order, VenueError> {
        let idx = self.open_order(uid, category, symbol, which)?;
        Ok(self.cancel_at(idx))
    }

    /// Changes one open order of `uid` in place (its ids stay): a new quantity, a new limit
    /// price or both. A quantity at or under what already filled closes the order with what
    /// filled (Kraken's and Binance's documented rule; the others refuse it, which their
    /// dialects check first).
    pub(crate) fn amend_one(
        &mut self,
        uid: u64,
        category: Category,
        symbol: &str,
        which: &OrderRef,
        qty: Option<String>,
        price: Option<String>,
    ) -> Result<Order, VenueError> {
        let idx = self.open_order(uid, category, symbol, which)?;
        let now = self.now_ms();
        let o = &mut self.orders[idx];
        if let Some(price) = price {
            o.price = Some(price);
        }
        if let Some(qty) = qty {
            let filled_all = num::parse_positive(&qty).is_none_or(|q| q <= o.cum_exec_qty + 1e-12);
            o.qty = qty;
            if filled_all {
                o.status = if o.cum_exec_qty > 0.0 {
                    OrderStatus::Filled
                } else {
                    OrderStatus::Cancelled
                };
            }
        }
        o.updated_ms = now;
        Ok(o.clone())
    }

    /// Cancels `self.orders[idx]` at the owner's request and returns it.
    fn cancel_at(&mut self, idx: usize) -> Order {
        let now = self.now_ms();
        let o = &mut self.orders[idx];
        o.status = OrderStatus::closed_early(o.category, o.cum_exec_qty > 0.0);
        o.ended = Some(EndReason::ByUser);
        o.updated_ms = now;
        o.clone()
    }

    /// Accepts a withdrawal request: the coin must be free in `uid`'s wallet; it leaves the
    /// wallet at once and waits in `SecurityCheck` (docs `enum.mdx` "withdrawStatus").
    pub(crate) fn withdraw(&mut self, new: NewWithdrawal) -> Result<Withdrawal, VenueError> {
        if self.free(new.uid, &new.coin) + 1e-12 < new.amount {
            return Err(VenueError::InsufficientBalance { coin: new.coin });
        }
        let now = self.now_ms();
        let withdrawal = Withdrawal {
            withdraw_id: self
                .ids
                .below(90_000_000)
                .saturating_add(10_000_000)
                .to_string(),
            uid: new.uid,
            kind: new.kind,
            tx_id: String::new(),
            coin: new.coin,
            chain: new.chain,
            amount: num::fmt(new.amount),
            fee: "0".to_owned(),
            to_address: new.address,
            status: "SecurityCheck".to_owned(),
            created_ms: now,
            updated_ms: now,
        };
        self.balances
            .add(withdrawal.uid, &withdrawal.coin, -new.amount);
        self.withdrawals.push(withdrawal.clone());
        Ok(withdrawal)
    }

    /// Creates a key and returns its index in `keys`.
    pub(crate) fn create_key(&mut self, new: NewKey, leaked: bool) -> usize {
        let now = self.now_ms();
        let internal_id = self.ids.internal_key_id();
        let dialect = self.dialect;
        let (api_key, secret) = dialect.new_credentials(self);
        let mut key = ApiKey {
            internal_id,
            api_key,
            secret: SecretString::from(secret),
            passphrase: None,
            enabled: true,
            uid: new.uid,
            tier: new.tier,
            note: new.note,
            permissions: new.permissions,
            access: new.access,
            ips: IpWhitelist::Any,
            created_ms: now,
            expires_ms: None,
            deleted_ms: None,
            leaked,
        };
        key.set_ips(new.ips, now);
        self.keys.push(key);
        self.keys.len() - 1
    }

    /// Returns a client order id the dialect accepts (OKX's `clOrdId`: letters and digits).
    pub(crate) fn client_order_id(&self, raw: String) -> String {
        self.dialect.client_order_id(raw)
    }

    /// Returns the index of the live key with this id.
    pub(crate) fn live_key_index(&self, api_key: &str) -> Result<usize, VenueError> {
        self.keys
            .iter()
            .position(|k| k.api_key == api_key && k.is_live())
            .ok_or_else(|| VenueError::NoSuchKey(api_key.to_owned()))
    }

    /// Deletes a key: from now on it is refused as unknown.
    pub(crate) fn delete_key(&mut self, api_key: &str) -> Result<(), VenueError> {
        let idx = self.live_key_index(api_key)?;
        let now = self.now_ms();
        self.keys[idx].deleted_ms = Some(now);
        Ok(())
    }
}

/// Returns true for the stablecoins the simulator prices at one dollar.
fn is_usd(coin: &str) -> bool {
    matches!(coin, "USDT" | "USDC")
}
