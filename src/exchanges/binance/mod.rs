//! Binance (docs/venues/binance.md): hex HMAC-SHA256 over the percent-encoded query and body with
//! `X-MBX-APIKEY`, `timestamp` and `recvWindow`; sub-account keys managed through the master in
//! one of two families (the sub-account endpoints, by email, or Binance Link broker endpoints,
//! by `subAccountId`: the profile's `key_family`); cancels per symbol (on USD-M, the symbol's
//! conditional "algo" orders too, which Binance lists and cancels apart); histories per symbol in
//! 24-hour (spot) or under-7-day (USD-M) windows; request weights per IP and minute.
//!
//! Like Bybit and OKX, the master manages a sub-account's keys but cannot cancel its orders
//! (docs/venues/binance.md §9), so the default playbook binds the leaked key's IP list to the
//! responder first (`ipRestriction`, `status` 2) and then uses the key itself. Master-account keys
//! have no API at all: a key cannot delete or restrict itself, and nothing deletes another master
//! key ([`master_key_guide`] says what to do by hand). `-2015` is one answer for an unknown key, an
//! address outside the key's list and a missing permission; `verify_revoked` therefore also
//! checks that the master's listing no longer holds the key. An IP ban (418) is never sent into:
//! the client refuses locally until it ends.

mod cursor;
mod endpoints;
pub(crate) mod facts;
mod hosts;
mod market;
mod pace;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{CompanionCalls, Hold, Lane, Load, ManualSteps, OrderRules, Pacing};
use super::model::{Access, Category, Lock, Segment, TradePermission};
use super::{
    CallContext, CancelStyle, Capability, Decoded, ExchangeError, ExchangeId, Guide, History, Op,
    Reply, Request, Response, Revoke,
};
use super::{SignedRequest, Support, Venue};
use crate::secret::Credential;

pub use hosts::futures_url;
pub use signer::{RECV_WINDOW_MS, encode_params, payload, sign_payload};

/// The Binance adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Binance;

/// Spot, USD-M futures (linear contracts settled in USDT or USDC), cross and isolated margin,
/// COIN-M futures and options (`market.rs`).
const SEGMENTS: &[Segment] = &[
    Segment {
        category: Category::Spot,
        settle: None,
    },
    Segment {
        category: Category::Linear,
        settle: None,
    },
    market::MARGIN,
    market::ISOLATED,
    market::COIN_M,
    market::OPTIONS,
];

/// Balances are read from the spot account only (`GET /api/v3/account`): one request per
/// [`Op::Balances`].
const SPOT_WALLET_ONLY: Cover =
    Cover::NotCovered("only the spot wallet is read; check this wallet in the web interface");

/// Every product a Binance account can hold (docs/venues/binance.md §1), and what the response
/// does in each.
const PRODUCTS: &[Product] = &[
    Product::covered("spot"),
    Product {
        name: "cross margin",
        history: Cover::NotCovered(
            "only symbols with open margin orders are walked: the margin account's assets are not read",
        ),
        fills: Cover::NotCovered(
            "only symbols with open margin orders are walked: the margin account's assets are not read",
        ),
        balances: SPOT_WALLET_ONLY,
        ..Product::covered("cross margin")
    },
    Product {
        balances: SPOT_WALLET_ONLY,
        ..Product::covered("isolated margin")
    },
    Product {
        balances: SPOT_WALLET_ONLY,
        ..Product::covered("USDⓈ-M futures")
    },
    Product {
        balances: SPOT_WALLET_ONLY,
        ..Product::covered("COIN-M futures")
    },
    Product {
        balances: SPOT_WALLET_ONLY,
        ..Product::covered("options")
    },
    Product {
        name: "funding wallet",
        list_open: Cover::NotOffered,
        cancel: Cover::NotOffered,
        history: Cover::NotOffered,
        fills: Cover::NotOffered,
        balances: Cover::Covered,
    },
    Product::not_covered(
        "portfolio margin",
        "portfolio-margin accounts trade through `/papi`, which lockdown does not call",
    ),
];

/// What to do by hand when the leaked key is a master-account key: Binance has no API that
/// deletes, disables or restricts one (docs/venues/README.md §1, "Which exchanges have NO
/// revocation API").
pub fn master_key_guide() -> Guide {
    Guide {
        title: "Delete the leaked master-account API key in Binance's web interface".to_owned(),
        url: "https://www.binance.com/en/my/settings/api-management".to_owned(),
        steps: vec![
            "Log in to the master account and open Account > API Management".to_owned(),
            "Find the key by its label and the first characters of its id".to_owned(),
            "Click Delete, confirm with two-factor authentication".to_owned(),
            "Change the account password and review Account > Devices and Account Activity"
                .to_owned(),
        ],
    }
}

