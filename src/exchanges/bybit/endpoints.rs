//! Op -> Bybit V5 request: paths and parameters (docs/venues/bybit.md §4–§6).
//!
//! Query strings are built in a fixed (alphabetical) order and percent-encoded, and the signer
//! signs exactly that string; POST bodies are compact JSON with sorted keys.
//!
//! What a segment's `settle` names depends on its category (docs/venues/bybit.md §5): the
//! settle coin on linear and inverse (`settleCoin`); on spot the `orderFilter`, one segment per
//! kind of order, because `cancel-all` on spot takes only ordinary orders unless told otherwise
//! (plain `spot` is `Order`); nothing on option, whose listings and `cancel-all` take every
//! option order without a coin. Fills have no `orderFilter`: the plain spot segment reads every
//! spot fill and the filter segments' fill reads are answered empty ([`super::wire`]). Option
//! fills need a `baseCoin` (BTC by default): the option segment's fill reading walks
//! [`OPTION_BASES`] through its cursor (`ETH:` followed by Bybit's own cursor).

use serde_json::{Value, json};

use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Segment, Side, TradePermission};
use crate::exchanges::{
    ExchangeError, Op, OrderKind, QtyUnit, Request, Revoke, TimeInForce, Window,
};
use crate::percent;

use super::wire::TransferList;

/// Page size asked for; the largest each endpoint allows (docs/venues/bybit.md §6).
const ORDER_PAGE: u32 = 50;
const FILL_PAGE: u32 = 100;
const TRANSFER_PAGE: u32 = 50;
const KEY_PAGE: u32 = 20;

/// The option base coins whose fills are read, in order. Bybit lists no option base coins
/// without naming one (`instruments-info` answers BTC's by default, docs `market/instrument`),
/// so the list is fixed: the coins Bybit lists options on, as CCXT's Bybit adapter reads them.
pub const OPTION_BASES: &[&str] = &["BTC", "ETH", "SOL"];

/// Where an option fill reading stands: the base coin, and Bybit's cursor within it.
pub fn option_fill_page(cursor: Option<&str>) -> (&str, Option<&str>) {
    let Some(cursor) = cursor else {
        return (OPTION_BASES[0], None);
    };
    match cursor.split_once(':') {
        Some((base, rest)) => (base, Some(rest).filter(|r| !r.is_empty())),
        None => (OPTION_BASES[0], Some(cursor)),
    }
}

/// The cursor after an option fill page of `base` whose own next cursor is `next`: the next
/// page of that coin, else the next coin's first page, else `None` (the end).
pub fn option_fill_next(base: &str, next: Option<String>) -> Option<String> {
    if let Some(next) = next {
        return Some(format!("{base}:{next}"));
    }
    let at = OPTION_BASES.iter().position(|b| *b == base)?;
    OPTION_BASES.get(at + 1).map(|b| format!("{b}:"))
}

/// Whether a segment is a spot `orderFilter` segment other than plain spot.
pub fn is_spot_filter(segment: &Segment) -> bool {
    segment.category == Category::Spot && segment.settle.is_some()
}

/// Page size of an instruments listing: the largest allowed (docs `market/instrument`).
const INSTRUMENT_PAGE: u32 = 1000;

/// The funding wallet, Bybit's one wallet beside the unified account (docs/venues/bybit.md §6).
pub const FUND: &str = "FUND";

/// Builds the request for an operation (for tests: without a nonce, at the clock's start).
/// A sub-account's UID, which Bybit takes as a number.
fn subuid(account: &str) -> Result<u64, ExchangeError> {
    account.trim().parse().map_err(|_| ExchangeError::Protocol {
        detail: format!("Bybit sub-account ids are numbers (UIDs); got `{account}`"),
    })
}

#[cfg(test)]
pub fn encode(op: &Op) -> Result<Request, ExchangeError> {
    encode_with(op, "n0nce", 0)
}

/// Builds the request for an operation at `now_ms` (for tests: without a nonce).
#[cfg(test)]
pub fn encode_at(op: &Op, now_ms: i64) -> Result<Request, ExchangeError> {
    encode_with(op, "n0nce", now_ms)
}

