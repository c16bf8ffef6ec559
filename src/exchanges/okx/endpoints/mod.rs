//! Op -> OKX V5 request: paths and parameters (docs/venues/okx.md §4–§6).
//!
//! Query strings are built in a fixed order and percent-encoded (OKX's own values never need
//! it), and the signer signs exactly that string; POST bodies are compact JSON. Key management
//! names the sub-account (`subAcct`) as well as the key, so a lock, revoke or create without the
//! key's sub-account is refused here, before anything is sent. Paginated reads send `after` (the
//! last id or timestamp of the previous page, from the op's cursor); time windows go in
//! `begin`/`end` where the endpoint has them, and choose between the recent endpoint and its
//! archive by how far back the window starts. The dead-man switch (`cancel-all-after`) takes
//! only the timeouts OKX accepts; any other is refused here too.
//!
//! Algo orders (trigger, one-way stop, OCO, trailing, iceberg, TWAP, chase) are neither listed
//! by `orders-pending` nor cancelled by `cancel-batch-orders`: the spot segment's open-order
//! listing ends with their pages ([`ListPage`]), as the spot segment's order history ends
//! with their history (`orders-algo-history`), and they are cancelled by `cancel-algos`,
//! addressed by an adapter-internal segment ([`ALGO_SEGMENT`]).
//!
//! Split by subject: `keys.rs` and `orders.rs` build the requests of each kind; this file holds
//! the dispatch on the operation, the constants the decoder shares and the request helpers.

mod keys;
mod orders;

use serde_json::{Value, json};

use super::passphrase;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Lock, Order, Segment, Side};
use crate::exchanges::{
    ExchangeError, NewOrder, Op, OrderKind, OrderRef, QtyUnit, Request, Revoke, TimeInForce, Window,
};
use crate::percent;
use crate::secret::KeyId;
use keys::sub_account;
use orders::{recent, windowed};

/// The funding account, kept apart from the trading account (`asset/balances`, OKX docs,
/// "Funding account: Get balance"): what [`Op::WalletBalances`] reads, and how its balances are
/// named.
pub const FUNDING: &str = "funding";

/// How the trading account's balances (`account/balance`) are named.
pub const TRADING: &str = "trading";

/// Page size asked for: the most every OKX list endpoint gives (docs/venues/okx.md §6).
pub const PAGE: usize = 100;

/// The most orders one `cancel-batch-orders` request may name (docs/venues/okx.md §5).
pub const BATCH: usize = 20;

/// The most algo orders one `cancel-algos` request may name (OKX docs, "Cancel algo order": "a
/// maximum of 10 orders can be canceled per request").
pub const ALGO_BATCH: usize = 10;

/// The `ordType` of each algo-order page, in the order they are read. `orders-algo-pending`
/// requires `ordType` and takes one type a request, except `conditional` and `oco` together
/// (OKX docs, "Get algo order list"). `smart_iceberg` is listed too: the docs name it among the
/// types, and an order left unlisted would survive the response.
pub const ALGO_PAGES: &[&str] = &[
    "conditional,oco",
    "trigger",
    "move_order_stop",
    "iceberg",
    "twap",
    "chase",
    "smart_iceberg",
];

/// What an adapter-internal algo segment carries in `settle`.
const ALGO: &str = "algo";

/// The prefix of an algo page's cursor: `algo:<page>` or `algo:<page>:<after algoId>`.
const ALGO_CURSOR: &str = "algo:";

/// The segment whose cancel takes algo orders, of every instrument type (`cancel-algos` names
/// each order's `instId`, so one request may mix them): not one of the venue's segments, only
/// where `cancel-algos` is addressed. Its category is nominal.
pub const ALGO_SEGMENT: Segment = Segment {
    category: Category::Spot,
    settle: Some(ALGO),
};

/// Whether a segment is the algo segment ([`ALGO_SEGMENT`]).
pub fn is_algo_segment(segment: &Segment) -> bool {
    segment.settle == Some(ALGO)
}

