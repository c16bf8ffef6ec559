//! Op -> Kraken Spot REST request: methods and parameters (docs/venues/kraken.md §4–§6).
//!
//! Every private method is a POST to `/0/private/<Method>` with a form-encoded body that starts
//! with the key's `nonce`, the other parameters following in alphabetical order (the layout of
//! Kraken's own example, docs/venues/kraken.md §3); the signer signs exactly these bytes. Reads are
//! POSTs too, so a request's `mutating` flag comes from the op, never from the method: a dry run
//! still reads. Time windows go in `start`/`end` as Unix seconds, widened by a second each way
//! because Kraken treats both as exclusive. Kraken has no API to lock, delete, create or list keys
//! (docs/venues/kraken.md §4): those ops are refused here, before anything is sent; the adapter
//! declares them manual.

use crate::exchanges::decode::decimal;
use crate::exchanges::kraken::cursor::{self, TransferPhase};
use crate::exchanges::model::Side;
use crate::exchanges::{
    CallContext, ExchangeError, Method, Op, OrderKind, QtyUnit, Request, TimeInForce, Window,
};
use crate::percent;

/// The longest dead-man timeout Kraken takes: under a day (docs/venues/kraken.md §5).
pub const MAX_DEAD_MAN_SECONDS: u32 = 86_399;

/// The path of a private method.
pub fn private(method: &str) -> String {
    format!("/0/private/{method}")
}

