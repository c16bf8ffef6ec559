//! The adapter seam: what every venue implements, and where it says which of the mechanisms
//! only some venues need it has.
//!
//! The trait is kept to what each venue answers in its own way (its name, support, segments,
//! symbols, windows, and the pure encode/sign/decode of one request). A mechanism that one or two
//! venues have (token sessions, a companion call, per-key counters, address pacing, by-hand steps,
//! order rules) is a capability trait in [`super::mechanisms`] the adapter hands out, so that the
//! HTTP client asks the adapter for the mechanism instead of knowing every venue's hooks, and a
//! venue without one writes nothing at all.

use std::fmt;
use std::time::Duration;

use super::coverage::Product;
use super::mechanisms::{
    Charge, CompanionCalls, Hold, KeyCounters, Lane, Load, ManualSteps, OrderRules, Pacing,
    RateLimits, SegmentDiscovery, TokenSessions,
};
use super::model::{Category, Order, Segment, TradePermission};
use super::{
    CallBudget, CallContext, CancelStyle, Capability, ExchangeError, ExchangeId, Guide, History,
    Op, Reply, Request, Response, SignedRequest, Support, VenueSettings,
};
use crate::secret::Credential;

/// A pure venue adapter.
///
/// Implementors must not do I/O: [`super::Client`] sends what `encode` and `sign` build and hands
/// the answer to `decode`. `sign` must sign the exact bytes that will be sent and never change the
/// request after signing.
pub trait Venue: Send + Sync + fmt::Debug {
    /// Which venue this is.
    fn id(&self) -> ExchangeId;

    /// How the venue supports a capability.
    fn support(&self, capability: Capability) -> Support;

    /// The account slices that open orders are listed and cancelled in, one call each: the
    /// fixed ones; [`Venue::discovery`] adds those read at run time.
    fn segments(&self) -> &'static [Segment];

    /// The products an account on this venue can hold, and what the response does in each
    /// (`lockdown capabilities`): nothing a real account holds is left out silently. Empty (the
    /// default) for a venue that has not declared them.
    fn products(&self) -> &'static [Product] {
        &[]
    }

    /// The widest time window one history call may ask for.
    fn max_window(&self, history: History) -> Duration;

    /// Whether `history` is read in `segment`. A venue whose segments split one list that
    /// another history read takes whole says no for the rest (Bybit's spot `orderFilter`
    /// segments: `execution/list` takes no filter, so the plain spot segment reads every spot
    /// fill), and the snapshot does not send reads that can only answer nothing. Every segment
    /// by default.
    fn reads_history(&self, _segment: &Segment, _history: History) -> bool {
        true
    }

    /// The venue's name for a market (`BTCUSDT`, `BTC-USDT`, `BTC_USDC`).
    fn symbol(&self, category: Category, base: &str, quote: &str) -> String;

    /// Builds the unsigned request for an operation.
    fn encode(&self, op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError>;

    /// Signs a request with a credential (and the key's session, on token venues).
    fn sign(
        &self,
        request: Request,
        credential: &Credential,
        call: &CallContext<'_>,
    ) -> SignedRequest;

    /// Reads the exchange's answer to an operation.
    fn decode(&self, op: &Op, response: &Response) -> Decoded;

    /// Reads the answer to a request built with `known` ([`CallContext::known`]): a list that
    /// walks the account's segments needs them to tell its next page from its end. By default
    /// [`Venue::decode`].
    fn decode_known(&self, op: &Op, response: &Response, _known: &[Segment]) -> Decoded {
        self.decode(op, response)
    }

    /// Token venues: how keys log in and switch sessions. `None` (the default) for venues that
    /// sign every request.
    fn sessions(&self) -> Option<&dyn TokenSessions> {
        None
    }

    /// Venues that make a read before an operation or a second request after it. `None` (the
    /// default) when every operation is one request.
    fn companions(&self) -> Option<&dyn CompanionCalls> {
        None
    }

    /// Venues that count per key (an ever-increasing nonce, a published call counter). `None`
    /// (the default) for venues with random nonces and only answered rate limits.
    fn key_counters(&self) -> Option<&dyn KeyCounters> {
        None
    }

    /// Venues that ask, in their answers, for the whole address to hold back. `None` (the
    /// default) holds nothing back.
    fn pacing(&self) -> Option<&dyn Pacing> {
        None
    }

    /// Venues whose published rate limits the client paces under ([`RateLimits`]). `None` (the
    /// default) for a venue that declares none: its refusals are still waited out.
    fn rate_limits(&self) -> Option<&dyn RateLimits> {
        None
    }

    /// Venues whose API does some operations only for some keys. `None` (the default) when
    /// [`Venue::support`] says all there is.
    fn manual_steps(&self) -> Option<&dyn ManualSteps> {
        None
    }

    /// Venues whose segments are partly read at run time. `None` (the default) when
    /// [`Venue::segments`] is the whole list.
    fn discovery(&self) -> Option<&dyn SegmentDiscovery> {
        None
    }

    /// Venues that cancel or size orders otherwise than one cancel-all per segment and market
    /// buys sized in either coin. `None` (the default) for those that do.
    /// The venue's private order stream, when it has one the watcher reads
    /// (`lockdown watch`, docs/watch.md §1); `None`: the watcher polls by REST.
    fn private_stream(&self) -> Option<&dyn super::stream::PrivateStream> {
        None
    }

    fn order_rules(&self) -> Option<&dyn OrderRules> {
        None
    }

    /// The trading rights a key's listed permissions (`KeyInfo::permissions`, in this venue's
    /// names) amount to, so that a planned rotation gives the replacement the same ones; rights
    /// that are not trading (withdrawals, transfers, margin loans) have no place in the answer.
    /// `None` (the default) for a venue whose names are not mapped: the rotation then asks for
    /// the rights to be named.
    fn trade_rights(&self, _permissions: &[String]) -> Option<Vec<TradePermission>> {
        None
    }
}