/// Builds the request for an operation; `nonce` (fresh per request) names an option order,
/// which Bybit requires an `orderLinkId` for; `now_ms` is the exchange's clock, for the
/// parameters that carry a time of their own (a withdrawal's `timestamp`).
pub fn encode_with(op: &Op, nonce: &str, now_ms: i64) -> Result<Request, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Request::get("/v5/market/time", String::new()),
        Op::WhoAmI => Request::get("/v5/user/query-api", String::new()),
        Op::SubKeys { account, cursor } => {
            let mut q = Query::default();
            q.cursor(cursor.as_deref());
            q.add("limit", Some(&KEY_PAGE.to_string()));
            q.add("subMemberId", Some(account));
            Request::get("/v5/user/sub-apikeys", q.finish())
        }
        Op::RestrictKey { key, lock, .. } => {
            let mut body = serde_json::Map::new();
            body.insert("apikey".into(), json!(key.as_str()));
            body.insert("ips".into(), json!(lock.ips.to_strings().join(",")));
            // Always sent: Bybit documents an omitted `readOnly` as "0 (default): Read and
            // Write", so leaving it out means the same as 0 on the literal reading and something
            // else on another. A lock that keeps permissions sends 0: the key is a trading key
            // that must still cancel its orders after the lock, now only from the responder
            // (docs/venues/bybit.md §4, "The lock's `readOnly`").
            let read_only = match lock.access {
                Access::ReadOnly => 1,
                Access::Unchanged => 0,
            };
            body.insert("readOnly".into(), json!(read_only));
            Request::post("/v5/user/update-sub-api", Value::Object(body).to_string())
        }
        Op::RevokeKey(Revoke::ByMaster { key, .. }) => Request::post(
            "/v5/user/delete-sub-api",
            json!({ "apikey": key.as_str() }).to_string(),
        ),
        Op::RevokeKey(Revoke::SelfSub) => Request::post("/v5/user/delete-sub-api", "{}".to_owned()),
        Op::RevokeKey(Revoke::SelfMaster) => Request::post("/v5/user/delete-api", "{}".to_owned()),
        // docs/venues/bybit.md §4: `subuid` an integer, `frozen` 1 freezes (0 would unfreeze).
        Op::FreezeAccount { account } => Request::post(
            "/v5/user/frozen-sub-member",
            json!({ "subuid": subuid(account)?, "frozen": 1 }).to_string(),
        ),
        Op::CreateKey {
            account,
            label,
            scope,
        } => {
            let subuid = subuid(account)?;
            let body = json!({
                "subuid": subuid,
                "note": label,
                "readOnly": if scope.trade.is_empty() { 1 } else { 0 },
                "permissions": permissions(scope),
                "ips": scope.ips.to_strings().join(","),
            });
            Request::post("/v5/user/create-sub-api", body.to_string())
        }
        Op::CancelAll { segment } => {
            let mut body = serde_json::Map::new();
            body.insert("category".into(), json!(category(segment.category)));
            match segment.category {
                Category::Spot => {
                    body.insert("orderFilter".into(), json!(order_filter(segment)));
                }
                _ => {
                    if let Some(settle) = segment.settle {
                        body.insert("settleCoin".into(), json!(settle));
                    }
                }
            }
            Request::post("/v5/order/cancel-all", Value::Object(body).to_string())
        }
        // Bybit cancels a whole category at once (`cancel-all`, docs/venues/bybit.md §5). Its
        // dead-man switch (DCP) is institutional-only and WebSocket-bound.
        Op::CancelBatch { .. } | Op::CancelAfter { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        Op::OpenOrders { segment, cursor } => {
            let mut q = segment_query(segment);
            q.cursor(cursor.as_deref());
            q.add("limit", Some(&ORDER_PAGE.to_string()));
            Request::get("/v5/order/realtime", q.finish())
        }
        Op::Orders {
            segment,
            window,
            cursor,
        } => {
            let mut q = segment_query(segment);
            q.cursor(cursor.as_deref());
            add_window(&mut q, window);
            q.add("limit", Some(&ORDER_PAGE.to_string()));
            Request::get("/v5/order/history", q.finish())
        }
        Op::Fills {
            segment,
            window,
            cursor,
        } => {
            let mut q = Query::default();
            q.add("category", Some(category(segment.category)));
            match segment.category {
                Category::Option => {
                    let (base, cursor) = option_fill_page(cursor.as_deref());
                    q.add("baseCoin", Some(base));
                    q.cursor(cursor);
                }
                Category::Spot => q.cursor(cursor.as_deref()),
                Category::Linear | Category::Inverse => {
                    q.add("settleCoin", segment.settle);
                    q.cursor(cursor.as_deref());
                }
            }
            add_window(&mut q, window);
            q.add("limit", Some(&FILL_PAGE.to_string()));
            Request::get("/v5/execution/list", q.finish())
        }
        Op::Balances => Request::get("/v5/account/wallet-balance", "accountType=UNIFIED".into()),
        // The funding wallet, read after the unified one (docs/venues/bybit.md §6): without
        // `coin` it lists every coin, which `accountType=UNIFIED` would refuse.
        Op::WalletBalances { .. } => Request::get(
            "/v5/asset/transfer/query-account-coins-balance",
            "accountType=FUND".into(),
        ),
        Op::Withdrawals { window, cursor } => {
            let mut q = Query::default();
            q.cursor(cursor.as_deref());
            add_window(&mut q, window);
            q.add("limit", Some(&TRANSFER_PAGE.to_string()));
            q.add("withdrawType", Some("2"));
            Request::get("/v5/asset/withdraw/query-record", q.finish())
        }
        Op::PlaceOrder(order) => {
            let mut body = serde_json::Map::new();
            if let Some(trigger) = order.trigger {
                conditional(&mut body, order, trigger)?;
            }
            body.insert("category".into(), json!(category(order.segment.category)));
            body.insert("symbol".into(), json!(order.symbol));
            body.insert(
                "side".into(),
                json!(match order.side {
                    Side::Buy => "Buy",
                    Side::Sell => "Sell",
                }),
            );
            match order.kind {
                OrderKind::Limit { price } => {
                    body.insert("orderType".into(), json!("Limit"));
                    body.insert("price".into(), json!(decimal(price)));
                }
                OrderKind::Market => {
                    body.insert("orderType".into(), json!("Market"));
                }
            }
            body.insert("qty".into(), json!(decimal(order.qty)));
            // Options need a client order id ("Options orderLinkId rules: required", docs
            // `order/create-order`).
            match &order.client_order_id {
                Some(id) => {
                    body.insert("orderLinkId".into(), json!(id));
                }
                None if order.segment.category == Category::Option => {
                    body.insert("orderLinkId".into(), json!(format!("lockdown-{nonce}")));
                }
                None => {}
            }
            // `timeInForce` GTC (default), IOC, FOK, PostOnly; `reduceOnly` (docs
            // `order/create-order`, docs/venues/bybit.md §6 "Placing and amending").
            let tif = match order.time_in_force {
                TimeInForce::Gtc => None,
                TimeInForce::Ioc => Some("IOC"),
                TimeInForce::Fok => Some("FOK"),
                TimeInForce::PostOnly => Some("PostOnly"),
            };
            if let Some(tif) = tif {
                body.insert("timeInForce".into(), json!(tif));
            }
            if order.reduce_only {
                body.insert("reduceOnly".into(), json!(true));
            }
            // A spot market buy counts `qty` in the quote coin unless told otherwise
            // (docs/venues/bybit.md §6).
            if order.segment.category == Category::Spot && order.kind == OrderKind::Market {
                body.insert(
                    "marketUnit".into(),
                    json!(match order.unit {
                        QtyUnit::Base => "baseCoin",
                        QtyUnit::Quote => "quoteCoin",
                    }),
                );
            }
            Request::post("/v5/order/create", Value::Object(body).to_string())
        }
        Op::CancelOrder {
            segment,
            symbol,
            order_id,
        } => Request::post(
            "/v5/order/cancel",
            json!({ "category": category(segment.category), "symbol": symbol, "orderId": order_id })
                .to_string(),
        ),
        Op::AmendOrder {
            segment,
            symbol,
            order_id,
            qty,
            price,
        } => {
            // `POST /v5/order/amend`: the order keeps its id (docs `order/amend-order`).
            let mut body = serde_json::Map::new();
            body.insert("category".into(), json!(category(segment.category)));
            body.insert("symbol".into(), json!(symbol));
            body.insert("orderId".into(), json!(order_id));
            if let Some(qty) = qty {
                body.insert("qty".into(), json!(decimal(*qty)));
            }
            if let Some(price) = price {
                body.insert("price".into(), json!(decimal(*price)));
            }
            Request::post("/v5/order/amend", Value::Object(body).to_string())
        }
        Op::Withdraw {
            coin,
            amount,
            address,
        } => Request::post(
            "/v5/asset/withdraw/create",
            // `timestamp` is required (against replays) and `accountType` takes `FUND`, `UTA`
            // or `EARN`: `UTA` withdraws from the unified wallet through the funding one
            // (docs/venues/bybit.md §6).
            json!({
                "coin": coin, "chain": "ETH", "address": address, "amount": amount,
                "forceChain": 0, "accountType": "UTA", "timestamp": now_ms,
            })
            .to_string(),
        ),
        // Inverse contracts settle in their own coin: the listed instruments name them
        // (docs `market/instrument`, public; every page).
        Op::Segments {
            category: Category::Inverse,
            cursor,
        } => {
            let mut q = Query::default();
            q.add("category", Some("inverse"));
            q.cursor(cursor.as_deref());
            q.add("limit", Some(&INSTRUMENT_PAGE.to_string()));
            Request::get("/v5/market/instruments-info", q.finish())
        }
        // Bybit has no security-log API (docs/venues/README.md §1).
        Op::AccessLog { .. } | Op::Segments { .. } | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        // The universal list, then the internal one: the cursor says which (`TransferList`).
        Op::Transfers { window, cursor } => {
            let (list, cursor) = TransferList::of(cursor.as_deref());
            let mut q = Query::default();
            q.cursor(cursor);
            add_window(&mut q, window);
            q.add("limit", Some(&TRANSFER_PAGE.to_string()));
            Request::get(list.path(), q.finish())
        }
    })
}

