//! Op -> Bitget classic (V2) request: paths and parameters (docs/venues/bitget.md §4–§6).
//!
//! Query strings are built with their keys in ascending order (what Bitget's own SDK sends, and
//! what one mirrored copy of the signing page asks for) and percent-encoded; the signer signs
//! exactly that string. POST bodies are compact JSON. Every futures call names its
//! `productType`, carried by the segment. Paginated reads send `idLessThan` (the smallest id of
//! the previous page, from the op's cursor) and `limit=100`; history windows go in
//! `startTime`/`endTime`, at most 90 days apart.
//!
//! Key management names the sub-account by its UID (`subAccountUid`, the profile's `account:`);
//! a lock or create without it is refused here, before anything is sent. Bitget requires a
//! `passphrase` and a `label` on every modify. Whether the modify's passphrase must equal the
//! key's or sets a new one, the docs do not say (docs/venues/bitget.md §10): the adapter sends
//! one of its own, derived for the key ([`passphrase::for_key`]), letters and digits as Bitget
//! asks.

use serde_json::{Value, json};

use super::passphrase;
use crate::exchanges::decode::decimal;
use crate::exchanges::model::{Access, Category, KeyScope, Segment, Side, TradePermission};
use crate::exchanges::{
    ExchangeError, NewOrder, Op, OrderKind, QtyUnit, Request, Revoke, TimeInForce, Window,
};
use crate::percent;

/// The spot segment's name.
pub const SPOT: &str = "SPOT";
/// USDT-margined futures.
pub const USDT_FUTURES: &str = "USDT-FUTURES";
/// USDC-margined futures.
pub const USDC_FUTURES: &str = "USDC-FUTURES";
/// Coin-margined (inverse) futures.
pub const COIN_FUTURES: &str = "COIN-FUTURES";

/// Page size asked for: the most the V2 list endpoints give (docs/venues/bitget.md §6).
pub const PAGE: usize = 100;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The widest `startTime`–`endTime` span a history call takes (docs/venues/bitget.md §6).
pub const MAX_WINDOW_MS: i64 = 90 * DAY_MS;

/// The label a locked key is given: Bitget's modify requires one (at most 20 characters), and
/// it tells a person in the web interface which key lockdown locked.
pub const LOCKED_LABEL: &str = "lockdown-locked";

/// The longest label Bitget takes (docs/venues/bitget.md §4).
const MAX_LABEL: usize = 20;

/// The venue's name for a market: `BTCUSDT` for spot and USDT-M, `BTCPERP` for USDC-M, `BTCUSD`
/// for coin-M (docs/venues/bitget.md §1).
pub fn symbol(category: Category, base: &str, quote: &str) -> String {
    match category {
        Category::Linear if quote == "USDC" => format!("{base}PERP"),
        Category::Inverse => format!("{base}USD"),
        _ => format!("{base}{quote}"),
    }
}

/// The futures `productType` of a segment; `None` for spot.
pub fn product_type(segment: &Segment) -> Option<&'static str> {
    match segment.settle {
        Some(SPOT) => None,
        Some(USDT_FUTURES) => Some(USDT_FUTURES),
        Some(USDC_FUTURES) => Some(USDC_FUTURES),
        Some(COIN_FUTURES) => Some(COIN_FUTURES),
        _ => match segment.category {
            Category::Spot | Category::Option => None,
            Category::Linear => Some(USDT_FUTURES),
            Category::Inverse => Some(COIN_FUTURES),
        },
    }
}

/// The product type a futures symbol trades in, when the segment does not say.
fn product_of(segment: &Segment, symbol: &str) -> Option<&'static str> {
    match (product_type(segment), segment.settle) {
        (Some(USDT_FUTURES), None) if symbol.ends_with("PERP") => Some(USDC_FUTURES),
        (pt, _) => pt,
    }
}

