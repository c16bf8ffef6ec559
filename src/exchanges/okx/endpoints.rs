//! Op -> OKX V5 request: paths and parameters (docs/venues.md §4.4–§4.6).
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
//! listing ends with their pages ([`OpenPage`]), and they are cancelled by `cancel-algos`,
//! addressed by an adapter-internal segment ([`ALGO_SEGMENT`]).

use serde_json::{Value, json};

use super::passphrase;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Order, Segment, Side};
use crate::exchanges::{ExchangeError, Op, OrderKind, QtyUnit, Request, Revoke, Window};
use crate::percent;

/// Page size asked for: the most every OKX list endpoint gives (docs/venues.md §4.6).
pub const PAGE: usize = 100;

/// The most orders one `cancel-batch-orders` request may name (docs/venues.md §4.5).
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

/// Whether a segment's open-order listing ends with the algo pages: the spot segment's, which
/// is listed first, reads every instrument type's algo orders (the list takes no `instType`
/// when none is given), so each algo page is read once per listing, not once per segment.
fn hosts_algo(segment: &Segment) -> bool {
    segment.settle == Some("SPOT") || is_algo_segment(segment)
}

/// Which listing one page of open orders reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenPage {
    /// `orders-pending`, after this `ordId`.
    Orders { after: Option<String> },
    /// `orders-algo-pending` for [`ALGO_PAGES`]`[page]`, after this `algoId`.
    Algo { page: usize, after: Option<String> },
}

impl OpenPage {
    /// The page an open-order listing's `cursor` names in `segment`.
    pub fn of(segment: &Segment, cursor: Option<&str>) -> Result<OpenPage, ExchangeError> {
        let Some(cursor) = cursor else {
            return Ok(if is_algo_segment(segment) {
                OpenPage::Algo {
                    page: 0,
                    after: None,
                }
            } else {
                OpenPage::Orders { after: None }
            });
        };
        let Some(rest) = cursor.strip_prefix(ALGO_CURSOR) else {
            return Ok(OpenPage::Orders {
                after: Some(cursor.to_owned()),
            });
        };
        let (page, after) = match rest.split_once(':') {
            Some((page, after)) => (page, Some(after.to_owned())),
            None => (rest, None),
        };
        match page.parse::<usize>() {
            Ok(page) if page < ALGO_PAGES.len() && hosts_algo(segment) => {
                Ok(OpenPage::Algo { page, after })
            }
            _ => Err(ExchangeError::Protocol {
                detail: format!("`{cursor}` is not an OKX open-order page of {segment}"),
            }),
        }
    }

    /// The cursor of the page after this one, given the last id it listed (`None`: it was
    /// empty, which ends a listing). The spot segment's orders are followed by the algo pages,
    /// each algo page by the next.
    pub fn next(&self, segment: &Segment, last: Option<String>) -> Option<String> {
        match (self, last) {
            (OpenPage::Orders { .. }, Some(id)) => Some(id),
            (OpenPage::Orders { .. }, None) => {
                hosts_algo(segment).then(|| format!("{ALGO_CURSOR}0"))
            }
            (OpenPage::Algo { page, .. }, Some(id)) => Some(format!("{ALGO_CURSOR}{page}:{id}")),
            (OpenPage::Algo { page, .. }, None) => {
                (page + 1 < ALGO_PAGES.len()).then(|| format!("{ALGO_CURSOR}{}", page + 1))
            }
        }
    }
}