/// Bybit's name for a category.
pub fn category(category: Category) -> &'static str {
    match category {
        Category::Spot => "spot",
        Category::Linear => "linear",
        Category::Inverse => "inverse",
        Category::Option => "option",
    }
}

/// The permission object for a replacement key: trading groups only, never `Wallet`.
fn permissions(scope: &KeyScope) -> Value {
    let mut groups = serde_json::Map::new();
    for perm in &scope.trade {
        match perm {
            TradePermission::SpotTrade => {
                groups.insert("Spot".into(), json!(["SpotTrade"]));
            }
            TradePermission::ContractTrade => {
                groups.insert("ContractTrade".into(), json!(["Order", "Position"]));
            }
            TradePermission::OptionsTrade => {
                groups.insert("Options".into(), json!(["OptionsTrade"]));
            }
        }
    }
    if groups.is_empty() {
        // A read-only key still needs one group to read (docs/venues/bybit.md §4: at least one
        // group).
        groups.insert("Spot".into(), json!(["SpotTrade"]));
        groups.insert("ContractTrade".into(), json!(["Order", "Position"]));
    }
    Value::Object(groups)
}

/// The query naming a segment for the order listings (`realtime`, `history`).
fn segment_query(segment: &Segment) -> Query {
    let mut q = Query::default();
    q.add("category", Some(category(segment.category)));
    match segment.category {
        Category::Spot => q.add("orderFilter", Some(order_filter(segment))),
        Category::Linear | Category::Inverse => q.add("settleCoin", segment.settle),
        // Every option order, whatever its coin (docs `order/open-order`, `baseCoin`).
        Category::Option => {}
    }
    q
}

