//! BingX (docs/venues/bingx.md): hex HMAC-SHA256 over the parameters as sent, `X-BX-APIKEY`,
//! `timestamp` within `recvWindow`; three products with a cancel-all each (spot, USDT-M and
//! coin-M perpetuals); sub-account keys edited, deleted and created through the master.
//!
//! Like Binance, the master manages a sub-account's keys but cannot cancel its orders
//! (docs/venues/bingx.md §9), so the default playbook first binds the leaked key's IP whitelist
//! to the responder (`apiKey/edit`, whose `note` and `permissions` are required: the key's own
//! are read first, [`CompanionCalls::lookup`]), then uses the key itself to cancel and take
//! evidence, then deletes it (`apiKey/del`) and creates the replacement. Master-account keys
//! have no API at all: their deletion is a guided step ([`ManualSteps`]), verified by BingX
//! refusing the old key (`100413`). The dead-man switch (`cancelAllAfter`) is armed on spot.

mod endpoints;
pub(crate) mod facts;
mod guide;
mod limits;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{CompanionCalls, ManualSteps, RateLimits};
use super::model::{Category, Segment, TradePermission};
use super::{
    CallContext, Capability, Decoded, ExchangeError, ExchangeId, Guide, History, Op, Request,
    Response, Revoke, SignedRequest, Support, Venue, VenueSettings,
};
use crate::secret::Credential;

pub use guide::API_KEYS;
pub use signer::{sign_text, sorted_text};

/// The BingX adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bingx;

/// Spot, USDT-M perpetuals (`swap`) and coin-M perpetuals (`cswap`): one cancel-all each.
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: None,
    },
    Segment {
        category: Category::Linear,
        settle: None,
    },
    Segment {
        category: Category::Inverse,
        settle: None,
    },
];

const NO_FILLS: Cover = Cover::NotCovered(
    "fills are not read: spot `myTrades` and USDT-M `fillHistory` take one symbol a call; the \
     orders' history carries each order's executed quantity",
);

const PERP_BALANCE: Cover = Cover::NotCovered(
    "only the spot account's balances are read; check the perpetual account in the web interface",
);

/// Every product a BingX account can hold (docs/venues/bingx.md §5, §6), and what the response
/// does in each.
const PRODUCTS: &[Product] = &[
    Product {
        fills: NO_FILLS,
        ..Product::covered("spot")
    },
    Product {
        fills: NO_FILLS,
        balances: PERP_BALANCE,
        ..Product::covered("USDT-M perpetual futures")
    },
    Product {
        fills: NO_FILLS,
        balances: PERP_BALANCE,
        ..Product::covered("coin-M perpetual futures")
    },
    Product::not_covered(
        "conditional orders (spot TAKE_STOP_*/TRIGGER_*, perpetual STOP*/TAKE_PROFIT*/TRIGGER_*/trailing)",
        "listed by each product's `openOrders` and cancelled by its cancel-all, per the docs, but \
         the simulator does not place them, so no test proves it",
    ),
    Product::not_covered(
        "spot OCO order lists",
        "cancelled one list at a time (`/openApi/spot/v1/oco/cancel`), which lockdown does not call",
    ),
    Product::not_covered(
        "USDT-M TWAP orders",
        "cancelled one at a time (`/openApi/swap/v1/twap/cancelOrder`), which lockdown does not call",
    ),
    Product::not_covered(
        "copy trading, grid and other bots",
        "run by BingX's web interface; stop them there",
    ),
    Product {
        name: "fund account",
        list_open: Cover::NotOffered,
        cancel: Cover::NotOffered,
        history: Cover::NotOffered,
        fills: Cover::NotOffered,
        balances: Cover::NotCovered("`/openApi/fund/v1/account/balance` is not read"),
    },
];

/// Order histories: 7 days a call (coin-M's `orderHistory` takes at most 7 days).
const HISTORY_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// Withdrawals: no documented bound; 30 days a call.
const WITHDRAW_WINDOW: Duration = Duration::from_secs(30 * 86_400);

impl Venue for Bingx {
    fn id(&self) -> ExchangeId {
        ExchangeId::Bingx
    }

