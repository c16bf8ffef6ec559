//! The diff's verdict for orders seen live (`lockdown watch`), not read back from snapshots.
//!
//! A watcher sees orders one poll or one stream message at a time, long before any response
//! takes snapshots; it must judge them exactly as the diff would afterwards, or the tripwire
//! and the report would disagree about the same order. So this is the diff's own matching
//! ([`classify`]: one ledger entry to one order, client ids oldest first, the lag window, the
//! bots' kind) over [`Order`]s held in memory, with "now" as the end of the window: an order
//! created less than the ledger's lag ago, of the bots' kind, is not judged yet
//! ([`LiveVerdict::Unconfirmed`]); the watcher asks again on its next look.

use super::super::ledger::Ledger;
use super::super::observed::SeenOrder;
use super::verdict::{Rules, Verdict, Why, classify, field_names};
use crate::exchanges::model::{Category, Order};

/// What one live order is, as the diff would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveVerdict {
    /// A ledger entry, as the ledger last knew it.
    Owner,
    /// A ledger entry changed by someone else: the fields that differ (`side`, `qty`, `price`,
    /// `status`).
    Tampered(Vec<&'static str>),
    /// Not in the ledger yet, but inside its lag and of the bots' kind: asked again later.
    Unconfirmed,
    /// Nobody's the owner knows of, and why, in a sentence.
    Unauthorized(String),
}

/// What the live verdict needs beyond the ledger.
#[derive(Debug, Clone, Copy)]
pub struct LiveRules<'a> {
    /// The bots' client-order-id prefix, if the owner names one.
    pub prefix: Option<&'a str>,
    /// When the ledger was last read, on the exchange's clock (ms): the end of the lag window.
    pub ledger_read_ms: i64,
    /// How far the ledger may lag behind the bots' orders, ms.
    pub lag_ms: i64,
}

/// Each order's verdict, in the order given.
pub fn judge(orders: &[Order], ledger: &Ledger, rules: &LiveRules<'_>) -> Vec<LiveVerdict> {
    let seen = |i: usize| {
        let o = &orders[i];
        SeenOrder {
            order_id: &o.order_id,
            client_order_id: o.client_order_id.as_deref(),
            category: o.category,
            symbol: &o.symbol,
            side: o.side,
            qty: o.qty.as_str(),
            price: o.price.as_ref().map(|p| p.as_str()),
            status: o.status,
            // Nothing of lockdown's cancelled it: a watcher cancels nothing.
            was_open: false,
            created_ms: o.created_ms,
            updated_ms: o.updated_ms,
        }
    };
    let diff_rules = Rules {
        prefix: rules.prefix,
        until_ms: Some(rules.ledger_read_ms),
        lag_ms: rules.lag_ms,
        own_cancels: None,
        unnamed_cancels_from_ms: None,
        reread_ms: Some(rules.ledger_read_ms),
    };
    classify(orders.len(), seen, ledger, &diff_rules)
        .into_iter()
        .map(|verdict| match verdict {
            Verdict::Owner { .. } => LiveVerdict::Owner,
            Verdict::Tampered { fields, .. } => LiveVerdict::Tampered(field_names(fields)),
            Verdict::Unconfirmed => LiveVerdict::Unconfirmed,
            Verdict::Unauthorized(why) => LiveVerdict::Unauthorized(match why {
                Why::Unknown => "not in the owner's ledger".to_owned(),
                Why::Taken { .. } => {
                    "its client id is a ledger entry's that another order already matched"
                        .to_owned()
                }
                Why::IdTaken { .. } => {
                    "its order id is a ledger entry's that an order of another market matched"
                        .to_owned()
                }
                Why::OtherOrder { .. } => {
                    "its client id is a ledger entry's that names another order".to_owned()
                }
            }),
        })
        .collect()
}

/// Whether the ledger's bots ever trade market (`category`, `symbol`).
pub fn ledger_trades(ledger: &Ledger, category: Category, symbol: &str) -> bool {
    ledger.markets().trades(ledger, category, symbol)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::exchanges::model::{Amount, OrderStatus, Side};

    /// An open spot limit order (the watcher's judge tests build theirs on it).
    pub(crate) fn order(id: &str, cid: Option<&str>, symbol: &str, created_ms: i64) -> Order {
        Order {
            order_id: id.to_owned(),
            client_order_id: cid.map(str::to_owned),
            category: Category::Spot,
            symbol: symbol.to_owned(),
            side: Side::Buy,
            order_type: "limit".to_owned(),
            qty: Amount::new("1"),
            price: Some(Amount::new("10")),
            filled_qty: Amount::new("0"),
            avg_price: None,
            status: OrderStatus::Open,
            created_ms,
            updated_ms: created_ms,
        }
    }

    #[test]
    fn live_orders_get_the_diffs_verdicts_with_now_as_the_windows_end() {
        let ledger = Ledger::parse(
            "known.jsonl",
            "{\"order_id\":\"1\",\"client_order_id\":\"grid-1\",\"category\":\"spot\",\"symbol\":\"BTCUSDT\",\"side\":\"buy\",\"qty\":\"1\",\"price\":\"10\",\"status\":\"open\"}\n",
        )
        .unwrap();
        let now = 1_000_000;
        let rules = LiveRules {
            prefix: Some("grid-"),
            ledger_read_ms: now,
            lag_ms: 10_000,
        };
        let orders = [
            // The ledger's.
            order("1", Some("grid-1"), "BTCUSDT", now - 60_000),
            // The bots' kind, placed a second ago: not judged yet.
            order("2", Some("grid-2"), "BTCUSDT", now - 1_000),
            // The bots' kind, but older than the lag and still not in the ledger.
            order("3", Some("grid-3"), "BTCUSDT", now - 60_000),
            // Not the bots' kind at all, however new.
            order("4", None, "XVGUSDT", now - 500),
        ];
        let verdicts = judge(&orders, &ledger, &rules);
        assert_eq!(verdicts[0], LiveVerdict::Owner);
        assert_eq!(verdicts[1], LiveVerdict::Unconfirmed);
        assert!(matches!(verdicts[2], LiveVerdict::Unauthorized(_)));
        assert!(matches!(verdicts[3], LiveVerdict::Unauthorized(_)));
        assert!(ledger_trades(&ledger, Category::Spot, "BTCUSDT"));
        assert!(!ledger_trades(&ledger, Category::Spot, "XVGUSDT"));
    }
}
