//! Op -> Binance request: paths and parameters (docs/venues/binance.md §4–§6).
//!
//! Parameters are percent-encoded in a fixed order, in the query of a GET or DELETE and in the
//! form body of a POST; the signer adds `recvWindow`, `timestamp` and `signature` to exactly
//! that. Spot, margin and SAPI paths go to `base_url`; USD-M paths to the profile's `futures_url`
//! when it names another host (`https://fapi.binance.com`), COIN-M and options paths to the
//! `dapi` and `eapi` hosts next to it (`hosts.rs`); each product's paths are in `market.rs`. Key management takes the profile's family:
//! the sub-account endpoints name the sub-account by `email`, the Binance Link (broker) ones by
//! `subAccountId`; either comes from the key's `account:`, and a request without it is refused
//! here, before anything is sent. Master-account keys have no endpoint at all
//! (docs/venues/README.md §1): a key cannot delete itself, and deleting a master-account key is
//! done in the web interface. Histories walk a [`HistoryCursor`]: symbols first, then each symbol
//! in sub-windows of 24 h (spot) or just under 7 days (USD-M). USD-M conditional ("algo") orders
//! are listed and cancelled by their own endpoints ([`CONDITIONAL`]).
//!
//! Split by subject: `keys.rs`, `orders.rs` and `funds.rs` build the requests of each kind; this
//! file holds the dispatch on the operation, the paging constants the decoder shares and the
//! request helpers.

mod funds;
mod keys;
mod orders;

use crate::exchanges::binance::cursor::{HistoryCursor, HistoryStep, KeysCursor, MoneyCursor};
use crate::exchanges::binance::hosts::sibling_url;
use crate::exchanges::binance::market::{Discovery, Host, ISOLATED_PAIRS, Market};
use crate::exchanges::binance::signer::encode_params;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Lock, Segment, Side, TradePermission};
use crate::exchanges::{
    CallContext, ExchangeError, KeyFamily, Method, NewOrder, Op, OrderKind, OrderRef, QtyUnit,
    Request, Revoke, TimeInForce, Window,
};
use crate::secret::KeyId;
use funds::transfers;
use keys::{create, sub_keys};
use orders::history;

/// The spot wallet, as balances name it.
pub const SPOT_WALLET: &str = "SPOT";

/// The funding wallet, as [`Op::WalletBalances`] and balances name it.
pub const FUNDING: &str = "FUNDING";

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Spot `allOrders` and `myTrades` take windows of at most 24 hours (docs/venues/binance.md §6).
pub const SPOT_SPAN_MS: i64 = DAY_MS;

/// USD-M `allOrders` and `userTrades` take windows under 7 days (docs/venues/binance.md §6): a
/// sub-window of this width ends 1 ms short of it.
pub const FUTURES_SPAN_MS: i64 = 7 * DAY_MS;

/// Keys listed per page of the sub-account listing (its maximum, docs/venues/binance.md §4).
pub const KEYS_PAGE: u32 = 100;

/// Records per page of the wallet histories (docs/venues/binance.md §6).
pub const MONEY_PAGE: usize = 1000;

/// Transfers per page of the transfer listings.
pub const TRANSFERS_PAGE: usize = 500;

/// USD-M conditional ("algo") orders (STOP_MARKET, TAKE_PROFIT, TRAILING_STOP_MARKET, …): Binance
/// lists them apart (`openAlgoOrders`) and cancels them apart, per symbol (`algoOpenOrders`,
/// docs/venues/binance.md §5). Not one of the venue's segments: the USD-M listing reads them as its
/// second page ([`CONDITIONAL_PAGE`]), and a USD-M per-symbol cancel is followed by this segment's
/// cancel of the same symbol (`Venue::then`), so that no conditional order outlives a response.
pub const CONDITIONAL: Segment = Segment {
    category: Category::Linear,
    settle: Some("algo"),
};

/// The cursor of the USD-M open-order listing's second page: the conditional orders.
pub const CONDITIONAL_PAGE: &str = "algo";

/// The cursor of an isolated-margin listing's pages after the first: the pairs still to read,
/// `isolated:BTCUSDT,ETHUSDT` (the first page reads the pairs, [`ISOLATED_PAIRS`]).
pub const ISOLATED_PAGE: &str = "isolated:";

/// The pairs an isolated-margin listing's cursor names (none: the first page).
pub fn isolated_pairs(cursor: Option<&str>) -> Result<Vec<String>, ExchangeError> {
    match cursor {
        None | Some("") => Ok(Vec::new()),
        Some(text) => match text.strip_prefix(ISOLATED_PAGE) {
            Some(rest) if !rest.is_empty() => Ok(rest.split(',').map(str::to_owned).collect()),
            _ => Err(ExchangeError::Protocol {
                detail: format!("`{text}` is not a Binance isolated-margin page"),
            }),
        },
    }
}

