//! OKX instrument ids (`BTC-USDT`, `BTC-USDT-SWAP`) for the venue's instruments, which keep the
//! internal `BASE+QUOTE` symbol every dialect shares.
//!
//! Spot pairs are `BASE-QUOTE`, linear perpetual swaps `BASE-QUOTE-SWAP`, inverse ones
//! `BASE-USD-SWAP` (docs/venues/okx.md §6). The simulator lists spot orders as `SPOT`, those placed
//! on margin (`tdMode` `cross` or `isolated` on a spot pair) as `MARGIN`, and swaps as `SWAP`; it
//! models no futures or options instruments, so those instrument types list nothing. A swap's `sz` counts the base coin (one contract per coin), where OKX sizes
//! contracts by a per-instrument face value.

use crate::sim::instrument::Instrument;
use crate::sim::okx::OkxState;
use crate::sim::order::Category;
use crate::sim::state::Venue;

/// The OKX instrument id of an instrument.
pub(crate) fn of(i: &Instrument) -> String {
    match i.category {
        Category::Spot | Category::Option => format!("{}-{}", i.base_coin, i.settle_coin),
        Category::Linear => format!("{}-{}-SWAP", i.base_coin, i.settle_coin),
        Category::Inverse => format!("{}-USD-SWAP", i.base_coin),
    }
}

/// The OKX instrument id of `symbol` in `category`; the symbol itself when the venue does not
/// list it.
pub(crate) fn inst_id(v: &Venue, category: Category, symbol: &str) -> String {
    v.instrument(category, symbol)
        .map_or_else(|| symbol.to_owned(), of)
}

/// The instrument an OKX instrument id names.
pub(crate) fn resolve<'v>(v: &'v Venue, inst_id: &str) -> Option<&'v Instrument> {
    v.instruments.iter().find(|i| of(i) == inst_id)
}

/// The OKX instrument type an instrument is listed under.
pub(crate) fn inst_type(category: Category) -> &'static str {
    match category {
        Category::Spot => "SPOT",
        Category::Linear | Category::Inverse => "SWAP",
        Category::Option => "OPTION",
    }
}

/// Whether order (or algo order) `id` was placed on margin: a spot pair traded in `cross` or
/// `isolated` mode.
pub(crate) fn on_margin(v: &Venue, id: &str) -> bool {
    v.own
        .get::<OkxState>()
        .is_some_and(|s| s.margin.contains(id))
}

/// The instrument type order `id` of `category` is listed under: `MARGIN` for a spot order
/// placed on margin, else its instrument's.
pub(crate) fn order_inst_type(v: &Venue, category: Category, id: &str) -> &'static str {
    if category == Category::Spot && on_margin(v, id) {
        "MARGIN"
    } else {
        inst_type(category)
    }
}

/// A request's optional `instType` and `instId` filters.
pub(crate) struct Filter<'p> {
    pub(crate) kind: Option<&'p str>,
    pub(crate) inst_id: Option<&'p str>,
}

impl Filter<'_> {
    /// Whether an order or fill of order `id`, of `category` on `symbol`, passes both.
    pub(crate) fn admits(&self, v: &Venue, category: Category, symbol: &str, id: &str) -> bool {
        self.kind
            .is_none_or(|k| k == order_inst_type(v, category, id))
            && self
                .inst_id
                .is_none_or(|id| id == inst_id(v, category, symbol))
    }
}

/// Checks an `instType` parameter: one of OKX's five.
pub(crate) fn is_inst_type(text: &str) -> bool {
    matches!(text, "SPOT" | "MARGIN" | "SWAP" | "FUTURES" | "OPTION")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_okx() {
        for (category, base, quote, want) in [
            (Category::Spot, "BTC", "USDT", "BTC-USDT"),
            (Category::Linear, "BTC", "USDT", "BTC-USDT-SWAP"),
            (Category::Inverse, "BTC", "BTC", "BTC-USD-SWAP"),
        ] {
            assert_eq!(of(&Instrument::new(category, base, quote, 1.0)), want);
        }
        assert_eq!(inst_type(Category::Linear), "SWAP");
        assert!(is_inst_type("MARGIN") && !is_inst_type("spot"));
    }
}
