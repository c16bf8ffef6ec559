//! Op -> BingX REST request (docs/venues/bingx.md §4–§6).
//!
//! Reads, cancels and trades carry their parameters in the query (the signer adds `timestamp`
//! and `signature`); the sub-account POSTs send a JSON body. Each product has its own paths:
//! spot `/openApi/spot/v1/…`, USDT-M perpetuals `/openApi/swap/v2/…`, coin-M perpetuals
//! `/openApi/cswap/v1/…`; the segment says which. Histories page by `pageIndex` (spot, 100 a
//! page) or by moving the window's end before the oldest row seen (the perpetuals, 1000 at
//! most a call); the withdrawal history by `offset`.

use serde_json::{Value, json};

use crate::exchanges::model::{Access, Category, KeyScope, Lock, Segment, Side, TradePermission};
use crate::exchanges::{
    CallContext, ExchangeError, Method, Op, OrderKind, QtyUnit, Request, Revoke, TimeInForce,
    Window,
};
use crate::percent;
use crate::secret::KeyId;

/// The unsigned clock.
pub const SERVER_TIME: &str = "/openApi/swap/v2/server/time";

/// The listen key of the private stream (`POST` creates, `PUT` extends, `DELETE` ends).
pub const LISTEN_KEY: &str = "/openApi/user/auth/userDataStream";

/// Rows per spot history page (its maximum).
pub const SPOT_PAGE: usize = 100;

/// Rows per perpetual history call (its maximum).
pub const SWAP_PAGE: usize = 1000;

/// Rows per withdrawal-history call (its maximum).
pub const WITHDRAW_PAGE: usize = 1000;

/// The dead-man switch's range, seconds (docs/venues/bingx.md §5).
pub const DEAD_MAN_SECONDS: std::ops::RangeInclusive<u32> = 10..=120;

/// The product a segment is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// Spot.
    Spot,
    /// USDT-M perpetual futures (`swap`).
    Swap,
    /// Coin-M perpetual futures (`cswap`).
    Cswap,
}

/// The product of a segment; options are not a BingX product.
pub fn product(segment: &Segment) -> Result<Product, ExchangeError> {
    match segment.category {
        Category::Spot => Ok(Product::Spot),
        Category::Linear => Ok(Product::Swap),
        Category::Inverse => Ok(Product::Cswap),
        Category::Option => Err(ExchangeError::Unsupported {
            venue: "bingx",
            op: "options (BingX lists none)",
        }),
    }
}

/// A query string from pairs, in the order given, each value percent-encoded.
fn query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn with_query(method: Method, path: &str, pairs: &[(&str, String)], mutating: bool) -> Request {
    Request {
        method,
        path: path.to_owned(),
        query: query(pairs),
        body: None,
        mutating,
    }
}

fn json_post(path: &str, body: Value) -> Request {
    Request::post(path, body.to_string())
}

/// The sub-account UID a key-management request names (the key's `account:`).
fn sub_uid(account: Option<&str>) -> Result<String, ExchangeError> {
    match account.map(str::trim) {
        Some(uid) if !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(uid.to_owned())
        }
        got => Err(ExchangeError::NeedsInput {
            venue: "bingx",
            what: format!(
                "the sub-account's UID (`account:`, digits){}",
                got.filter(|g| !g.is_empty())
                    .map(|g| format!("; `{g}` is not one"))
                    .unwrap_or_default()
            ),
        }),
    }
}

/// The note and permission codes the lookup (`apiKey/query`) found for the key; placeholders
/// when there was none (a plan being rendered).
fn listed(call: &CallContext<'_>, key: &KeyId) -> Result<(String, Vec<u64>), ExchangeError> {
    let Some(response) = call.lookup else {
        return Ok(("<note from apiKey/query>".to_owned(), Vec::new()));
    };
    super::wire::listed_key(response, key)
}

/// The codes a replacement key gets: read, and the trading rights asked for; never transfer
/// or withdraw.
pub fn replacement_codes(scope: &KeyScope) -> Vec<u64> {
    let mut codes = vec![2];
    if scope.trade.contains(&TradePermission::SpotTrade) {
        codes.push(1);
    }
    if scope.trade.contains(&TradePermission::ContractTrade) {
        codes.push(3);
    }
    codes.sort_unstable();
    codes
}