/// The cursor that reads `pairs` next; `None` when none is left.
pub fn isolated_page(pairs: &[String]) -> Option<String> {
    (!pairs.is_empty()).then(|| format!("{ISOLATED_PAGE}{}", pairs.join(",")))
}

/// Which listing one page of open orders reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenPage {
    /// The regular open orders (spot `openOrders`, USD-M `openOrders`).
    Orders,
    /// The USD-M conditional orders (`openAlgoOrders`).
    Conditional,
}

impl OpenPage {
    /// The page an open-order listing's `cursor` names in `segment`.
    pub fn of(segment: &Segment, cursor: Option<&str>) -> Result<OpenPage, ExchangeError> {
        match cursor {
            None if is_conditional(segment) => Ok(OpenPage::Conditional),
            None => Ok(OpenPage::Orders),
            Some(CONDITIONAL_PAGE) if is_futures(segment) => Ok(OpenPage::Conditional),
            Some(other) => Err(ExchangeError::Protocol {
                detail: format!("`{other}` is not a Binance open-order page of {segment}"),
            }),
        }
    }

    /// The cursor of the page after this one: USD-M's regular orders are followed by its
    /// conditional ones.
    pub fn next(self, segment: &Segment) -> Option<String> {
        (self == OpenPage::Orders && is_futures(segment)).then(|| CONDITIONAL_PAGE.to_owned())
    }
}

/// Whether a segment is USD-M's conditional orders ([`CONDITIONAL`]).
pub fn is_conditional(segment: &Segment) -> bool {
    *segment == CONDITIONAL
}

/// The sub-window width of a segment's order and fill histories: 24 h on spot and margin, under
/// 7 days on the futures and options products.
pub fn span(segment: &Segment) -> i64 {
    if Market::of(segment).is_derivative() {
        FUTURES_SPAN_MS
    } else {
        SPOT_SPAN_MS
    }
}

/// Whether a segment is USD-M futures (its regular orders or its conditional ones).
pub fn is_futures(segment: &Segment) -> bool {
    matches!(Market::of(segment), Market::UsdM | Market::UsdmAlgo)
}

/// A path on its product's host: USD-M on the profile's `futures_url` when it names another
/// host, COIN-M and options on the hosts next to that one.
fn on_host(call: &CallContext<'_>, host: Host, path: &str) -> String {
    let futures = call.settings.futures_url.as_deref();
    let url = match host {
        Host::Base => None,
        Host::Fapi => futures.map(str::to_owned),
        Host::Dapi => futures.and_then(|f| sibling_url(f, "dapi")),
        Host::Eapi => futures.and_then(|f| sibling_url(f, "eapi")),
    };
    match url {
        Some(url) => format!("{url}{path}"),
        None => path.to_owned(),
    }
}

/// A product's path on its host.
fn market_path(call: &CallContext<'_>, market: Market, path: &str) -> String {
    on_host(call, market.host(), path)
}

