//! Op -> BitMEX REST request (docs/venues/bitmex.md §4–§6).
//!
//! Every path is under `/api/v1`. Reads are GETs with their parameters in the query; writes send
//! a JSON body without spaces (the bytes the signer signs). Tables page by offset: `count`
//! rows from `start`, newest first (`reverse=true`), inside `startTime`/`endTime`; the cursor is
//! the next offset. `DELETE /order/all` and `GET /order` cover every product of the account at
//! once (derivatives and spot), so the account is one segment. `targetAccountIds` (paired
//! accounts) is not sent: what it needs of the signing key is not settled
//! (docs/venues/bitmex.md §10), and a refused cancel-all would leave the orders.

use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use crate::exchanges::model::Side;
use crate::exchanges::{
    CallContext, ExchangeError, Method, Op, OrderKind, QtyUnit, Request, TimeInForce, Window,
};
use crate::percent;

/// The API's base path.
pub const BASE: &str = "/api/v1";

/// Rows asked for per page of a table.
pub const PAGE: usize = 500;

/// Rows asked for per page of `walletHistory` (at most 10,000, docs/venues/bitmex.md §6).
pub const WALLET_PAGE: usize = 1000;

/// The longest dead-man timeout sent, in seconds: BitMEX documents none; a day is the most any
/// playbook needs.
const MAX_DEAD_MAN_SECONDS: u32 = 86_400;

fn path(rest: &str) -> String {
    format!("{BASE}{rest}")
}

