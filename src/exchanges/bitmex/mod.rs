//! BitMEX REST (docs/venues/bitmex.md): hex HMAC-SHA256 signatures over verb, path, `api-expires`
//! and body; JSON answers without an envelope; offset pagination; a per-minute budget and a
//! per-second layer on the order routes.
//!
//! BitMEX removed every key-changing endpoint in 2019 (docs/venues/bitmex.md §4): a leaked key
//! cannot be locked, deleted or replaced by a request, only in the web interface. So those steps
//! are [`Support::Manual`] with exact guides (`guide.rs`), and the engine verifies the deletion:
//! the old key must be refused with `Invalid API Key.`. What BitMEX does by API is done by API,
//! and it contains the trading side at once: `DELETE /order/all` cancels every order of the
//! account in every product, and `POST /order/cancelAllAfter` arms the dead-man switch. Orders
//! belong to the account, so the owner's own key (the profile's `master`, ideally an
//! `orderCancel`-only key bound to the responder's address) cancels what the leaked key placed.

mod endpoints;
pub(crate) mod facts;
mod guide;
mod limits;
mod names;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{OrderRules, RateLimits};
use super::model::{Category, Segment};
use super::{
    CallContext, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request, Response,
    SignedRequest, Support, Venue,
};
use crate::secret::Credential;

pub use guide::API_KEYS;
pub use signer::{EXPIRES_AHEAD_S, message, sign_message};
pub use stream::BitmexStream;

/// The BitMEX adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bitmex;

/// BitMEX lists (`GET /order`) and cancels (`DELETE /order/all`) every product of the account
/// in one call: one account-wide slice.
const SEGMENTS: &[Segment] = &[Segment {
    category: Category::Linear,
    settle: Some("all"),
}];

/// Offset pagination covers any window; BitMEX keeps the account's whole history.
const UNLIMITED: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Everything a BitMEX account can hold (the swagger's `ordType` and instrument kinds) and what
/// the response does in each. `GET /order` and `DELETE /order/all` take every symbol at once.
const PRODUCTS: &[Product] = &[
    Product::covered("perpetual and futures contracts, inverse (XBTUSD) and linear (XBTUSDT)"),
    Product {
        name: "spot (XBT_USDT)",
        list_open: Cover::Covered,
        cancel: Cover::Covered,
        history: Cover::Covered,
        fills: Cover::Covered,
        balances: Cover::NotCovered(
            "what open orders hold is in `/user/margin`, which is not read: balances are \
             totals only",
        ),
    },
    Product::not_covered(
        "conditional orders (Stop, StopLimit, MarketIfTouched, LimitIfTouched, Pegged)",
        "listed by `GET /order` and cancelled by `DELETE /order/all` like every BitMEX order, \
         but the simulator does not place them, so no test proves it",
    ),
    Product::not_covered(
        "paired (sub) accounts",
        "`DELETE /order/all` is sent without `targetAccountIds`: cancel each paired account's \
         orders with a key of that account, or in the web interface",
    ),
];

impl Venue for Bitmex {
    fn id(&self) -> ExchangeId {
        ExchangeId::Bitmex
    }

    fn support(&self, capability: Capability) -> Support {
        // docs/venues/bitmex.md §4: keys are only listed; §5: cancel-all and the dead-man
        // switch; §6: every history; no access log whose events are documented.
        match capability {
            Capability::LockKey => Support::Manual(guide::lock()),
            Capability::RevokeKey => Support::Manual(guide::revoke()),
            Capability::CreateKey => Support::Manual(guide::create()),
            Capability::AccessLog => Support::Unavailable(
                "BitMEX's `GET /userEvent` exists but its event types are not documented",
            ),
            Capability::FreezeAccount => {
                Support::Unavailable("BitMEX has no call that freezes an account or its keys")
            }
            Capability::CancelOrders
            | Capability::Orders
            | Capability::Fills
            | Capability::Balances
            | Capability::Transfers
            | Capability::KeyInfo
            | Capability::DeadMan => Support::Api,
        }
    }

    fn segments(&self) -> &'static [Segment] {
        SEGMENTS
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    fn max_window(&self, _history: History) -> Duration {
        UNLIMITED
    }

    fn symbol(&self, category: Category, base: &str, quote: &str) -> String {
        names::symbol(category, base, quote)
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
        if request.path == endpoints::BASE {
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

    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        Some(self)
    }

    /// The realtime API's `order` table, logged in with `authKeyExpires` (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::STREAM)
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        Some(self)
    }
}

impl OrderRules for Bitmex {
    /// Orders are sized in contracts or the base coin only.
    fn quote_sized_market_buys(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_honest() {
        for capability in Capability::ALL {
            match (capability, Bitmex.support(*capability)) {
                (
                    Capability::LockKey | Capability::RevokeKey | Capability::CreateKey,
                    Support::Manual(guide),
                ) => {
                    assert_eq!(guide.url, API_KEYS);
                    assert!(!guide.steps.is_empty());
                }
                (Capability::AccessLog | Capability::FreezeAccount, support) => {
                    assert!(matches!(support, Support::Unavailable(_)), "{capability:?}")
                }
                (_, support) => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert!(!(&Bitmex as &dyn Venue).quote_sized_market_buys());
        assert!(!(&Bitmex as &dyn Venue).charges(&Op::Balances).is_empty());
    }

    #[test]
    fn every_covered_product_is_in_the_one_segment() {
        // One account-wide segment lists and cancels every product whose orders are declared
        // covered; the rest say why not.
        assert_eq!(SEGMENTS.len(), 1);
        for product in PRODUCTS {
            assert_eq!(
                matches!(product.list_open, Cover::Covered),
                !product.leaves_orders(),
                "{}",
                product.name
            );
        }
    }

    #[test]
    fn symbols_per_product() {
        assert_eq!(Bitmex.symbol(Category::Spot, "BTC", "USDT"), "XBT_USDT");
        assert_eq!(Bitmex.symbol(Category::Inverse, "BTC", "USD"), "XBTUSD");
        assert_eq!(Bitmex.symbol(Category::Linear, "ETH", "USDT"), "ETHUSDT");
    }
}
