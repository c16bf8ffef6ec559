//! Kraken Spot REST (docs/venues/kraken.md): base64 HMAC-SHA512 signatures over the path and the
//! SHA-256 of nonce and form body, an ever-increasing nonce per key, `{error, result}` envelopes, a
//! per-key call counter, offset and cursor pagination.
//!
//! Kraken has no key-management API at all (docs/venues/kraken.md §4): a leaked key cannot be
//! locked, deleted or replaced by a request, only in the web interface. So revoking, locking and
//! creating keys are declared [`Support::Manual`] with exact guides (`guide.rs`), and the engine
//! turns them into guided steps whose result it verifies: after the deletion the old key must be
//! refused with `EAPI:Invalid key`. What Kraken does by API is done by API: `CancelAll`, the
//! dead-man switch `CancelAllOrdersAfter`, `GetApiKeyInfo` for the key's own description, and every
//! snapshot. Orders belong to the account, not the key, so the owner's own key (the profile's
//! `master`, a query-and-cancel key) cancels and reads everything: the leaked key's call counter
//! and nonce sequence are shared with whoever else holds it, and an attacker polling with it
//! starves them.
//!
//! Nonces: the client draws them from its per-key [`crate::exchanges::Nonces`] (the clock in
//! ms, or one more than the key's last; persisted under the profile's state dir) and sends one
//! request per key at a time ([`Venue::key_counters`]). Rate limit: the client models the
//! counter at the lowest tier (15, −0.33/s) so it stays under it on any account; history calls
//! cost 2, orders and cancels of single orders are on the trading limiter and cost nothing here.

mod cursor;
mod endpoints;
pub(crate) mod facts;
mod guide;
mod names;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::KeyCounters;
use super::model::{Category, Segment, TradePermission};
use super::{
    CallBudget, CallContext, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Request,
    Response, SignedRequest, Support, Venue,
};
use crate::secret::Credential;

pub use guide::API_SETTINGS;
pub use names::{coin, pair};
pub use signer::{message, sign_message};
pub use stream::KrakenStream;

/// The Kraken Spot adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Kraken;

/// Kraken Spot lists and cancels every order of the account at once: one slice.
const SEGMENTS: &[Segment] = &[Segment {
    category: Category::Spot,
    settle: None,
}];

/// The call counter at the lowest verification tier, Starter: at most 15, draining 0.33 a
/// second (Kraken's rate-limit guide; docs/venues/kraken.md §7 gives the higher tiers' 20 and 0.5
/// or 1). Modelling the lowest tier keeps lockdown under the limit on every account.
pub const BUDGET: CallBudget = CallBudget {
    max: 15.0,
    decay_per_s: 0.33,
};

/// Offset pagination covers any window; Kraken keeps the whole history (docs/venues/kraken.md §6).
const UNLIMITED: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Everything a Kraken account can hold (Kraken docs, "Add Order": `ordertype`, `leverage`) and
/// what the response does in each. Kraken Spot lists and cancels every order of the account at
/// once (`OpenOrders`, `CancelAll`), whatever its kind or pair.
const PRODUCTS: &[Product] = &[
    Product::covered("spot, any quote currency"),
    Product::covered("conditional orders: stop-loss, take-profit and their -limit kinds"),
    Product::not_covered(
        "trailing stops and iceberg orders",
        "listed by `OpenOrders` and cancelled by `CancelAll` like every Kraken order, but the \
         simulator does not place them, so no test proves it",
    ),
    Product {
        name: "margin (spot with leverage)",
        list_open: Cover::Covered,
        cancel: Cover::Covered,
        history: Cover::Covered,
        fills: Cover::Covered,
        balances: Cover::NotCovered(
            "open margin positions (`OpenPositions`) are not read, and the simulator models no \
             leverage: close positions in the web interface",
        ),
    },
    Product::not_covered(
        "Kraken Futures",
        "a separate exchange (futures.kraken.com) with its own keys and API, which lockdown \
         does not call: contain a Futures key in its own web interface",
    ),
];

impl Venue for Kraken {
    fn id(&self) -> ExchangeId {
        ExchangeId::Kraken
    }