/// The margin coin of a futures order: the product type's coin, or the base coin for coin-M.
fn margin_coin(product: &str, symbol: &str) -> String {
    match product {
        USDC_FUTURES => "USDC".to_owned(),
        COIN_FUTURES => symbol.strip_suffix("USD").unwrap_or(symbol).to_owned(),
        _ => "USDT".to_owned(),
    }
}

fn unsupported(op: &'static str) -> ExchangeError {
    ExchangeError::Unsupported {
        venue: "bitget",
        op,
    }
}

/// Builds the request for an operation.
pub fn encode(op: &Op, _now_ms: i64) -> Result<Request, ExchangeError> {
    Ok(match op {
        Op::ServerTime => Request::get("/api/v2/public/time", String::new()),
        Op::WhoAmI => Request::get("/api/v2/spot/account/info", String::new()),
        Op::SubKeys { account, .. } => {
            let mut q = Query::default();
            q.add("subAccountUid", Some(sub_account(Some(account))?));
            Request::get("/api/v2/user/virtual-subaccount-apikey-list", q.finish())
        }
        Op::RestrictKey { key, account, lock } => {
            let uid = sub_account(account.as_deref())?;
            let phrase = passphrase::for_key(uid, key.as_str());
            let mut body = serde_json::Map::new();
            body.insert("subAccountUid".into(), json!(uid));
            body.insert("subAccountApiKey".into(), json!(key.as_str()));
            body.insert("passphrase".into(), json!(phrase));
            body.insert("label".into(), json!(LOCKED_LABEL));
            body.insert("ipList".into(), json!(lock.ips.to_strings()));
            // Omitted, `permList` keeps the key's rights (the newer docs), so the locked key
            // can still cancel; `read` alone when the lock also takes trading away.
            if lock.access == Access::ReadOnly {
                body.insert("permList".into(), json!(["read"]));
            }
            Request::post(
                "/api/v2/user/modify-virtual-subaccount-apikey",
                Value::Object(body).to_string(),
            )
        }
        // docs/venues/bitget.md §4: no V2 endpoint deletes a key (`Support::Manual`).
        Op::RevokeKey(Revoke::ByMaster { .. } | Revoke::SelfSub | Revoke::SelfMaster) => {
            return Err(unsupported("revoke_key"));
        }
        Op::FreezeAccount { account } => Request::post(
            "/api/v2/user/modify-virtual-subaccount",
            json!({
                "subAccountUid": sub_account(Some(account))?,
                "permList": ["read"],
                "status": "freeze",
            })
            .to_string(),
        ),
        Op::CreateKey {
            account,
            label,
            scope,
        } => {
            let uid = sub_account(Some(account))?;
            let label = short_label(label);
            Request::post(
                "/api/v2/user/create-virtual-subaccount-apikey",
                json!({
                    "subAccountUid": uid,
                    "passphrase": passphrase::for_new_key(uid, &label),
                    "label": label,
                    "ipList": scope.ips.to_strings(),
                    "permList": perm_list(scope),
                })
                .to_string(),
            )
        }
        Op::CancelAll { .. } => return Err(unsupported("cancel_all (per symbol only)")),
        Op::CancelAfter { .. } => return Err(unsupported("cancel_after")),
        Op::CancelBatch { segment, orders } => {
            let first = orders.first().ok_or_else(|| ExchangeError::Protocol {
                detail: "a Bitget cancel names at least one symbol".to_owned(),
            })?;
            match product_of(segment, &first.symbol) {
                None => Request::post(
                    "/api/v2/spot/trade/cancel-symbol-order",
                    json!({ "symbol": first.symbol }).to_string(),
                ),
                Some(product) => Request::post(
                    "/api/v2/mix/order/cancel-all-orders",
                    json!({ "productType": product }).to_string(),
                ),
            }
        }
        Op::OpenOrders { segment, cursor } => match product_type(segment) {
            None => Request::get(
                "/api/v2/spot/trade/unfilled-orders",
                page(None, None, cursor.as_deref()),
            ),
            Some(product) => Request::get(
                "/api/v2/mix/order/orders-pending",
                page(Some(product), None, cursor.as_deref()),
            ),
        },
        Op::Orders {
            segment,
            window,
            cursor,
        } => match product_type(segment) {
            None => Request::get(
                "/api/v2/spot/trade/history-orders",
                page(None, Some(window), cursor.as_deref()),
            ),
            Some(product) => Request::get(
                "/api/v2/mix/order/orders-history",
                page(Some(product), Some(window), cursor.as_deref()),
            ),
        },
        Op::Fills {
            segment,
            window,
            cursor,
        } => match product_type(segment) {
            None => Request::get(
                "/api/v2/spot/trade/fills",
                page(None, Some(window), cursor.as_deref()),
            ),
            Some(product) => Request::get(
                "/api/v2/mix/order/fill-history",
                page(Some(product), Some(window), cursor.as_deref()),
            ),
        },
        Op::Balances => Request::get("/api/v2/spot/account/assets", String::new()),
        Op::Withdrawals { window, cursor } => Request::get(
            "/api/v2/spot/wallet/withdrawal-records",
            page(None, Some(window), cursor.as_deref()),
        ),
        Op::Transfers { window, cursor } => Request::get(
            "/api/v2/spot/account/sub-main-trans-record",
            page(None, Some(window), cursor.as_deref()),
        ),
        Op::PlaceOrder(order) => place(order)?,
        Op::CancelOrder {
            segment,
            symbol,
            order_id,
        } => match product_of(segment, symbol) {
            None => Request::post(
                "/api/v2/spot/trade/cancel-order",
                json!({ "symbol": symbol, "orderId": order_id }).to_string(),
            ),
            Some(product) => Request::post(
                "/api/v2/mix/order/cancel-order",
                json!({ "symbol": symbol, "productType": product, "orderId": order_id })
                    .to_string(),
            ),
        },
        Op::AmendOrder {
            segment,
            symbol,
            order_id,
            qty,
            price,
        } => {
            let (Some(qty), Some(price)) = (qty, price) else {
                return Err(unsupported(
                    "amend_order (Bitget replaces with both size and price)",
                ));
            };
            match product_of(segment, symbol) {
                None => Request::post(
                    "/api/v2/spot/trade/cancel-replace-order",
                    json!({
                        "symbol": symbol, "orderId": order_id,
                        "price": decimal(*price), "size": decimal(*qty),
                    })
                    .to_string(),
                ),
                Some(product) => Request::post(
                    "/api/v2/mix/order/modify-order",
                    json!({
                        "symbol": symbol, "productType": product,
                        "marginCoin": margin_coin(product, symbol), "orderId": order_id,
                        "newClientOid": format!("amend{order_id}"),
                        "newPrice": decimal(*price), "newSize": decimal(*qty),
                    })
                    .to_string(),
                ),
            }
        }
        Op::Withdraw {
            coin,
            amount,
            address,
        } => Request::post(
            "/api/v2/spot/wallet/withdrawal",
            json!({
                "coin": coin, "transferType": "on_chain", "address": address,
                "chain": "ERC20", "size": amount,
            })
            .to_string(),
        ),
        Op::WalletBalances { .. }
        | Op::AccessLog { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(unsupported(op.name()));
        }
    })
}