/// A spot segment's `orderFilter`: its settle name, `Order` for plain spot.
fn order_filter(segment: &Segment) -> &'static str {
    segment.settle.unwrap_or("Order")
}

/// Makes `body` a conditional order's (docs `order/create-order`): `triggerPrice`; on spot
/// `orderFilter=StopOrder` (the assets are taken only once it fires); on futures a
/// `triggerDirection`, which the adapter cannot read from a price it does not know, so it is
/// taken from the order: a limit price under the trigger waits for the market to fall to it
/// (2), over it to rise (1); a market order buys on a rise and sells on a fall. Options take
/// none.
fn conditional(
    body: &mut serde_json::Map<String, Value>,
    order: &crate::exchanges::NewOrder,
    trigger: f64,
) -> Result<(), ExchangeError> {
    body.insert("triggerPrice".into(), json!(decimal(trigger)));
    match order.segment.category {
        Category::Spot => {
            body.insert("orderFilter".into(), json!("StopOrder"));
        }
        Category::Linear | Category::Inverse => {
            let rises = match order.kind {
                OrderKind::Limit { price } => price > trigger,
                OrderKind::Market => order.side == Side::Buy,
            };
            body.insert("triggerDirection".into(), json!(if rises { 1 } else { 2 }));
        }
        Category::Option => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: "conditional option order",
            });
        }
    }
    Ok(())
}

