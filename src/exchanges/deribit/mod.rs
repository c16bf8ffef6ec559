//! Deribit JSON-RPC v2 over REST (docs/venues/deribit.md): `client_signature` tokens or per-request
//! `deri-hmac-sha256` signatures, key management by numeric key id, sub-accounts through
//! `public/exchange_token`, cancels and lists per currency, every instrument kind at once.
//!
//! How the venue's shape meets the normalized operations:
//! - **Segments are currencies.** The per-currency lists and cancels are called for the five
//!   currencies the method pages enumerate and for every other one `public/get_currencies`
//!   names at run time ([`SegmentDiscovery`]), each with every kind (`kind=any`, combos
//!   included) and order type (`type=all`, untriggered stop and take orders included).
//! - **Key ids.** A client signs with the key's `client_id` (the id lockdown knows), but
//!   `edit_api_key` and `remove_api_key` take the numeric `id`. Before either, the client lists
//!   the account's keys ([`CompanionCalls::lookup`]) and the request takes the id from that
//!   answer; the lock skips the listing when the profile's key says its number and scope
//!   (`listed:`, [`VenueSettings::listed`]), and its answer must then name the same key.
//! - **Sub-accounts.** Key management acts on the keys of the session's account; a leaked
//!   sub-account key is reached by switching the master's session to the sub-account
//!   ([`TokenSessions::subject`], [`TokenSessions::switch`]), one session per key and subject.
//! - **New keys.** `create_api_key` takes no IP whitelist, so the client binds the new key with
//!   `edit_api_key` at once ([`CompanionCalls::then`]); the call fails if that fails.
//! - **Two-factor.** Methods marked "TFA required" may answer with a challenge; it becomes
//!   [`ExchangeError::TfaRequired`] and the engine sends the step again with the code.
//!
//! Like Bybit, the default playbook locks the key to the responder first (one `edit_api_key`),
//! so that the owner can still take evidence and cancel with the key itself.

mod cursor;
mod endpoints;
pub(crate) mod facts;
mod limits;
mod signer;
mod stream;
mod wire;

use std::time::Duration;

use super::coverage::{Cover, Product};
use super::mechanisms::{CompanionCalls, OrderRules, RateLimits, SegmentDiscovery, TokenSessions};
use super::model::{Access, Category, Lock, Segment, TradePermission};
use super::{
    AuthStyle, CallContext, Capability, Decoded, ExchangeError, ExchangeId, History, Op, Reply,
    Request, Response, Revoke, Session, SignedRequest, Support, Venue, VenueSettings,
};
use crate::secret::Credential;

pub use signer::{client_signature_string, request_string, sign_string, signature_header};
pub use stream::{CHANNEL as STREAM_CHANNEL, DeribitStream};

/// The Deribit v2 adapter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deribit;

const fn segment(category: Category, currency: &'static str) -> Segment {
    Segment {
        category,
        settle: Some(currency),
    }
}

/// The currencies every account is listed and cancelled in, whatever `public/get_currencies`
/// answers (docs/venues/deribit.md §5, §6: the method pages' `currency` enum). Each segment is a
/// whole currency: its calls ask for every instrument kind (`kind=any`, or no `kind` where the
/// method takes no `any`), so futures, options, spot pairs and `future_combo`/`option_combo`
/// books of the currency are all covered. The category is the currency's settlement family
/// (coin-settled inverse for BTC and ETH, linear for the stablecoins), a label only.
pub(crate) const SEGMENTS: &[Segment] = &[
    segment(Category::Inverse, "BTC"),
    segment(Category::Inverse, "ETH"),
    segment(Category::Linear, "USDC"),
    segment(Category::Linear, "USDT"),
    segment(Category::Linear, "EURR"),
];

/// What a Deribit account can hold and what the response does there (docs/venues/deribit.md §1,
/// §5, §6): every product is reached through its currency's segment, every kind at once.
const PRODUCTS: &[Product] = &[
    Product::covered("spot (every `BASE_QUOTE` pair, in any currency Deribit lists)"),
    Product::covered("linear futures and perpetuals (USDC-, USDT-settled)"),
    Product::covered("inverse futures and perpetuals (BTC-, ETH-settled)"),
    Product::covered("trigger orders (stop_limit, stop_market, take_limit, take_market)"),
    Product::covered("options (inverse BTC/ETH, linear USDC)"),
    Product {
        name: "combos (future_combo, option_combo)",
        list_open: Cover::Covered,
        cancel: Cover::Covered,
        history: Cover::Covered,
        fills: Cover::Covered,
        balances: Cover::NotOffered,
    },
    Product::not_covered(
        "block trades and block RFQ",
        "their own lists (`private/get_block_trades`, `private/get_block_rfqs`) are not read; \
         check them in the web interface",
    ),
];

/// No history list of Deribit's takes a time window it limits (docs/venues/deribit.md §6): one
/// window covers all.
const UNLIMITED: Duration = Duration::from_secs(10 * 365 * 86_400);

impl Venue for Deribit {
    fn id(&self) -> ExchangeId {
        ExchangeId::Deribit
    }

