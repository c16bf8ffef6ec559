//! Kraken's names for the venue's coins and markets, which keep the internal `BASE+QUOTE` symbol
//! every dialect shares.
//!
//! Pairs are shown and taken by their `altname`: Kraken's names of base and quote joined, with
//! bitcoin as `XBT` and dogecoin as `XDG` (`XBTUSDT`, `ADAXBT`). Balances and ledgers name the
//! older assets with Kraken's `X`/`Z` prefixes (`XXBT`, `XETH`, `ZUSD`); newer ones as they are
//! (`USDT`, `ADA`). Requests may name an asset either way (`XBT`, `XXBT`). Kraken Spot lists spot
//! pairs only (docs/venues/kraken.md §1).

use crate::sim::instrument::Instrument;
use crate::sim::order::Category;
use crate::sim::state::Venue;

/// Coins Kraken names with a prefix in balances and ledgers, and that name.
const PREFIXED: &[(&str, &str)] = &[
    ("BTC", "XXBT"),
    ("DOGE", "XXDG"),
    ("ETH", "XETH"),
    ("ETC", "XETC"),
    ("LTC", "XLTC"),
    ("XRP", "XXRP"),
    ("XLM", "XXLM"),
    ("XMR", "XXMR"),
    ("ZEC", "XZEC"),
    ("USD", "ZUSD"),
    ("EUR", "ZEUR"),
    ("GBP", "ZGBP"),
];

/// A coin's name inside pair names (`BTC` → `XBT`).
fn short(coin: &str) -> &str {
    match coin {
        "BTC" => "XBT",
        "DOGE" => "XDG",
        other => other,
    }
}

/// A coin as balances and ledgers name it (`BTC` → `XXBT`, `USDT` → `USDT`).
pub(crate) fn asset(coin: &str) -> String {
    PREFIXED
        .iter()
        .find(|(plain, _)| *plain == coin)
        .map_or_else(|| coin.to_owned(), |(_, kraken)| (*kraken).to_owned())
}

/// The coin a request's asset names (`XBT`, `XXBT` and `BTC` are all bitcoin).
pub(crate) fn coin(asset: &str) -> String {
    if let Some((plain, _)) = PREFIXED.iter().find(|(_, kraken)| *kraken == asset) {
        return (*plain).to_owned();
    }
    match asset {
        "XBT" => "BTC".to_owned(),
        "XDG" => "DOGE".to_owned(),
        other => other.to_owned(),
    }
}

/// An instrument's `altname`.
pub(crate) fn altname(i: &Instrument) -> String {
    format!("{}{}", short(&i.base_coin), short(&i.settle_coin))
}

/// The `altname` of `symbol` in `category`; the symbol itself when the venue does not list it.
pub(crate) fn pair_name(v: &Venue, category: Category, symbol: &str) -> String {
    v.instrument(category, symbol)
        .map_or_else(|| symbol.to_owned(), altname)
}

/// The spot instrument a pair name names.
pub(crate) fn resolve<'v>(v: &'v Venue, pair: &str) -> Option<&'v Instrument> {
    v.instruments
        .iter()
        .find(|i| i.category == Category::Spot && altname(i) == pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kraken() {
        let btc = Instrument::new(Category::Spot, "BTC", "USDT", 1.0);
        assert_eq!(altname(&btc), "XBTUSDT");
        let ada = Instrument::new(Category::Spot, "ADA", "BTC", 1.0);
        assert_eq!(altname(&ada), "ADAXBT");
        assert_eq!(asset("BTC"), "XXBT");
        assert_eq!(asset("USDT"), "USDT");
        assert_eq!(asset("XVG"), "XVG");
        for name in ["XBT", "XXBT", "BTC"] {
            assert_eq!(coin(name), "BTC", "{name}");
        }
        assert_eq!(coin("XVG"), "XVG");
    }
}