/// The questions callers ask any venue, answered from its mechanisms (with the answer of a
/// venue that has none).
impl dyn Venue + '_ {
    /// What a person must do instead of `op` ([`ManualSteps::by_hand`]); `None` when `op` is
    /// sent as it is.
    pub fn by_hand(&self, op: &Op) -> Option<Guide> {
        self.manual_steps().and_then(|m| m.by_hand(op))
    }

    /// How every open order is cancelled ([`OrderRules::cancel_style`]).
    pub fn cancel_style(&self) -> CancelStyle {
        self.order_rules()
            .map_or(CancelStyle::PerSegment, |r| r.cancel_style())
    }

    /// Where a listed open order is cancelled ([`OrderRules::batch_route`]).
    pub fn batch_route(&self, order: &Order) -> Option<(Segment, usize)> {
        self.order_rules().and_then(|r| r.batch_route(order))
    }

    /// Whether a market buy may be sized in the quote coin
    /// ([`OrderRules::quote_sized_market_buys`]).
    pub fn quote_sized_market_buys(&self) -> bool {
        self.order_rules()
            .is_none_or(|r| r.quote_sized_market_buys())
    }

    /// The read made before `op` ([`CompanionCalls::lookup`]).
    pub fn lookup(&self, op: &Op, settings: &VenueSettings) -> Option<Op> {
        self.companions().and_then(|c| c.lookup(op, settings))
    }

    /// The request that finishes `op` after it succeeded with `reply` ([`CompanionCalls::then`]).
    pub fn then(&self, op: &Op, reply: &Reply) -> Option<Op> {
        self.companions().and_then(|c| c.then(op, reply))
    }

    /// The sub-account `op` acts in, on venues with a session per sub-account
    /// ([`TokenSessions::subject`]).
    pub fn subject(&self, op: &Op) -> Option<String> {
        self.sessions().and_then(|s| s.subject(op))
    }

    /// Whether each key signs an ever-increasing nonce ([`KeyCounters`]).
    pub fn counter_nonce(&self) -> bool {
        self.key_counters().is_some()
    }

    /// The published per-key call counter ([`KeyCounters::budget`]).
    pub fn budget(&self) -> Option<CallBudget> {
        self.key_counters().and_then(|k| k.budget())
    }

    /// What `op` costs on the call counter ([`KeyCounters::call_cost`]); 1 on venues without.
    pub fn call_cost(&self, op: &Op) -> f64 {
        self.key_counters().map_or(1.0, |k| k.call_cost(op))
    }

    /// The published limits `op` counts against ([`RateLimits::charges`]); none on venues
    /// without.
    pub fn charges(&self, op: &Op) -> Vec<Charge> {
        self.rate_limits().map_or_else(Vec::new, |r| r.charges(op))
    }

    /// What to hold back, and how long, after this answer ([`Pacing::pace`]).
    pub fn pace(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Hold> {
        self.pacing()
            .and_then(|p| p.pace(request, response, now_ms))
    }

    /// How full the limit `request` counted on is after this answer ([`Pacing::load`]).
    pub fn load(&self, request: &Request, response: &Response, now_ms: i64) -> Option<Load> {
        self.pacing()
            .and_then(|p| p.load(request, response, now_ms))
    }

    /// The lane `request` waits in ([`Pacing::lane`]); the address's alone on venues without.
    pub fn lane(&self, request: &Request) -> Lane {
        self.pacing().map_or(Lane::Address, |p| p.lane(request))
    }
}

