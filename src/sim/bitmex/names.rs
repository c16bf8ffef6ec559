//! BitMEX's names for the venue's markets and wallet currencies, over the internal `BASE+QUOTE`
//! symbols every dialect shares (docs/venues/bitmex.md §1, §6): bitcoin is `XBT`; spot pairs
//! join base and quote with `_` (`XBT_USDT`), contracts do not (`XBTUSDT` linear, `XBTUSD`
//! inverse). Wallets count in minor units: `XBt` (1e-8 XBT), `USDt` (1e-6 USDT), `Gwei` (1e-9
//! ETH); other coins in whole units.

use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::state::Venue;

fn short(coin: &str) -> &str {
    if coin == "BTC" { "XBT" } else { coin }
}

/// An instrument's BitMEX symbol.
pub(crate) fn wire(i: &Instrument) -> String {
    let quote = i
        .symbol
        .strip_prefix(&i.base_coin)
        .unwrap_or(&i.settle_coin);
    match i.category {
        Category::Spot => format!("{}_{}", short(&i.base_coin), short(quote)),
        _ => format!("{}{}", short(&i.base_coin), short(quote)),
    }
}

/// The wire symbol of an internal `symbol` in `category`.
pub(crate) fn wire_symbol(v: &Venue, category: Category, symbol: &str) -> String {
    v.instrument(category, symbol)
        .map_or_else(|| symbol.to_owned(), wire)
}

/// The instrument a wire symbol names.
pub(crate) fn resolve<'v>(v: &'v Venue, symbol: &str) -> Option<&'v Instrument> {
    v.instruments
        .iter()
        .find(|i| i.category != Category::Option && wire(i) == symbol)
}

/// (wallet currency, minor units per coin) of a coin.
pub(crate) fn currency(coin: &str) -> (String, f64) {
    match coin {
        "BTC" => ("XBt".to_owned(), 1e8),
        "USDT" => ("USDt".to_owned(), 1e6),
        "ETH" => ("Gwei".to_owned(), 1e9),
        other => (other.to_owned(), 1.0),
    }
}

/// The coin a wallet currency names, and its minor units per coin.
pub(crate) fn coin(currency: &str) -> (String, f64) {
    match currency {
        "XBt" | "XBT" => ("BTC".to_owned(), if currency == "XBt" { 1e8 } else { 1.0 }),
        "USDt" => ("USDT".to_owned(), 1e6),
        "Gwei" => ("ETH".to_owned(), 1e9),
        other => (other.to_ascii_uppercase(), 1.0),
    }
}
