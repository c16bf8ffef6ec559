//! Binance's products as the adapter addresses them (docs/venues/binance.md §1, §5): each is a
//! [`Segment`] of the venue, with paths (and, live, a host) of its own.
//!
//! Spot and cross margin trade the same symbols on `api.binance.com`, under `/api/v3` and
//! `/sapi/v1/margin`; USD-M futures live on `fapi.binance.com` (their conditional orders on an
//! endpoint of their own, [`Market::UsdmAlgo`]), COIN-M futures on `dapi.binance.com`, options on
//! `eapi.binance.com`. Every listing, cancel and history walk asks this file for its path, so a
//! product is added here once. Isolated margin shares cross margin's paths with `isIsolated=TRUE`
//! and needs each pair named: its listing and history first read the account's isolated pairs
//! (`GET /sapi/v1/margin/isolated/account`, [`ISOLATED_PAIRS`]).

use crate::exchanges::model::{Category, Segment};

/// Cross margin: spot symbols, the margin account (`settle` names the account).
pub const MARGIN: Segment = Segment {
    category: Category::Spot,
    settle: Some("MARGIN"),
};

/// Isolated margin: spot symbols, one isolated account per pair.
pub const ISOLATED: Segment = Segment {
    category: Category::Spot,
    settle: Some("ISOLATED"),
};

/// The account's isolated-margin pairs: what an isolated listing or history reads first.
pub const ISOLATED_PAIRS: &str = "/sapi/v1/margin/isolated/account";

/// COIN-M futures (inverse contracts settled in their base coin).
pub const COIN_M: Segment = Segment {
    category: Category::Inverse,
    settle: None,
};

/// European options, quoted in USDT.
pub const OPTIONS: Segment = Segment {
    category: Category::Option,
    settle: None,
};

/// One Binance product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// Spot (`/api/v3`).
    Spot,
    /// Cross margin (`/sapi/v1/margin`).
    Margin,
    /// Isolated margin (`/sapi/v1/margin`, `isIsolated=TRUE`, per pair).
    Isolated,
    /// USD-M futures (`/fapi/v1`).
    UsdM,
    /// USD-M conditional orders (`/fapi/v1/…Algo…`).
    UsdmAlgo,
    /// COIN-M futures (`/dapi/v1`).
    CoinM,
    /// Options (`/eapi/v1`).
    Options,
}

/// Which host a product's paths go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// The profile's `base_url` (`api.binance.com`).
    Base,
    /// The futures host (`fapi.binance.com`).
    Fapi,
    /// The COIN-M host (`dapi.binance.com`).
    Dapi,
    /// The options host (`eapi.binance.com`).
    Eapi,
}

/// How a product's history walk learns which symbols to read (`cursor.rs`), after its open
/// orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    /// The assets the spot account holds, then the markets of those assets.
    Balances,
    /// A read whose rows name the symbols that traded in the window (`income` commissions,
    /// options `userTrades`): its path.
    Rows(&'static str),
    /// Nothing more: the symbols with open orders only.
    OpenOrdersOnly,
}

impl Market {
    /// The product a segment is.
    pub fn of(segment: &Segment) -> Market {
        match (segment.category, segment.settle) {
            (Category::Spot, Some("MARGIN")) => Market::Margin,
            (Category::Spot, Some("ISOLATED")) => Market::Isolated,
            (Category::Spot, _) => Market::Spot,
            (Category::Linear, Some("algo")) => Market::UsdmAlgo,
            (Category::Linear, _) => Market::UsdM,
            (Category::Inverse, _) => Market::CoinM,
            (Category::Option, _) => Market::Options,
        }
    }

    /// Its host.
    pub fn host(self) -> Host {
        match self {
            Market::Spot | Market::Margin | Market::Isolated => Host::Base,
            Market::UsdM | Market::UsdmAlgo => Host::Fapi,
            Market::CoinM => Host::Dapi,
            Market::Options => Host::Eapi,
        }
    }

