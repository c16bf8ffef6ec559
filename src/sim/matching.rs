//! What happens to a new order on arrival: the one place a future order book plugs in.
//!
//! Today there is no book: a market order fills at once, in full, at the symbol's reference
//! price; a limit order rests untouched, whatever its price. Replacing [`on_arrival`] (and adding
//! a resting-order sweep) is all a real matcher needs; callers apply the returned fills.
//! It must stay pure: no state, no clock, no randomness.

use crate::sim::instrument::Instrument;
use crate::sim::num;
use crate::sim::order::{Category, Order, OrderType, QtyUnit};

/// One fill decided by the matcher, in base-coin quantity (contracts for futures).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fill {
    pub(crate) price: f64,
    pub(crate) qty: f64,
    pub(crate) is_maker: bool,
}

/// Returns the fills `order` gets when it arrives.
pub(crate) fn on_arrival(order: &Order, instrument: &Instrument) -> Vec<Fill> {
    match order.order_type {
        OrderType::Limit => Vec::new(),
        OrderType::Market => {
            let price = instrument.ref_price;
            let sent = num::parse_positive(&order.qty).unwrap_or(0.0);
            let qty = match order.qty_unit {
                QtyUnit::Base => sent,
                QtyUnit::Quote => sent / price,
            };
            vec![Fill {
                price,
                qty,
                is_maker: false,
            }]
        }
    }
}

/// Returns the fee rate for a fill: Bybit's base-tier spot and derivatives rates.
pub(crate) fn fee_rate(category: Category, is_maker: bool) -> f64 {
    match (category, is_maker) {
        (Category::Spot, _) => 0.001,
        (_, true) => 0.0002,
        (_, false) => 0.00055,
    }
}
