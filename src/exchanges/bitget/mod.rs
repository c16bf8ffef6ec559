//! Bitget classic (V2) REST (docs/venues/bitget.md): base64 HMAC-SHA256 signatures with
//! `ACCESS-*` headers and a passphrase, the `{code:"00000", msg, requestTime, data}` envelope,
//! `idLessThan` pagination, one cancel-all per spot symbol and per futures product type.
//!
//! Bitget's master account manages its virtual sub-accounts' keys by API
//! (`/api/v2/user/*-virtual-subaccount-apikey`): it lists, modifies (the lock: the key bound to
//! the responder's address) and creates them, and it can freeze a whole sub-account. It cannot
//! delete a classic sub-account's key: no such endpoint exists in V2 (docs/venues/bitget.md §4;
//! only unified-account sub keys have `delete-sub-api`). So the revoke is a guided manual step in
//! the web interface (`guide.rs`), verified by Bitget refusing the old key, and containment does
//! not wait for it: the lock has already shut the attacker out. The master account's own keys
//! have no API at all. Orders belong to the sub-account and the master cannot cancel them, so the
//! locked key itself cancels them (the lock keeps its permissions).
//!
//! The unified trading account (UTA, `/api/v3`) is not spoken: its countdown cancel (the only
//! Bitget dead-man switch) and its key deletion are named in `capabilities` as not covered.

mod endpoints;
pub(crate) mod facts;
mod guide;
mod limits;
mod passphrase;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::Product;
use super::mechanisms::{OrderRules, RateLimits};
use super::model::{Category, Segment, TradePermission};
use super::{
    CallContext, CancelStyle, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request,
    Response, SignedRequest, Support, Venue,
};
use crate::secret::Credential;

pub use guide::API_KEYS;
pub use passphrase::is_valid as passphrase_is_valid;
pub use signer::{prehash, sign_prehash};

/// The Bitget classic (V2) adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bitget;

/// One slice per product: spot, and each futures `productType` (docs/venues/bitget.md §5, §6).
/// Every list and cancel of futures names its `productType`, which the segment's `settle` carries.
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: Some(endpoints::SPOT),
    },
    Segment {
        category: Category::Linear,
        settle: Some(endpoints::USDT_FUTURES),
    },
    Segment {
        category: Category::Linear,
        settle: Some(endpoints::USDC_FUTURES),
    },
    Segment {
        category: Category::Inverse,
        settle: Some(endpoints::COIN_FUTURES),
    },
];

/// Everything a classic Bitget account can hold (the V2 docs' spot, margin, futures, copy
/// trading and bot pages) and what the response does in each.
const PRODUCTS: &[Product] = &[
    Product::covered("spot"),
    Product::covered("USDT-M futures (`USDT-FUTURES`)"),
    Product::covered("USDC-M futures (`USDC-FUTURES`)"),
    Product::covered("coin-M futures (`COIN-FUTURES`)"),
    Product::not_covered(
        "spot trigger (plan) orders",
        "`current-plan-order` and `batch-cancel-plan-order` are not called: cancel them in the \
         web interface (Spot → Orders → Trigger)",
    ),
    Product::not_covered(
        "futures trigger, take-profit and stop-loss (plan) orders",
        "`orders-plan-pending` and `cancel-plan-order` are not called: cancel them in the web \
         interface (Futures → Orders → Trigger / TP/SL)",
    ),
    Product::not_covered(
        "cross and isolated margin",
        "Bitget has no margin cancel-all (orders are cancelled by id only) and the adapter \
         does not list margin orders: cancel them in the web interface",
    ),
    Product::not_covered(
        "copy trading and trading bots",
        "their orders live under `copy/*` and the bot pages, which the adapter does not call",
    ),
    Product::not_covered(
        "unified trading account (UTA)",
        "the `/api/v3` family is not spoken: a UTA sub-account's key can be deleted by \
         `delete-sub-api` and its orders cancelled by `cancel-symbol-order` per category, by \
         hand until it is",
    ),
];

impl Venue for Bitget {
    fn id(&self) -> ExchangeId {
        ExchangeId::Bitget
    }

