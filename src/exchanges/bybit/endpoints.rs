//! Op -> Bybit V5 request: paths and parameters (docs/venues/bybit.md §4–§6).
//!
//! Query strings are built in a fixed (alphabetical) order and percent-encoded, and the signer
//! signs exactly that string; POST bodies are compact JSON with sorted keys.

use serde_json::{Value, json};

use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Segment, Side, TradePermission};
use crate::exchanges::{ExchangeError, Op, OrderKind, QtyUnit, Request, Revoke, Window};
use crate::percent;

/// Page size asked for; the largest each endpoint allows (docs/venues/bybit.md §6).
const ORDER_PAGE: u32 = 50;
const FILL_PAGE: u32 = 100;
const TRANSFER_PAGE: u32 = 50;
const KEY_PAGE: u32 = 20;

/// Builds the request for an operation.
pub fn encode(op: &Op) -> Result<Request, ExchangeError> {
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
            if lock.access == Access::ReadOnly {
                body.insert("readOnly".into(), json!(1));
            }
            Request::post("/v5/user/update-sub-api", Value::Object(body).to_string())
        }
        Op::RevokeKey(Revoke::ByMaster { key, .. }) => Request::post(
            "/v5/user/delete-sub-api",
            json!({ "apikey": key.as_str() }).to_string(),
        ),
        Op::RevokeKey(Revoke::SelfSub) => Request::post("/v5/user/delete-sub-api", "{}".to_owned()),
        Op::RevokeKey(Revoke::SelfMaster) => Request::post("/v5/user/delete-api", "{}".to_owned()),
        Op::CreateKey {
            account,
            label,
            scope,
        } => {
            let subuid: u64 = account
                .trim()
                .parse()
                .map_err(|_| ExchangeError::Protocol {
                    detail: format!("Bybit sub-account ids are numbers (UIDs); got `{account}`"),
                })?;
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
            if let Some(settle) = segment.settle {
                body.insert("settleCoin".into(), json!(settle));
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
            let mut q = segment_query(segment);
            q.cursor(cursor.as_deref());
            add_window(&mut q, window);
            q.add("limit", Some(&FILL_PAGE.to_string()));
            Request::get("/v5/execution/list", q.finish())
        }
        Op::Balances => Request::get("/v5/account/wallet-balance", "accountType=UNIFIED".into()),
        Op::Withdrawals { window, cursor } => {
            let mut q = Query::default();
            q.cursor(cursor.as_deref());
            add_window(&mut q, window);
            q.add("limit", Some(&TRANSFER_PAGE.to_string()));
            q.add("withdrawType", Some("2"));
            Request::get("/v5/asset/withdraw/query-record", q.finish())
        }
        Op::PlaceOrder(order) => {
            order.plain("bybit")?;
            let mut body = serde_json::Map::new();
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
        Op::Withdraw {
            coin,
            amount,
            address,
        } => Request::post(
            "/v5/asset/withdraw/create",
            json!({
                "coin": coin, "chain": "ETH", "address": address, "amount": amount,
                "forceChain": 0, "accountType": "UNIFIED",
            })
            .to_string(),
        ),
        // Bybit has no security-log API (docs/venues/README.md §1).
        Op::AccessLog { .. } | Op::WalletBalances { .. } | Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bybit",
                op: op.name(),
            });
        }
        Op::Transfers { window, cursor } => {
            let mut q = Query::default();
            q.cursor(cursor.as_deref());
            add_window(&mut q, window);
            q.add("limit", Some(&TRANSFER_PAGE.to_string()));
            Request::get(
                "/v5/asset/transfer/query-universal-transfer-list",
                q.finish(),
            )
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

fn segment_query(segment: &Segment) -> Query {
    let mut q = Query::default();
    q.add("category", Some(category(segment.category)));
    q.add("settleCoin", segment.settle);
    q
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
            Some(r#"{"apikey":"BOTKEY","ips":"127.0.0.1"}"#)
        );
        assert!(req.mutating);
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
}