/// Whether a listed order is an algo order (by its `ordType`, which no ordinary order shares).
pub fn is_algo_order(order: &Order) -> bool {
    ALGO_PAGES
        .iter()
        .flat_map(|page| page.split(','))
        .any(|kind| kind == order.order_type)
}

/// Whether a segment's listing (open orders, order history) ends with the algo pages: the spot
/// segment's, which is listed first, reads every instrument type's algo orders (the lists take
/// no `instType` when none is given), so each algo page is read once per listing, not once per
/// segment.
fn hosts_algo(segment: &Segment) -> bool {
    segment.settle == Some("SPOT") || is_algo_segment(segment)
}

/// The `state`s of the algo-order history, one request each: `orders-algo-history` requires a
/// `state` (or an `algoId`) besides `ordType`, and takes one state a request (OKX docs, "GET /
/// Algo order history": `effective`, `canceled`, `order_failed`).
pub const ALGO_STATES: &[&str] = &["effective", "canceled", "order_failed"];

/// Which list a page of orders belongs to: open orders (`orders-pending`, then each
/// [`ALGO_PAGES`] type of `orders-algo-pending`) or the order history (`orders-history` or its
/// archive, then each type and [`ALGO_STATES`] state of `orders-algo-history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Open orders.
    Open,
    /// Orders no longer open.
    History,
}

impl Listing {
    /// How many algo pages follow the plain orders.
    fn algo_pages(self) -> usize {
        match self {
            Listing::Open => ALGO_PAGES.len(),
            Listing::History => ALGO_PAGES.len() * ALGO_STATES.len(),
        }
    }

    /// The `ordType` (and, for the history, the `state`) algo page `page` asks for.
    pub fn algo_query(self, page: usize) -> (&'static str, Option<&'static str>) {
        match self {
            Listing::Open => (ALGO_PAGES[page], None),
            Listing::History => (
                ALGO_PAGES[page / ALGO_STATES.len()],
                Some(ALGO_STATES[page % ALGO_STATES.len()]),
            ),
        }
    }
}

/// Which request one page of a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListPage {
    /// `orders-pending` or the order history, after this `ordId`.
    Orders { after: Option<String> },
    /// Algo page `page` of the listing ([`Listing::algo_query`]), after this `algoId`.
    Algo { page: usize, after: Option<String> },
}

impl ListPage {
    /// The page a listing's `cursor` names in `segment`.
    pub fn of(
        listing: Listing,
        segment: &Segment,
        cursor: Option<&str>,
    ) -> Result<ListPage, ExchangeError> {
        let Some(cursor) = cursor else {
            return Ok(if is_algo_segment(segment) {
                ListPage::Algo {
                    page: 0,
                    after: None,
                }
            } else {
                ListPage::Orders { after: None }
            });
        };
        let Some(rest) = cursor.strip_prefix(ALGO_CURSOR) else {
            return Ok(ListPage::Orders {
                after: Some(cursor.to_owned()),
            });
        };
        let (page, after) = match rest.split_once(':') {
            Some((page, after)) => (page, Some(after.to_owned())),
            None => (rest, None),
        };
        match page.parse::<usize>() {
            Ok(page) if page < listing.algo_pages() && hosts_algo(segment) => {
                Ok(ListPage::Algo { page, after })
            }
            _ => Err(ExchangeError::Protocol {
                detail: format!("`{cursor}` is not an OKX order page of {segment}"),
            }),
        }
    }

    /// The cursor of the page after this one, given the last id it listed (`None`: it was
    /// empty, or went past what is wanted, which ends that list). The spot segment's orders are
    /// followed by the algo pages, each algo page by the next.
    pub fn next(
        &self,
        listing: Listing,
        segment: &Segment,
        last: Option<String>,
    ) -> Option<String> {
        match (self, last) {
            (ListPage::Orders { .. }, Some(id)) => Some(id),
            (ListPage::Orders { .. }, None) => {
                hosts_algo(segment).then(|| format!("{ALGO_CURSOR}0"))
            }
            (ListPage::Algo { page, .. }, Some(id)) => Some(format!("{ALGO_CURSOR}{page}:{id}")),
            (ListPage::Algo { page, .. }, None) => {
                (page + 1 < listing.algo_pages()).then(|| format!("{ALGO_CURSOR}{}", page + 1))
            }
        }
    }
}