fn add_window(q: &mut Query, window: &Window) {
    q.add("endTime", Some(&window.end_ms.to_string()));
    q.add("startTime", Some(&window.start_ms.to_string()));
}

/// A query string in alphabetical key order.
#[derive(Default)]
struct Query(Vec<(&'static str, String)>);

impl Query {
    /// Adds a parameter, percent-encoded.
    fn add(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.0.push((key, percent::encode(value)));
        }
    }

    /// Adds the `cursor` a previous page named. Bybit's `nextPageCursor` is already
    /// percent-encoded (`page_args%3D…%26`, docs/venues/bybit.md §6) and goes back as it came,
    /// as Bybit's SDKs send it; only characters that could not stand in a query are encoded.
    fn cursor(&mut self, value: Option<&str>) {
        if let Some(value) = value {
            self.0
                .push(("cursor", percent::encode(value).replace("%25", "%")));
        }
    }

    fn finish(mut self) -> String {
        self.0.sort_by(|a, b| a.0.cmp(b.0));
        self.0
            .iter()
            .map(|(key, value)| format!("{key}={value}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{IpWhitelist, Lock};
    use crate::secret::KeyId;

    #[test]
    fn lock_binds_to_the_responder_only() {
        let op = Op::RestrictKey {
            account: None,
            key: KeyId::new("BOTKEY"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op).unwrap();
        assert_eq!(req.path, "/v5/user/update-sub-api");
        assert_eq!(
            req.body.as_deref(),
            Some(r#"{"apikey":"BOTKEY","ips":"127.0.0.1","readOnly":0}"#)
        );
        assert!(req.mutating);
    }

    #[test]
    fn a_lock_always_says_whether_the_key_may_trade() {
        for (label, access, want) in [
            ("keeps trading", Access::Unchanged, r#""readOnly":0"#),
            ("read-only", Access::ReadOnly, r#""readOnly":1"#),
        ] {
            let op = Op::RestrictKey {
                account: Some("1000002".into()),
                key: KeyId::new("BOTKEY"),
                lock: Lock {
                    ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                    access,
                },
            };
            let body = encode(&op).unwrap().body.unwrap();
            assert!(body.contains(want), "{label}: {body}");
        }
    }

    #[test]
    fn funding_balances_and_both_transfer_lists_have_their_endpoints() {
        let funding = encode(&Op::WalletBalances { account: FUND }).unwrap();
        assert_eq!(
            (funding.path.as_str(), funding.query.as_str()),
            (
                "/v5/asset/transfer/query-account-coins-balance",
                "accountType=FUND"
            )
        );
        let window = Window {
            start_ms: 1,
            end_ms: 2,
        };
        let path = |cursor: Option<&str>| {
            encode_at(
                &Op::Transfers {
                    window,
                    cursor: cursor.map(str::to_owned),
                },
                0,
            )
            .unwrap()
        };
        assert_eq!(
            path(None).path,
            "/v5/asset/transfer/query-universal-transfer-list"
        );
        let internal = path(Some("internal|eyJtaW5JRCI6MX0"));
        assert_eq!(
            internal.path,
            "/v5/asset/transfer/query-inter-transfer-list"
        );
        assert_eq!(
            internal.query,
            "cursor=eyJtaW5JRCI6MX0&endTime=2&limit=50&startTime=1"
        );
        assert!(!path(Some("internal|")).query.contains("cursor"));
    }

    #[test]
    fn replacement_scope_never_has_wallet() {
        let scope = KeyScope {
            trade: vec![TradePermission::SpotTrade],
            ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
        };
        let op = Op::CreateKey {
            account: "1000002".into(),
            label: "bot-run".into(),
            scope,
        };
        let body = encode(&op).unwrap().body.unwrap();
        assert_eq!(
            body,
            r#"{"ips":"10.0.0.1","note":"bot-run","permissions":{"Spot":["SpotTrade"]},"readOnly":0,"subuid":1000002}"#
        );
        assert!(!body.contains("Wallet"));
    }

    #[test]
    fn a_sub_account_is_frozen_by_its_numeric_uid() {
        let op = Op::FreezeAccount {
            account: " 1000002 ".into(),
        };
        let req = encode(&op).unwrap();
        assert_eq!(req.path, "/v5/user/frozen-sub-member");
        assert!(req.mutating);
        assert_eq!(req.body.unwrap(), r#"{"frozen":1,"subuid":1000002}"#);
        let named = Op::FreezeAccount {
            account: "gridbot".into(),
        };
        assert!(matches!(
            encode(&named),
            Err(ExchangeError::Protocol { .. })
        ));
    }

    #[test]
    fn a_withdrawal_carries_its_timestamp_and_a_documented_account_type() {
        let op = Op::Withdraw {
            coin: "USDT".into(),
            amount: "10".into(),
            address: "0xabc".into(),
        };
        let body = encode_at(&op, 1_700_000_000_123).unwrap().body.unwrap();
        assert!(body.contains(r#""timestamp":1700000000123"#), "{body}");
        assert!(body.contains(r#""accountType":"UTA""#), "{body}");
    }

    #[test]
    fn queries_are_sorted_and_encoded() {
        let op = Op::OpenOrders {
            segment: Segment {
                category: Category::Linear,
                settle: Some("USDT"),
            },
            cursor: Some("page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26".into()),
        };
        // The docs' example cursor (order/open-order) goes back exactly as Bybit sent it.
        assert_eq!(
            encode(&op).unwrap().query,
            "category=linear&cursor=page_args%3Dfd4300ae-7847-404e-b947-b46980a4d140%26symbol%3D6%26&limit=50&settleCoin=USDT"
        );
    }

    fn order(segment: Segment, kind: OrderKind, side: Side, trigger: f64) -> Op {
        Op::PlaceOrder(crate::exchanges::NewOrder {
            segment,
            symbol: "BTCUSDT".into(),
            side,
            kind,
            qty: 0.01,
            unit: QtyUnit::Base,
            trigger: Some(trigger),
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        })
    }

    #[test]
    fn conditional_orders_are_encoded_per_category() {
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let body = encode(&order(
            spot,
            OrderKind::Limit { price: 30_000.0 },
            Side::Buy,
            32_000.0,
        ))
        .unwrap()
        .body
        .unwrap();
        assert_eq!(
            body,
            r#"{"category":"spot","orderFilter":"StopOrder","orderType":"Limit","price":"30000","qty":"0.01","side":"Buy","symbol":"BTCUSDT","triggerPrice":"32000"}"#
        );
        let inverse = Segment {
            category: Category::Inverse,
            settle: Some("ETH"),
        };
        let cases = [
            (
                "limit under the trigger: a fall",
                OrderKind::Limit { price: 1.0 },
                Side::Buy,
                2,
            ),
            (
                "limit over the trigger: a rise",
                OrderKind::Limit { price: 3.0 },
                Side::Buy,
                1,
            ),
            ("market buy: a rise", OrderKind::Market, Side::Buy, 1),
            ("market sell: a fall", OrderKind::Market, Side::Sell, 2),
        ];
        for (label, kind, side, direction) in cases {
            let body = encode(&order(inverse, kind, side, 2.0))
                .unwrap()
                .body
                .unwrap();
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["triggerDirection"], direction, "{label}");
            assert_eq!(body["triggerPrice"], "2", "{label}");
        }
        let option = Segment {
            category: Category::Option,
            settle: None,
        };
        assert!(encode(&order(option, OrderKind::Market, Side::Buy, 2.0)).is_err());
        let mut plain = order(option, OrderKind::Limit { price: 5.0 }, Side::Buy, 0.0);
        if let Op::PlaceOrder(o) = &mut plain {
            o.trigger = None;
        }
        let body = encode(&plain).unwrap().body.unwrap();
        assert!(body.contains(r#""orderLinkId":"lockdown-n0nce""#), "{body}");
    }

    #[test]
    fn spot_segments_name_their_order_filter() {
        let cases = [(None, "Order"), (Some("StopOrder"), "StopOrder")];
        for (settle, filter) in cases {
            let segment = Segment {
                category: Category::Spot,
                settle,
            };
            let body = encode(&Op::CancelAll { segment }).unwrap().body.unwrap();
            assert_eq!(
                body,
                format!(r#"{{"category":"spot","orderFilter":"{filter}"}}"#)
            );
            let open = encode(&Op::OpenOrders {
                segment,
                cursor: None,
            })
            .unwrap();
            assert_eq!(
                open.query,
                format!("category=spot&limit=50&orderFilter={filter}")
            );
        }
        let option = Segment {
            category: Category::Option,
            settle: None,
        };
        let body = encode(&Op::CancelAll { segment: option })
            .unwrap()
            .body
            .unwrap();
        assert_eq!(body, r#"{"category":"option"}"#);
    }

    #[test]
    fn option_fills_walk_every_base_coin() {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        // Each coin answers one page with a next cursor, then one without.
        let mut pages = 0;
        loop {
            let (base, within) = option_fill_page(cursor.as_deref());
            seen.push((base.to_owned(), within.map(str::to_owned)));
            let next_of_bybit = within.is_none().then(|| "page_args%3Dx%26".to_owned());
            cursor = option_fill_next(base, next_of_bybit);
            pages += 1;
            if cursor.is_none() || pages > 10 {
                break;
            }
        }
        let bases: Vec<&str> = seen.iter().map(|(b, _)| b.as_str()).collect();
        assert_eq!(bases, ["BTC", "BTC", "ETH", "ETH", "SOL", "SOL"]);
        assert_eq!(seen[1].1.as_deref(), Some("page_args%3Dx%26"));
        let window = Window {
            start_ms: 0,
            end_ms: 1,
        };
        let segment = Segment {
            category: Category::Option,
            settle: None,
        };
        let q = |cursor: Option<&str>| {
            encode(&Op::Fills {
                segment,
                window,
                cursor: cursor.map(str::to_owned),
            })
            .unwrap()
            .query
        };
        assert_eq!(
            q(None),
            "baseCoin=BTC&category=option&endTime=1&limit=100&startTime=0"
        );
        assert_eq!(
            q(Some("ETH:page_args%3Dx%26")),
            "baseCoin=ETH&category=option&cursor=page_args%3Dx%26&endTime=1&limit=100&startTime=0"
        );
    }

    #[test]
    fn inverse_settle_coins_come_from_the_instruments() {
        let op = Op::Segments {
            category: Category::Inverse,
            cursor: None,
        };
        let req = encode(&op).unwrap();
        assert_eq!(req.path, "/v5/market/instruments-info");
        assert_eq!(req.query, "category=inverse&limit=1000");
        assert!(!op.is_signed());
    }
}