    fn support(&self, capability: Capability) -> Support {
        // docs/venues/bingx.md §4: sub-account keys by API through the master, master keys by
        // hand (`ManualSteps`); §5: a cancel-all per product and the spot dead-man switch.
        match capability {
            Capability::LockKey
            | Capability::RevokeKey
            | Capability::CreateKey
            | Capability::FreezeAccount
            | Capability::CancelOrders
            | Capability::Orders
            | Capability::Balances
            | Capability::KeyInfo
            | Capability::DeadMan => Support::Api,
            Capability::Fills => Support::Unavailable(
                "BingX lists fills one symbol at a time (spot `myTrades`, USDT-M `fillHistory`); \
                 the orders' history carries what each order executed",
            ),
            Capability::Transfers => Support::Unavailable(
                "deposits and internal transfers are not read yet; withdrawals are",
            ),
            Capability::AccessLog => Support::Unavailable("BingX has no access-log API"),
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    fn max_window(&self, history: History) -> Duration {
        match history {
            History::Withdrawals | History::Transfers => WITHDRAW_WINDOW,
            History::Orders | History::Fills => HISTORY_WINDOW,
        }
    }

    fn reads_history(&self, _segment: &Segment, history: History) -> bool {
        history != History::Fills
    }

    fn symbol(&self, _category: Category, base: &str, quote: &str) -> String {
        format!("{base}-{quote}")
    }

    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
        endpoints::encode(op, call)
    }

    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest {
        if request.path == endpoints::SERVER_TIME {
            return SignedRequest {
                request,
                headers: Vec::new(),
            };
        }
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

    fn manual_steps(&self) -> Option<&dyn ManualSteps> {
        Some(self)
    }

    /// A listen key, then the spot, USDT-M and coin-M streams (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::STREAM)
    }

    /// `1` is spot trading, `3` perpetual futures trading (docs/venues/bingx.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        let has = |code: &str| permissions.iter().any(|p| p.trim() == code);
        let mut rights = Vec::new();
        if has("1") {
            rights.push(TradePermission::SpotTrade);
        }
        if has("3") {
            rights.push(TradePermission::ContractTrade);
        }
        Some(rights)
    }
}

impl CompanionCalls for Bingx {
    /// `apiKey/edit` requires the key's `note` and `permissions`: they are read first from the
    /// sub-account's listing, so the lock changes only the IP list (or only strips trading).
    fn lookup(&self, op: &Op, _settings: &VenueSettings) -> Option<Op> {
        match op {
            Op::RestrictKey { account, .. } => Some(Op::SubKeys {
                account: account.clone().unwrap_or_default(),
                cursor: None,
            }),
            _ => None,
        }
    }
}

impl ManualSteps for Bingx {
    fn by_hand(&self, op: &Op) -> Option<Guide> {
        match op {
            Op::RevokeKey(Revoke::SelfMaster) => Some(guide::revoke_master()),
            Op::RevokeKey(Revoke::SelfSub) => Some(guide::revoke_sub()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_honest() {
        for capability in Capability::ALL {
            let support = Bingx.support(*capability);
            match capability {
                Capability::Fills | Capability::Transfers | Capability::AccessLog => {
                    assert!(matches!(support, Support::Unavailable(_)), "{capability:?}")
                }
                _ => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        let venue: &dyn Venue = &Bingx;
        assert!(venue.by_hand(&Op::RevokeKey(Revoke::SelfMaster)).is_some());
        assert!(venue.by_hand(&Op::RevokeKey(Revoke::SelfSub)).is_some());
        assert!(!venue.charges(&Op::Balances).is_empty());
        assert!(venue.charges(&Op::ServerTime).is_empty());
    }

    #[test]
    fn every_covered_product_has_its_segment() {
        let segment_of = |name: &str| match name {
            "spot" => Some(Category::Spot),
            "USDT-M perpetual futures" => Some(Category::Linear),
            "coin-M perpetual futures" => Some(Category::Inverse),
            _ => None,
        };
        for product in PRODUCTS {
            if product.list_open == Cover::Covered || product.cancel == Cover::Covered {
                let category = segment_of(product.name)
                    .unwrap_or_else(|| panic!("{}: covered but no segment", product.name));
                assert!(
                    SEGMENTS.iter().any(|s| s.category == category),
                    "{}",
                    product.name
                );
            }
        }
    }

    #[test]
    fn symbols_and_rights() {
        assert_eq!(Bingx.symbol(Category::Spot, "BTC", "USDT"), "BTC-USDT");
        assert_eq!(Bingx.symbol(Category::Inverse, "BTC", "USD"), "BTC-USD");
        let rights = Bingx.trade_rights(&["1".into(), "2".into(), "3".into(), "5".into()]);
        assert_eq!(
            rights,
            Some(vec![
                TradePermission::SpotTrade,
                TradePermission::ContractTrade
            ])
        );
    }

    #[test]
    fn a_lock_reads_the_key_first() {
        let lock = Op::RestrictKey {
            key: crate::secret::KeyId::new("k"),
            account: Some("1000002".into()),
            lock: super::super::model::Lock {
                ips: super::super::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: super::super::model::Access::Unchanged,
            },
        };
        assert!(matches!(
            Bingx.lookup(&lock, &VenueSettings::default()),
            Some(Op::SubKeys { .. })
        ));
        assert!(
            Bingx
                .lookup(&Op::Balances, &VenueSettings::default())
                .is_none()
        );
    }
}