/// The offset a cursor names (0 for the first page).
pub fn offset(cursor: Option<&str>) -> usize {
    cursor.and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// A query string from pairs, each value percent-encoded, in the order given.
fn query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A table read: `count`, `start`, newest first, within the window.
fn table(rest: &str, extra: &[(&str, String)], window: &Window, cursor: Option<&str>) -> Request {
    let mut pairs: Vec<(&str, String)> = extra.to_vec();
    pairs.push(("count", PAGE.to_string()));
    pairs.push(("start", offset(cursor).to_string()));
    pairs.push(("reverse", "true".to_owned()));
    pairs.push(("startTime", crate::clock::rfc3339_ms(window.start_ms)));
    pairs.push(("endTime", crate::clock::rfc3339_ms(window.end_ms)));
    Request::get(&path(rest), query(&pairs))
}

fn write(method: Method, rest: &str, body: Value) -> Request {
    Request {
        method,
        path: path(rest),
        query: String::new(),
        body: Some(body.to_string()),
        mutating: true,
    }
}

/// Builds the request for `op`.
pub fn encode(op: &Op, _call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    Ok(match op {
        // The API's root answers with the server's `timestamp` (docs/venues/bitmex.md §7).
        Op::ServerTime => Request::get(BASE, String::new()),
        // The account's keys; the signing key is one of them (docs/venues/bitmex.md §4).
        Op::WhoAmI => Request::get(&path("/apiKey"), String::new()),
        Op::CancelAll { .. } => Request {
            method: Method::Delete,
            path: path("/order/all"),
            query: String::new(),
            body: None,
            mutating: true,
        },
        Op::CancelAfter { seconds } => {
            if *seconds > MAX_DEAD_MAN_SECONDS {
                return Err(ExchangeError::OutOfRange {
                    venue: "bitmex",
                    what: format!(
                        "a dead-man timeout of at most {MAX_DEAD_MAN_SECONDS} s, not {seconds}"
                    ),
                });
            }
            write(
                Method::Post,
                "/order/cancelAllAfter",
                json!({ "timeout": u64::from(*seconds) * 1000 }),
            )
        }
        Op::OpenOrders { cursor, .. } => {
            let pairs = [
                ("filter", r#"{"open":true}"#.to_owned()),
                ("count", PAGE.to_string()),
                ("start", offset(cursor.as_deref()).to_string()),
                ("reverse", "true".to_owned()),
            ];
            Request::get(&path("/order"), query(&pairs))
        }
        Op::Orders { window, cursor, .. } => table("/order", &[], window, cursor.as_deref()),
        Op::Fills { window, cursor, .. } => {
            table("/execution/tradeHistory", &[], window, cursor.as_deref())
        }
        Op::Balances => Request::get(&path("/user/wallet"), query(&[("currency", "all".into())])),
        // Deposits, withdrawals and transfers are one history; the decoder keeps the kind asked
        // for inside the window (`walletHistory` takes no time bounds).
        Op::Withdrawals { cursor, .. } | Op::Transfers { cursor, .. } => Request::get(
            &path("/user/walletHistory"),
            query(&[
                ("currency", "all".into()),
                ("count", WALLET_PAGE.to_string()),
                ("start", offset(cursor.as_deref()).to_string()),
                ("reverse", "true".into()),
            ]),
        ),
        Op::PlaceOrder(order) => {
            order.plain("bitmex")?;
            let mut body = Map::new();
            body.insert("symbol".into(), Value::from(order.symbol.clone()));
            body.insert(
                "side".into(),
                Value::from(match order.side {
                    Side::Buy => "Buy",
                    Side::Sell => "Sell",
                }),
            );
            if order.unit == QtyUnit::Quote {
                // BitMEX sizes every order in contracts or the base coin.
                return Err(ExchangeError::Unsupported {
                    venue: "bitmex",
                    op: "place_order (sized in the quote coin)",
                });
            }
            body.insert("orderQty".into(), number(order.qty));
            match order.kind {
                OrderKind::Limit { price } => {
                    body.insert("ordType".into(), Value::from("Limit"));
                    body.insert("price".into(), number(price));
                }
                OrderKind::Market => {
                    body.insert("ordType".into(), Value::from("Market"));
                }
            }
            let mut exec = Vec::new();
            match order.time_in_force {
                TimeInForce::Gtc => {}
                TimeInForce::Ioc => {
                    body.insert("timeInForce".into(), Value::from("ImmediateOrCancel"));
                }
                TimeInForce::Fok => {
                    body.insert("timeInForce".into(), Value::from("FillOrKill"));
                }
                TimeInForce::PostOnly => exec.push("ParticipateDoNotInitiate"),
            }
            if order.reduce_only {
                exec.push("ReduceOnly");
            }
            if !exec.is_empty() {
                body.insert("execInst".into(), Value::from(exec.join(",")));
            }
            if let Some(id) = &order.client_order_id {
                body.insert("clOrdID".into(), Value::from(id.clone()));
            }
            write(Method::Post, "/order", Value::Object(body))
        }
        Op::AmendOrder {
            order_id,
            qty,
            price,
            ..
        } => {
            let mut body = Map::new();
            body.insert("orderID".into(), Value::from(order_id.clone()));
            if let Some(qty) = qty {
                body.insert("orderQty".into(), number(*qty));
            }
            if let Some(price) = price {
                body.insert("price".into(), number(*price));
            }
            write(Method::Put, "/order", Value::Object(body))
        }
        Op::CancelOrder { order_id, .. } => {
            write(Method::Delete, "/order", json!({ "orderID": order_id }))
        }
        Op::Withdraw {
            coin,
            amount,
            address,
        } => {
            // `amount` counts the currency's minor unit (satoshis for XBt).
            // Scaled as a decimal (no float rounding), then to whole minor units.
            let (currency, places) = super::names::wallet_currency_scaled(coin);
            let minor = crate::exchanges::model::decimal(amount)
                .and_then(|whole| {
                    whole.checked_mul(rust_decimal::Decimal::from(10i64.checked_pow(places)?))
                })
                .and_then(|minor| {
                    minor
                        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                        .to_i64()
                })
                .ok_or_else(|| ExchangeError::OutOfRange {
                    venue: "bitmex",
                    what: format!(
                        "a withdrawal amount as a number of {currency} that fits, not `{amount}`"
                    ),
                })?;
            write(
                Method::Post,
                "/user/requestWithdrawal",
                json!({
                    "currency": currency,
                    "amount": minor,
                    "address": address,
                }),
            )
        }
        Op::SubKeys { .. }
        | Op::RestrictKey { .. }
        | Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CreateKey { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. }
        | Op::StreamToken { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "bitmex",
                op: op.name(),
            });
        }
    })
}

