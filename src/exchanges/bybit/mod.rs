//! Bybit V5 (docs/venues/bybit.md): HMAC signing with `X-BAPI-*` headers, key management under
//! `/v5/user/*`, `cancel-all` per category (spot per `orderFilter`, inverse per settle coin listed
//! at run time), cursor-paginated history in 7-day windows.
//!
//! Bybit lets the master manage a sub-account's keys but not cancel its orders, so the default
//! playbook locks the leaked key to the responder's IP first and then uses the key itself.

mod endpoints;
pub(crate) mod facts;
mod limits;
mod signer;
pub mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{CompanionCalls, RateLimits, SegmentDiscovery};
use super::model::{Category, Segment, TradePermission};
use super::{
    CallContext, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request, Response,
};
use super::{Reply, SignedRequest, Support, Venue};
use crate::secret::Credential;

pub use signer::{RECV_WINDOW_MS, prehash, sign_prehash};

/// The Bybit V5 adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bybit;

/// Every slice `cancel-all` and `order/realtime` must be called for (docs/venues/bybit.md §5):
/// spot once per `orderFilter`, as a spot `cancel-all` takes only ordinary orders unless told
/// otherwise; linear per settle coin; inverse per settle coin (BTC here, the others listed at
/// run time, [`SegmentDiscovery`]); option once, as its listings and `cancel-all` take every
/// option order.
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: None,
    },
    Segment {
        category: Category::Spot,
        settle: Some("StopOrder"),
    },
    Segment {
        category: Category::Spot,
        settle: Some("tpslOrder"),
    },
    Segment {
        category: Category::Spot,
        settle: Some("OcoOrder"),
    },
    Segment {
        category: Category::Spot,
        settle: Some("BidirectionalTpslOrder"),
    },
    Segment {
        category: Category::Linear,
        settle: Some("USDT"),
    },
    Segment {
        category: Category::Linear,
        settle: Some("USDC"),
    },
    Segment {
        category: Category::Inverse,
        settle: Some("BTC"),
    },
    Segment {
        category: Category::Option,
        settle: None,
    },
];

/// Why the simulator-untested spot kinds are not covered.
const UNMODELLED_SPOT: &str = "listed and cancelled with their `orderFilter`, but the simulator \
    does not model them, so no test shows it; cancel them in the web interface";

/// What a Bybit unified trading account (UTA) can hold and what the response does in each
/// (docs/venues/bybit.md §5).
const PRODUCTS: &[Product] = &[
    Product::covered("spot"),
    Product::covered("spot conditional orders (StopOrder)"),
    Product::covered("spot TP/SL orders (tpslOrder)"),
    Product::not_covered("spot OCO orders (OcoOrder)", UNMODELLED_SPOT),
    Product::not_covered(
        "spot bidirectional TP/SL orders (BidirectionalTpslOrder)",
        UNMODELLED_SPOT,
    ),
    Product::not_covered(
        "spot margin (isLeverage=1)",
        "its orders are spot orders, listed and cancelled with them, but the simulator models \
         no borrowing, so loans are neither read nor tested; repay them in the web interface",
    ),
    Product::covered("USDT perpetuals and futures (linear)"),
    Product::covered("USDC perpetuals and futures (linear)"),
    Product::covered("futures conditional and TP/SL orders"),
    Product::covered("inverse perpetuals and futures"),
    Product::covered("options on BTC, ETH and SOL"),
    Product {
        name: "options on other base coins",
        list_open: Cover::Covered,
        cancel: Cover::Covered,
        history: Cover::Covered,
        fills: Cover::NotCovered(
            "option fills are read per base coin and Bybit lists no option base coins; only \
             BTC, ETH and SOL are read",
        ),
        balances: Cover::Covered,
    },
];

/// Inverse contracts settle in their own base coin (ETHUSD in ETH); the listed instruments name
/// every settle coin (docs `market/instrument`). Option base coins cannot be listed this way
/// (`instruments-info` answers BTC's unless told a coin), see `endpoints::OPTION_BASES`.
impl SegmentDiscovery for Bybit {
    fn categories(&self) -> &'static [Category] {
        &[Category::Inverse]
    }
}

impl Venue for Bybit {
    fn id(&self) -> ExchangeId {
        ExchangeId::Bybit
    }

