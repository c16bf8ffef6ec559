//! The Binance products the simulator serves, each on its own paths: spot (`/api/v3`), cross
//! margin (`/sapi/v1/margin`), USD-M futures (`/fapi/v1`), COIN-M futures (`/dapi/v1`) and
//! options (`/eapi/v1`) (docs/venues/binance.md §1, §5).
//!
//! A product is the venue's order category plus, for spot and margin, which account placed the
//! order: cross-margin orders trade the spot books, so they are spot orders that the dialect's
//! state marks (`state.rs`); the spot endpoints never show them and the margin ones show only
//! them. Isolated margin is the same with `isIsolated=TRUE`: its orders are marked apart, and an
//! account's first isolated order on a symbol creates that pair's isolated account (Binance
//! asks for it to be enabled first; its wallet is not modelled). Portfolio margin and Binance's
//! other accounts are not modelled.

use crate::sim::binance::state::BinanceState;
use crate::sim::order::{Category, Execution, Order};
use crate::sim::state::Venue;

/// One Binance product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Market {
    CoinM,
    Isolated,
    Margin,
    Options,
    Spot,
    UsdM,
}

impl Market {
    /// The venue category its orders and instruments are in.
    pub(crate) fn category(self) -> Category {
        match self {
            Market::Spot | Market::Margin | Market::Isolated => Category::Spot,
            Market::UsdM => Category::Linear,
            Market::CoinM => Category::Inverse,
            Market::Options => Category::Option,
        }
    }

    /// Whether an order is this product's.
    pub(crate) fn holds(self, v: &Venue, o: &Order) -> bool {
        o.category == self.category() && self.holds_id(v, &o.order_id)
    }

    /// Whether a fill is of this product's orders.
    pub(crate) fn holds_fill(self, v: &Venue, e: &Execution) -> bool {
        e.category == self.category() && self.holds_id(v, &e.order_id)
    }

    fn holds_id(self, v: &Venue, order_id: &str) -> bool {
        let state = v.own.get::<BinanceState>();
        let margin = state.is_some_and(|s| s.is_margin(order_id));
        let isolated = state.is_some_and(|s| s.is_isolated(order_id));
        match self {
            Market::Spot => !margin && !isolated,
            Market::Margin => margin,
            Market::Isolated => isolated,
            _ => true,
        }
    }

    /// Whether it is one of the margin accounts (cross or isolated).
    pub(crate) fn is_margin(self) -> bool {
        matches!(self, Market::Margin | Market::Isolated)
    }
}