/// The timeouts `cancel-all-after` accepts besides `0` (disarm), in seconds (docs/venues/okx.md
/// §5).
pub const DEAD_MAN_SECONDS: std::ops::RangeInclusive<u32> = 10..=120;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// `orders-history` covers the last 7 days, `fills` the last 3 (docs/venues/okx.md §6); older
/// windows go to `orders-history-archive` and `fills-history` (3 months).
pub const ORDERS_RECENT_MS: i64 = 7 * DAY_MS;

/// See [`ORDERS_RECENT_MS`].
pub const FILLS_RECENT_MS: i64 = 3 * DAY_MS;

/// How far before the recent endpoint's reach a window may start and still be sent there: the
/// snapshot's newest window starts exactly that far back from a clock read a moment earlier.
const SLACK_MS: i64 = 60_000;

/// Builds the request for an operation; `now_ms` is the exchange's clock as far as it is known.
pub fn encode(op: &Op, now_ms: i64) -> Result<Request, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Request::get("/api/v5/public/time", String::new()),
        Op::WhoAmI => Request::get("/api/v5/account/config", String::new()),
        // The endpoint lists every key of the sub-account at once: no cursor (docs/venues/okx.md
        // §4).
        Op::SubKeys { account, .. } => {
            let mut q = Query::default();
            q.add("subAcct", Some(sub_account(Some(account))?));
            Request::get("/api/v5/users/subaccount/apikey", q.finish())
        }
        Op::RestrictKey { key, account, lock } => keys::restrict(key, account.as_deref(), lock)?,
        Op::RevokeKey(Revoke::ByMaster { key, account }) => Request::post(
            "/api/v5/users/subaccount/delete-apikey",
            json!({ "subAcct": sub_account(account.as_deref())?, "apiKey": key.as_str() })
                .to_string(),
        ),
        Op::WalletBalances { account: FUNDING } => {
            Request::get("/api/v5/asset/balances", String::new())
        }
        // OKX keeps no security log reachable by API (docs/venues/README.md §1); the funding
        // account is its only other wallet.
        Op::AccessLog { .. }
        | Op::Segments { .. }
        | Op::WalletBalances { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: op.name(),
            });
        }
        // No key can delete itself on OKX (docs/venues/README.md §1).
        Op::RevokeKey(Revoke::SelfSub | Revoke::SelfMaster) => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: "revoke_key (by the key itself)",
            });
        }
        Op::CreateKey {
            account,
            label,
            scope,
        } => keys::create(account, label, scope)?,
        Op::FreezeAccount { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: op.name(),
            });
        }
        // OKX has no cancel-all (docs/venues/okx.md §5): the action lists and cancels in batches.
        Op::CancelAll { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: "cancel_all",
            });
        }
        // The dead-man switch, for the signing key's account: `timeOut` is a string of
        // seconds, `0` to disarm or 10 to 120 (docs/venues/okx.md §5). OKX refuses anything else,
        // so it is refused here before it is sent.
        Op::CancelAfter { seconds } => orders::cancel_after(*seconds)?,
        // Algo orders: `cancel-algos`, a JSON array of `{algoId, instId}`, at most 10 (OKX
        // docs, "Cancel algo order"). Not confirmed: whether it takes iceberg, TWAP and trailing
        // orders too. The page's own Python example says "not including" them, yet the current
        // docs name no other cancel for them (the older `cancel-advance-algos` is gone). Any it
        // refuses stay listed, so `cancel_orders` fails naming them rather than calling the
        // account clean.
        Op::CancelBatch { segment, orders } if is_algo_segment(segment) => {
            orders::cancel_algos(orders)?
        }
        Op::CancelBatch { orders, .. } => orders::cancel_batch(orders)?,
        Op::OpenOrders { segment, cursor } => orders::open_orders(segment, cursor.as_deref())?,
        // The spot segment's history ends with the algo orders' (`orders-algo-history`, by
        // `ordType` and `state`, 3 months back, no time filter: the decoder keeps the window's).
        Op::Orders {
            segment,
            window,
            cursor,
        } => match ListPage::of(Listing::History, segment, cursor.as_deref())? {
            ListPage::Orders { after } => {
                let path = if recent(window, now_ms, ORDERS_RECENT_MS) {
                    "/api/v5/trade/orders-history"
                } else {
                    "/api/v5/trade/orders-history-archive"
                };
                Request::get(path, windowed(segment, window, after.as_deref()))
            }
            ListPage::Algo { page, after } => {
                orders::algo_page(Listing::History, page, after.as_deref())
            }
        },
        Op::Fills {
            segment,
            window,
            cursor,
        } => {
            let path = if recent(window, now_ms, FILLS_RECENT_MS) {
                "/api/v5/trade/fills"
            } else {
                "/api/v5/trade/fills-history"
            };
            Request::get(path, windowed(segment, window, cursor.as_deref()))
        }
        Op::Balances => Request::get("/api/v5/account/balance", String::new()),
        // Timestamp cursors: `after` only (the decoder stops at the window's start); OKX refuses
        // `before` on some timestamp-paginated endpoints (`50039`).
        Op::Withdrawals { window, cursor } => Request::get(
            "/api/v5/asset/withdrawal-history",
            ts_page(window, cursor.as_deref()),
        ),
        Op::Transfers { window, cursor } => Request::get(
            "/api/v5/asset/subaccount/bills",
            ts_page(window, cursor.as_deref()),
        ),
        Op::PlaceOrder(order) => match order.trigger {
            None => orders::place(order)?,
            Some(trigger) => orders::place_trigger(order, trigger)?,
        },
        Op::AmendOrder {
            symbol,
            order_id,
            qty,
            price,
            ..
        } => orders::amend(symbol, order_id, *qty, *price),
        Op::CancelOrder {
            symbol, order_id, ..
        } => Request::post(
            "/api/v5/trade/cancel-order",
            json!({ "instId": symbol, "ordId": order_id }).to_string(),
        ),
        // `dest` 4 is an on-chain withdrawal; the chain is named `CCY-Network`.
        Op::Withdraw {
            coin,
            amount,
            address,
        } => Request::post(
            "/api/v5/asset/withdrawal",
            json!({
                "ccy": coin, "amt": amount, "dest": "4", "toAddr": address,
                "chain": format!("{coin}-ERC20"),
            })
            .to_string(),
        ),
    })
}