/// Builds the request for an operation; `call.nonce` is the key's next nonce in decimal.
pub fn encode(op: &Op, call: &CallContext<'_>) -> Result<Request, ExchangeError> {
    let mut form = Form::default();
    let method = match op {
        Op::ServerTime => return Ok(Request::get("/0/public/Time", String::new())),
        Op::WhoAmI => "GetApiKeyInfo",
        Op::CancelAll { .. } => "CancelAll",
        Op::CancelAfter { seconds } => {
            if *seconds > MAX_DEAD_MAN_SECONDS {
                return Err(ExchangeError::OutOfRange {
                    venue: "kraken",
                    what: format!(
                        "a dead-man timeout under a day (at most {MAX_DEAD_MAN_SECONDS} s, not {seconds})"
                    ),
                });
            }
            form.add("timeout", seconds.to_string());
            "CancelAllOrdersAfter"
        }
        // One list of every open order; Kraken does not page it (docs/venues/kraken.md §6).
        Op::OpenOrders { .. } => "OpenOrders",
        Op::Orders { window, cursor, .. } => {
            form.add("ofs", cursor::offset(cursor.as_deref()).to_string());
            add_window(&mut form, window);
            "ClosedOrders"
        }
        Op::Fills { window, cursor, .. } => {
            form.add("ofs", cursor::offset(cursor.as_deref()).to_string());
            add_window(&mut form, window);
            "TradesHistory"
        }
        // `BalanceEx`: the balance and what open orders hold of it (`hold_trade`); `Balance`
        // gives the totals only.
        Op::Balances => "BalanceEx",
        Op::Withdrawals { window, cursor } => {
            form.add(
                "cursor",
                cursor.clone().unwrap_or_else(|| "true".to_owned()),
            );
            add_window(&mut form, window);
            "WithdrawStatus"
        }
        Op::Transfers { window, cursor } => match TransferPhase::parse(cursor.as_deref()) {
            TransferPhase::Deposits(kraken) => {
                form.add("cursor", kraken.unwrap_or_else(|| "true".to_owned()));
                add_window(&mut form, window);
                "DepositStatus"
            }
            TransferPhase::Ledger(ofs) => {
                form.add("ofs", ofs.to_string());
                form.add("type", "transfer".to_owned());
                add_window(&mut form, window);
                "Ledgers"
            }
        },
        Op::PlaceOrder(order) => {
            form.add("pair", order.symbol.clone());
            form.add(
                "type",
                match order.side {
                    Side::Buy => "buy",
                    Side::Sell => "sell",
                }
                .to_owned(),
            );
            form.add("volume", decimal(order.qty));
            // A conditional order is Kraken's `stop-loss` (a market order once triggered) or
            // `stop-loss-limit`: `price` is the trigger, `price2` the limit (Kraken docs, "Add
            // Order"). Which side of the market the trigger lies on is the sender's business:
            // this is the drill's attacker, the response never places orders.
            match (order.kind, order.trigger) {
                (OrderKind::Limit { price }, None) => {
                    form.add("ordertype", "limit".to_owned());
                    form.add("price", decimal(price));
                }
                (OrderKind::Market, None) => form.add("ordertype", "market".to_owned()),
                (OrderKind::Limit { price }, Some(trigger)) => {
                    form.add("ordertype", "stop-loss-limit".to_owned());
                    form.add("price", decimal(trigger));
                    form.add("price2", decimal(price));
                }
                (OrderKind::Market, Some(trigger)) => {
                    form.add("ordertype", "stop-loss".to_owned());
                    form.add("price", decimal(trigger));
                }
            }
            // `viqc`: the volume is in the quote currency (a market buy spending that much);
            // `post`: post only. `timeinforce` takes GTC, IOC or GTD: there is no fill-or-kill
            // (docs/venues/kraken.md "Placing and amending").
            let mut flags = Vec::new();
            if order.unit == QtyUnit::Quote {
                flags.push("viqc");
            }
            match order.time_in_force {
                TimeInForce::Gtc => {}
                TimeInForce::Ioc => form.add("timeinforce", "IOC".to_owned()),
                TimeInForce::PostOnly => flags.push("post"),
                TimeInForce::Fok => {
                    return Err(ExchangeError::Unsupported {
                        venue: "kraken",
                        op: "place_order (fill or kill)",
                    });
                }
            }
            if !flags.is_empty() {
                form.add("oflags", flags.join(","));
            }
            if let Some(id) = &order.client_order_id {
                form.add("cl_ord_id", id.clone());
            }
            if order.reduce_only {
                form.add("reduce_only", "true".to_owned());
            }
            "AddOrder"
        }
        // `AmendOrder` changes the order in place: its txid and client id stay (the legacy
        // `EditOrder` cancels and replaces it under a new txid) (docs/venues/kraken.md).
        Op::AmendOrder {
            order_id,
            qty,
            price,
            ..
        } => {
            form.add("txid", order_id.clone());
            if let Some(qty) = qty {
                form.add("order_qty", decimal(*qty));
            }
            if let Some(price) = price {
                form.add("limit_price", decimal(*price));
            }
            "AmendOrder"
        }
        Op::CancelOrder { order_id, .. } => {
            form.add("txid", order_id.clone());
            "CancelOrder"
        }
        // The private WebSocket's token (docs/venues/kraken.md "Private stream"): the key needs
        // the "WebSocket interface" right; one stream covers the whole account.
        Op::StreamToken { .. } => "GetWebSocketsToken",
        // `key` names a withdrawal address saved in the account (Kraken withdraws to saved
        // addresses only); the caller's address stands for it.
        Op::Withdraw {
            coin,
            amount,
            address,
        } => {
            form.add("amount", amount.clone());
            form.add("asset", super::names::wire_coin(coin).to_owned());
            form.add("key", address.clone());
            "Withdraw"
        }
        Op::SubKeys { .. }
        | Op::RestrictKey { .. }
        | Op::RevokeKey(_)
        | Op::FreezeAccount { .. }
        | Op::CreateKey { .. }
        | Op::CancelBatch { .. }
        | Op::AccessLog { .. }
        | Op::WalletBalances { .. }
        | Op::Segments { .. } => {
            return Err(ExchangeError::Unsupported {
                venue: "kraken",
                op: op.name(),
            });
        }
    };
    Ok(Request {
        method: Method::Post,
        path: private(method),
        query: String::new(),
        body: Some(form.finish(call.nonce)),
        mutating: op.is_mutating(),
    })
}

