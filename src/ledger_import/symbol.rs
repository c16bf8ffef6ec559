//! A source's market names turned into the venue's own, with the market's category.
//!
//! The diff compares the ledger's `symbol` with what the venue's order lists show, so the ledger
//! must name markets the venue's way. Rules, in order:
//! 1. the venue's raw symbol when the source carries one (CCXT's `info`) is kept as it is;
//! 2. a CCXT unified symbol (`BASE/QUOTE`, `BASE/QUOTE:SETTLE`) gives the category (no settle:
//!    spot; settled in the base coin: inverse; else linear; a `-C`/`-P` strike suffix: option)
//!    and, with the venue, the venue's name, the same one lockdown's adapter builds
//!    (`Venue::symbol`): Bybit and Binance `BTCUSDT` (Binance inverse `BTCUSD_PERP`), OKX
//!    `BTC-USDT` / `BTC-USDT-SWAP` / `BTC-USD-SWAP`, Deribit `BTC_USDT` / `BTC_USDT-PERPETUAL` /
//!    `BTC-PERPETUAL`, Kraken `XBTUSDT` (spot only). A dated future or an option needs the raw
//!    symbol: its venue name carries a date format of each venue's own;
//! 3. a Hummingbot trading pair (`BTC-USDT`) is a base and a quote, its category told by the
//!    connector;
//! 4. anything else is taken to be the venue's own name already.

use super::error::Bad;
use crate::exchanges::model::Category;
use crate::venues::ExchangeId;

/// What the source says about the market family, when it says anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// This category, exactly.
    Exact(Category),
    /// A perpetual or future: linear or inverse by the settle coin (or, without one, by the
    /// quote: USD-quoted contracts are inverse).
    Derivative,
}

/// How the source writes market names that are not unified symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Taken as the venue's own name.
    Raw,
    /// Hummingbot's `BASE-QUOTE`.
    HyphenPair,
}

/// One order's market as the source gives it.
#[derive(Debug, Clone, Default)]
pub struct Given<'a> {
    /// The symbol column (unified, a pair, or the venue's name).
    pub symbol: Option<&'a str>,
    /// The venue's own name, when the source carries it besides (CCXT's `info`).
    pub raw: Option<&'a str>,
    /// The family, when the source says.
    pub kind: Option<Kind>,
}

/// A market in the venue's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The venue's own symbol.
    pub symbol: String,
    /// The category, when known.
    pub category: Option<Category>,
}

/// A CCXT unified symbol, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unified<'a> {
    /// Base coin.
    pub base: &'a str,
    /// Quote coin.
    pub quote: &'a str,
    /// Settle coin (contracts only).
    pub settle: Option<&'a str>,
    /// What follows the settle coin: a delivery date, or date, strike and `C`/`P`.
    pub suffix: Option<&'a str>,
}

impl<'a> Unified<'a> {
    /// Splits `BASE/QUOTE[:SETTLE[-SUFFIX]]`; `None` when `text` is not written that way.
    pub fn parse(text: &'a str) -> Option<Unified<'a>> {
        let (base, rest) = text.trim().split_once('/')?;
        let (quote, contract) = match rest.split_once(':') {
            Some((quote, contract)) => (quote, Some(contract)),
            None => (rest, None),
        };
        let (settle, suffix) = match contract {
            None => (None, None),
            Some(c) => match c.split_once('-') {
                Some((settle, suffix)) => (Some(settle), Some(suffix)),
                None => (Some(c), None),
            },
        };
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
        (word(base) && word(quote) && settle.is_none_or(word)).then_some(Unified {
            base,
            quote,
            settle,
            suffix,
        })
    }

    /// The category the symbol spells.
    pub fn category(&self) -> Category {
        match (self.settle, self.suffix) {
            (None, _) => Category::Spot,
            (_, Some(s)) if s.ends_with("-C") || s.ends_with("-P") => Category::Option,
            (Some(settle), _) if settle == self.base => Category::Inverse,
            (Some(_), _) => Category::Linear,
        }
    }
}

/// The venue's name and category of one order's market.
pub fn name(given: &Given<'_>, venue: Option<ExchangeId>, style: Style) -> Result<Named, Bad> {
    let exact = match given.kind {
        Some(Kind::Exact(c)) => Some(c),
        _ => None,
    };
    let unified = given.symbol.and_then(Unified::parse);
    if let Some(raw) = given.raw.map(str::trim).filter(|r| !r.is_empty()) {
        return Ok(Named {
            symbol: raw.to_owned(),
            category: exact.or(unified.as_ref().map(Unified::category)),
        });
    }
    let Some(symbol) = given.symbol.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Named {
            symbol: String::new(),
            category: exact,
        });
    };
    if let Some(u) = unified {
        let category = match (exact, given.kind) {
            (Some(c), _) => c,
            // A contract written without its settle coin (`BTC/USDT` in a futures bot).
            (None, Some(Kind::Derivative)) if u.settle.is_none() => derivative(u.quote),
            (None, _) => u.category(),
        };
        if u.suffix.is_some() {
            return Err(Bad::new(
                format!(
                    "`{symbol}` is a dated future or an option, whose name each venue writes its own way"
                ),
                "keep the venue's own symbol in the source (CCXT's `info`), or map a column \
                 that holds it (`--map symbol=COLUMN`)",
            ));
        }
        return venue_name(venue, symbol, category, u.base, u.quote);
    }
    if style == Style::HyphenPair
        && let Some((base, quote)) = symbol.split_once('-')
    {
        let category = match given.kind {
            Some(Kind::Exact(c)) => c,
            Some(Kind::Derivative) => derivative(quote),
            None => Category::Spot,
        };
        return venue_name(venue, symbol, category, base, quote);
    }
    Ok(Named {
        symbol: symbol.to_owned(),
        category: exact,
    })
}

