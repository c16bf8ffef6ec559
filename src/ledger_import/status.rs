//! Order states as bots and venues name them, mapped to the ledger's six.
//!
//! The ledger speaks `open`, `partially_filled`, `filled`, `cancelled`, `rejected` and
//! `untriggered` (as `OrderStatus` serializes). Sources say more and less: CCXT's `closed`
//! means "no longer open" and is a fill when anything filled and a cancel when nothing did;
//! `expired` is a cancel by the venue; an `open` order with fills is partly filled. Words are
//! compared without case, `_`, `-` or spaces, so `PARTIALLY_FILLED`, `PartiallyFilled` and
//! `partially_filled` are one word.

use super::error::Bad;
use super::number;
use crate::exchanges::model::OrderStatus;

/// What a source says about an order, before its fills are weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Said {
    /// Resting (or not yet known to have filled).
    Open,
    /// Resting, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// No longer open, filled or not (CCXT's `closed`, Kraken's `closed`).
    Closed,
    /// Cancelled or expired, possibly after a partial fill.
    Cancelled,
    /// Refused by the venue.
    Rejected,
    /// A conditional order that has not triggered yet.
    Untriggered,
}

/// The words understood, by what they say; listed in the hint of an unknown one.
const WORDS: &[(&str, Said)] = &[
    ("open", Said::Open),
    ("new", Said::Open),
    ("live", Said::Open),
    ("pending", Said::Open),
    ("pendingnew", Said::Open),
    ("created", Said::Open),
    ("active", Said::Open),
    ("accepted", Said::Open),
    ("triggered", Said::Open),
    ("partiallyfilled", Said::PartiallyFilled),
    ("partial", Said::PartiallyFilled),
    ("filled", Said::Filled),
    ("completed", Said::Filled),
    ("closed", Said::Closed),
    ("canceled", Said::Cancelled),
    ("cancelled", Said::Cancelled),
    ("expired", Said::Cancelled),
    ("expiredinmatch", Said::Cancelled),
    ("pendingcancel", Said::Cancelled),
    ("mmpcanceled", Said::Cancelled),
    ("partiallyfilledcanceled", Said::Cancelled),
    ("deactivated", Said::Cancelled),
    ("rejected", Said::Rejected),
    ("failed", Said::Rejected),
    ("untriggered", Said::Untriggered),
];

/// Reads a status word.
pub fn word(text: &str) -> Result<Said, Bad> {
    let key: String = text
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    WORDS
        .iter()
        .find(|(w, _)| *w == key)
        .map(|(_, said)| *said)
        .ok_or_else(|| {
            Bad::new(
                format!("`{}` is not an order status lockdown knows", text.trim()),
                "write one of open, partially_filled, filled, cancelled, rejected, untriggered \
                 (CCXT's open, closed, canceled, expired, rejected and the venues' own words \
                 such as New, PartiallyFilled, live are read too), or map no status column",
            )
        })
}

/// The ledger's status for what a source said, given the order's quantity and filled quantity
/// (plain decimals) where known.
pub fn settle(said: Said, qty: Option<&str>, filled: Option<&str>) -> OrderStatus {
    let some_filled = filled.is_some_and(|f| !number::is_zero(f));
    match said {
        Said::Open if some_filled => {
            let all = qty.zip(filled).is_some_and(|(q, f)| {
                !number::is_zero(q) && number::compare(f, q) != std::cmp::Ordering::Less
            });
            if all {
                OrderStatus::Filled
            } else {
                OrderStatus::PartiallyFilled
            }
        }
        Said::Open => OrderStatus::Open,
        Said::PartiallyFilled => OrderStatus::PartiallyFilled,
        Said::Filled => OrderStatus::Filled,
        // CCXT: `closed` is a fill; only a known zero fill makes it a cancel.
        Said::Closed if filled.is_some() && !some_filled => OrderStatus::Cancelled,
        Said::Closed => OrderStatus::Filled,
        Said::Cancelled => OrderStatus::Cancelled,
        Said::Rejected => OrderStatus::Rejected,
        Said::Untriggered => OrderStatus::Untriggered,
    }
}

/// The ledger's word for a status (as `OrderStatus` serializes).
pub fn as_str(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Open => "open",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Untriggered => "untriggered",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_fills_make_the_ledgers_status() {
        let cases = [
            (
                "ccxt open, nothing filled",
                "open",
                Some("1"),
                Some("0"),
                "open",
            ),
            (
                "ccxt open, part filled",
                "open",
                Some("1"),
                Some("0.4"),
                "partially_filled",
            ),
            (
                "ccxt closed with a fill",
                "closed",
                Some("1"),
                Some("1"),
                "filled",
            ),
            (
                "ccxt closed, fill unknown",
                "closed",
                Some("1"),
                None,
                "filled",
            ),
            (
                "ccxt closed, nothing filled",
                "closed",
                Some("1"),
                Some("0"),
                "cancelled",
            ),
            (
                "ccxt canceled after a fill",
                "canceled",
                Some("1"),
                Some("0.5"),
                "cancelled",
            ),
            ("ccxt expired", "expired", None, None, "cancelled"),
            ("ccxt rejected", "rejected", None, None, "rejected"),
            (
                "binance",
                "PARTIALLY_FILLED",
                None,
                None,
                "partially_filled",
            ),
            ("bybit", "PartiallyFilledCanceled", None, None, "cancelled"),
            (
                "bybit untriggered",
                "Untriggered",
                None,
                None,
                "untriggered",
            ),
            ("okx", "live", None, None, "open"),
            ("okx", "mmp_canceled", None, None, "cancelled"),
            ("kraken", "pending", None, None, "open"),
            (
                "contract",
                "partially_filled",
                None,
                None,
                "partially_filled",
            ),
        ];
        for (label, text, qty, filled, want) in cases {
            let said = word(text).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(as_str(settle(said, qty, filled)), want, "{label}");
            // The ledger's word is what `OrderStatus` serializes.
            let json = serde_json::to_string(&settle(said, qty, filled)).unwrap();
            assert_eq!(json, format!("\"{want}\""), "{label}");
        }
        let err = word("halfway").unwrap_err();
        assert!(err.message.contains("`halfway`"), "{err:?}");
        assert!(err.hint.contains("partially_filled"), "{err:?}");
    }
}