/// `place-order` for spot or futures (docs/venues/bitget.md §5). Spot market buys are sized in
/// the quote coin, everything else in the base coin; trigger orders are not placed (plan orders
/// are not covered).
fn place(order: &NewOrder) -> Result<Request, ExchangeError> {
    if order.trigger.is_some() {
        return Err(unsupported("place_order (plan order)"));
    }
    let side = match order.side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    };
    let (order_type, price) = match order.kind {
        OrderKind::Limit { price } => ("limit", Some(decimal(price))),
        OrderKind::Market => ("market", None),
    };
    let force = match order.time_in_force {
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
        TimeInForce::PostOnly => "post_only",
    };
    let mut body = serde_json::Map::new();
    body.insert("symbol".into(), json!(order.symbol));
    body.insert("side".into(), json!(side));
    body.insert("orderType".into(), json!(order_type));
    body.insert("force".into(), json!(force));
    body.insert("size".into(), json!(decimal(order.qty)));
    if let Some(price) = price {
        body.insert("price".into(), json!(price));
    }
    if let Some(id) = &order.client_order_id {
        body.insert("clientOid".into(), json!(id));
    }
    let path = match product_of(&order.segment, &order.symbol) {
        None => {
            let market_buy = order.side == Side::Buy && order.kind == OrderKind::Market;
            if market_buy != (order.unit == QtyUnit::Quote) && order.kind == OrderKind::Market {
                return Err(unsupported(
                    "place_order (Bitget sizes spot market buys in the quote coin, sells in the base coin)",
                ));
            }
            "/api/v2/spot/trade/place-order"
        }
        Some(product) => {
            if order.unit == QtyUnit::Quote {
                return Err(unsupported("place_order (futures sized in the quote coin)"));
            }
            body.insert("productType".into(), json!(product));
            body.insert("marginMode".into(), json!("crossed"));
            body.insert(
                "marginCoin".into(),
                json!(margin_coin(product, &order.symbol)),
            );
            if order.reduce_only {
                body.insert("reduceOnly".into(), json!("YES"));
            }
            "/api/v2/mix/order/place-order"
        }
    };
    Ok(Request::post(path, Value::Object(body).to_string()))
}

