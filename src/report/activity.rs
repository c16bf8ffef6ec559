//! The one table of what the attacker did: unauthorized and tampered orders and orders seen
//! only through their fills, each with its quantity's unit and its notional's currency.
//!
//! Rows come from the diff's lists as the journal holds them (the first rows of each; the
//! files the diff names hold all), so the table says no more than the diff found. Transfers
//! and withdrawals have no ledger to be judged against: they stay in the snapshots, and the
//! support section asks for the account's movements in the window instead of guessing here.

use serde_json::Value;

use super::Timeline;
use super::content::{ActivityKind, ActivityRow};
use super::units::{self, OrderFacts};

fn text<'a>(row: &'a Value, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// The activity rows of `t`'s diff lists, oldest first (stable: the diff's order within a time).
pub fn rows(t: &Timeline) -> Vec<ActivityRow> {
    let venue = t.run.exchange.as_str();
    let mut out: Vec<ActivityRow> = Vec::new();
    for (kind, list) in [
        (ActivityKind::Unauthorized, &t.unauthorized),
        (ActivityKind::Tampered, &t.tampered),
        (ActivityKind::Fill, &t.fills_only),
    ] {
        out.extend(list.iter().map(|row| activity_row(venue, kind, row)));
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    out
}

/// One diff row as an activity row.
fn activity_row(venue: &str, kind: ActivityKind, row: &Value) -> ActivityRow {
    let category = text(row, "category").unwrap_or_default();
    let symbol = text(row, "symbol").unwrap_or_default();
    let side = text(row, "side").unwrap_or_default();
    let qty = text(row, "qty");
    // A fills-only row carries its filled quantity and notional; its price is their ratio.
    let (order_type, filled, avg) = if kind == ActivityKind::Fill {
        let avg = average(qty, text(row, "notional"));
        ("", qty.map(str::to_owned), avg)
    } else {
        (
            text(row, "order_type").unwrap_or_default(),
            text(row, "filled_qty").map(str::to_owned),
            text(row, "avg_price").map(str::to_owned),
        )
    };
    let sized = units::size(&OrderFacts {
        venue,
        category,
        symbol,
        side,
        order_type,
        qty,
        filled: filled.as_deref(),
        avg_price: avg.as_deref(),
    });
    let (created_at, updated_at) = if kind == ActivityKind::Fill {
        (text(row, "first_fill_at"), text(row, "last_fill_at"))
    } else {
        (text(row, "created_at"), text(row, "updated_at"))
    };
    ActivityRow {
        kind,
        id: text(row, "order_id").unwrap_or_default().to_owned(),
        market: format!("{symbol} ({category})"),
        side: side.to_owned(),
        order_type: if kind == ActivityKind::Fill {
            "fills only".to_owned()
        } else {
            order_type.to_owned()
        },
        quantity: qty.unwrap_or_default().to_owned(),
        quantity_unit: sized.quantity_unit,
        price: text(row, "price")
            .map(str::to_owned)
            .or(avg.filter(|_| kind == ActivityKind::Fill))
            .unwrap_or_default(),
        notional: sized.notional,
        notional_currency: sized.currency,
        status: text(row, "status").unwrap_or("filled").to_owned(),
        created_at: created_at.map(str::to_owned),
        updated_at: updated_at.map(str::to_owned),
    }
}

/// `notional / qty`, rounded for people.
fn average(qty: Option<&str>, notional: Option<&str>) -> Option<String> {
    use rust_decimal::Decimal;
    use std::str::FromStr;
    let qty = Decimal::from_str(qty?).ok()?;
    let notional = Decimal::from_str(notional?).ok()?;
    (!qty.is_zero()).then(|| units::amount(notional / qty))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_list_gives_rows_with_units_oldest_first() {
        let mut t = Timeline::default();
        t.run.exchange = "bybit".into();
        t.unauthorized = vec![json!({
            "order_id": "b", "category": "spot", "symbol": "XVGUSDT", "side": "buy",
            "order_type": "market", "qty": "250", "price": null, "filled_qty": "48996.34738803",
            "avg_price": "0.0051024212", "status": "filled",
            "created_at": "2026-12-05T22:25:26.000Z", "updated_at": "2026-12-05T22:25:26.001Z"
        })];
        t.fills_only = vec![json!({
            "order_id": "a", "category": "linear", "symbol": "BTCUSDT", "side": "sell",
            "qty": "0.5", "notional": "30000", "status": null, "fills": 2,
            "first_fill_at": "2026-12-05T22:25:25.000Z", "last_fill_at": "2026-12-05T22:25:25.500Z"
        })];
        let rows = rows(&t);
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.kind,
                    r.quantity_unit.as_str(),
                    r.price.as_str(),
                    r.notional.as_str(),
                    r.notional_currency.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", ActivityKind::Fill, "BTC", "60000", "30000", "USDT"),
                (
                    "b",
                    ActivityKind::Unauthorized,
                    "USDT",
                    "",
                    "250.00000164",
                    "USDT"
                ),
            ]
        );
        assert_eq!(
            rows[1].updated_at.as_deref(),
            Some("2026-12-05T22:25:26.001Z")
        );
    }
}