    /// `trade:read_write` is one right for every instrument kind; `wallet:*`, `account:*` and
    /// `block_trade:*` are not trading (docs/venues/deribit.md §4).
    fn trade_rights(&self, permissions: &[String]) -> Option<Vec<TradePermission>> {
        Some(if permissions.iter().any(|p| p == "trade:read_write") {
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
        // docs/venues/README.md §1: the whole key lifecycle per (sub)account by API, and a security
        // log.
        match capability {
            Capability::DeadMan => Support::Unavailable(
                "Deribit's cancel-on-disconnect (`private/enable_cancel_on_disconnect`) is \
                 WebSocket-only; lockdown speaks REST",
            ),
            // docs/venues/deribit.md §4: `set_disabled_trading_products` stops a sub-account's
            // trading, not its keys (they still read and withdraw as their scope allows).
            Capability::FreezeAccount => Support::Unavailable(
                "Deribit has no call that stops every key of a sub-account; \
                 `private/set_disabled_trading_products` stops its trading only",
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

    fn discovery(&self) -> Option<&dyn SegmentDiscovery> {
        Some(self)
    }

    fn max_window(&self, _history: History) -> Duration {
        UNLIMITED
    }

    fn symbol(&self, category: Category, base: &str, quote: &str) -> String {
        // docs/venues/deribit.md §1 (instrument names): `BTC_USDT` spot, `BTC_USDC-PERPETUAL` linear,
        // `BTC-PERPETUAL` inverse.
        match category {
            Category::Spot | Category::Option => format!("{base}_{quote}"),
            Category::Linear => format!("{base}_{quote}-PERPETUAL"),
            Category::Inverse => format!("{base}-PERPETUAL"),
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
        signer::sign(request, credential, call)
    }

    fn decode(&self, op: &Op, response: &Response) -> Decoded {
        wire::decode(op, response)
    }

    fn decode_known(&self, op: &Op, response: &Response, known: &[Segment]) -> Decoded {
        wire::decode_known(op, response, known)
    }

    fn sessions(&self) -> Option<&dyn TokenSessions> {
        Some(self)
    }

    fn companions(&self) -> Option<&dyn CompanionCalls> {
        Some(self)
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        Some(self)
    }

    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        Some(self)
    }

    /// `user.orders.any.any.raw` over JSON-RPC on WebSocket (`stream.rs`).
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        Some(&DeribitStream)
    }
}

impl TokenSessions for Deribit {
    fn login(&self, credential: &Credential, call: &CallContext<'_>) -> Option<Request> {
        // A sub-account is reached only through a token, whatever the profile's style.
        (call.settings.auth == AuthStyle::Token || call.subject.is_some())
            .then(|| signer::auth_request(credential, call))
    }

    fn decode_login(&self, response: &Response) -> Result<Session, ExchangeError> {
        wire::decode_login(response)
    }

    fn subject(&self, op: &Op) -> Option<String> {
        let account = match op {
            Op::RestrictKey { account, .. } | Op::RevokeKey(Revoke::ByMaster { account, .. }) => {
                account.clone()
            }
            Op::CreateKey { account, .. } | Op::SubKeys { account, .. } => Some(account.clone()),
            _ => None,
        };
        account.filter(|a| !a.trim().is_empty())
    }

    fn switch(&self, session: &Session, subject: &str, _call: &CallContext<'_>) -> Option<Request> {
        Some(signer::exchange_token_request(session, subject))
    }
}

impl CompanionCalls for Deribit {
    fn lookup(&self, op: &Op, settings: &VenueSettings) -> Option<Op> {
        match op {
            // The profile already says the key's number and scope: the lock goes without the
            // listing (its answer is checked to name the key, `wire::decode`). A revoke still
            // lists first: `remove_api_key` answers `ok`, which could not tell a wrong number.
            Op::RestrictKey { key, .. } if settings.listed.contains_key(key.as_str()) => None,
            Op::RestrictKey { account, .. } | Op::RevokeKey(Revoke::ByMaster { account, .. }) => {
                Some(Op::SubKeys {
                    account: account.clone().unwrap_or_default(),
                    cursor: None,
                })
            }
            _ => None,
        }
    }

    fn then(&self, op: &Op, reply: &Reply) -> Option<Op> {
        match (op, reply) {
            (Op::CreateKey { account, scope, .. }, Reply::Created(created)) => {
                Some(Op::RestrictKey {
                    key: created.info.key.clone(),
                    account: Some(account.clone()),
                    lock: Lock {
                        ips: scope.ips.clone(),
                        access: Access::Unchanged,
                    },
                })
            }
            _ => None,
        }
    }
}

impl SegmentDiscovery for Deribit {
    /// One listing: `public/get_currencies` names every currency, whatever its products; each
    /// one not in [`SEGMENTS`] becomes a linear segment (docs/venues/deribit.md §6).
    fn categories(&self) -> &'static [Category] {
        &[Category::Linear]
    }
}

impl OrderRules for Deribit {
    fn quote_sized_market_buys(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::CreatedKey;
    use crate::exchanges::model::{IpWhitelist, KeyInfo, KeyScope};
    use crate::secret::{KeyId, SecretString};

    #[test]
    fn names_follow_deribit() {
        let d = Deribit;
        assert_eq!(d.symbol(Category::Spot, "BTC", "USDT"), "BTC_USDT");
        assert_eq!(
            d.symbol(Category::Linear, "BTC", "USDC"),
            "BTC_USDC-PERPETUAL"
        );
        assert_eq!(d.symbol(Category::Inverse, "BTC", "USD"), "BTC-PERPETUAL");
    }

    #[test]
    fn key_writes_look_up_and_sub_accounts_switch() {
        let d = Deribit;
        let lock = Op::RestrictKey {
            key: KeyId::new("BOTKEY01"),
            account: Some("1000002".into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        assert_eq!(d.subject(&lock).as_deref(), Some("1000002"));
        let none = VenueSettings::default();
        assert!(matches!(d.lookup(&lock, &none), Some(Op::SubKeys { .. })));
        assert_eq!(d.subject(&Op::Balances), None);
        assert!(d.lookup(&Op::Balances, &none).is_none());
        // A key the profile describes is locked without the listing; a revoke still lists.
        let mut listed = VenueSettings::default();
        listed.listed.insert(
            "BOTKEY01".into(),
            crate::exchanges::ListedKey {
                id: 7,
                max_scope: "account:read trade:read_write wallet:read".into(),
            },
        );
        assert!(d.lookup(&lock, &listed).is_none());
        let revoke = Op::RevokeKey(Revoke::ByMaster {
            key: KeyId::new("BOTKEY01"),
            account: Some("1000002".into()),
        });
        assert!(d.lookup(&revoke, &listed).is_some());
    }

    #[test]
    fn a_new_key_is_bound_right_after_it_is_made() {
        let d = Deribit;
        let scope = KeyScope {
            trade: vec![],
            ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
        };
        let create = Op::CreateKey {
            account: "1000002".into(),
            label: "lockdown_abc123".into(),
            scope,
        };
        let created = Reply::Created(CreatedKey {
            info: KeyInfo {
                key: KeyId::new("NEWKEY01"),
                label: "lockdown_abc123".into(),
                account: Some("1000002".into()),
                is_master: false,
                read_only: false,
                permissions: vec![],
                ips: vec![],
                created_at: None,
                expires_at: None,
            },
            secret: SecretString::from("s"),
            passphrase: None,
        });
        let Some(Op::RestrictKey { key, lock, .. }) = d.then(&create, &created) else {
            panic!("a new key must be bound");
        };
        assert_eq!(key.as_str(), "NEWKEY01");
        assert_eq!(lock.ips.to_strings(), ["10.0.0.1"]);
    }

    #[test]
    fn every_product_declared_covered_is_in_every_currency_segment() {
        let d = Deribit;
        let settings = crate::exchanges::VenueSettings::default();
        let call = CallContext {
            now_ms: 1,
            nonce: "n",
            session: None,
            tfa: None,
            settings: &settings,
            subject: None,
            lookup: None,
            known: &[],
        };
        let window = crate::exchanges::Window {
            start_ms: 0,
            end_ms: 1,
        };
        // A segment is a currency: each of its calls asks for every kind and order type, so a
        // product covered in one currency is covered in every segment of that currency.
        for segment in d.segments() {
            let segment = *segment;
            let query = |op: Op| d.encode(&op, &call).unwrap().query;
            let cancel = query(Op::CancelAll { segment });
            assert!(cancel.contains("kind=any&type=all"), "{cancel}");
            let open = query(Op::OpenOrders {
                segment,
                cursor: None,
            });
            assert!(
                !open.contains("kind=") && open.contains("type=all"),
                "{open}"
            );
            for read in [
                query(Op::Orders {
                    segment,
                    window,
                    cursor: None,
                }),
                query(Op::Fills {
                    segment,
                    window,
                    cursor: None,
                }),
            ] {
                assert!(read.contains("kind=any"), "{read}");
            }
        }
        // The currencies each covered family lives in are fixed segments; any other currency
        // is listed at run time.
        let fixed: Vec<&str> = d.segments().iter().filter_map(|s| s.settle).collect();
        for product in d.products() {
            let needs: &[&str] = match product.name {
                n if n.starts_with("linear") => &["USDC", "USDT"],
                n if n.starts_with("inverse") => &["BTC", "ETH"],
                _ => &[],
            };
            if product.list_open == Cover::Covered {
                assert!(
                    needs.iter().all(|c| fixed.contains(c)),
                    "{}: {needs:?} not in {fixed:?}",
                    product.name
                );
            }
        }
        let discovery = d.discovery().expect("currencies are listed at run time");
        assert!(!discovery.categories().is_empty());
        assert!(d.products().iter().any(|p| p.name.starts_with("spot")));
    }

    #[test]
    fn only_the_dead_man_switch_and_a_sub_account_freeze_are_missing() {
        for capability in Capability::ALL {
            let support = Deribit.support(*capability);
            assert_eq!(
                matches!(support, Support::Api),
                !matches!(capability, Capability::DeadMan | Capability::FreezeAccount),
                "{capability:?}"
            );
        }
    }
}
