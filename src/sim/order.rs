//! Orders and executions as the venue stores them.
//!
//! Closed sets (category, side, type, status, origin) are enums with Bybit's spellings for the
//! wire. `Origin` is the hidden truth a drill scores against: whether the owner's bot or the
//! attacker placed the order. No endpoint ever reveals it; only `Inspect` does.

/// Bybit's product line (`category`, docs/venues/bybit.md §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Category {
    Inverse,
    Linear,
    Option,
    Spot,
}

impl Category {
    /// Parses Bybit's lowercase spelling.
    pub(crate) fn parse(s: &str) -> Option<Category> {
        match s {
            "spot" => Some(Category::Spot),
            "linear" => Some(Category::Linear),
            "inverse" => Some(Category::Inverse),
            "option" => Some(Category::Option),
            _ => None,
        }
    }

    /// Returns Bybit's lowercase spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Inverse => "inverse",
            Category::Linear => "linear",
            Category::Option => "option",
            Category::Spot => "spot",
        }
    }

    /// Returns true for linear and inverse, where Bybit requires a symbol/baseCoin/settleCoin
    /// filter on cancel-all and open-order queries (docs/venues/bybit.md §5, §6).
    pub(crate) fn is_futures(self) -> bool {
        matches!(self, Category::Linear | Category::Inverse)
    }
}

/// Order side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Buy,
    Sell,
}

impl Side {
    /// Parses Bybit's `Buy` / `Sell`.
    pub(crate) fn parse(s: &str) -> Option<Side> {
        match s {
            "Buy" => Some(Side::Buy),
            "Sell" => Some(Side::Sell),
            _ => None,
        }
    }

    /// Returns Bybit's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "Buy",
            Side::Sell => "Sell",
        }
    }
}

/// Order type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderType {
    Limit,
    Market,
}

impl OrderType {
    /// Parses Bybit's `Limit` / `Market`.
    pub(crate) fn parse(s: &str) -> Option<OrderType> {
        match s {
            "Limit" => Some(OrderType::Limit),
            "Market" => Some(OrderType::Market),
            _ => None,
        }
    }

    /// Returns Bybit's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "Limit",
            OrderType::Market => "Market",
        }
    }
}

/// The unit of a spot market order's `qty` (`marketUnit`): Bybit counts a spot market Buy in the
/// quote coin unless told otherwise (docs `order/create-order.mdx`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QtyUnit {
    Base,
    Quote,
}

/// Order status, Bybit's spellings (docs `enum.mdx` "orderStatus").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderStatus {
    /// Closed unfilled; in derivatives also closed after a partial fill (docs `enum.mdx`).
    Cancelled,
    Filled,
    New,
    PartiallyFilled,
    /// Spot only: closed after a partial fill (docs `enum.mdx`).
    PartiallyFilledCanceled,
}

impl OrderStatus {
    /// Returns Bybit's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Filled => "Filled",
            OrderStatus::New => "New",
            OrderStatus::PartiallyFilled => "PartiallyFilled",
            OrderStatus::PartiallyFilledCanceled => "PartiallyFilledCanceled",
        }
    }

    /// Returns true while the order rests on the book.
    pub(crate) fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }

    /// Returns the status of an order of `category` closed before it filled in full:
    /// `PartiallyFilledCanceled` for spot with a fill, else `Cancelled` (docs `enum.mdx`).
    pub(crate) fn closed_early(category: Category, filled: bool) -> OrderStatus {
        if filled && category == Category::Spot {
            OrderStatus::PartiallyFilledCanceled
        } else {
            OrderStatus::Cancelled
        }
    }
}

/// Why an order closed before it filled in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndReason {
    /// The owner cancelled it (`cancelType` `CancelByUser`).
    ByUser,
    /// A market order met an empty book (`rejectReason` `EC_NoImmediateQtyToFill`).
    NoImmediateQty,
    /// A market order emptied the book before it filled (`rejectReason` `EC_CancelForNoFullFill`).
    NoFullFill,
    /// A post-only order would have taken liquidity (`rejectReason`
    /// `EC_PostOnlyWillTakeLiquidity`).
    PostOnlyCross,
}

impl EndReason {
    /// Returns Bybit's `cancelType` (docs `enum.mdx`; the IOC remainder has none of its own).
    pub(crate) fn cancel_type(reason: Option<EndReason>) -> &'static str {
        match reason {
            Some(EndReason::ByUser) => "CancelByUser",
            _ => "UNKNOWN",
        }
    }

    /// Returns Bybit's `rejectReason` (docs `enum.mdx`).
    pub(crate) fn reject_reason(reason: Option<EndReason>) -> &'static str {
        match reason {
            Some(EndReason::NoImmediateQty) => "EC_NoImmediateQtyToFill",
            Some(EndReason::NoFullFill) => "EC_CancelForNoFullFill",
            Some(EndReason::PostOnlyCross) => "EC_PostOnlyWillTakeLiquidity",
            _ => "EC_NoError",
        }
    }
}

/// Who really placed an order: the hidden truth a drill scores against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The attacker, trading with the leaked key.
    Attacker,
    /// The key's owner (their bot).
    Owner,
}

/// One order.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub(crate) order_id: String,
    /// Client order id; empty when none was given.
    pub(crate) order_link_id: String,
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    /// Limit price as sent; `None` for market orders.
    pub(crate) price: Option<String>,
    /// Quantity as sent, in `qty_unit`.
    pub(crate) qty: String,
    pub(crate) qty_unit: QtyUnit,
    pub(crate) status: OrderStatus,
    /// Filled quantity in the base coin (contracts for futures).
    pub(crate) cum_exec_qty: f64,
    /// Filled value in the quote/settle coin.
    pub(crate) cum_exec_value: f64,
    pub(crate) cum_exec_fee: f64,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
    /// Why it closed early; `None` while open or once filled.
    pub(crate) ended: Option<EndReason>,
    pub(crate) origin: Origin,
}

impl Order {
    /// Returns the average fill price, or `None` before any fill.
    pub(crate) fn avg_price(&self) -> Option<f64> {
        (self.cum_exec_qty > 0.0).then(|| self.cum_exec_value / self.cum_exec_qty)
    }

    /// Returns the quantity still to fill, in the order's own unit.
    pub(crate) fn leaves_qty(&self) -> f64 {
        if !self.status.is_open() {
            return 0.0;
        }
        let qty = crate::sim::num::parse_positive(&self.qty).unwrap_or(0.0);
        let done = match self.qty_unit {
            QtyUnit::Base => self.cum_exec_qty,
            QtyUnit::Quote => self.cum_exec_value,
        };
        (qty - done).max(0.0)
    }
}

/// One fill of an order.
#[derive(Clone, Debug)]
pub(crate) struct Execution {
    pub(crate) exec_id: String,
    pub(crate) order_id: String,
    pub(crate) order_link_id: String,
    pub(crate) uid: u64,
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) side: Side,
    pub(crate) order_type: OrderType,
    pub(crate) order_price: String,
    pub(crate) order_qty: String,
    pub(crate) exec_price: f64,
    pub(crate) exec_qty: f64,
    pub(crate) exec_fee: f64,
    pub(crate) fee_rate: f64,
    pub(crate) fee_currency: String,
    pub(crate) is_maker: bool,
    pub(crate) leaves_qty: f64,
    pub(crate) exec_time_ms: i64,
    pub(crate) seq: i64,
    /// Hidden truth, copied from the order: who really traded.
    pub(crate) origin: Origin,
}
