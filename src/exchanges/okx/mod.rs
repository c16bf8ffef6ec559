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
mod passphrase;
mod signer;
mod wire;

use std::time::Duration;

use super::mechanisms::{CompanionCalls, OrderRules};
use super::model::{Category, Order, Segment};
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

impl Venue for Okx {
    fn id(&self) -> ExchangeId {
        ExchangeId::Okx
    }

    fn support(&self, capability: Capability) -> Support {
        // Sub-account keys: lock, revoke, create and list by API through an IP-bound master
        // (docs/venues/README.md §1, docs/venues/okx.md §4); `cancel-all-after` is the dead-man
        // switch (docs/venues/okx.md §5); there is no security or access log.
        match capability {
            Capability::AccessLog => Support::Unavailable("OKX has no access-log API"),
            _ => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
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
                Capability::AccessLog => assert!(matches!(support, Support::Unavailable(_))),
                _ => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert_eq!(okx.cancel_style(), CancelStyle::Batches { max: 20 });
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