/// What a venue made of a response.
#[derive(Debug)]
pub struct Decoded {
    /// The reply, or why there is none.
    pub reply: Result<Reply, ExchangeError>,
    /// The exchange's clock when it answered, where the envelope says.
    pub server_ms: Option<i64>,
    /// The venue's own result code, for the record.
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trading_rights_read_back_from_each_venues_names() {
        use TradePermission::{ContractTrade as C, OptionsTrade as O, SpotTrade as S};
        let all = vec![S, C, O];
        let cases: [(&str, ExchangeId, &[&str], Vec<TradePermission>); 9] = [
            (
                "bybit spot and contracts",
                ExchangeId::Bybit,
                &[
                    "Spot:SpotTrade",
                    "ContractTrade:Order",
                    "ContractTrade:Position",
                    "Wallet:AccountTransfer",
                ],
                vec![S, C],
            ),
            (
                "bybit options only",
                ExchangeId::Bybit,
                &["Options:OptionsTrade"],
                vec![O],
            ),
            (
                "okx trade",
                ExchangeId::Okx,
                &["read_only", "trade", "withdraw"],
                all.clone(),
            ),
            ("okx read only", ExchangeId::Okx, &["read_only"], vec![]),
            (
                "deribit trade",
                ExchangeId::Deribit,
                &["account:read", "trade:read_write", "wallet:read"],
                all,
            ),
            (
                "deribit read",
                ExchangeId::Deribit,
                &["trade:read", "wallet:read_write"],
                vec![],
            ),
            (
                "binance sub-account",
                ExchangeId::Binance,
                &["canTrade", "canFuturesTrade", "canUniversalTransfer"],
                vec![S, C],
            ),
            (
                "binance broker",
                ExchangeId::Binance,
                &["canTrade", "marginTrade", "futuresTrade"],
                vec![S, C],
            ),
            (
                "kraken",
                ExchangeId::Kraken,
                &["query-funds", "modify-trades", "withdraw-funds"],
                vec![S],
            ),
        ];
        for (label, id, names, want) in cases {
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            assert_eq!(id.venue().trade_rights(&names), Some(want), "{label}");
        }
    }

    #[test]
    fn each_mechanism_is_where_its_venue_needs_it() {
        // (venue, sessions, companions, key counters, pacing, manual steps, order rules)
        for (id, expected) in [
            (ExchangeId::Bybit, [false, true, false, false, false, false]),
            (ExchangeId::Okx, [false, true, false, false, false, true]),
            (ExchangeId::Deribit, [true, true, false, false, false, true]),
            (ExchangeId::Binance, [false, true, false, true, true, true]),
            (
                ExchangeId::Kraken,
                [false, false, true, false, false, false],
            ),
        ] {
            let venue = id.venue();
            let found = [
                venue.sessions().is_some(),
                venue.companions().is_some(),
                venue.key_counters().is_some(),
                venue.pacing().is_some(),
                venue.manual_steps().is_some(),
                venue.order_rules().is_some(),
            ];
            assert_eq!(found, expected, "{id}");
        }
    }

    #[test]
    fn venues_with_published_limits_declare_them() {
        for (id, declared) in [
            (ExchangeId::Bybit, true),
            (ExchangeId::Okx, true),
            (ExchangeId::Deribit, true),
            // Binance holds back by its usage headers (`Pacing`), Kraken by its call counter.
            (ExchangeId::Binance, false),
            (ExchangeId::Kraken, false),
        ] {
            let venue = id.venue();
            assert_eq!(venue.rate_limits().is_some(), declared, "{id}");
            assert_eq!(!venue.charges(&Op::WhoAmI).is_empty(), declared, "{id}");
        }
    }

    #[test]
    fn a_venue_without_mechanisms_answers_like_every_other() {
        let bybit = ExchangeId::Bybit.venue();
        assert_eq!(bybit.cancel_style(), CancelStyle::PerSegment);
        assert!(bybit.quote_sized_market_buys());
        assert!(!bybit.counter_nonce());
        assert_eq!(bybit.budget(), None);
        assert_eq!(bybit.call_cost(&Op::Balances), 1.0);
        assert_eq!(bybit.subject(&Op::Balances), None);
        assert!(
            bybit
                .lookup(&Op::Balances, &VenueSettings::default())
                .is_none()
        );
        assert_eq!(bybit.by_hand(&Op::Balances), None);
        let deribit = ExchangeId::Deribit.venue();
        assert!(!deribit.quote_sized_market_buys());
        assert_eq!(deribit.cancel_style(), CancelStyle::PerSegment);
        assert_eq!(
            ExchangeId::Kraken.venue().budget(),
            Some(crate::exchanges::kraken::BUDGET)
        );
    }
}
