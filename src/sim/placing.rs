//! Placing orders on a venue: the funds check, the fills an order takes from its book, and what
//! each fill records (execution, order totals, balances).
//!
//! Split from `state.rs` to keep the venue's bookkeeping and its trading apart; the rules are the
//! same for every dialect. Like every venue operation it validates before it mutates: a refused
//! order leaves nothing behind.

use crate::sim::instrument::Instrument;
use crate::sim::matching::{self, Fill, Reach, Taker};
use crate::sim::num;
use crate::sim::order::{
    Category, EndReason, Execution, Order, OrderStatus, OrderType, QtyUnit, Side,
};
use crate::sim::state::{NewOrder, Venue, VenueError};

/// How long a limit order may rest, as the dialect read it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Tif {
    /// Good till cancelled.
    #[default]
    Gtc,
    /// Immediate or cancel: the unfilled rest is cancelled.
    Ioc,
    /// Fill or kill: fills in full at once or is cancelled unfilled.
    Fok,
    /// Post only: an order that would take liquidity is refused or cancelled.
    PostOnly,
}

/// What a venue does with a post-only order that would take liquidity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum PostOnlyCross {
    /// Refuses the request (Binance `LIMIT_MAKER`, Deribit `reject_post_only`, Kraken).
    #[default]
    Reject,
    /// Accepts it and cancels it at once, unfilled (Bybit, OKX, Binance futures `GTX`).
    Cancel,
}

/// An order's terms beyond what it buys: time in force and reduce-only.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Terms {
    pub(crate) tif: Tif,
    pub(crate) reduce_only: bool,
    pub(crate) post_only_cross: PostOnlyCross,
}

/// A venue about to place one order on `terms` ([`Venue::with_terms`]).
pub(crate) struct Placing<'a> {
    venue: &'a mut Venue,
    terms: Terms,
}

impl Placing<'_> {
    /// Places the order: [`Venue::place_order_with`].
    pub(crate) fn place_order(self, new: NewOrder) -> Result<Order, VenueError> {
        self.venue.place_order_with(new, self.terms)
    }
}