/// A paged query: `endTime`, `idLessThan`, `limit`, `productType`, `startTime`, in key order.
fn page(product: Option<&str>, window: Option<&Window>, cursor: Option<&str>) -> String {
    let mut q = Query::default();
    q.add("endTime", window.map(|w| w.end_ms.to_string()).as_deref());
    q.add("idLessThan", cursor);
    q.add("limit", Some(&PAGE.to_string()));
    q.add("productType", product);
    q.add(
        "startTime",
        window.map(|w| w.start_ms.to_string()).as_deref(),
    );
    q.finish()
}

/// The sub-account a key-management request names: its UID, digits only.
pub fn sub_account(account: Option<&str>) -> Result<&str, ExchangeError> {
    let needs = |got: String| ExchangeError::NeedsInput {
        venue: "bitget",
        what: format!("the key's sub-account UID (digits, such as `1000002`){got}"),
    };
    match account.map(str::trim) {
        None | Some("") => Err(needs(String::new())),
        Some(uid) if uid.chars().all(|c| c.is_ascii_digit()) => Ok(uid),
        Some(other) => Err(needs(format!("; `{other}` is not one"))),
    }
}

/// A label Bitget takes: at most 20 characters.
pub(super) fn short_label(label: &str) -> String {
    label.chars().take(MAX_LABEL).collect()
}