    /// Every open order (all symbols).
    pub fn open_orders(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/openOrders",
            Market::Margin | Market::Isolated => "/sapi/v1/margin/openOrders",
            Market::UsdM => "/fapi/v1/openOrders",
            Market::UsdmAlgo => "/fapi/v1/openAlgoOrders",
            Market::CoinM => "/dapi/v1/openOrders",
            Market::Options => "/eapi/v1/openOrders",
        }
    }

    /// Cancels every open order of one symbol.
    pub fn cancel_symbol(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/openOrders",
            Market::Margin | Market::Isolated => "/sapi/v1/margin/openOrders",
            Market::UsdM => "/fapi/v1/allOpenOrders",
            Market::UsdmAlgo => "/fapi/v1/algoOpenOrders",
            Market::CoinM => "/dapi/v1/allOpenOrders",
            Market::Options => "/eapi/v1/allOpenOrders",
        }
    }

    /// Places (and, `DELETE`, cancels) one order.
    pub fn order(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/order",
            Market::Margin | Market::Isolated => "/sapi/v1/margin/order",
            Market::UsdM => "/fapi/v1/order",
            Market::UsdmAlgo => "/fapi/v1/algoOrder",
            Market::CoinM => "/dapi/v1/order",
            Market::Options => "/eapi/v1/order",
        }
    }

    /// One symbol's orders in a window.
    pub fn orders(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/allOrders",
            Market::Margin | Market::Isolated => "/sapi/v1/margin/allOrders",
            Market::UsdM | Market::UsdmAlgo => "/fapi/v1/allOrders",
            Market::CoinM => "/dapi/v1/allOrders",
            Market::Options => "/eapi/v1/historyOrders",
        }
    }

    /// The most records one history page of this market is asked for: margin `allOrders` takes
    /// at most 500 ("Default 500; max 500", docs/venues/binance.md §6, §10), every other walk
    /// 1000. A page that size is full: the walk reads on from its last record.
    pub fn history_page(self) -> usize {
        match self {
            Market::Margin | Market::Isolated => 500,
            _ => crate::exchanges::binance::cursor::PAGE,
        }
    }

    /// One symbol's fills in a window.
    pub fn fills(self) -> &'static str {
        match self {
            Market::Spot => "/api/v3/myTrades",
            Market::Margin | Market::Isolated => "/sapi/v1/margin/myTrades",
            Market::UsdM | Market::UsdmAlgo => "/fapi/v1/userTrades",
            Market::CoinM => "/dapi/v1/userTrades",
            Market::Options => "/eapi/v1/userTrades",
        }
    }

    /// How its history walk learns its symbols.
    pub fn discovery(self) -> Discovery {
        match self {
            Market::Spot => Discovery::Balances,
            Market::UsdM | Market::UsdmAlgo => Discovery::Rows("/fapi/v1/income"),
            Market::CoinM => Discovery::Rows("/dapi/v1/income"),
            Market::Options => Discovery::Rows("/eapi/v1/userTrades"),
            Market::Margin => Discovery::OpenOrdersOnly,
            // The isolated pairs are read in place of the open orders.
            Market::Isolated => Discovery::OpenOrdersOnly,
        }
    }

    /// The parameters every request of the product carries (`isIsolated=TRUE`).
    pub fn params(self) -> Vec<(&'static str, String)> {
        if self == Market::Isolated {
            vec![("isIsolated", "TRUE".to_owned())]
        } else {
            Vec::new()
        }
    }

    /// Whether it is one of the futures products, whose history windows are under 7 days.
    pub fn is_derivative(self) -> bool {
        matches!(
            self,
            Market::UsdM | Market::UsdmAlgo | Market::CoinM | Market::Options
        )
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::Margin => "cross margin",
            Market::Isolated => "isolated margin",
            Market::UsdM | Market::UsdmAlgo => "USD-M",
            Market::CoinM => "COIN-M",
            Market::Options => "options",
        }
    }

    /// The key permission a refusal (`-2015`) on it most likely means is missing.
    pub fn permission(self) -> &'static str {
        match self {
            Market::Spot | Market::Margin | Market::Isolated => "spot and margin trading",
            Market::UsdM | Market::UsdmAlgo | Market::CoinM => "futures",
            Market::Options => "options",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_segment_names_one_product() {
        for (label, segment, market, host) in [
            (
                "spot",
                Segment {
                    category: Category::Spot,
                    settle: None,
                },
                Market::Spot,
                Host::Base,
            ),
            ("margin", MARGIN, Market::Margin, Host::Base),
            ("isolated", ISOLATED, Market::Isolated, Host::Base),
            (
                "usd-m",
                Segment {
                    category: Category::Linear,
                    settle: None,
                },
                Market::UsdM,
                Host::Fapi,
            ),
            ("coin-m", COIN_M, Market::CoinM, Host::Dapi),
            ("options", OPTIONS, Market::Options, Host::Eapi),
        ] {
            assert_eq!(Market::of(&segment), market, "{label}");
            assert_eq!(market.host(), host, "{label}");
        }
        assert_eq!(MARGIN.to_string(), "spot/MARGIN");
        assert_eq!(Market::Options.orders(), "/eapi/v1/historyOrders");
    }
}
