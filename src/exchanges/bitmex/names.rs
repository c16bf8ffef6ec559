//! BitMEX's names for coins, markets and wallet currencies (docs/venues/bitmex.md §1, §6).
//!
//! Bitcoin is `XBT` in symbols. Spot pairs join base and quote with `_` (`XBT_USDT`); linear
//! contracts name base and quote (`XBTUSDT`); inverse perpetuals are quoted in USD (`XBTUSD`).
//! Wallets count in each currency's minor unit (`XBt` satoshis, `USDt` millionths, `Gwei`), so
//! amounts are scaled back to whole coins here.

use crate::exchanges::model::Category;

/// A coin inside a symbol (`BTC` → `XBT`).
pub fn short(coin: &str) -> &str {
    match coin {
        "BTC" => "XBT",
        other => other,
    }
}

/// A coin as the rest of lockdown names it (`XBT` → `BTC`).
pub fn plain(coin: &str) -> String {
    match coin.to_ascii_uppercase().as_str() {
        "XBT" => "BTC".to_owned(),
        other => other.to_owned(),
    }
}

/// The symbol of a market.
pub fn symbol(category: Category, base: &str, quote: &str) -> String {
    match category {
        Category::Spot => format!("{}_{}", short(base), short(quote)),
        _ => format!("{}{}", short(base), short(quote)),
    }
}

/// The product a symbol trades in: spot pairs have `_`, inverse contracts are quoted in USD,
/// the rest are linear.
pub fn category(symbol: &str) -> Category {
    if symbol.contains('_') {
        Category::Spot
    } else if symbol.ends_with("USD") {
        Category::Inverse
    } else {
        Category::Linear
    }
}

/// Wallet currencies in their minor units and how many decimal places a minor unit is (the
/// swagger's `orderQty` and `Wallet.amount` descriptions: `XBt` for XBT, 10^8 to a coin; `USDt`
/// and `Gwei` as BitMEX's wallets name them). Places, not a float factor: amounts are scaled as
/// decimals.
const MINOR: &[(&str, &str, u32)] = &[("XBt", "BTC", 8), ("USDt", "USDT", 6), ("Gwei", "ETH", 9)];

/// A wallet currency as a coin, and the decimal places of its minor unit; 0 for a currency
/// named in whole units.
pub fn wallet_coin(currency: &str) -> (String, u32) {
    MINOR
        .iter()
        .find(|(minor, ..)| *minor == currency)
        .map_or_else(
            || (plain(currency), 0),
            |(_, coin, places)| ((*coin).to_owned(), *places),
        )
}

/// A coin as a withdrawal names its currency (`BTC` → `XBt`), and the decimal places of its
/// minor unit.
pub fn wallet_currency_scaled(coin: &str) -> (String, u32) {
    MINOR
        .iter()
        .find(|(_, plain, _)| *plain == coin)
        .map_or_else(
            || (coin.to_owned(), 0),
            |(minor, _, places)| ((*minor).to_owned(), *places),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_and_products() {
        assert_eq!(symbol(Category::Spot, "BTC", "USDT"), "XBT_USDT");
        assert_eq!(symbol(Category::Linear, "ETH", "USDT"), "ETHUSDT");
        assert_eq!(symbol(Category::Inverse, "BTC", "USD"), "XBTUSD");
        for (sym, cat) in [
            ("XBT_USDT", Category::Spot),
            ("XBTUSD", Category::Inverse),
            ("XBTUSDT", Category::Linear),
        ] {
            assert_eq!(category(sym), cat, "{sym}");
        }
        assert_eq!(wallet_coin("XBt"), ("BTC".to_owned(), 8));
        assert_eq!(wallet_coin("ADA"), ("ADA".to_owned(), 0));
        assert_eq!(wallet_currency_scaled("USDT"), ("USDt".to_owned(), 6));
    }
}
