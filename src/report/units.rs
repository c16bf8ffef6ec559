//! What a quantity and a notional are counted in, so no amount in the report stands without
//! its unit ("Notional 1851.07 USDT", "250 USDT" for a quote-sized market buy).
//!
//! The journal keeps an order's quantity as the venue gave it, without its unit; the unit
//! follows from the venue, the market family and the symbol's coins. Where that is not enough
//! (OKX derivatives count contracts whose size lockdown does not read) the unit says so and no
//! notional is made up. Market buys sized in the quote coin are told apart by their fills
//! (quantity ≈ filled × average price), not guessed from the venue alone.

use rust_decimal::Decimal;
use rust_decimal::prelude::*;

/// Quote coins symbols end with, longest first (so `USDT` wins over `USD`).
const QUOTES: &[&str] = &[
    "FDUSD", "USDT", "USDC", "TUSD", "BUSD", "USDE", "DAI", "EUR", "USD", "GBP", "TRY", "BRL",
    "JPY", "CHF", "CAD", "AUD", "BTC", "ETH", "BNB", "XBT",
];

/// An order's quantity unit and notional, as the report shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sized {
    /// The quantity's unit: a coin, `contracts`, or `unit not known`.
    pub quantity_unit: String,
    /// The filled notional, decimal string; empty when it cannot be said.
    pub notional: String,
    /// Its currency; empty with `notional`.
    pub currency: String,
}

/// What the report knows of one order.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts<'a> {
    /// The venue (`bybit`, ...).
    pub venue: &'a str,
    /// `spot`, `linear`, `inverse`, `option`.
    pub category: &'a str,
    /// The symbol as the venue names it.
    pub symbol: &'a str,
    /// `buy` / `sell`.
    pub side: &'a str,
    /// `market`, `limit`, ...
    pub order_type: &'a str,
    /// The ordered quantity.
    pub qty: Option<&'a str>,
    /// The filled quantity.
    pub filled: Option<&'a str>,
    /// The average fill price.
    pub avg_price: Option<&'a str>,
}

/// The base and quote coin of `symbol` on `venue`, when they can be told.
pub fn pair(venue: &str, symbol: &str) -> Option<(String, String)> {
    let upper = symbol.to_ascii_uppercase();
    if venue == "deribit" {
        // `XVG_USDT`, `BTC_USDC-PERPETUAL`; `BTC-PERPETUAL`, `BTC-27DEC24`, options
        // `BTC-27DEC24-60000-C` are inverse: priced in USD (or, options, in the coin).
        let head = upper.split('-').next().unwrap_or_default();
        return match head.split_once('_') {
            Some((base, quote)) => Some((base.to_owned(), quote.to_owned())),
            None if !head.is_empty() => Some((head.to_owned(), "USD".to_owned())),
            None => None,
        };
    }
    // `BTC-USDT-SWAP`, `XBT/USD`: the second part only when it is a quote coin (a Bybit
    // future's `BTC-27DEC24` or `BTC-PERPETUAL` names no quote).
    for sep in ['-', '/', '_'] {
        let mut parts = upper.split(sep);
        if let (Some(base), Some(quote)) = (parts.next(), parts.next())
            && !base.is_empty()
        {
            return QUOTES
                .contains(&quote)
                .then(|| (base.to_owned(), quote.to_owned()));
        }
    }
    // Kraken's old pair names: `XXBTZUSD`, `XETHZEUR`.
    if venue == "kraken" && upper.len() == 8 {
        let (base, quote) = upper.split_at(4);
        let quote = quote.strip_prefix('Z').or_else(|| quote.strip_prefix('X'));
        if let (Some(b), Some(q)) = (base.strip_prefix('X'), quote) {
            return Some((b.to_owned(), q.to_owned()));
        }
    }
    QUOTES.iter().find_map(|quote| {
        let base = upper.strip_suffix(quote)?;
        (!base.is_empty()).then(|| (base.to_owned(), (*quote).to_owned()))
    })
}

fn decimal(text: Option<&str>) -> Option<Decimal> {
    Decimal::from_str(text?).ok()
}

/// A decimal as the report writes it: at most 8 places, no trailing zeros.
pub fn amount(value: Decimal) -> String {
    value.round_dp(8).normalize().to_string()
}

/// Whether a filled market buy's quantity is its cost in the quote coin: the venue's
/// `qty` is filled × average price, not the filled amount (Bybit's spot market buys by
/// default, OKX's `tgtCcy=quote_ccy`).
fn quote_sized(facts: &OrderFacts<'_>) -> bool {
    let (Some(qty), Some(filled), Some(avg)) = (
        decimal(facts.qty),
        decimal(facts.filled),
        decimal(facts.avg_price),
    ) else {
        return false;
    };
    if facts.side != "buy" || facts.order_type != "market" || qty == filled || qty.is_zero() {
        return false;
    }
    let cost = filled * avg;
    ((cost - qty).abs() / qty) < Decimal::new(2, 2)
}

