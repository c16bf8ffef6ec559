//! The venue state and the operations every dialect shares.
//!
//! One `Venue` holds accounts, keys, orders, fills, balances, withdrawals, transfers, the access
//! log and the rate limiter. Its operations are venue semantics (place an order, cancel a set,
//! create or delete a key) with no wire format: dialects parse, check auth and permissions, call
//! these, and shape the answer. Every operation validates before it mutates, so a refused request
//! leaves no trace but its access-log entry, and a poisoned lock never holds a half-done change.

use secrecy::SecretString;

use crate::sim::access::AccessEntry;
use crate::sim::funds::{Balances, Transfer, Withdrawal};
use crate::sim::ids::IdGen;
use crate::sim::instrument::Instrument;
use crate::sim::key::{Access, ApiKey, IpWhitelist, Permissions, Tier};
use crate::sim::matching::{self, Fill};
use crate::sim::num;
use crate::sim::order::{
    Category, Execution, Order, OrderStatus, OrderType, Origin, QtyUnit, Side,
};
use crate::sim::ratelimit::RateLimiter;

/// Whether the API may edit a key's IP whitelist (reference §3.4, code 141019).
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
    #[error("order link id `{0}` is already used")]
    DuplicateOrderLinkId(String),
    #[error("no live key `{0}`")]
    NoSuchKey(String),
}

/// Which symbols an operation covers; Bybit's priority is symbol > baseCoin > settleCoin
/// (reference §3.5).
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
    pub(crate) master_uid: u64,
    pub(crate) accounts: Vec<Account>,
    pub(crate) keys: Vec<ApiKey>,
    pub(crate) orders: Vec<Order>,
    pub(crate) executions: Vec<Execution>,
    pub(crate) balances: Balances,
    pub(crate) withdrawals: Vec<Withdrawal>,
    pub(crate) transfers: Vec<Transfer>,
    pub(crate) instruments: Vec<Instrument>,
    pub(crate) access_log: Vec<AccessEntry>,
    pub(crate) limiter: RateLimiter,
    pub(crate) ids: IdGen,
    pub(crate) clock_skew_ms: i64,
    pub(crate) ip_edit: IpEditPolicy,
    pub(crate) next_seq: i64,
}