    fn support(&self, capability: Capability) -> Support {
        match capability {
            // docs/venues/bitget.md §4: no endpoint deletes a classic sub-account key.
            Capability::RevokeKey => Support::Manual(guide::revoke()),
            Capability::AccessLog => Support::Unavailable("Bitget has no access-log API"),
            Capability::DeadMan => Support::Unavailable(
                "Bitget's only dead-man switch (`countdown-cancel-all`) is for unified accounts \
                 whose access a BD representative enabled; classic accounts have none",
            ),
            Capability::LockKey
            | Capability::CreateKey
            | Capability::CancelOrders
            | Capability::Orders
            | Capability::Fills
            | Capability::Balances
            | Capability::Transfers
            | Capability::KeyInfo
            | Capability::FreezeAccount => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    fn max_window(&self, _history: History) -> Duration {
        // docs/venues/bitget.md §6: each history call spans at most 90 days.
        Duration::from_millis(u64::try_from(endpoints::MAX_WINDOW_MS).unwrap_or(u64::MAX))
    }

    fn symbol(&self, category: Category, base: &str, quote: &str) -> String {
        endpoints::symbol(category, base, quote)
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
        signer::sign(request, credential, call.now_ms)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        Some(self)
    }

    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        Some(self)
    }

    /// `orders` and `orders-algo` of every product on the private WebSocket (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::BitgetStream)
    }

    /// `spot_trade` and `contract_trade` are the trading rights; `read`, `transfer` and the
    /// rest are not (docs/venues/bitget.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        let mut rights = Vec::new();
        if permissions.iter().any(|p| p == "spot_trade") {
            rights.push(TradePermission::SpotTrade);
        }
        if permissions.iter().any(|p| p == "contract_trade") {
            rights.push(TradePermission::ContractTrade);
        }
        Some(rights)
    }
}

impl OrderRules for Bitget {
    /// Spot cancels every open order of one symbol a call (`cancel-symbol-order`); futures
    /// cancel a whole `productType` (`cancel-all-orders`), sent once per symbol listed there.
    fn cancel_style(&self) -> CancelStyle {
        CancelStyle::PerSymbol
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::coverage::Cover;

    #[test]
    fn support_is_honest() {
        for capability in Capability::ALL {
            match (capability, Bitget.support(*capability)) {
                (Capability::RevokeKey, Support::Manual(guide)) => {
                    assert_eq!(guide.url, API_KEYS);
                }
                (Capability::AccessLog | Capability::DeadMan, support) => {
                    assert!(matches!(support, Support::Unavailable(_)), "{capability:?}")
                }
                (_, support) => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert_eq!(
            (&Bitget as &dyn Venue).cancel_style(),
            CancelStyle::PerSymbol
        );
    }

    #[test]
    fn every_covered_product_is_listed_in_a_segment() {
        for product in PRODUCTS {
            let settle = match product.name {
                "spot" => endpoints::SPOT,
                "USDT-M futures (`USDT-FUTURES`)" => endpoints::USDT_FUTURES,
                "USDC-M futures (`USDC-FUTURES`)" => endpoints::USDC_FUTURES,
                "coin-M futures (`COIN-FUTURES`)" => endpoints::COIN_FUTURES,
                other => {
                    assert!(!matches!(product.list_open, Cover::Covered), "{other}");
                    continue;
                }
            };
            assert!(
                SEGMENTS.iter().any(|s| s.settle == Some(settle)),
                "{}",
                product.name
            );
        }
    }

    #[test]
    fn symbols_per_product() {
        assert_eq!(Bitget.symbol(Category::Spot, "BTC", "USDT"), "BTCUSDT");
        assert_eq!(Bitget.symbol(Category::Linear, "BTC", "USDT"), "BTCUSDT");
        assert_eq!(Bitget.symbol(Category::Linear, "BTC", "USDC"), "BTCPERP");
        assert_eq!(Bitget.symbol(Category::Inverse, "BTC", "USD"), "BTCUSD");
    }

    #[test]
    fn trading_rights_from_bitget_names() {
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            Bitget.trade_rights(&names(&["read", "spot_trade", "contract_trade"])),
            Some(vec![
                TradePermission::SpotTrade,
                TradePermission::ContractTrade
            ])
        );
        assert_eq!(Bitget.trade_rights(&names(&["read"])), Some(vec![]));
    }
}