impl Venue for Binance {
    fn id(&self) -> ExchangeId {
        ExchangeId::Binance
    }

    /// `canTrade` is spot, `canFuturesTrade` (broker keys: `futuresTrade`) USD-M and COIN-M,
    /// `canVanillaOptions` options; margin loans and universal transfers are not trading rights a
    /// replacement gets (docs/venues/binance.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        let has = |name: &str| permissions.iter().any(|p| p == name);
        let mut rights = Vec::new();
        if has("canTrade") {
            rights.push(TradePermission::SpotTrade);
        }
        if has("canFuturesTrade") || has("futuresTrade") {
            rights.push(TradePermission::ContractTrade);
        }
        if has("canVanillaOptions") {
            rights.push(TradePermission::OptionsTrade);
        }
        Some(rights)
    }

    fn support(&self, capability: Capability) -> Support {
        // Sub-account keys (either family): lock, revoke, create and list by API through the
        // master (docs/venues/README.md §1, docs/venues/binance.md §4); master-account keys have
        // none (see the module doc). Cancels per symbol (docs/venues/binance.md §5). USD-M's
        // `countdownCancelAll` is the only dead-man switch; spot has none. No access log.
        match capability {
            Capability::AccessLog => Support::Unavailable("Binance has no access-log API"),
            Capability::FreezeAccount => Support::Unavailable(
                "Binance has no call that freezes a sub-account (its list shows `isFreeze`, read-only)",
            ),
            Capability::DeadMan => Support::Unavailable(
                "Binance's countdownCancelAll arms one USD-M symbol at a time; spot has none",
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
        // Orders and fills: one window for the whole lookback (USD-M keeps 90 days); the cursor
        // walks it per symbol in windows each endpoint allows (24 h spot, under 7 d USD-M).
        // Withdrawals and deposits: under 90 days a call; sub-account transfers: 30 days, which
        // the cursor reads in sub-windows of at most 7 days (the universal-transfer page's
        // limit).
        let ms = match history {
            History::Orders | History::Fills => 90 * endpoints::DAY_MS,
            History::Withdrawals => 89 * endpoints::DAY_MS,
            History::Transfers => 30 * endpoints::DAY_MS,
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    fn symbol(&self, category: Category, base: &str, quote: &str) -> String {
        // COIN-M perpetuals are `<base><quote>_PERP` (`BTCUSD_PERP`); delivery contracts carry
        // their date instead, which a base and quote cannot name.
        match category {
            Category::Inverse => format!("{base}{quote}_PERP"),
            _ => format!("{base}{quote}"),
        }
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
        signer::sign(request, credential, call.now_ms)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn companions(&self) -> Option<&dyn CompanionCalls> {
        Some(self)
    }

    fn pacing(&self) -> Option<&dyn Pacing> {
        Some(self)
    }

    fn manual_steps(&self) -> Option<&dyn ManualSteps> {
        Some(self)
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        Some(self)
    }

    /// One stream per family: spot by the WebSocket API, USD-M and COIN-M by listen key
    /// (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&stream::STREAM)
    }
}

impl ManualSteps for Binance {
    fn by_hand(&self, op: &Op) -> Option<Guide> {
        matches!(op, Op::RevokeKey(Revoke::SelfMaster)).then(master_key_guide)
    }
}

impl OrderRules for Binance {
    fn cancel_style(&self) -> CancelStyle {
        CancelStyle::PerSymbol
    }
}

impl CompanionCalls for Binance {
    fn then(&self, op: &Op, reply: &Reply) -> Option<Op> {
        match (op, reply) {
            // The spot wallet's balances are followed by the funding wallet's.
            (Op::Balances, Reply::Balances(_)) => Some(Op::WalletBalances {
                account: endpoints::FUNDING,
            }),
            // A read-only lock strips the trade flags first, then binds the IP list.
            (
                Op::RestrictKey {
                    key,
                    account,
                    lock:
                        Lock {
                            ips,
                            access: Access::ReadOnly,
                        },
                },
                Reply::Key(_),
            ) => Some(Op::RestrictKey {
                key: key.clone(),
                account: account.clone(),
                lock: Lock {
                    ips: ips.clone(),
                    access: Access::Unchanged,
                },
            }),
            // A broker key is created without addresses (docs/venues/binance.md §4): bind it at
            // once.
            (Op::CreateKey { account, scope, .. }, Reply::Created(created))
                if created.info.ips.is_empty() =>
            {
                Some(Op::RestrictKey {
                    key: created.info.key.clone(),
                    account: Some(account.clone()),
                    lock: Lock {
                        ips: scope.ips.clone(),
                        access: Access::Unchanged,
                    },
                })
            }
            // A USD-M symbol's conditional (algo) orders outlive `allOpenOrders`: its
            // `algoOpenOrders` follows (docs/venues/binance.md §5), whatever the first found to
            // cancel.
            (Op::CancelBatch { segment, orders }, Reply::Cancelled(_))
                if endpoints::is_futures(segment) && !endpoints::is_conditional(segment) =>
            {
                Some(Op::CancelBatch {
                    segment: endpoints::CONDITIONAL,
                    orders: orders.clone(),
                })
            }
            _ => None,
        }
    }
}

impl Pacing for Binance {
    fn pace(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Hold> {
        pace::pace(request, response, now_ms)
    }

    fn lane(&self, request: &Request) -> Lane {
        pace::lane(&request.path)
    }

    fn load(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Load> {
        pace::load(request, response, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_follow_binance() {
        let binance = Binance;
        assert_eq!(binance.symbol(Category::Spot, "BTC", "USDT"), "BTCUSDT");
        assert_eq!(binance.symbol(Category::Linear, "ETH", "USDC"), "ETHUSDC");
        assert_eq!(
            binance.symbol(Category::Inverse, "BTC", "USD"),
            "BTCUSD_PERP"
        );
    }

    #[test]
    fn a_usdm_cancel_is_followed_by_its_conditional_orders() {
        use crate::exchanges::OrderRef;
        let binance = Binance;
        let orders = vec![OrderRef {
            symbol: "ETHUSDT".into(),
            order_id: "7".into(),
        }];
        let cancel = |segment| Op::CancelBatch {
            segment,
            orders: orders.clone(),
        };
        let done = Reply::Cancelled(Vec::new());
        let usdm = Segment {
            category: Category::Linear,
            settle: None,
        };
        assert_eq!(
            binance.then(&cancel(usdm), &done),
            Some(cancel(endpoints::CONDITIONAL))
        );
        assert_eq!(binance.then(&cancel(endpoints::CONDITIONAL), &done), None);
        assert_eq!(binance.then(&cancel(SEGMENTS[0]), &done), None, "spot");
        assert!(!SEGMENTS.contains(&endpoints::CONDITIONAL));
    }

    #[test]
    fn every_product_declared_covered_has_a_segment() {
        let segment_of = |name: &str| -> Option<Segment> {
            let spot = Segment {
                category: Category::Spot,
                settle: None,
            };
            let usdm = Segment {
                category: Category::Linear,
                settle: None,
            };
            match name {
                "spot" => Some(spot),
                "cross margin" => Some(market::MARGIN),
                "isolated margin" => Some(market::ISOLATED),
                "USDⓈ-M futures" => Some(usdm),
                "COIN-M futures" => Some(market::COIN_M),
                "options" => Some(market::OPTIONS),
                _ => None,
            }
        };
        let binance = Binance;
        for product in binance.products() {
            let lists =
                [product.list_open, product.cancel, product.history].contains(&Cover::Covered);
            if lists {
                let segment = segment_of(product.name)
                    .unwrap_or_else(|| panic!("{}: covered but no segment", product.name));
                assert!(binance.segments().contains(&segment), "{}", product.name);
            }
        }
        let portfolio = binance
            .products()
            .iter()
            .find(|p| p.name == "portfolio margin")
            .unwrap();
        assert!(portfolio.parts().iter().all(|(_, c)| *c != Cover::Covered));
        // The funding wallet holds balances only, and they are read.
        let funding = binance
            .products()
            .iter()
            .find(|p| p.name == "funding wallet")
            .unwrap();
        assert_eq!(funding.balances, Cover::Covered);
    }

    #[test]
    fn support_is_honest() {
        let binance = Binance;
        for capability in Capability::ALL {
            let support = binance.support(*capability);
            match capability {
                Capability::AccessLog | Capability::DeadMan | Capability::FreezeAccount => {
                    assert!(matches!(support, Support::Unavailable(_)))
                }
                _ => assert_eq!(support, Support::Api, "{capability:?}"),
            }
        }
        assert_eq!(binance.cancel_style(), CancelStyle::PerSymbol);
        assert!(
            master_key_guide()
                .url
                .starts_with("https://www.binance.com/")
        );
    }
}
