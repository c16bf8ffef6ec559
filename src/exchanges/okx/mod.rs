//! OKX V5 (docs/venues/okx.md): base64 HMAC signing with `OK-ACCESS-*` headers and a passphrase,
//! key management of sub-account keys under `/api/v5/users/subaccount/*`, no cancel-all (orders are
//! listed and cancelled 20 at a time; algo orders are listed apart and cancelled 10 at a time
//! with `cancel-algos`) but a dead-man switch (`cancel-all-after`, 10 to 120 s),
//! `after`-cursor pagination, string result codes.
//!
//! Like Bybit, the master can manage a sub-account's keys but not cancel its orders
//! (docs/venues/okx.md §9), so the default playbook locks the leaked key to the responder with
//! `modify-apikey` first and then uses the key itself. Key management names the sub-account
//! (`subAcct`) and needs a master key bound to IP addresses (`50035` otherwise). Master-account
//! keys have no API at all.

mod endpoints;
pub(crate) mod facts;
mod limits;
mod passphrase;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{CompanionCalls, OrderRules, RateLimits};
use super::model::{Category, Order, Segment, TradePermission};
use super::{
    CallContext, CancelStyle, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request,
    Response,
};
use super::{SignedRequest, Support, Venue};
use crate::secret::Credential;

pub use passphrase::is_valid as passphrase_is_valid;
pub use signer::{prehash, sign_prehash, timestamp};

/// The OKX V5 adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Okx;

/// One slice per instrument type: OKX lists and filters orders by `instType`, and the segment's
/// `settle` carries it (docs/venues/okx.md §6). Swaps and futures hold linear and inverse contracts
/// alike; each order's own instrument decides its category.
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: Some("SPOT"),
    },
    Segment {
        category: Category::Spot,
        settle: Some("MARGIN"),
    },
    Segment {
        category: Category::Linear,
        settle: Some("SWAP"),
    },
    Segment {
        category: Category::Linear,
        settle: Some("FUTURES"),
    },
    Segment {
        category: Category::Option,
        settle: Some("OPTION"),
    },
];

/// Why a product OKX offers is not covered: the adapter lists and cancels it by `instType`, but
/// the simulator does not model it, so no test shows the response finding an order there.
const UNMODELLED: &str = "listed and cancelled by its `instType` like the others, but the \
    simulator does not model it, so no test proves it: check it in the web interface";

/// Everything an OKX account can hold (OKX docs, "Trading account" and "Algo trading"; the
/// instrument types `SPOT`, `MARGIN`, `SWAP`, `FUTURES`, `OPTION`) and what the response does
/// in each.
const PRODUCTS: &[Product] = &[
    Product::covered("spot"),
    Product::covered("margin (spot on borrowed funds, `MARGIN`)"),
    Product::covered("perpetual swaps, USDT- and USDC-margined"),
    Product::covered("perpetual swaps, coin-margined (inverse)"),
    Product::not_covered("expiry futures (`FUTURES`)", UNMODELLED),
    Product::not_covered("options (`OPTION`)", UNMODELLED),
    Product::covered("algo orders: trigger, one-way stop, OCO, trailing stop"),
    Product::not_covered(
        "algo orders: iceberg, TWAP, chase",
        "listed by `orders-algo-pending`; that `cancel-algos` cancels them is not confirmed \
         (OKX's own example says it does not) and the simulator does not place them",
    ),
    Product {
        name: "funding account",
        list_open: Cover::NotOffered,
        cancel: Cover::NotOffered,
        history: Cover::NotOffered,
        fills: Cover::NotOffered,
        balances: Cover::Covered,
    },
    Product::not_covered(
        "trading bots (grid, DCA, recurring buy, signal) and copy trading",
        "their orders live under `tradingBot/*` and `copytrading/*`, which the adapter does \
         not call: stop them in the web interface",
    ),
];

impl Venue for Okx {
    fn id(&self) -> ExchangeId {
        ExchangeId::Okx
    }

    /// `trade` is one right for every product; `read_only` reads and `withdraw` is not trading
    /// (docs/venues/okx.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        Some(if permissions.iter().any(|p| p == "trade") {
            vec![
                TradePermission::SpotTrade,
                TradePermission::ContractTrade,
                TradePermission::OptionsTrade,
            ]
        } else {
            Vec::new()
        })
    }

    fn support(&self, capability: Capability) -> Support {
        // Sub-account keys: lock, revoke, create and list by API through an IP-bound master
        // (docs/venues/README.md §1, docs/venues/okx.md §4); `cancel-all-after` is the dead-man
        // switch (docs/venues/okx.md §5); there is no security or access log.
        match capability {
            Capability::AccessLog => Support::Unavailable("OKX has no access-log API"),
            Capability::FreezeAccount => Support::Unavailable(
                "OKX has no call that freezes a sub-account (its list shows `frozenFunc`, read-only)",
            ),
            _ => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    fn max_window(&self, history: History) -> Duration {
        // docs/venues/okx.md §6: `orders-history` covers 7 days and `fills` 3, so windows of that
        // width keep the newest in the fast endpoints and the rest in their 3-month archives.
        // Withdrawals and sub-account transfers page by timestamp with no window limit.
        let ms = match history {
            History::Orders => endpoints::ORDERS_RECENT_MS,
            History::Fills => endpoints::FILLS_RECENT_MS,
            History::Withdrawals | History::Transfers => 90 * endpoints::DAY_MS,
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    fn symbol(&self, category: Category, base: &str, quote: &str) -> String {
        match category {
            Category::Spot | Category::Option => format!("{base}-{quote}"),
            Category::Linear => format!("{base}-{quote}-SWAP"),
            // Inverse swaps are quoted in USD and settled in the base coin.
            Category::Inverse => format!("{base}-USD-SWAP"),
        }
    }

    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
        endpoints::encode(op, call.now_ms)
    }

    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest {
        signer::sign(request, credential, call.now_ms, call.settings.demo)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        Some(self)
    }

    fn companions(&self) -> Option<&dyn CompanionCalls> {
        Some(self)
    }

    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        Some(self)
    }

    /// `orders` on the private WebSocket, the algo channels on the business one (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::OkxStream)
    }
}