/// Builds the request for `op`.
pub fn encode(op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Request::get(SERVER_TIME, String::new()),
        Op::WhoAmI => Request::get("/openApi/v1/account/apiPermissions", String::new()),
        Op::SubKeys { account, .. } => Request::get(
            "/openApi/account/v1/apiKey/query",
            query(&[("uid", sub_uid(Some(account))?)]),
        ),
        Op::RestrictKey { key, account, lock } => restrict(key, account.as_deref(), lock, call)?,
        Op::RevokeKey(Revoke::ByMaster { key, account }) => json_post(
            "/openApi/subAccount/v1/apiKey/del",
            json!({ "subUid": sub_uid(account.as_deref())?, "apiKey": key.as_str() }),
        ),
        Op::FreezeAccount { account } => json_post(
            "/openApi/subAccount/v1/updateStatus",
            json!({ "subUid": sub_uid(Some(account))?, "freeze": true }),
        ),
        Op::CreateKey {
            account,
            label,
            scope,
        } => json_post(
            "/openApi/subAccount/v1/apiKey/create",
            json!({
                "subUid": sub_uid(Some(account))?,
                "note": label,
                "permissions": replacement_codes(scope),
                "ipAddresses": scope.ips.to_strings(),
            }),
        ),
        Op::CancelAll { segment } => match product(segment)? {
            Product::Spot => with_query(
                Method::Post,
                "/openApi/spot/v1/trade/cancelOpenOrders",
                &[],
                true,
            ),
            Product::Swap => with_query(
                Method::Delete,
                "/openApi/swap/v2/trade/allOpenOrders",
                &[],
                true,
            ),
            // The docs say POST (CCXT sends DELETE, "post method in doc").
            Product::Cswap => with_query(
                Method::Post,
                "/openApi/cswap/v1/trade/allOpenOrders",
                &[],
                true,
            ),
        },
        Op::CancelAfter { seconds } => {
            let pairs: Vec<(&str, String)> = if *seconds == 0 {
                vec![("type", "CLOSE".into()), ("timeOut", "10".into())]
            } else if DEAD_MAN_SECONDS.contains(seconds) {
                vec![
                    ("type", "ACTIVATE".into()),
                    ("timeOut", seconds.to_string()),
                ]
            } else {
                return Err(ExchangeError::OutOfRange {
                    venue: "bingx",
                    what: format!("a dead-man timeout of 10 to 120 s (or 0), not {seconds}"),
                });
            };
            with_query(
                Method::Post,
                "/openApi/spot/v1/trade/cancelAllAfter",
                &pairs,
                true,
            )
        }
        Op::OpenOrders { segment, .. } => {
            let path = match product(segment)? {
                Product::Spot => "/openApi/spot/v1/trade/openOrders",
                Product::Swap => "/openApi/swap/v2/trade/openOrders",
                Product::Cswap => "/openApi/cswap/v1/trade/openOrders",
            };
            Request::get(path, String::new())
        }
        Op::Orders {
            segment,
            window,
            cursor,
        } => history(product(segment)?, window, cursor.as_deref())?,
        Op::Balances => Request::get("/openApi/spot/v1/account/balance", String::new()),
        Op::Withdrawals { window, cursor } => Request::get(
            "/openApi/api/v3/capital/withdraw/history",
            query(&[
                ("startTime", window.start_ms.to_string()),
                ("endTime", window.end_ms.to_string()),
                ("offset", offset(cursor.as_deref()).to_string()),
                ("limit", WITHDRAW_PAGE.to_string()),
            ]),
        ),
        Op::PlaceOrder(order) => {
            order.plain("bingx")?;
            let product = product(&order.segment)?;
            let mut pairs: Vec<(&str, String)> = vec![
                ("symbol", order.symbol.clone()),
                (
                    "side",
                    match order.side {
                        Side::Buy => "BUY",
                        Side::Sell => "SELL",
                    }
                    .into(),
                ),
            ];
            if product != Product::Spot {
                pairs.push(("positionSide", "BOTH".into()));
            }
            match order.kind {
                OrderKind::Limit { price } => {
                    pairs.push(("type", "LIMIT".into()));
                    pairs.push(("price", crate::exchanges::decode::decimal(price)));
                }
                OrderKind::Market => pairs.push(("type", "MARKET".into())),
            }
            let qty = crate::exchanges::decode::decimal(order.qty);
            match (order.unit, product) {
                (QtyUnit::Base, _) => pairs.push(("quantity", qty)),
                (QtyUnit::Quote, Product::Spot) => pairs.push(("quoteOrderQty", qty)),
                (QtyUnit::Quote, _) => {
                    return Err(ExchangeError::Unsupported {
                        venue: "bingx",
                        op: "place_order (a perpetual sized in the quote coin)",
                    });
                }
            }
            if matches!(order.kind, OrderKind::Limit { .. }) {
                let tif = match order.time_in_force {
                    TimeInForce::Gtc => "GTC",
                    TimeInForce::Ioc => "IOC",
                    TimeInForce::Fok => "FOK",
                    TimeInForce::PostOnly => "PostOnly",
                };
                pairs.push(("timeInForce", tif.into()));
            }
            if order.reduce_only {
                if product == Product::Spot {
                    return Err(ExchangeError::Unsupported {
                        venue: "bingx",
                        op: "place_order (reduce-only on spot)",
                    });
                }
                pairs.push(("reduceOnly", "true".into()));
            }
            if let Some(id) = &order.client_order_id {
                let name = match product {
                    Product::Spot => "newClientOrderId",
                    Product::Swap | Product::Cswap => "clientOrderId",
                };
                pairs.push((name, id.clone()));
            }
            let path = match product {
                Product::Spot => "/openApi/spot/v1/trade/order",
                Product::Swap => "/openApi/swap/v2/trade/order",
                Product::Cswap => "/openApi/cswap/v1/trade/order",
            };
            with_query(Method::Post, path, &pairs, true)
        }
        Op::CancelOrder {
            segment,
            symbol,
            order_id,
        } => {
            let pairs = [("symbol", symbol.clone()), ("orderId", order_id.clone())];
            match product(segment)? {
                Product::Spot => {
                    with_query(Method::Post, "/openApi/spot/v1/trade/cancel", &pairs, true)
                }
                Product::Swap => {
                    with_query(Method::Delete, "/openApi/swap/v2/trade/order", &pairs, true)
                }
                Product::Cswap => with_query(
                    Method::Delete,
                    "/openApi/cswap/v1/trade/cancelOrder",
                    &pairs,
                    true,
                ),
            }
        }
        // A listen key for the private stream, good for an hour (docs/venues/bingx.md §12): the
        // docs' example sends only the key's header; it goes signed like every other call, which
        // the endpoint's documented timestamp errors suggest it checks.
        Op::StreamToken { .. } => with_query(Method::Post, LISTEN_KEY, &[], false),
        Op::Withdraw {
            coin,
            amount,
            address,
        } => with_query(
            Method::Post,
            "/openApi/wallets/v1/capital/withdraw/apply",
            &[
                ("coin", coin.clone()),
                ("address", address.clone()),
                ("amount", amount.clone()),
                // 15: the spot account, whose balances lockdown reads.
                ("walletType", "15".into()),
            ],
            true,
        ),
        Op::RevokeKey(Revoke::SelfSub | Revoke::SelfMaster)
        | Op::Fills { .. }
        | Op::Transfers { .. }
        | Op::AmendOrder { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bingx",
                op: op.name(),
            });
        }
    })
}