/// A quantity or price as a JSON number, as BitMEX's examples write them.
fn number(value: f64) -> Value {
    let text = crate::exchanges::decode::decimal(value);
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Category, Segment};
    use crate::exchanges::{NewOrder, VenueSettings};

    fn call() -> CallContext<'static> {
        static SETTINGS: std::sync::LazyLock<VenueSettings> =
            std::sync::LazyLock::new(VenueSettings::default);
        CallContext {
            now_ms: 0,
            nonce: "",
            session: None,
            tfa: None,
            settings: &SETTINGS,
            subject: None,
            lookup: None,
            known: &[],
        }
    }

    fn account() -> Segment {
        super::super::SEGMENTS[0]
    }

    /// A withdrawal's amount in whole coins becomes whole minor units, scaled as a decimal.
    #[test]
    fn withdrawal_amounts_are_minor_units() {
        for (amount, minor) in [("0.29", 29_000_000), ("0.000000015", 2), ("1e-8", 1)] {
            let op = Op::Withdraw {
                coin: "BTC".into(),
                amount: amount.into(),
                address: "bc1qowner".into(),
            };
            let request = encode(&op, &call()).unwrap();
            let body: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
            assert_eq!(body["currency"], "XBt", "{amount}");
            assert_eq!(body["amount"], minor, "{amount}");
        }
        let op = Op::Withdraw {
            coin: "BTC".into(),
            amount: "lots".into(),
            address: "bc1qowner".into(),
        };
        assert!(matches!(
            encode(&op, &call()),
            Err(ExchangeError::OutOfRange { .. })
        ));
    }

    #[test]
    fn containment_is_cancel_all_and_the_dead_man_in_ms() {
        let cancel = encode(&Op::CancelAll { segment: account() }, &call()).unwrap();
        assert_eq!(
            (cancel.method, cancel.path.as_str()),
            (Method::Delete, "/api/v1/order/all")
        );
        assert!(cancel.mutating && cancel.body.is_none());
        let arm = encode(&Op::CancelAfter { seconds: 60 }, &call()).unwrap();
        assert_eq!(arm.path, "/api/v1/order/cancelAllAfter");
        assert_eq!(arm.body.as_deref(), Some(r#"{"timeout":60000}"#));
        assert!(matches!(
            encode(&Op::CancelAfter { seconds: 86_401 }, &call()),
            Err(ExchangeError::OutOfRange { .. })
        ));
    }

    #[test]
    fn reads_are_gets_with_offsets() {
        let window = Window {
            start_ms: 1_700_000_000_000,
            end_ms: 1_700_000_100_000,
        };
        let open = encode(
            &Op::OpenOrders {
                segment: account(),
                cursor: Some("500".into()),
            },
            &call(),
        )
        .unwrap();
        assert_eq!(open.path, "/api/v1/order");
        assert_eq!(
            open.query,
            "filter=%7B%22open%22%3Atrue%7D&count=500&start=500&reverse=true"
        );
        assert!(!open.mutating);
        let fills = encode(
            &Op::Fills {
                segment: account(),
                window,
                cursor: None,
            },
            &call(),
        )
        .unwrap();
        assert_eq!(fills.path, "/api/v1/execution/tradeHistory");
        assert_eq!(
            fills.query,
            "count=500&start=0&reverse=true&startTime=2023-11-14T22%3A13%3A20.000Z&endTime=2023-11-14T22%3A15%3A00.000Z"
        );
        let wallet = encode(&Op::Balances, &call()).unwrap();
        assert_eq!(wallet.path_and_query(), "/api/v1/user/wallet?currency=all");
        let who = encode(&Op::WhoAmI, &call()).unwrap();
        assert_eq!(who.path_and_query(), "/api/v1/apiKey");
    }

    #[test]
    fn orders_are_json_bodies() {
        let order = |kind, tif, reduce_only| {
            Op::PlaceOrder(NewOrder {
                segment: Segment {
                    category: Category::Inverse,
                    settle: None,
                },
                symbol: "XBTUSD".into(),
                side: Side::Buy,
                kind,
                qty: 100.0,
                unit: QtyUnit::Base,
                trigger: None,
                client_order_id: Some("mm-1".into()),
                time_in_force: tif,
                reduce_only,
            })
        };
        let limit = encode(
            &order(
                OrderKind::Limit { price: 219.5 },
                TimeInForce::PostOnly,
                true,
            ),
            &call(),
        )
        .unwrap();
        assert_eq!(
            limit.body.as_deref(),
            Some(
                r#"{"clOrdID":"mm-1","execInst":"ParticipateDoNotInitiate,ReduceOnly","ordType":"Limit","orderQty":100,"price":219.5,"side":"Buy","symbol":"XBTUSD"}"#
            )
        );
        let market = encode(&order(OrderKind::Market, TimeInForce::Fok, false), &call()).unwrap();
        assert!(
            market
                .body
                .unwrap()
                .contains(r#""timeInForce":"FillOrKill""#)
        );
        let cancel = encode(
            &Op::CancelOrder {
                segment: account(),
                symbol: "XBTUSD".into(),
                order_id: "ab-1".into(),
            },
            &call(),
        )
        .unwrap();
        assert_eq!(
            (cancel.method, cancel.body.as_deref()),
            (Method::Delete, Some(r#"{"orderID":"ab-1"}"#))
        );
    }

    #[test]
    fn key_management_is_refused_before_sending() {
        for op in [
            Op::RevokeKey(crate::exchanges::Revoke::SelfSub),
            Op::AccessLog { cursor: None },
        ] {
            assert!(matches!(
                encode(&op, &call()),
                Err(ExchangeError::Unsupported {
                    venue: "bitmex",
                    ..
                })
            ));
        }
    }
}