/// OKX's instrument type for a segment: the segment names it, else its category does.
pub fn inst_type(segment: &Segment) -> &'static str {
    match segment.settle {
        Some(t @ ("SPOT" | "MARGIN" | "SWAP" | "FUTURES" | "OPTION")) => t,
        _ => match segment.category {
            Category::Spot => "SPOT",
            Category::Linear | Category::Inverse => "SWAP",
            Category::Option => "OPTION",
        },
    }
}

/// A timestamp-paginated page: records before `after` (exclusive), starting just after the
/// window's end.
fn ts_page(window: &Window, cursor: Option<&str>) -> String {
    let first = (window.end_ms + 1).to_string();
    let mut q = Query::default();
    q.add("after", Some(cursor.unwrap_or(&first)));
    q.add("limit", Some(&PAGE.to_string()));
    q.finish()
}

/// A query string in the order the parameters were added.
#[derive(Default)]
struct Query(Vec<(&'static str, String)>);

impl Query {
    fn add(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.0.push((key, value.to_owned()));
        }
    }

    fn finish(self) -> String {
        self.0
            .iter()
            .map(|(key, value)| format!("{key}={}", percent::encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use crate::exchanges::OrderRef;

    pub(super) const NOW: i64 = 1_800_000_000_000;

    /// `n` BTC-USDT orders, ids `prefix` followed by 0, 1, …
    pub(super) fn refs(n: usize, prefix: &str) -> Vec<OrderRef> {
        (0..n)
            .map(|i| OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: format!("{prefix}{i}"),
            })
            .collect()
    }
}
