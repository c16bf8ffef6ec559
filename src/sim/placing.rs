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

impl Venue {
    /// Places an order: checks the symbol, the link id and the funds, records it, applies the
    /// fills it takes from its market's book, and closes a market order's unfilled rest.
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
        let fills = self.planned_fills(&new);
        self.check_funds(&new, &inst, &fills)?;
        let now = self.now_ms();
        let order_id = self.new_order_id(&inst);
        let order = new.into_order(order_id, now);
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
        if order.order_type == OrderType::Market && order.status.is_open() {
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