/// The unit of an order's quantity and its filled notional with its currency.
pub fn size(facts: &OrderFacts<'_>) -> Sized {
    let not_known = |unit: &str| Sized {
        quantity_unit: unit.to_owned(),
        notional: String::new(),
        currency: String::new(),
    };
    let Some((base, quote)) = pair(facts.venue, facts.symbol) else {
        return not_known("unit not known");
    };
    let filled = decimal(facts.filled);
    let avg = decimal(facts.avg_price);
    let traded = |currency: &str| match (filled, avg) {
        (Some(f), Some(p)) if !f.is_zero() => Sized {
            quantity_unit: String::new(),
            notional: amount(f * p),
            currency: currency.to_owned(),
        },
        (Some(_), _) => Sized {
            quantity_unit: String::new(),
            notional: "0".to_owned(),
            currency: currency.to_owned(),
        },
        _ => not_known(""),
    };
    let with_unit = |unit: &str, mut sized: Sized| {
        unit.clone_into(&mut sized.quantity_unit);
        sized
    };
    match (facts.venue, facts.category) {
        // OKX counts derivatives in contracts (`ctVal` per instrument, not read here).
        ("okx", "linear" | "inverse" | "option") => not_known("contracts"),
        // Inverse contracts are sized in USD; their notional is the quantity filled.
        (_, "inverse") => match filled {
            Some(f) => Sized {
                quantity_unit: "USD".to_owned(),
                notional: amount(f),
                currency: "USD".to_owned(),
            },
            None => not_known("USD"),
        },
        // Deribit option premiums are in the coin; Bybit's in USDC.
        ("deribit", "option") => with_unit(&base, traded(&base)),
        ("bybit", "option") => with_unit(&base, traded("USDC")),
        (_, "spot" | "linear") => {
            let unit = if quote_sized(facts) { &quote } else { &base };
            with_unit(unit, traded(&quote))
        }
        _ => not_known("unit not known"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        venue: &'a str,
        category: &'a str,
        symbol: &'a str,
        order: (&'a str, &'a str),
        qty: &'a str,
        filled: &'a str,
        avg: &'a str,
    ) -> OrderFacts<'a> {
        OrderFacts {
            venue,
            category,
            symbol,
            side: order.0,
            order_type: order.1,
            qty: Some(qty),
            filled: Some(filled),
            avg_price: Some(avg),
        }
    }

    #[test]
    fn symbols_split_into_their_coins() {
        let cases = [
            ("bybit suffix", "bybit", "XVGUSDT", Some(("XVG", "USDT"))),
            ("okx dash", "okx", "BTC-USDT-SWAP", Some(("BTC", "USDT"))),
            ("kraken slash", "kraken", "XBT/USD", Some(("XBT", "USD"))),
            ("kraken old", "kraken", "XXBTZUSD", Some(("XBT", "USD"))),
            ("deribit spot", "deribit", "XVG_USDT", Some(("XVG", "USDT"))),
            (
                "deribit inverse",
                "deribit",
                "BTC-PERPETUAL",
                Some(("BTC", "USD")),
            ),
            (
                "deribit linear",
                "deribit",
                "BTC_USDC-PERPETUAL",
                Some(("BTC", "USDC")),
            ),
            ("binance", "binance", "ETHBTC", Some(("ETH", "BTC"))),
            ("unknown", "bybit", "WHAT", None),
            ("bybit future", "bybit", "BTC-27DEC24", None),
        ];
        for (label, venue, symbol, want) in cases {
            let want = want.map(|(b, q)| (b.to_owned(), q.to_owned()));
            assert_eq!(pair(venue, symbol), want, "{label}");
        }
    }

    #[test]
    fn every_quantity_has_a_unit_and_every_notional_a_currency() {
        let cases = [
            (
                "quote-sized market buy",
                facts(
                    "bybit",
                    "spot",
                    "XVGUSDT",
                    ("buy", "market"),
                    "250",
                    "48996.34738803",
                    "0.0051024212",
                ),
                ("USDT", "250.00000164", "USDT"),
            ),
            (
                "limit buy",
                facts(
                    "bybit",
                    "spot",
                    "XVGUSDT",
                    ("buy", "limit"),
                    "100",
                    "100",
                    "0.0065",
                ),
                ("XVG", "0.65", "USDT"),
            ),
            (
                "base-sized market buy (Deribit)",
                facts(
                    "deribit",
                    "spot",
                    "XVG_USDT",
                    ("buy", "market"),
                    "25000",
                    "25000",
                    "0.0051",
                ),
                ("XVG", "127.5", "USDT"),
            ),
            (
                "inverse",
                facts(
                    "bybit",
                    "inverse",
                    "BTCUSD",
                    ("sell", "limit"),
                    "100",
                    "40",
                    "60000",
                ),
                ("USD", "40", "USD"),
            ),
            (
                "okx swap",
                facts(
                    "okx",
                    "linear",
                    "BTC-USDT-SWAP",
                    ("buy", "limit"),
                    "3",
                    "3",
                    "60000",
                ),
                ("contracts", "", ""),
            ),
            (
                "unknown symbol",
                facts("bybit", "spot", "WHAT", ("buy", "limit"), "3", "3", "1"),
                ("unit not known", "", ""),
            ),
        ];
        for (label, facts, (unit, notional, currency)) in cases {
            let sized = size(&facts);
            assert_eq!(
                (
                    sized.quantity_unit.as_str(),
                    sized.notional.as_str(),
                    sized.currency.as_str()
                ),
                (unit, notional, currency),
                "{label}"
            );
        }
    }
}
