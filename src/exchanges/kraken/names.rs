//! Kraken's names for assets and pairs, and the plain names lockdown uses.
//!
//! Kraken calls bitcoin `XBT` (and dogecoin `XDG`), and its older assets carry an `X` (crypto)
//! or `Z` (fiat) prefix in balances and ledgers: `XXBT`, `XETH`, `ZUSD` (docs/venues/kraken.md;
//! Kraken's `Assets` endpoint lists both spellings as `altname`). Lockdown's model speaks plain
//! coin names (`BTC`, `ETH`, `USD`), so balances, ledgers and withdrawals are translated back
//! through a fixed table: a prefix is never stripped by rule, since `XVG` or `ZEC` are real names.
//! Pairs are written as Kraken's `altname` (`XBTUSDT`, `ETHUSDT`, `ADAXBT`), which `AddOrder` takes
//! and order descriptions show.

/// Kraken's legacy asset names and the plain coin each one is.
const LEGACY: &[(&str, &str)] = &[
    ("XXBT", "BTC"),
    ("XBT", "BTC"),
    ("XXDG", "DOGE"),
    ("XDG", "DOGE"),
    ("XETH", "ETH"),
    ("XETC", "ETC"),
    ("XLTC", "LTC"),
    ("XXRP", "XRP"),
    ("XXLM", "XLM"),
    ("XXMR", "XMR"),
    ("XZEC", "ZEC"),
    ("XREP", "REP"),
    ("XMLN", "MLN"),
    ("ZUSD", "USD"),
    ("ZEUR", "EUR"),
    ("ZGBP", "GBP"),
    ("ZCAD", "CAD"),
    ("ZJPY", "JPY"),
    ("ZAUD", "AUD"),
    ("ZCHF", "CHF"),
];

/// The plain coin name of a Kraken asset (`XXBT` → `BTC`, `USDT` → `USDT`).
pub fn coin(asset: &str) -> String {
    LEGACY
        .iter()
        .find(|(kraken, _)| *kraken == asset)
        .map_or_else(|| asset.to_owned(), |(_, plain)| (*plain).to_owned())
}

/// The name Kraken uses for a coin inside pair names and requests (`BTC` → `XBT`).
pub fn wire_coin(coin: &str) -> &str {
    match coin {
        "BTC" => "XBT",
        "DOGE" => "XDG",
        other => other,
    }
}

/// A pair's `altname`: Kraken's names of the base and the quote, joined (`XBTUSDT`).
pub fn pair(base: &str, quote: &str) -> String {
    format!("{}{}", wire_coin(base), wire_coin(quote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_assets_map_by_table_only() {
        for (kraken, plain) in [
            ("XXBT", "BTC"),
            ("ZUSD", "USD"),
            ("XETH", "ETH"),
            ("USDT", "USDT"),
            ("XVG", "XVG"),
            ("ADA", "ADA"),
        ] {
            assert_eq!(coin(kraken), plain, "{kraken}");
        }
        assert_eq!(pair("BTC", "USDT"), "XBTUSDT");
        assert_eq!(pair("ADA", "BTC"), "ADAXBT");
        assert_eq!(pair("XVG", "USDT"), "XVGUSDT");
    }
}