/// `apiKey/edit`: the IP list the lock gives, the note kept, and the permissions kept (or read
/// only, `2`). `note` and `permissions` are required, so they come from the lookup.
fn restrict(
    key: &KeyId,
    account: Option<&str>,
    lock: &Lock,
    call: &CallContext<'_>,
) -> Result<Request, ExchangeError> {
    let uid = sub_uid(account)?;
    let (note, codes) = listed(call, key)?;
    let codes: Vec<u64> = match lock.access {
        Access::ReadOnly => vec![2],
        // The edit's permission list has no withdraw (5): a lock never adds one either.
        Access::Unchanged => codes.into_iter().filter(|c| *c != 5).collect(),
    };
    Ok(json_post(
        "/openApi/subAccount/v1/apiKey/edit",
        json!({
            "subUid": uid,
            "apiKey": key.as_str(),
            "note": note,
            "permissions": codes,
            "ipAddresses": lock.ips.to_strings(),
        }),
    ))
}

/// The offset (withdrawals) or page index (spot history) a cursor names.
pub fn offset(cursor: Option<&str>) -> usize {
    cursor.and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// One history call: spot by page inside the window; the perpetuals by `limit`, the window's
/// end moved before the oldest row seen (the cursor, in ms).
fn history(
    product: Product,
    window: &Window,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    Ok(match product {
        Product::Spot => Request::get(
            "/openApi/spot/v1/trade/historyOrders",
            query(&[
                ("startTime", window.start_ms.to_string()),
                ("endTime", window.end_ms.to_string()),
                ("pageIndex", offset(cursor).max(1).to_string()),
                ("pageSize", SPOT_PAGE.to_string()),
            ]),
        ),
        Product::Swap | Product::Cswap => {
            let end = cursor
                .and_then(|c| c.parse::<i64>().ok())
                .unwrap_or(window.end_ms);
            let path = if product == Product::Swap {
                "/openApi/swap/v2/trade/allOrders"
            } else {
                "/openApi/cswap/v1/trade/orderHistory"
            };
            Request::get(
                path,
                query(&[
                    ("startTime", window.start_ms.to_string()),
                    ("endTime", end.to_string()),
                    ("limit", SWAP_PAGE.to_string()),
                ]),
            )
        }
    })
}