impl Venue {
    /// Creates an empty venue whose ids come from `seed`.
    pub(crate) fn new(seed: u64, master_uid: u64) -> Venue {
        Venue {
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
            access_log: Vec::new(),
            limiter: RateLimiter::default(),
            ids: IdGen::new(seed),
            clock_skew_ms: 0,
            ip_edit: IpEditPolicy::Api,
            next_seq: 1,
        }
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

    /// Places an order: checks the symbol, the link id and (spot) the balance, records it, and
    /// applies the fills the matcher decides.
    pub(crate) fn place_order(&mut self, new: NewOrder) -> Result<Order, VenueError> {
        let Some(inst) = self.instrument(new.category, &new.symbol).cloned() else {
            return Err(VenueError::UnknownSymbol {
                category: new.category.as_str(),
                symbol: new.symbol,
            });
        };
        if !new.order_link_id.is_empty()
            && self
                .orders
                .iter()
                .any(|o| o.uid == new.uid && o.order_link_id == new.order_link_id)
        {
            return Err(VenueError::DuplicateOrderLinkId(new.order_link_id));
        }
        if new.category == Category::Spot {
            self.check_spot_funds(&new, &inst)?;
        }
        let now = self.now_ms();
        let order = Order {
            order_id: self.ids.uuid(),
            order_link_id: new.order_link_id,
            uid: new.uid,
            category: new.category,
            symbol: new.symbol,
            side: new.side,
            order_type: new.order_type,
            price: new.price,
            qty: new.qty,
            qty_unit: new.qty_unit,
            status: OrderStatus::New,
            cum_exec_qty: 0.0,
            cum_exec_value: 0.0,
            cum_exec_fee: 0.0,
            created_ms: now,
            updated_ms: now,
            origin: new.origin,
        };
        let fills = matching::on_arrival(&order, &inst);
        self.orders.push(order);
        let idx = self.orders.len() - 1;
        for fill in fills {
            self.apply_fill(idx, &inst, fill, now);
        }
        Ok(self.orders[idx].clone())
    }

    fn check_spot_funds(&self, new: &NewOrder, inst: &Instrument) -> Result<(), VenueError> {
        let qty = num::parse_positive(&new.qty).unwrap_or(0.0);
        let price = new
            .price
            .as_deref()
            .and_then(num::parse_positive)
            .unwrap_or(inst.ref_price);
        let (coin, need) = match (new.side, new.qty_unit) {
            (Side::Buy, QtyUnit::Base) => (&inst.settle_coin, qty * price),
            (Side::Buy, QtyUnit::Quote) => (&inst.settle_coin, qty),
            (Side::Sell, QtyUnit::Base) => (&inst.base_coin, qty),
            (Side::Sell, QtyUnit::Quote) => (&inst.base_coin, qty / price),
        };
        if self.free(new.uid, coin) + 1e-12 < need {
            return Err(VenueError::InsufficientBalance { coin: coin.clone() });
        }
        Ok(())
    }

    /// Records one fill of `self.orders[idx]`: execution, order totals and status, spot balances.
    pub(crate) fn apply_fill(&mut self, idx: usize, inst: &Instrument, fill: Fill, at_ms: i64) {
        let fee_rate = matching::fee_rate(inst.category, fill.is_maker);
        let value = fill.price * fill.qty;
        let order = &self.orders[idx];
        // Bybit charges a spot buy's fee in the coin received, everything else in the quote.
        let (fee, fee_coin) = match (inst.category, order.side) {
            (Category::Spot, Side::Buy) => (fill.qty * fee_rate, inst.base_coin.clone()),
            _ => (value * fee_rate, inst.settle_coin.clone()),
        };
        let exec_id = self.ids.uuid();
        let seq = self.next_seq;
        self.next_seq += 1;
        let order = &mut self.orders[idx];
        order.cum_exec_qty += fill.qty;
        order.cum_exec_value += value;
        order.cum_exec_fee += fee;
        order.updated_ms = at_ms;
        let sent = num::parse_positive(&order.qty).unwrap_or(0.0);
        let done = match order.qty_unit {
            QtyUnit::Base => order.cum_exec_qty,
            QtyUnit::Quote => order.cum_exec_value,
        };
        order.status = if done + 1e-9 >= sent {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        let exec = Execution {
            exec_id,
            order_id: order.order_id.clone(),
            order_link_id: order.order_link_id.clone(),
            uid: order.uid,
            category: order.category,
            symbol: order.symbol.clone(),
            side: order.side,
            order_type: order.order_type,
            order_price: order.price.clone().unwrap_or_else(|| "0".to_owned()),
            order_qty: order.qty.clone(),
            exec_price: fill.price,
            exec_qty: fill.qty,
            exec_fee: fee,
            fee_rate,
            fee_currency: fee_coin.clone(),
            is_maker: fill.is_maker,
            leaves_qty: order.leaves_qty(),
            exec_time_ms: at_ms,
            seq,
        };
        let (uid, side) = (order.uid, order.side);
        self.executions.push(exec);
        if inst.category == Category::Spot {
            match side {
                Side::Buy => {
                    self.balances.add(uid, &inst.settle_coin, -value);
                    self.balances.add(uid, &inst.base_coin, fill.qty - fee);
                }
                Side::Sell => {
                    self.balances.add(uid, &inst.base_coin, -fill.qty);
                    self.balances.add(uid, &inst.settle_coin, value - fee);
                }
            }
        }
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
        let now = self.now_ms();
        hits.into_iter()
            .map(|i| {
                let o = &mut self.orders[i];
                o.status = OrderStatus::Cancelled;
                o.updated_ms = now;
                o.clone()
            })
            .collect()
    }

    /// Creates a key and returns its index in `keys`.
    pub(crate) fn create_key(&mut self, new: NewKey, leaked: bool) -> usize {
        let now = self.now_ms();
        let mut key = ApiKey {
            internal_id: self.ids.internal_key_id(),
            api_key: self.ids.api_key(),
            secret: SecretString::from(self.ids.secret()),
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