/// Builds the request for an operation.
pub fn encode(op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    let family = call.settings.key_family;
    let path = |segment: &Segment, pick: fn(Market) -> &'static str| {
        let market = Market::of(segment);
        market_path(call, market, pick(market))
    };
    Ok(match op {
        Op::ServerTime => get("/api/v3/time", &[]),
        Op::WhoAmI => get("/sapi/v1/account/apiRestrictions", &[]),
        Op::SubKeys { account, cursor } => sub_keys(family, account, cursor.as_deref())?,
        Op::RestrictKey { key, account, lock } => {
            keys::restrict(family, key, account.as_deref(), lock)?
        }
        Op::RevokeKey(Revoke::ByMaster { key, account }) => {
            keys::revoke(family, key, account.as_deref())?
        }
        // No key can delete itself, and master-account keys have no API (docs/venues/README.md §1).
        Op::RevokeKey(Revoke::SelfSub | Revoke::SelfMaster) => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "revoke_key (by the key itself: master-account keys are deleted in the web interface)",
            });
        }
        Op::CreateKey {
            account,
            label,
            scope,
        } => create(family, account, label, scope)?,
        // No cancel-all across symbols (docs/venues/binance.md §5): the action cancels per symbol.
        Op::CancelAll { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "cancel_all",
            });
        }
        // `countdownCancelAll` arms one USD-M symbol at a time and spot has none
        // (docs/venues/binance.md §5): no account-wide switch to arm.
        Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "cancel_after (Binance's countdown is per USD-M symbol; spot has none)",
            });
        }
        Op::FreezeAccount { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
        Op::CancelBatch { segment, orders } => orders::cancel_batch(call, segment, orders)?,
        Op::OpenOrders { segment, cursor } if Market::of(segment) == Market::Isolated => {
            match isolated_pairs(cursor.as_deref())?.first() {
                None => get(ISOLATED_PAIRS, &[]),
                Some(symbol) => get(
                    Market::Isolated.open_orders(),
                    &[
                        ("symbol", symbol.clone()),
                        ("isIsolated", "TRUE".to_owned()),
                    ],
                ),
            }
        }
        Op::OpenOrders { segment, cursor } => match OpenPage::of(segment, cursor.as_deref())? {
            OpenPage::Orders => get(&path(segment, Market::open_orders), &[]),
            OpenPage::Conditional => get(&path(&CONDITIONAL, Market::open_orders), &[]),
        },
        Op::Orders {
            segment,
            window,
            cursor,
        } => history(call, segment, window, cursor.as_deref(), Market::orders)?,
        Op::Fills {
            segment,
            window,
            cursor,
        } => history(call, segment, window, cursor.as_deref(), Market::fills)?,
        Op::Balances => get("/api/v3/account", &[("omitZeroBalances", "true".into())]),
        Op::Withdrawals { window, cursor } => funds::withdrawals(window, cursor.as_deref())?,
        Op::Transfers { window, cursor } => transfers(family, window, cursor.as_deref())?,
        Op::PlaceOrder(order) => orders::place(call, order)?,
        Op::AmendOrder {
            segment,
            symbol,
            order_id,
            qty,
            price,
        } => orders::amend(call, segment, symbol, order_id, *qty, *price)?,
        Op::CancelOrder {
            segment,
            symbol,
            order_id,
        } => {
            let mut params = vec![("symbol", symbol.clone()), ("orderId", order_id.clone())];
            params.extend(Market::of(segment).params());
            delete(&path(segment, Market::order), &params)
        }
        Op::Withdraw {
            coin,
            amount,
            address,
        } => post(
            "/sapi/v1/capital/withdraw/apply",
            &[
                ("coin", coin.clone()),
                ("address", address.clone()),
                ("amount", amount.clone()),
            ],
        ),
        // Its segments are a fixed list (docs/venues/binance.md).
        Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
        // A futures family's listen key (USER_STREAM: the key header, no signature;
        // docs/venues/binance.md "Private stream"). Spot streams without one.
        Op::StreamToken {
            segment: Some(segment),
        } if matches!(Market::of(segment), Market::UsdM | Market::CoinM) => {
            let (host, path) = match Market::of(segment) {
                Market::CoinM => (Host::Dapi, "/dapi/v1/listenKey"),
                _ => (Host::Fapi, "/fapi/v1/listenKey"),
            };
            Request {
                mutating: false,
                ..post(&on_host(call, host, path), &[])
            }
        }
        Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
        // The funding wallet (Binance Pay, Card, gift cards, P2P proceeds): a POST that reads.
        Op::WalletBalances { account: FUNDING } => Request {
            mutating: false,
            ..post("/sapi/v1/asset/get-funding-asset", &[])
        },
        Op::WalletBalances { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: op.name(),
            });
        }
        // Binance keeps no security log reachable by API (docs/venues/README.md §1).
        Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "binance",
                op: "access_log",
            });
        }
    })
}

fn flag(name: &'static str, on: bool) -> (&'static str, String) {
    (name, on.to_string())
}

fn get(path: &str, params: &[(&str, String)]) -> Request {
    Request::get(path, encode_params(params))
}

fn post(path: &str, params: &[(&str, String)]) -> Request {
    Request::post(path, encode_params(params))
}

fn put(path: &str, params: &[(&str, String)]) -> Request {
    Request {
        method: Method::Put,
        ..delete(path, params)
    }
}

fn delete(path: &str, params: &[(&str, String)]) -> Request {
    Request {
        method: Method::Delete,
        path: path.to_owned(),
        query: encode_params(params),
        body: None,
        mutating: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::VenueSettings;
    use crate::exchanges::model::{IpWhitelist, Lock};
    use crate::secret::KeyId;

    pub(super) const EMAIL: &str = "gridbot_virtual@abcdefghnoemail.com";

    pub(super) fn call(settings: &VenueSettings) -> CallContext<'_> {
        CallContext {
            now_ms: 1_800_000_000_000,
            nonce: "n",
            session: None,
            tfa: None,
            settings,
            subject: None,
            lookup: None,
            known: &[],
        }
    }

    pub(super) fn broker() -> VenueSettings {
        VenueSettings {
            key_family: KeyFamily::Broker,
            ..VenueSettings::default()
        }
    }

    pub(super) fn lock(access: Access) -> Op {
        Op::RestrictKey {
            key: KeyId::new("bot-key"),
            account: Some(EMAIL.into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access,
            },
        }
    }
}