impl Venue {
    /// The next order placed through the answer goes on `terms`.
    pub(crate) fn with_terms(&mut self, terms: Terms) -> Placing<'_> {
        Placing { venue: self, terms }
    }

    /// Places a plain (good-till-cancelled) order: [`Venue::place_order_with`].
    pub(crate) fn place_order(&mut self, new: NewOrder) -> Result<Order, VenueError> {
        self.place_order_with(new, Terms::default())
    }

    /// Places an order: checks the symbol, the link id and the funds, records it, applies the
    /// fills it takes from its market's book, and closes a market or IOC order's unfilled rest.
    /// A post-only order that would take is refused or cancelled unfilled as `terms` say; a
    /// fill-or-kill order the book cannot fill in full is cancelled unfilled. The simulator
    /// keeps no positions, so a reduce-only order has nothing to reduce and is refused.
    pub(crate) fn place_order_with(
        &mut self,
        new: NewOrder,
        terms: Terms,
    ) -> Result<Order, VenueError> {
        let Some(inst) = self.instrument(new.category, &new.symbol).cloned() else {
            return Err(VenueError::UnknownSymbol {
                category: new.category.as_str(),
                symbol: new.symbol,
            });
        };
        // A client id must be unique among the account's open orders; a closed order's may be
        // used again (Binance: unique among open orders, docs/venues/binance.md).
        if !new.order_link_id.is_empty()
            && self.orders.iter().any(|o| {
                o.uid == new.uid && o.status.is_open() && o.order_link_id == new.order_link_id
            })
        {
            return Err(VenueError::DuplicateOrderLinkId(new.order_link_id));
        }
        if terms.reduce_only {
            return Err(VenueError::ReduceOnlyNoPosition);
        }
        let mut fills = self.planned_fills(&new);
        let killed = match terms.tif {
            Tif::PostOnly if !fills.is_empty() => match terms.post_only_cross {
                PostOnlyCross::Reject => return Err(VenueError::PostOnlyWouldTake),
                PostOnlyCross::Cancel => Some(EndReason::PostOnlyCross),
            },
            Tif::Fok if !fills_in_full(&new, &fills) => Some(EndReason::NoFullFill),
            _ => None,
        };
        if killed.is_some() {
            fills.clear();
        }
        self.check_funds(&new, &inst, &fills)?;
        let now = self.now_ms();
        let order_id = self.new_order_id(&inst);
        let mut order = new.into_order(order_id, now);
        if let Some(reason) = killed {
            order.status = OrderStatus::Cancelled;
            order.ended = Some(reason);
        }
        let key = (order.category, order.symbol.clone());
        let side = order.side;
        self.orders.push(order);
        let idx = self.orders.len() - 1;
        for fill in &fills {
            self.apply_fill(idx, &inst, *fill, now);
        }
        if let Some(book) = self.books.get_mut(&key) {
            book.take(side, &fills);
        }
        let order = &mut self.orders[idx];
        let immediate = order.order_type == OrderType::Market || terms.tif == Tif::Ioc;
        if immediate && order.status.is_open() {
            // An IOC market order's unfilled rest is cancelled (docs `enum.mdx`).
            let filled = order.cum_exec_qty > 0.0;
            order.status = OrderStatus::closed_early(order.category, filled);
            order.ended = Some(if filled {
                EndReason::NoFullFill
            } else {
                EndReason::NoImmediateQty
            });
        }
        Ok(order.clone())
    }

    /// Returns the fills `new` would take from its book now (none without a book, or for a
    /// limit order without a readable price).
    fn planned_fills(&self, new: &NewOrder) -> Vec<Fill> {
        let Some(book) = self.book(new.category, &new.symbol) else {
            return Vec::new();
        };
        let reach = match (
            new.order_type,
            new.price.as_deref().and_then(num::parse_positive),
        ) {
            (OrderType::Market, _) => Reach::AnyPrice,
            (OrderType::Limit, Some(p)) => Reach::Limit(p),
            (OrderType::Limit, None) => return Vec::new(),
        };
        let Some(qty) = num::parse_positive(&new.qty) else {
            return Vec::new();
        };
        let taker = Taker {
            side: new.side,
            reach,
            qty,
            unit: new.qty_unit,
        };
        matching::on_arrival(&taker, book)
    }

    /// Refuses an order the account cannot pay for.
    ///
    /// Spot: a Buy needs the quote coin (`qty` when counted in quote, `qty × price` for a limit,
    /// the walked cost for a base-counted market Buy), a Sell the base coin (`qty`, or what the
    /// walk sells for a quote-counted market Sell); open orders' locks are not free. Linear: the
    /// taker fees of the planned fills must be free in the settle coin (no margin is modelled).
    fn check_funds(
        &self,
        new: &NewOrder,
        inst: &Instrument,
        fills: &[Fill],
    ) -> Result<(), VenueError> {
        let qty = num::parse_positive(&new.qty).unwrap_or(0.0);
        let cost: f64 = fills.iter().map(|f| f.price * f.qty).sum();
        let sold: f64 = fills.iter().map(|f| f.qty).sum();
        if new.category != Category::Spot {
            let fees = cost * matching::fee_rate(new.category, false);
            if fees > 0.0 && self.free(new.uid, &inst.settle_coin) + 1e-12 < fees {
                return Err(VenueError::InsufficientMargin {
                    coin: inst.settle_coin.clone(),
                });
            }
            return Ok(());
        }
        let limit = new.price.as_deref().and_then(num::parse_positive);
        let (coin, need) = match (new.side, new.qty_unit, new.order_type, limit) {
            (Side::Buy, QtyUnit::Quote, _, _) => (&inst.settle_coin, qty),
            (Side::Buy, QtyUnit::Base, OrderType::Limit, Some(p)) => (&inst.settle_coin, qty * p),
            (Side::Buy, QtyUnit::Base, _, _) => (&inst.settle_coin, cost),
            (Side::Sell, QtyUnit::Base, _, _) => (&inst.base_coin, qty),
            (Side::Sell, QtyUnit::Quote, _, _) => (&inst.base_coin, sold),
        };
        if self.free(new.uid, coin) + 1e-12 < need {
            return Err(VenueError::InsufficientBalance { coin: coin.clone() });
        }
        Ok(())
    }

    /// Records one fill of `self.orders[idx]`: execution, order totals and status, balances
    /// (spot: both coins and the fee; linear: the fee from the settle coin).
    pub(crate) fn apply_fill(&mut self, idx: usize, inst: &Instrument, fill: Fill, at_ms: i64) {
        let fee_rate = matching::fee_rate(inst.category, fill.is_maker);
        let value = fill.price * fill.qty;
        let order = &self.orders[idx];
        // Bybit charges a spot buy's fee in the coin received, everything else in the quote.
        let (fee, fee_coin) = match (inst.category, order.side) {
            (Category::Spot, Side::Buy) => (fill.qty * fee_rate, inst.base_coin.clone()),
            _ => (value * fee_rate, inst.settle_coin.clone()),
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let dialect = self.dialect;
        let exec_id = dialect.new_trade_id(self, inst, seq);
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
        order.status = if num::reached(done, sent) {
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
            origin: order.origin,
        };
        let (uid, side) = (order.uid, order.side);
        self.executions.push(exec);
        if inst.category != Category::Spot {
            self.balances.add(uid, &inst.settle_coin, -fee);
            return;
        }
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

/// Whether `fills` fill `new` in full.
fn fills_in_full(new: &NewOrder, fills: &[Fill]) -> bool {
    let sent = num::parse_positive(&new.qty).unwrap_or(0.0);
    let done: f64 = match new.qty_unit {
        QtyUnit::Base => fills.iter().map(|f| f.qty).sum(),
        QtyUnit::Quote => fills.iter().map(|f| f.qty * f.price).sum(),
    };
    num::reached(done, sent)
}
