//! What happens to a new order on arrival: it takes liquidity from its market's book.
//!
//! A market order walks the opposite side level by level, one fill per level touched, until it
//! is filled or the side is empty (the venue then closes the rest, as Bybit does with an IOC
//! market order). A limit order walks the same way but stops at its price; its remainder rests
//! off the book, where the synthetic participants never trade with it. A spot market Buy whose
//! `qty` is in the quote coin (`QtyUnit::Quote`, Bybit's default `marketUnit`) spends that much
//! quote coin. Every fill here is a taker fill; callers apply them and take them out of the book.
//! It must stay pure: no state, no clock, no randomness.

use crate::sim::book::Book;
use crate::sim::order::{Category, QtyUnit, Side};

/// Relative slack when comparing a level's price with a limit price parsed from text.
const PRICE_SLACK: f64 = 1e-9;

/// One fill decided by the matcher, in base-coin quantity (contracts for futures).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fill {
    pub(crate) price: f64,
    pub(crate) qty: f64,
    pub(crate) is_maker: bool,
}

/// How far an arriving order may walk the book.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Reach {
    /// Any price (a market order).
    AnyPrice,
    /// Up to this price for a Buy, down to it for a Sell (a limit order).
    Limit(f64),
}

/// An arriving order, as the matcher needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Taker {
    pub(crate) side: Side,
    pub(crate) reach: Reach,
    /// Quantity to fill, in `unit`.
    pub(crate) qty: f64,
    pub(crate) unit: QtyUnit,
}

/// Returns the fills `taker` gets from `book`, best level first, one per level touched.
pub(crate) fn on_arrival(taker: &Taker, book: &Book) -> Vec<Fill> {
    let mut left = taker.qty;
    let mut fills = Vec::new();
    for level in book.against(taker.side) {
        if left <= taker.qty * 1e-12 {
            break;
        }
        let crosses = match (taker.reach, taker.side) {
            (Reach::AnyPrice, _) => true,
            (Reach::Limit(p), Side::Buy) => level.price <= p * (1.0 + PRICE_SLACK),
            (Reach::Limit(p), Side::Sell) => level.price >= p * (1.0 - PRICE_SLACK),
        };
        if !crosses {
            break;
        }
        let wanted = match taker.unit {
            QtyUnit::Base => left,
            QtyUnit::Quote => left / level.price,
        };
        let qty = wanted.min(level.qty);
        if qty.is_nan() || qty <= 0.0 {
            continue;
        }
        fills.push(Fill {
            price: level.price,
            qty,
            is_maker: false,
        });
        left -= match taker.unit {
            QtyUnit::Base => qty,
            QtyUnit::Quote => qty * level.price,
        };
    }
    fills
}

/// Returns the fee rate for a fill: Bybit's base-tier spot and derivatives rates.
pub(crate) fn fee_rate(category: Category, is_maker: bool) -> f64 {
    match (category, is_maker) {
        (Category::Spot, _) => 0.001,
        (_, true) => 0.0002,
        (_, false) => 0.00055,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::book::Liquidity;

    fn thin() -> Book {
        Book::new(Liquidity::Thin, 0.005, 1.0, 3, "spot:XVGUSDT")
    }

    #[test]
    fn quote_market_buy_walks_levels_and_spends_exactly_its_qty() {
        let book = thin();
        let t = Taker {
            side: Side::Buy,
            reach: Reach::AnyPrice,
            qty: 1_000.0,
            unit: QtyUnit::Quote,
        };
        let fills = on_arrival(&t, &book);
        assert!(fills.len() >= 2, "{fills:?}");
        let spent: f64 = fills.iter().map(|f| f.price * f.qty).sum();
        assert!((spent - 1_000.0).abs() < 1e-6);
        assert!(fills.windows(2).all(|w| w[0].price < w[1].price));
        assert!(fills.iter().all(|f| !f.is_maker));
    }

    #[test]
    fn limit_stops_at_its_price_and_market_stops_when_empty() {
        let book = thin();
        let asks = book.against(Side::Buy);
        let t = Taker {
            side: Side::Buy,
            reach: Reach::Limit(asks[2].price),
            qty: 1e12,
            unit: QtyUnit::Base,
        };
        assert_eq!(
            on_arrival(&t, &book).len(),
            3,
            "the limit price itself is taken"
        );
        let all = Taker {
            reach: Reach::AnyPrice,
            ..t
        };
        let fills = on_arrival(&all, &book);
        assert_eq!(fills.len(), 12);
        let total: f64 = fills.iter().map(|f| f.qty).sum();
        let depth: f64 = asks.iter().map(|l| l.qty).sum();
        assert!((total - depth).abs() < 1e-6);
        let sell = Taker {
            side: Side::Sell,
            reach: Reach::Limit(1.0),
            qty: 10.0,
            unit: QtyUnit::Base,
        };
        assert!(on_arrival(&sell, &book).is_empty(), "no bid at 1.0");
    }
}