/// The funding account is a wallet of its own: `account/balance` shows the trading account
/// only, so the balances are followed by `asset/balances` (OKX docs, "Funding account: Get
/// balance"), where an attacker may have moved coins out of the trading account's sight.
impl CompanionCalls for Okx {
    fn then(&self, op: &Op, _reply: &super::Reply) -> Option<Op> {
        matches!(op, Op::Balances).then_some(Op::WalletBalances {
            account: endpoints::FUNDING,
        })
    }
}

impl OrderRules for Okx {
    fn cancel_style(&self) -> CancelStyle {
        CancelStyle::Batches {
            max: endpoints::BATCH,
        }
    }

    // Algo orders (listed by the spot segment's last pages) have their own cancel,
    // `cancel-algos`, at most 10 a request (`endpoints::ALGO_BATCH`).
    fn batch_route(&self, order: &Order) -> Option<(Segment, usize)> {
        endpoints::is_algo_order(order).then_some((endpoints::ALGO_SEGMENT, endpoints::ALGO_BATCH))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_follow_okx() {
        let okx = Okx;
        assert_eq!(okx.symbol(Category::Spot, "BTC", "USDT"), "BTC-USDT");
        assert_eq!(okx.symbol(Category::Linear, "BTC", "USDT"), "BTC-USDT-SWAP");
        assert_eq!(okx.symbol(Category::Inverse, "BTC", "USD"), "BTC-USD-SWAP");
    }

    #[test]
    fn support_is_honest() {
        let okx = Okx;
        for capability in Capability::ALL {
            let support = okx.support(*capability);
            match capability {
                Capability::AccessLog | Capability::FreezeAccount => {
                    assert!(matches!(support, Support::Unavailable(_)))
                }
                _ => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert_eq!(okx.cancel_style(), CancelStyle::Batches { max: 20 });
    }

    #[test]
    fn every_covered_product_is_listed_in_a_segment() {
        // The `instType` (or the algo pages, which the spot segment's listing ends with) each
        // product declared covered is listed under: the table cannot claim what is not read.
        for product in PRODUCTS {
            let listed_in = match product.name {
                "spot" | "algo orders: trigger, one-way stop, OCO, trailing stop" => Some("SPOT"),
                "margin (spot on borrowed funds, `MARGIN`)" => Some("MARGIN"),
                "perpetual swaps, USDT- and USDC-margined"
                | "perpetual swaps, coin-margined (inverse)" => Some("SWAP"),
                "funding account" => None,
                other => {
                    assert!(!matches!(product.list_open, Cover::Covered), "{other}");
                    continue;
                }
            };
            match listed_in {
                Some(settle) => assert!(
                    SEGMENTS.iter().any(|s| s.settle == Some(settle)),
                    "{}",
                    product.name
                ),
                None => assert_eq!(product.list_open, Cover::NotOffered),
            }
        }
        let inverse = SEGMENTS.iter().find(|s| s.settle == Some("SWAP")).unwrap();
        assert_eq!(
            wire::category("SWAP", "ETH-USD-SWAP", inverse.category),
            Category::Inverse,
            "inverse swaps are listed with the linear ones and told apart by their instId"
        );
    }

    #[test]
    fn algo_orders_are_routed_to_their_own_cancel() {
        use crate::exchanges::model::{Amount, Order, OrderStatus, Side};
        let okx = Okx;
        let order = |order_type: &str, category| Order {
            order_id: "1".into(),
            client_order_id: None,
            category,
            symbol: "BTC-USDT".into(),
            side: Side::Sell,
            order_type: order_type.into(),
            qty: Amount::new("1"),
            price: None,
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: OrderStatus::Untriggered,
            created_ms: 0,
            updated_ms: 0,
        };
        for (order_type, category) in [
            ("trigger", Category::Spot),
            ("conditional", Category::Linear),
            ("oco", Category::Spot),
            ("move_order_stop", Category::Linear),
            ("twap", Category::Spot),
        ] {
            assert_eq!(
                okx.batch_route(&order(order_type, category)),
                Some((endpoints::ALGO_SEGMENT, 10)),
                "{order_type}"
            );
        }
        for ordinary in ["limit", "market", "post_only", "ioc"] {
            assert_eq!(okx.batch_route(&order(ordinary, Category::Spot)), None);
        }
        assert!(!SEGMENTS.contains(&endpoints::ALGO_SEGMENT));
    }
}