/// The family of a contract known only by its quote coin: USD-quoted contracts are the
/// coin-settled (inverse) ones on every venue lockdown speaks (Bybit `BTCUSD`, OKX
/// `BTC-USD-SWAP`, Binance COIN-M `BTCUSD_PERP`, Deribit `BTC-PERPETUAL`).
fn derivative(quote: &str) -> Category {
    if quote == "USD" {
        Category::Inverse
    } else {
        Category::Linear
    }
}

/// `base`/`quote` in `category` as `venue` names them.
fn venue_name(
    venue: Option<ExchangeId>,
    symbol: &str,
    category: Category,
    base: &str,
    quote: &str,
) -> Result<Named, Bad> {
    let Some(venue) = venue else {
        return Err(Bad::new(
            format!("`{symbol}` is not the venue's own name for the market, and no venue is known"),
            format!(
                "pass `--venue` ({}) so lockdown writes the venue's symbol",
                ExchangeId::names().join(", ")
            ),
        ));
    };
    if venue == ExchangeId::Kraken && category != Category::Spot {
        return Err(Bad::new(
            format!(
                "`{symbol}` is a {} market; lockdown responds on Kraken Spot only",
                category.as_str()
            ),
            "leave Kraken Futures orders out of the ledger (`--skip-bad` drops them)",
        ));
    }
    Ok(Named {
        symbol: venue.venue().symbol(category, base, quote),
        category: Some(category),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unified(symbol: &str, venue: ExchangeId) -> (String, &'static str) {
        let given = Given {
            symbol: Some(symbol),
            ..Given::default()
        };
        let named = name(&given, Some(venue), Style::Raw).unwrap();
        (named.symbol, named.category.map_or("-", Category::as_str))
    }

    #[test]
    fn unified_symbols_become_each_venues_own() {
        use ExchangeId::*;
        let cases = [
            ("BTC/USDT", Bybit, "BTCUSDT", "spot"),
            ("BTC/USDT:USDT", Bybit, "BTCUSDT", "linear"),
            ("BTC/USD:BTC", Bybit, "BTCUSD", "inverse"),
            ("BTC/USDT", Binance, "BTCUSDT", "spot"),
            ("BTC/USDT:USDT", Binance, "BTCUSDT", "linear"),
            ("BTC/USD:BTC", Binance, "BTCUSD_PERP", "inverse"),
            ("BTC/USDT", Okx, "BTC-USDT", "spot"),
            ("BTC/USDT:USDT", Okx, "BTC-USDT-SWAP", "linear"),
            ("BTC/USD:BTC", Okx, "BTC-USD-SWAP", "inverse"),
            ("BTC/USDT", Deribit, "BTC_USDT", "spot"),
            ("BTC/USDC:USDC", Deribit, "BTC_USDC-PERPETUAL", "linear"),
            ("BTC/USD:BTC", Deribit, "BTC-PERPETUAL", "inverse"),
            ("BTC/USDT", Kraken, "XBTUSDT", "spot"),
            ("DOGE/USD", Kraken, "XDGUSD", "spot"),
            ("ETH/BTC", Kraken, "ETHXBT", "spot"),
        ];
        for (symbol, venue, want, category) in cases {
            assert_eq!(
                unified(symbol, venue),
                (want.to_owned(), category),
                "{symbol} on {venue}"
            );
        }
    }

    #[test]
    fn raw_symbols_win_and_pairs_take_the_connectors_family() {
        let given = Given {
            symbol: Some("BTC/USDT:USDT"),
            raw: Some("BTCUSDT"),
            kind: None,
        };
        let named = name(&given, None, Style::Raw).unwrap();
        assert_eq!(named.symbol, "BTCUSDT");
        assert_eq!(named.category, Some(Category::Linear));
        let pair = |symbol, kind| {
            let given = Given {
                symbol: Some(symbol),
                raw: None,
                kind,
            };
            name(&given, Some(ExchangeId::Okx), Style::HyphenPair).unwrap()
        };
        assert_eq!(pair("BTC-USDT", None).symbol, "BTC-USDT");
        assert_eq!(
            pair("BTC-USDT", Some(Kind::Derivative)).symbol,
            "BTC-USDT-SWAP"
        );
        assert_eq!(
            pair("BTC-USD", Some(Kind::Derivative)).category,
            Some(Category::Inverse)
        );
        // A venue's own name is kept, with the category the source gives.
        let given = Given {
            symbol: Some("ETHUSDT"),
            raw: None,
            kind: Some(Kind::Exact(Category::Linear)),
        };
        let named = name(&given, None, Style::Raw).unwrap();
        assert_eq!(
            (named.symbol.as_str(), named.category),
            ("ETHUSDT", Some(Category::Linear))
        );
    }

    #[test]
    fn what_cannot_be_named_says_what_to_do() {
        let cases = [
            ("BTC/USDT", None, "--venue"),
            ("BTC/USDT:USDT-261225", Some(ExchangeId::Bybit), "info"),
            (
                "BTC/USD:BTC-261225-100000-C",
                Some(ExchangeId::Deribit),
                "info",
            ),
            ("BTC/USDT:USDT", Some(ExchangeId::Kraken), "Kraken"),
        ];
        for (symbol, venue, hint) in cases {
            let given = Given {
                symbol: Some(symbol),
                ..Given::default()
            };
            let err = name(&given, venue, Style::Raw).unwrap_err();
            assert!(
                err.hint.contains(hint) || err.message.contains(hint),
                "{symbol}: {err:?}"
            );
        }
        assert_eq!(
            Unified::parse("BTC/USD:BTC-261225-100000-C")
                .unwrap()
                .category(),
            Category::Option
        );
    }
}
