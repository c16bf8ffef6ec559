//! BingX's names for the venue's markets over the internal `BASE+QUOTE` symbols every dialect
//! shares (docs/venues/bingx.md §1): every product writes base and quote with a hyphen
//! (`BTC-USDT` spot and USDT-M perpetual, `BTC-USD` coin-M perpetual); the route, not the
//! name, says which product an order is in.

use crate::sim::bingx::Product;
use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::state::Venue;

/// The internal category of a product.
pub(crate) fn category(product: Product) -> Category {
    match product {
        Product::Spot => Category::Spot,
        Product::Swap => Category::Linear,
        Product::Cswap => Category::Inverse,
    }
}

/// An instrument's BingX symbol.
pub(crate) fn wire(i: &Instrument) -> String {
    let quote = i
        .symbol
        .strip_prefix(&i.base_coin)
        .unwrap_or(&i.settle_coin);
    format!("{}-{}", i.base_coin, quote)
}

/// The wire symbol of an internal `symbol` in `category`.
pub(crate) fn wire_symbol(v: &Venue, category: Category, symbol: &str) -> String {
    v.instrument(category, symbol)
        .map_or_else(|| symbol.to_owned(), wire)
}

/// The instrument a wire symbol names in a product.
pub(crate) fn resolve<'v>(v: &'v Venue, product: Product, symbol: &str) -> Option<&'v Instrument> {
    let category = category(product);
    v.instruments
        .iter()
        .find(|i| i.category == category && wire(i) == symbol)
}