/// `start`/`end` in Unix seconds, a second wider each way (Kraken's bounds are exclusive).
fn add_window(form: &mut Form, window: &Window) {
    form.add("end", (window.end_ms.div_euclid(1000) + 1).to_string());
    form.add(
        "start",
        (window.start_ms.div_euclid(1000) - 1).max(0).to_string(),
    );
}

/// A form body: `nonce` first, then the parameters in alphabetical order.
#[derive(Default)]
struct Form(Vec<(&'static str, String)>);

impl Form {
    fn add(&mut self, key: &'static str, value: String) {
        self.0.push((key, value));
    }

    fn finish(mut self, nonce: &str) -> String {
        self.0.sort_by_key(|(key, _)| *key);
        std::iter::once(("nonce", nonce.to_owned()))
            .chain(self.0)
            .map(|(key, value)| format!("{key}={}", percent::encode(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{Category, Segment};
    use crate::exchanges::{NewOrder, VenueSettings};

    fn call(nonce: &str) -> CallContext<'_> {
        static SETTINGS: std::sync::LazyLock<VenueSettings> =
            std::sync::LazyLock::new(VenueSettings::default);
        CallContext {
            now_ms: 0,
            nonce,
            session: None,
            tfa: None,
            settings: &SETTINGS,
            subject: None,
            lookup: None,
            known: &[],
        }
    }

    fn spot() -> Segment {
        Segment {
            category: Category::Spot,
            settle: None,
        }
    }

    #[test]
    fn add_order_is_the_documented_body() {
        // The body of docs/venues/kraken.md §3, byte for byte.
        let op = Op::PlaceOrder(NewOrder {
            segment: spot(),
            symbol: "XBTUSD".into(),
            side: Side::Buy,
            kind: OrderKind::Limit { price: 37_500.0 },
            qty: 1.25,
            unit: QtyUnit::Base,
            trigger: None,
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        });
        let req = encode(&op, &call("1616492376594")).unwrap();
        assert_eq!(req.path, "/0/private/AddOrder");
        assert_eq!(
            req.body.as_deref(),
            Some(
                "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25"
            )
        );
        assert!(req.mutating);
    }

    #[test]
    fn conditional_orders_are_stop_losses() {
        let order = |kind, trigger| {
            Op::PlaceOrder(NewOrder {
                segment: spot(),
                symbol: "XBTEUR".into(),
                side: Side::Sell,
                kind,
                qty: 0.5,
                unit: QtyUnit::Base,
                trigger,
                client_order_id: None,
                time_in_force: crate::exchanges::TimeInForce::Gtc,
                reduce_only: false,
            })
        };
        for (label, op, body) in [
            (
                "stop-loss-limit",
                order(OrderKind::Limit { price: 59_000.0 }, Some(60_000.0)),
                "nonce=1&ordertype=stop-loss-limit&pair=XBTEUR&price=60000&price2=59000&type=sell&volume=0.5",
            ),
            (
                "stop-loss",
                order(OrderKind::Market, Some(60_000.0)),
                "nonce=1&ordertype=stop-loss&pair=XBTEUR&price=60000&type=sell&volume=0.5",
            ),
        ] {
            let req = encode(&op, &call("1")).unwrap();
            assert_eq!(req.body.as_deref(), Some(body), "{label}");
        }
    }

    #[test]
    fn market_buys_in_quote_units_say_viqc() {
        let op = Op::PlaceOrder(NewOrder {
            segment: spot(),
            symbol: "XVGUSDT".into(),
            side: Side::Buy,
            kind: OrderKind::Market,
            qty: 250.0,
            unit: QtyUnit::Quote,
            trigger: None,
            client_order_id: None,
            time_in_force: crate::exchanges::TimeInForce::Gtc,
            reduce_only: false,
        });
        let body = encode(&op, &call("5")).unwrap().body.unwrap();
        assert_eq!(
            body,
            "nonce=5&oflags=viqc&ordertype=market&pair=XVGUSDT&type=buy&volume=250"
        );
    }

    #[test]
    fn reads_are_posts_that_do_not_mutate() {
        let window = Window {
            start_ms: 1_700_000_000_500,
            end_ms: 1_700_000_100_000,
        };
        for (label, op, path, body) in [
            ("key info", Op::WhoAmI, "GetApiKeyInfo", "nonce=9"),
            (
                "open orders",
                Op::OpenOrders {
                    segment: spot(),
                    cursor: None,
                },
                "OpenOrders",
                "nonce=9",
            ),
            (
                "closed orders, second page",
                Op::Orders {
                    segment: spot(),
                    window,
                    cursor: Some("50".into()),
                },
                "ClosedOrders",
                "nonce=9&end=1700000101&ofs=50&start=1699999999",
            ),
            (
                "trades",
                Op::Fills {
                    segment: spot(),
                    window,
                    cursor: None,
                },
                "TradesHistory",
                "nonce=9&end=1700000101&ofs=0&start=1699999999",
            ),
            ("balances", Op::Balances, "BalanceEx", "nonce=9"),
            (
                "withdrawals",
                Op::Withdrawals {
                    window,
                    cursor: None,
                },
                "WithdrawStatus",
                "nonce=9&cursor=true&end=1700000101&start=1699999999",
            ),
            (
                "deposits first",
                Op::Transfers {
                    window,
                    cursor: None,
                },
                "DepositStatus",
                "nonce=9&cursor=true&end=1700000101&start=1699999999",
            ),
            (
                "then the ledger's transfers",
                Op::Transfers {
                    window,
                    cursor: Some("l:50".into()),
                },
                "Ledgers",
                "nonce=9&end=1700000101&ofs=50&start=1699999999&type=transfer",
            ),
        ] {
            let req = encode(&op, &call("9")).unwrap();
            assert_eq!(req.method, Method::Post, "{label}");
            assert_eq!(req.path, private(path), "{label}");
            assert_eq!(req.body.as_deref(), Some(body), "{label}");
            assert!(!req.mutating, "{label}");
        }
    }

    #[test]
    fn containment_and_attacker_ops() {
        let cancel = encode(&Op::CancelAll { segment: spot() }, &call("1")).unwrap();
        assert_eq!(cancel.path, "/0/private/CancelAll");
        assert!(cancel.mutating);
        let arm = encode(&Op::CancelAfter { seconds: 60 }, &call("1")).unwrap();
        assert_eq!(arm.body.as_deref(), Some("nonce=1&timeout=60"));
        assert!(matches!(
            encode(&Op::CancelAfter { seconds: 86_400 }, &call("1")),
            Err(ExchangeError::OutOfRange { .. })
        ));
        let one = Op::CancelOrder {
            segment: spot(),
            symbol: "XBTUSDT".into(),
            order_id: "OQCLML-BW3P3-BUCMWZ".into(),
        };
        assert_eq!(
            encode(&one, &call("2")).unwrap().body.as_deref(),
            Some("nonce=2&txid=OQCLML-BW3P3-BUCMWZ")
        );
        let withdraw = Op::Withdraw {
            coin: "BTC".into(),
            amount: "0.5".into(),
            address: "my cold wallet".into(),
        };
        assert_eq!(
            encode(&withdraw, &call("3")).unwrap().body.as_deref(),
            Some("nonce=3&amount=0.5&asset=XBT&key=my%20cold%20wallet")
        );
    }

    #[test]
    fn key_management_is_refused_before_sending() {
        for op in [
            Op::RevokeKey(crate::exchanges::Revoke::SelfSub),
            Op::SubKeys {
                account: "a".into(),
                cursor: None,
            },
            Op::AccessLog { cursor: None },
        ] {
            assert!(matches!(
                encode(&op, &call("1")),
                Err(ExchangeError::Unsupported {
                    venue: "kraken",
                    ..
                })
            ));
        }
    }
}