/// The timeouts `cancel-all-after` accepts besides `0` (disarm), in seconds (docs/venues.md §4.5).
pub const DEAD_MAN_SECONDS: std::ops::RangeInclusive<u32> = 10..=120;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// `orders-history` covers the last 7 days, `fills` the last 3 (docs/venues.md §4.6); older windows go
/// to `orders-history-archive` and `fills-history` (3 months).
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
        // The endpoint lists every key of the sub-account at once: no cursor (docs/venues.md §4.4).
        Op::SubKeys { account, .. } => {
            let mut q = Query::default();
            q.add("subAcct", Some(sub_account(Some(account))?));
            Request::get("/api/v5/users/subaccount/apikey", q.finish())
        }
        Op::RestrictKey { key, account, lock } => {
            // Each field passed replaces the key's current value; `perm` is left out to keep it
            // unless the lock also takes trading away (docs/venues.md §4.4).
            let mut body = serde_json::Map::new();
            body.insert("subAcct".into(), json!(sub_account(account.as_deref())?));
            body.insert("apiKey".into(), json!(key.as_str()));
            body.insert("ip".into(), json!(lock.ips.to_strings().join(",")));
            if lock.access == Access::ReadOnly {
                body.insert("perm".into(), json!("read_only"));
            }
            Request::post(
                "/api/v5/users/subaccount/modify-apikey",
                Value::Object(body).to_string(),
            )
        }
        Op::RevokeKey(Revoke::ByMaster { key, account }) => Request::post(
            "/api/v5/users/subaccount/delete-apikey",
            json!({ "subAcct": sub_account(account.as_deref())?, "apiKey": key.as_str() })
                .to_string(),
        ),
        // OKX keeps no security log reachable by API (docs/venues.md §1).
        Op::AccessLog { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: "access_log",
            });
        }
        // No key can delete itself on OKX (docs/venues.md §1).
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
        } => {
            let passphrase = passphrase::generate();
            #[allow(clippy::disallowed_methods)] // the create body carries the new passphrase
            let passphrase = secrecy::ExposeSecret::expose_secret(&passphrase).to_owned();
            let body = json!({
                "subAcct": sub_account(Some(account))?,
                "label": label,
                "passphrase": passphrase,
                "perm": perm(scope),
                "ip": scope.ips.to_strings().join(","),
            });
            Request::post("/api/v5/users/subaccount/apikey", body.to_string())
        }
        // OKX has no cancel-all (docs/venues.md §4.5): the action lists and cancels in batches.
        Op::CancelAll { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "okx",
                op: "cancel_all",
            });
        }
        // The dead-man switch, for the signing key's account: `timeOut` is a string of
        // seconds, `0` to disarm or 10 to 120 (docs/venues.md §4.5). OKX refuses anything else, so
        // it is refused here before it is sent.
        Op::CancelAfter { seconds } => {
            if *seconds != 0 && !DEAD_MAN_SECONDS.contains(seconds) {
                return Err(ExchangeError::OutOfRange {
                    venue: "okx",
                    what: format!(
                        "a dead-man timeout of 0 (to disarm) or {} to {} seconds, not {seconds}",
                        DEAD_MAN_SECONDS.start(),
                        DEAD_MAN_SECONDS.end()
                    ),
                });
            }
            Request::post(
                "/api/v5/trade/cancel-all-after",
                json!({ "timeOut": seconds.to_string() }).to_string(),
            )
        }
        // Algo orders: `cancel-algos`, a JSON array of `{algoId, instId}`, at most 10 (OKX
        // docs, "Cancel algo order"). Not confirmed: whether it takes iceberg, TWAP and trailing
        // orders too. The page's own Python example says "not including" them, yet the current
        // docs name no other cancel for them (the older `cancel-advance-algos` is gone). Any it
        // refuses stay listed, so `cancel_orders` fails naming them rather than calling the
        // account clean.
        Op::CancelBatch { segment, orders } if is_algo_segment(segment) => {
            if orders.len() > ALGO_BATCH {
                return Err(ExchangeError::Protocol {
                    detail: format!(
                        "OKX cancels at most {ALGO_BATCH} algo orders a request; {} were asked",
                        orders.len()
                    ),
                });
            }
            let items: Vec<Value> = orders
                .iter()
                .map(|o| json!({ "algoId": o.order_id, "instId": o.symbol }))
                .collect();
            Request::post(
                "/api/v5/trade/cancel-algos",
                Value::Array(items).to_string(),
            )
        }
        Op::CancelBatch { orders, .. } => {
            if orders.len() > BATCH {
                return Err(ExchangeError::Protocol {
                    detail: format!(
                        "OKX cancels at most {BATCH} orders a request; {} were asked",
                        orders.len()
                    ),
                });
            }
            let items: Vec<Value> = orders
                .iter()
                .map(|o| json!({ "instId": o.symbol, "ordId": o.order_id }))
                .collect();
            Request::post(
                "/api/v5/trade/cancel-batch-orders",
                Value::Array(items).to_string(),
            )
        }
        Op::OpenOrders { segment, cursor } => match OpenPage::of(segment, cursor.as_deref())? {
            OpenPage::Orders { after } => {
                let mut q = Query::default();
                q.add("instType", Some(inst_type(segment)));
                q.add("after", after.as_deref());
                q.add("limit", Some(&PAGE.to_string()));
                Request::get("/api/v5/trade/orders-pending", q.finish())
            }
            // Every instrument type at once; `ordType` is sent as OKX's clients send it, the
            // comma of `conditional,oco` unescaped.
            OpenPage::Algo { page, after } => {
                let mut q = Query::default();
                q.add("after", after.as_deref());
                q.add("limit", Some(&PAGE.to_string()));
                let rest = q.finish();
                let mut query = format!("ordType={}", ALGO_PAGES[page]);
                if !rest.is_empty() {
                    query.push('&');
                    query.push_str(&rest);
                }
                Request::get("/api/v5/trade/orders-algo-pending", query)
            }
        },
        Op::Orders {
            segment,
            window,
            cursor,
        } => {
            let path = if recent(window, now_ms, ORDERS_RECENT_MS) {
                "/api/v5/trade/orders-history"
            } else {
                "/api/v5/trade/orders-history-archive"
            };
            Request::get(path, windowed(segment, window, cursor.as_deref()))
        }
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
        Op::PlaceOrder(order) => {
            let mut body = serde_json::Map::new();
            body.insert("instId".into(), json!(order.symbol));
            // Spot trades from the cash balance; contracts in cross margin.
            let spot = order.segment.category == Category::Spot;
            body.insert("tdMode".into(), json!(if spot { "cash" } else { "cross" }));
            body.insert(
                "side".into(),
                json!(match order.side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                }),
            );
            match order.kind {
                OrderKind::Limit { price } => {
                    body.insert("ordType".into(), json!("limit"));
                    body.insert("px".into(), json!(decimal(price)));
                }
                OrderKind::Market => {
                    body.insert("ordType".into(), json!("market"));
                    // A spot market order counts `sz` in `tgtCcy` (quote by default for buys).
                    if spot {
                        body.insert(
                            "tgtCcy".into(),
                            json!(match order.unit {
                                QtyUnit::Base => "base_ccy",
                                QtyUnit::Quote => "quote_ccy",
                            }),
                        );
                    }
                }
            }
            body.insert("sz".into(), json!(decimal(order.qty)));
            Request::post("/api/v5/trade/order", Value::Object(body).to_string())
        }
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