/// A replacement key's `permList`: the trading rights asked for, `read` when none is.
fn perm_list(scope: &KeyScope) -> Vec<&'static str> {
    let mut perms = Vec::new();
    if scope.trade.contains(&TradePermission::SpotTrade) {
        perms.push("spot_trade");
    }
    if scope.trade.contains(&TradePermission::ContractTrade) {
        perms.push("contract_trade");
    }
    if perms.is_empty() {
        perms.push("read");
    }
    perms
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
    use crate::exchanges::OrderRef;
    use crate::exchanges::model::{IpWhitelist, Lock};
    use crate::secret::KeyId;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn lock_binds_to_the_responder_and_keeps_the_rights() {
        let op = Op::RestrictKey {
            account: Some("1000002".into()),
            key: KeyId::new("bg_bot"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op, NOW).unwrap();
        assert_eq!(req.path, "/api/v2/user/modify-virtual-subaccount-apikey");
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["ipList"], json!(["127.0.0.1"]));
        assert_eq!(body["label"], LOCKED_LABEL);
        assert!(body.get("permList").is_none(), "kept");
        assert!(passphrase::is_valid(body["passphrase"].as_str().unwrap()));
        assert!(req.mutating);
        // The same request every time it is built (plans show what is sent).
        assert_eq!(encode(&op, NOW).unwrap().body, req.body);
    }

    #[test]
    fn key_management_needs_the_sub_account_uid() {
        for account in [None, Some(""), Some("grid-bot")] {
            let op = Op::SubKeys {
                account: account.unwrap_or_default().to_owned(),
                cursor: None,
            };
            let err = encode(&op, NOW).unwrap_err();
            assert!(matches!(err, ExchangeError::NeedsInput { .. }), "{err:?}");
        }
    }

    #[test]
    fn cancels_go_per_symbol_on_spot_and_per_product_type_on_futures() {
        let refs = |symbol: &str| {
            vec![OrderRef {
                symbol: symbol.into(),
                order_id: "1".into(),
            }]
        };
        let spot = encode(
            &Op::CancelBatch {
                segment: Segment {
                    category: Category::Spot,
                    settle: Some(SPOT),
                },
                orders: refs("XVGUSDT"),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(spot.path, "/api/v2/spot/trade/cancel-symbol-order");
        assert_eq!(spot.body.as_deref(), Some(r#"{"symbol":"XVGUSDT"}"#));
        let coin = encode(
            &Op::CancelBatch {
                segment: Segment {
                    category: Category::Inverse,
                    settle: Some(COIN_FUTURES),
                },
                orders: refs("BTCUSD"),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(coin.path, "/api/v2/mix/order/cancel-all-orders");
        assert_eq!(
            coin.body.as_deref(),
            Some(r#"{"productType":"COIN-FUTURES"}"#)
        );
    }

    #[test]
    fn pages_and_windows() {
        let req = encode(
            &Op::Orders {
                segment: Segment {
                    category: Category::Linear,
                    settle: Some(USDT_FUTURES),
                },
                window: Window {
                    start_ms: 1,
                    end_ms: 2,
                },
                cursor: Some("99".into()),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(
            req.path_and_query(),
            "/api/v2/mix/order/orders-history?endTime=2&idLessThan=99&limit=100&productType=USDT-FUTURES&startTime=1"
        );
    }

    #[test]
    fn orders_are_sized_as_bitget_asks() {
        let order = |side, kind, unit, segment: Segment| NewOrder {
            segment,
            symbol: "BTCUSDT".into(),
            side,
            kind,
            qty: 0.5,
            unit,
            trigger: None,
            client_order_id: Some("c1".into()),
            time_in_force: TimeInForce::Gtc,
            reduce_only: false,
        };
        let spot = Segment {
            category: Category::Spot,
            settle: None,
        };
        let buy = place(&order(Side::Buy, OrderKind::Market, QtyUnit::Quote, spot)).unwrap();
        assert_eq!(buy.path, "/api/v2/spot/trade/place-order");
        assert!(place(&order(Side::Buy, OrderKind::Market, QtyUnit::Base, spot)).is_err());
        assert!(place(&order(Side::Sell, OrderKind::Market, QtyUnit::Quote, spot)).is_err());
        let linear = Segment {
            category: Category::Linear,
            settle: None,
        };
        let fut = place(&order(
            Side::Sell,
            OrderKind::Limit { price: 70_000.0 },
            QtyUnit::Base,
            linear,
        ))
        .unwrap();
        let body: Value = serde_json::from_str(fut.body.as_deref().unwrap()).unwrap();
        assert_eq!(fut.path, "/api/v2/mix/order/place-order");
        assert_eq!(body["productType"], USDT_FUTURES);
        assert_eq!(body["marginCoin"], "USDT");
        assert_eq!(body["price"], "70000");
    }
}