    /// `modify-trades` (create and modify orders) is trading, spot only; the funds rights are not
    /// (docs/venues/kraken.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        Some(if permissions.iter().any(|p| p == "modify-trades") {
            vec![TradePermission::SpotTrade]
        } else {
            Vec::new()
        })
    }

    fn support(&self, capability: Capability) -> Support {
        // docs/venues/README.md §1 and docs/venues/kraken.md §4: no key-management endpoints at
        // all; cancel-all and the dead-man switch by API (docs/venues/kraken.md §5); every history
        // by API (docs/venues/kraken.md §6); no access log.
        match capability {
            Capability::LockKey => Support::Manual(guide::lock()),
            Capability::RevokeKey => Support::Manual(guide::revoke()),
            Capability::CreateKey => Support::Manual(guide::create()),
            Capability::AccessLog => Support::Unavailable(
                "Kraken keeps no access log by API; GetApiKeyInfo's `lastUsed` is the only trace",
            ),
            Capability::FreezeAccount => {
                Support::Unavailable("Kraken has no call that freezes an account's keys by API")
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

    fn symbol(&self, _category: Category, base: &str, quote: &str) -> String {
        // Kraken's pair `altname`: `XBTUSDT`, `ETHUSDT`, `ADAXBT`.
        names::pair(base, quote)
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
        if request.path.starts_with("/0/public/") {
            return SignedRequest {
                request,
                headers: Vec::new(),
            };
        }
        signer::sign(request, credential, call.nonce)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn key_counters(&self) -> Option<&dyn KeyCounters> {
        Some(self)
    }

    /// WebSocket v2 `executions`, with a token from `GetWebSocketsToken` (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::STREAM)
    }
}

impl KeyCounters for Kraken {
    fn budget(&self) -> Option<CallBudget> {
        Some(BUDGET)
    }

    fn call_cost(&self, op: &Op) -> f64 {
        // docs/venues/kraken.md §7 and Kraken's guide: ledger and trade-history calls count 2,
        // single orders and their cancels go to the trading engine's limiter instead.
        match op {
            Op::Orders { .. } | Op::Fills { .. } => 2.0,
            Op::Transfers { cursor, .. }
                if cursor.as_deref().is_some_and(|c| c.starts_with("l:")) =>
            {
                2.0
            }
            Op::PlaceOrder(_) | Op::CancelOrder { .. } | Op::AmendOrder { .. } | Op::ServerTime => {
                0.0
            }
            _ => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_honest() {
        let kraken = Kraken;
        for capability in Capability::ALL {
            let support = kraken.support(*capability);
            match capability {
                Capability::LockKey | Capability::RevokeKey | Capability::CreateKey => {
                    let Support::Manual(guide) = support else {
                        panic!("{capability:?} must be manual");
                    };
                    assert_eq!(guide.url, API_SETTINGS);
                    assert!(!guide.steps.is_empty());
                }
                Capability::AccessLog | Capability::FreezeAccount => {
                    assert!(matches!(support, Support::Unavailable(_)))
                }
                _ => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert!((&kraken as &dyn Venue).counter_nonce());
        assert_eq!(kraken.segments().len(), 1);
    }

    #[test]
    fn every_covered_product_is_in_the_one_segment() {
        // Kraken lists and cancels the whole account in its one segment: every product whose
        // orders are declared listed is listed there; Kraken Futures is another API.
        assert_eq!(SEGMENTS.len(), 1);
        for product in PRODUCTS {
            let covered = matches!(product.list_open, Cover::Covered);
            assert_eq!(covered, !product.leaves_orders(), "{}", product.name);
        }
        let futures = PRODUCTS
            .iter()
            .find(|p| p.name == "Kraken Futures")
            .unwrap();
        assert!(futures.leaves_orders());
    }

    #[test]
    fn symbols_are_altnames() {
        assert_eq!(Kraken.symbol(Category::Spot, "BTC", "USDT"), "XBTUSDT");
        assert_eq!(Kraken.symbol(Category::Spot, "VIA", "BTC"), "VIAXBT");
    }

    #[test]
    fn history_calls_cost_two() {
        let window = crate::exchanges::Window {
            start_ms: 0,
            end_ms: 1,
        };
        let spot = SEGMENTS[0];
        for (op, cost) in [
            (
                Op::Orders {
                    segment: spot,
                    window,
                    cursor: None,
                },
                2.0,
            ),
            (
                Op::Transfers {
                    window,
                    cursor: Some("l:0".into()),
                },
                2.0,
            ),
            (
                Op::Transfers {
                    window,
                    cursor: None,
                },
                1.0,
            ),
            (Op::Balances, 1.0),
            (
                Op::CancelOrder {
                    segment: spot,
                    symbol: "XBTUSDT".into(),
                    order_id: "O".into(),
                },
                0.0,
            ),
        ] {
            assert_eq!(Kraken.call_cost(&op), cost, "{op:?}");
        }
    }
}