/// The sub-account a key-management request names: 6 to 20 letters and digits (docs/venues.md §4.4).
fn sub_account(account: Option<&str>) -> Result<&str, ExchangeError> {
    let needs = |got: String| ExchangeError::NeedsInput {
        venue: "okx",
        what: format!(
            "the key's sub-account name (6 to 20 letters and digits, such as `gridbot01`){got}"
        ),
    };
    match account.map(str::trim) {
        None | Some("") => Err(needs(String::new())),
        Some(name)
            if (6..=20).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Ok(name)
        }
        Some(name) => Err(needs(format!("; `{name}` is not one"))),
    }
}

/// A replacement key's `perm`: reading always, trading when any trade permission is asked;
/// `withdraw` cannot be asked for (the scope type has no such permission, docs/venues.md §4.4).
fn perm(scope: &KeyScope) -> &'static str {
    if scope.trade.is_empty() {
        "read_only"
    } else {
        "read_only,trade"
    }
}

/// Whether a window starts within `reach` of now (with a little slack).
fn recent(window: &Window, now_ms: i64, reach: i64) -> bool {
    window.start_ms >= now_ms - reach - SLACK_MS
}

/// `instType`, the `begin`/`end` window (on creation or fill time) and the `after` cursor.
fn windowed(segment: &Segment, window: &Window, after: Option<&str>) -> String {
    let mut q = Query::default();
    q.add("instType", Some(inst_type(segment)));
    q.add("begin", Some(&window.start_ms.to_string()));
    q.add("end", Some(&window.end_ms.to_string()));
    q.add("after", after);
    q.add("limit", Some(&PAGE.to_string()));
    q.finish()
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
    use super::*;
    use crate::exchanges::model::{IpWhitelist, Lock, TradePermission};
    use crate::exchanges::{Method, OrderRef};
    use crate::secret::KeyId;

    const NOW: i64 = 1_800_000_000_000;

    /// `n` BTC-USDT orders, ids `prefix` followed by 0, 1, …
    fn refs(n: usize, prefix: &str) -> Vec<OrderRef> {
        (0..n)
            .map(|i| OrderRef {
                symbol: "BTC-USDT".into(),
                order_id: format!("{prefix}{i}"),
            })
            .collect()
    }

    #[test]
    fn lock_binds_to_the_responder_and_keeps_perm() {
        let op = Op::RestrictKey {
            account: Some("gridbot01".into()),
            key: KeyId::new("bot-key"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op, NOW).unwrap();
        assert_eq!(req.path, "/api/v5/users/subaccount/modify-apikey");
        assert_eq!(
            req.body.as_deref(),
            Some(r#"{"apiKey":"bot-key","ip":"127.0.0.1","subAcct":"gridbot01"}"#)
        );
        assert!(req.mutating);
    }

    #[test]
    fn key_management_needs_the_sub_account_name() {
        for (label, account) in [
            ("absent", None),
            ("empty", Some("")),
            ("a UID-like dash", Some("grid-bot")),
            ("too short", Some("abc")),
        ] {
            let op = Op::RevokeKey(Revoke::ByMaster {
                key: KeyId::new("k"),
                account: account.map(str::to_owned),
            });
            let err = encode(&op, NOW).unwrap_err();
            assert!(
                matches!(err, ExchangeError::NeedsInput { .. }),
                "{label}: {err:?}"
            );
            assert!(err.to_string().contains("sub-account name"), "{label}");
        }
    }

    #[test]
    fn create_asks_for_trade_at_most_with_a_fresh_passphrase() {
        let op = Op::CreateKey {
            account: "gridbot01".into(),
            label: "lockdown-abc123".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade, TradePermission::ContractTrade],
                ips: IpWhitelist::parse(&["10.0.0.1", "10.0.0.2"]).unwrap(),
            },
        };
        let body: Value = serde_json::from_str(&encode(&op, NOW).unwrap().body.unwrap()).unwrap();
        assert_eq!(body["perm"], "read_only,trade");
        assert_eq!(body["ip"], "10.0.0.1,10.0.0.2");
        assert_eq!(body["subAcct"], "gridbot01");
        let first = body["passphrase"].as_str().unwrap().to_owned();
        assert!(passphrase::is_valid(&first), "{first}");
        let again: Value = serde_json::from_str(&encode(&op, NOW).unwrap().body.unwrap()).unwrap();
        assert_ne!(again["passphrase"], first.as_str(), "fresh every time");
    }

    #[test]
    fn windows_choose_the_recent_endpoint_or_the_archive() {
        let spot = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let window = |days: i64| Window {
            start_ms: NOW - days * DAY_MS,
            end_ms: NOW - (days - 1).max(0) * DAY_MS,
        };
        let path = |op: Op| encode(&op, NOW).unwrap().path;
        let orders = |days| Op::Orders {
            segment: spot,
            window: window(days),
            cursor: None,
        };
        let fills = |days| Op::Fills {
            segment: spot,
            window: window(days),
            cursor: None,
        };
        assert_eq!(path(orders(7)), "/api/v5/trade/orders-history");
        assert_eq!(path(orders(8)), "/api/v5/trade/orders-history-archive");
        assert_eq!(path(fills(3)), "/api/v5/trade/fills");
        assert_eq!(path(fills(4)), "/api/v5/trade/fills-history");
        let q = encode(
            &Op::Orders {
                segment: spot,
                window: window(1),
                cursor: Some("123".into()),
            },
            NOW,
        )
        .unwrap()
        .query;
        assert_eq!(
            q,
            format!(
                "instType=SPOT&begin={}&end={NOW}&after=123&limit=100",
                NOW - DAY_MS
            )
        );
    }

    #[test]
    fn segments_and_categories_map_to_inst_types() {
        for (category, settle, want) in [
            (Category::Spot, None, "SPOT"),
            (Category::Spot, Some("MARGIN"), "MARGIN"),
            (Category::Linear, None, "SWAP"),
            (Category::Linear, Some("FUTURES"), "FUTURES"),
            (Category::Option, None, "OPTION"),
        ] {
            assert_eq!(inst_type(&Segment { category, settle }), want);
        }
    }

    #[test]
    fn cancel_batches_name_each_order_and_stay_within_twenty() {
        let segment = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let orders = |n| refs(n, "");
        let req = encode(
            &Op::CancelBatch {
                segment,
                orders: orders(2),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            req.body.as_deref(),
            Some(r#"[{"instId":"BTC-USDT","ordId":"0"},{"instId":"BTC-USDT","ordId":"1"}]"#)
        );
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(21)
                },
                NOW
            )
            .is_err()
        );
    }

    #[test]
    fn algo_orders_are_listed_page_by_type_after_the_spot_orders() {
        let spot = Segment {
            category: Category::Spot,
            settle: Some("SPOT"),
        };
        let swap = Segment {
            category: Category::Linear,
            settle: Some("SWAP"),
        };
        let list = |segment, cursor: Option<&str>| {
            encode(
                &Op::OpenOrders {
                    segment,
                    cursor: cursor.map(str::to_owned),
                },
                NOW,
            )
        };
        for (label, segment, cursor, path, query) in [
            (
                "spot orders",
                spot,
                None,
                "/api/v5/trade/orders-pending",
                "instType=SPOT&limit=100",
            ),
            (
                "spot orders, next page",
                spot,
                Some("123"),
                "/api/v5/trade/orders-pending",
                "instType=SPOT&after=123&limit=100",
            ),
            (
                "first algo page: the two types OKX lists together",
                spot,
                Some("algo:0"),
                "/api/v5/trade/orders-algo-pending",
                "ordType=conditional,oco&limit=100",
            ),
            (
                "an algo page after an algoId",
                spot,
                Some("algo:1:777"),
                "/api/v5/trade/orders-algo-pending",
                "ordType=trigger&after=777&limit=100",
            ),
            (
                "the algo segment itself",
                ALGO_SEGMENT,
                None,
                "/api/v5/trade/orders-algo-pending",
                "ordType=conditional,oco&limit=100",
            ),
        ] {
            let req = list(segment, cursor).unwrap();
            assert_eq!(
                (req.method, req.path.as_str(), req.query.as_str()),
                (Method::Get, path, query),
                "{label}"
            );
            assert!(!req.mutating, "{label}");
        }
        assert!(
            list(swap, Some("algo:0")).is_err(),
            "swap has no algo pages"
        );
        assert!(list(spot, Some("algo:7")).is_err(), "past the last type");
        assert!(list(spot, Some("algo:x")).is_err(), "not a page");
        // Pages: orders until an empty page, then each algo type in turn until its empty page.
        let orders = OpenPage::Orders { after: None };
        assert_eq!(orders.next(&spot, Some("9".into())).as_deref(), Some("9"));
        assert_eq!(orders.next(&spot, None).as_deref(), Some("algo:0"));
        assert_eq!(orders.next(&swap, None), None);
        let algo = |page| OpenPage::Algo { page, after: None };
        assert_eq!(
            algo(0).next(&spot, Some("5".into())).as_deref(),
            Some("algo:0:5")
        );
        assert_eq!(algo(0).next(&spot, None).as_deref(), Some("algo:1"));
        assert_eq!(algo(ALGO_PAGES.len() - 1).next(&spot, None), None);
        // Every type OKX documents is read, each once.
        let mut read: Vec<&str> = ALGO_PAGES.iter().flat_map(|p| p.split(',')).collect();
        read.sort_unstable();
        let mut documented = [
            "conditional",
            "oco",
            "trigger",
            "move_order_stop",
            "iceberg",
            "twap",
            "chase",
            "smart_iceberg",
        ];
        documented.sort_unstable();
        assert_eq!(read, documented);
    }

    #[test]
    fn algo_cancels_name_algo_ids_and_stay_within_ten() {
        let segment = ALGO_SEGMENT;
        let orders = |n| refs(n, "90");
        let req = encode(
            &Op::CancelBatch {
                segment,
                orders: orders(2),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str()),
            (Method::Post, "/api/v5/trade/cancel-algos")
        );
        assert_eq!(
            req.body.as_deref(),
            Some(r#"[{"algoId":"900","instId":"BTC-USDT"},{"algoId":"901","instId":"BTC-USDT"}]"#)
        );
        assert!(req.mutating);
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(10)
                },
                NOW
            )
            .is_ok()
        );
        assert!(
            encode(
                &Op::CancelBatch {
                    segment,
                    orders: orders(11)
                },
                NOW
            )
            .is_err()
        );
        assert_eq!(segment.to_string(), "spot/algo");
        assert!(
            is_algo_segment(&segment)
                && !is_algo_segment(&Segment {
                    category: Category::Spot,
                    settle: Some("SPOT"),
                })
        );
    }

    #[test]
    fn dead_man_arms_within_okx_bounds_only() {
        for (label, seconds, body) in [
            ("disarm", 0, r#"{"timeOut":"0"}"#),
            ("shortest", 10, r#"{"timeOut":"10"}"#),
            ("a minute", 60, r#"{"timeOut":"60"}"#),
            ("longest", 120, r#"{"timeOut":"120"}"#),
        ] {
            let req = encode(&Op::CancelAfter { seconds }, NOW).unwrap();
            assert_eq!(req.method, crate::exchanges::Method::Post, "{label}");
            assert_eq!(req.path, "/api/v5/trade/cancel-all-after", "{label}");
            assert_eq!(req.body.as_deref(), Some(body), "{label}");
            assert!(req.mutating, "{label}");
        }
        for seconds in [1, 5, 9, 121, 86_400] {
            let err = encode(&Op::CancelAfter { seconds }, NOW).unwrap_err();
            assert!(
                matches!(err, ExchangeError::OutOfRange { venue: "okx", .. }),
                "{seconds}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("10 to 120 seconds, not {seconds}")),
                "{err}"
            );
        }
    }

    #[test]
    fn market_buys_in_quote_units_say_so() {
        let order = crate::exchanges::NewOrder {
            segment: Segment {
                category: Category::Spot,
                settle: None,
            },
            symbol: "XVG-USDT".into(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: 250.0,
            unit: QtyUnit::Quote,
        };
        let body = encode(&Op::PlaceOrder(order), NOW).unwrap().body.unwrap();
        assert_eq!(
            body,
            r#"{"instId":"XVG-USDT","ordType":"market","side":"buy","sz":"250","tdMode":"cash","tgtCcy":"quote_ccy"}"#
        );
    }
}