    /// `Spot:SpotTrade`, the `ContractTrade` and `Derivatives` groups and `Options:OptionsTrade`
    /// trade (docs/venues/bybit.md §4); `Wallet`, `Exchange` and the rest are not trading.
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        let has = |group: &str| {
            permissions
                .iter()
                .any(|p| p.split(':').next() == Some(group))
        };
        let mut rights = Vec::new();
        if permissions.iter().any(|p| p == "Spot:SpotTrade") {
            rights.push(TradePermission::SpotTrade);
        }
        if has("ContractTrade") || has("Derivatives") {
            rights.push(TradePermission::ContractTrade);
        }
        if permissions.iter().any(|p| p == "Options:OptionsTrade") {
            rights.push(TradePermission::OptionsTrade);
        }
        Some(rights)
    }

    fn support(&self, capability: Capability) -> Support {
        // Sub-account keys: all by API through the master (docs/venues/README.md §1,
        // docs/venues/bybit.md §4); no security log; the dead-man switch (DCP) is
        // institutional-only and needs a WebSocket (docs/venues/bybit.md §5).
        match capability {
            Capability::AccessLog => Support::Unavailable("Bybit has no access-log API"),
            Capability::DeadMan => {
                Support::Unavailable("DCP is institutional-only and WebSocket-bound")
            }
            // `frozen-sub-member` freezes a sub UID, every key of it (docs/venues/bybit.md §4).
            Capability::FreezeAccount => Support::Api,
            _ => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    fn discovery(&self) -> Option<&dyn SegmentDiscovery> {
        Some(self)
    }

    fn max_window(&self, history: History) -> Duration {
        // docs/venues/bybit.md §6: orders, executions and transfers at most 7 days a call;
        // withdrawals under 30 days.
        let days = match history {
            History::Orders | History::Fills | History::Transfers => 7,
            History::Withdrawals => 29,
        };
        Duration::from_secs(days * 86_400)
    }

    fn reads_history(&self, segment: &Segment, history: History) -> bool {
        // docs/venues/bybit.md §6: `execution/list` has no `orderFilter`.
        !(history == History::Fills && endpoints::is_spot_filter(segment))
    }

    fn symbol(&self, _category: Category, base: &str, quote: &str) -> String {
        format!("{base}{quote}")
    }

    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
        endpoints::encode_with(op, call.nonce, call.now_ms)
    }

    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest {
        signer::sign(request, credential, call.now_ms)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn companions(&self) -> Option<&dyn CompanionCalls> {
        Some(self)
    }

    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        Some(self)
    }

    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::BybitStream)
    }
}

/// The funding wallet (`FUND`) is a second account beside the unified one, read by an endpoint
/// of its own (docs/venues/bybit.md §6): balances are the unified wallet's followed by it.
impl CompanionCalls for Bybit {
    fn then(&self, op: &Op, _reply: &Reply) -> Option<Op> {
        (*op == Op::Balances).then_some(Op::WalletBalances {
            account: endpoints::FUND,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where each product's orders are listed and cancelled: a table cannot claim a product
    /// the segments do not reach.
    fn home(name: &str) -> Option<Segment> {
        let seg = |category, settle| Some(Segment { category, settle });
        match name {
            "spot" | "spot margin (isLeverage=1)" => seg(Category::Spot, None),
            "spot conditional orders (StopOrder)" => seg(Category::Spot, Some("StopOrder")),
            "spot TP/SL orders (tpslOrder)" => seg(Category::Spot, Some("tpslOrder")),
            "spot OCO orders (OcoOrder)" => seg(Category::Spot, Some("OcoOrder")),
            "spot bidirectional TP/SL orders (BidirectionalTpslOrder)" => {
                seg(Category::Spot, Some("BidirectionalTpslOrder"))
            }
            "USDT perpetuals and futures (linear)" | "futures conditional and TP/SL orders" => {
                seg(Category::Linear, Some("USDT"))
            }
            "USDC perpetuals and futures (linear)" => seg(Category::Linear, Some("USDC")),
            "inverse perpetuals and futures" => seg(Category::Inverse, Some("BTC")),
            "options on BTC, ETH and SOL" | "options on other base coins" => {
                seg(Category::Option, None)
            }
            _ => None,
        }
    }

    #[test]
    fn spot_filter_segments_read_no_fills_of_their_own() {
        let bybit = Bybit;
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let stop = Segment {
            category: Category::Spot,
            settle: Some("StopOrder"),
        };
        assert!(bybit.reads_history(&spot, History::Fills));
        assert!(!bybit.reads_history(&stop, History::Fills));
        assert!(bybit.reads_history(&stop, History::Orders));
        let fill_reads = bybit
            .segments()
            .iter()
            .filter(|s| bybit.reads_history(s, History::Fills))
            .count();
        assert_eq!(fill_reads, bybit.segments().len() - 4);
    }

    #[test]
    fn every_covered_product_has_a_segment() {
        let bybit = Bybit;
        let discovered = bybit.discovery().map_or(&[][..], |d| d.categories());
        for product in bybit.products() {
            let covered = product
                .parts()
                .iter()
                .any(|(_, cover)| *cover == Cover::Covered);
            if !covered {
                continue;
            }
            let home = home(product.name)
                .unwrap_or_else(|| panic!("no segment named for `{}`", product.name));
            assert!(
                bybit.segments().contains(&home) || discovered.contains(&home.category),
                "`{}` is declared covered but no segment reaches it",
                product.name
            );
        }
        assert!(discovered.contains(&Category::Inverse));
    }
}
