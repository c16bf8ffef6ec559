//! Tradable symbols and their reference prices.
//!
//! The reference price is the mid a market's book is built around (see `book.rs`) and its last
//! price before anyone trades; what moves afterwards is the book's last price, never this one.

use crate::sim::order::Category;

/// One symbol of one category.
#[derive(Clone, Debug)]
pub(crate) struct Instrument {
    pub(crate) category: Category,
    pub(crate) symbol: String,
    pub(crate) base_coin: String,
    /// Quote coin for spot, settle coin for futures.
    pub(crate) settle_coin: String,
    pub(crate) ref_price: f64,
}

impl Instrument {
    /// Creates an instrument.
    pub(crate) fn new(category: Category, base: &str, settle: &str, ref_price: f64) -> Instrument {
        Instrument {
            category,
            symbol: format!("{base}{settle}"),
            base_coin: base.to_owned(),
            settle_coin: settle.to_owned(),
            ref_price,
        }
    }

    /// An inverse contract: quoted in `quote` (USD), settled in its base coin (`ETHUSD` in ETH).
    pub(crate) fn inverse(base: &str, quote: &str, ref_price: f64) -> Instrument {
        Instrument {
            category: Category::Inverse,
            symbol: format!("{base}{quote}"),
            base_coin: base.to_owned(),
            settle_coin: base.to_owned(),
            ref_price,
        }
    }
}
