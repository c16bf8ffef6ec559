//! One line of lockdown's ledger, as the import writes it: the shared ledger-line contract.
//!
//! Fields: `order_id`, `client_order_id` (at least one), `category`, `symbol`, `side`, `qty`,
//! `price`, `filled_qty`, `status`, `created_at`, `updated_at`; absent ones are left out, never
//! written empty, so the diff compares only what the bot knew. Numbers are written as plain
//! decimal strings and times as RFC 3339 UTC with milliseconds, the forms every ledger reader
//! takes. A line is the order's last known state.

use serde::Serialize;

use crate::exchanges::model::{Category, OrderStatus, Side};

/// One order, as the ledger records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    /// The venue's order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The bot's client order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    /// The market family.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The venue's own symbol.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// Buy or sell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// Quantity, plain decimal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<String>,
    /// Limit price, plain decimal; none for market orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// How much filled, plain decimal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filled_qty: Option<String>,
    /// The last known state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// When it was placed, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When it last changed, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl LedgerLine {
    /// The line as JSON, without its newline.
    pub fn to_json(&self) -> String {
        // A struct of strings and unit enums always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_writes_the_contracts_names_and_leaves_out_what_is_unknown() {
        let line = LedgerLine {
            order_id: Some("1".into()),
            category: Some(Category::Linear),
            side: Some(Side::Sell),
            status: Some(OrderStatus::PartiallyFilled),
            qty: Some("0.01".into()),
            ..LedgerLine::default()
        };
        assert_eq!(
            line.to_json(),
            r#"{"order_id":"1","category":"linear","side":"sell","qty":"0.01","status":"partially_filled"}"#
        );
    }
}
