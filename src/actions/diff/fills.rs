//! The fills a diff reads: those of unauthorized orders (counted, their notional summed), and
//! fills whose order neither the order snapshots nor the ledger know (`fills_only`: an order
//! that filled and aged out of the venue's order history, or one the history never showed).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::ActionError;
use super::super::ledger::Ledger;
use super::super::observed::Observed;
use super::super::snapshot::read_jsonl;
use super::verdict::{Verdict, decimal};
use crate::clock;
use crate::exchanges::model::{Category, Side};

/// A fill as the diff reads it (a [`crate::exchanges::model::Fill`], borrowed from its line).
#[derive(Debug, Deserialize)]
struct FillView<'a> {
    #[serde(borrow)]
    order_id: Cow<'a, str>,
    #[serde(default, borrow)]
    client_order_id: Option<Cow<'a, str>>,
    category: Category,
    #[serde(borrow)]
    symbol: Cow<'a, str>,
    side: Side,
    #[serde(borrow)]
    qty: Cow<'a, str>,
    #[serde(borrow)]
    price: Cow<'a, str>,
    time_ms: i64,
}

/// The fills of one order no snapshot of orders shows and the ledger does not know.
#[derive(Debug, Clone)]
struct OnlyFills {
    client_order_id: Option<String>,
    side: Side,
    fills: usize,
    qty: Decimal,
    notional: Decimal,
    first_ms: i64,
    last_ms: i64,
}

/// What the fills say.
#[derive(Debug, Default)]
pub(super) struct Fills {
    /// Fills of unauthorized orders and of orders seen only through fills.
    pub count: usize,
    /// Their notional per symbol (quote currency), summed as decimals.
    pub notional: BTreeMap<String, Decimal>,
    /// Orders seen only through fills, by (category, symbol, order id).
    only: BTreeMap<(Category, String, String), OnlyFills>,
}

impl Fills {
    /// The `fills_only` rows, oldest first fill first.
    pub(super) fn only_rows(&self) -> Vec<Value> {
        let mut rows: Vec<_> = self.only.iter().collect();
        rows.sort_by_key(|((_, _, id), f)| (f.first_ms, id.clone()));
        rows.into_iter()
            .map(|((category, symbol, order_id), f)| {
                json!({
                    "verdict": "fills_only",
                    "reasons": [format!(
                        "{} fill(s) of an order the order snapshots do not show and the ledger does not know",
                        f.fills
                    )],
                    "order_id": order_id,
                    "client_order_id": f.client_order_id,
                    "category": category,
                    "symbol": symbol,
                    "side": f.side,
                    "fills": f.fills,
                    "qty": f.qty.normalize().to_string(),
                    "notional": f.notional.normalize().to_string(),
                    "status": Value::Null,
                    "created_at": clock::rfc3339_ms(f.first_ms),
                    "first_fill_at": clock::rfc3339_ms(f.first_ms),
                    "last_fill_at": clock::rfc3339_ms(f.last_ms),
                })
            })
            .collect()
    }

    /// How many orders were seen only through fills.
    #[cfg(test)]
    pub(super) fn only_ids(&self) -> Vec<String> {
        self.only_rows()
            .iter()
            .filter_map(|r| r["order_id"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Streams the fill snapshots (a line that is not a fill is passed over, as it always was).
pub(super) fn read(
    observed: &Observed,
    verdicts: &[Verdict],
    known: Option<&Ledger>,
    files: &[PathBuf],
) -> Result<Fills, ActionError> {
    let mut fills = Fills::default();
    for file in files {
        read_jsonl(file, |line, _, _| {
            let Ok(fill) = serde_json::from_str::<FillView<'_>>(line) else {
                return Ok(());
            };
            let counted = match observed.find(fill.category, &fill.symbol, &fill.order_id) {
                Some(i) => matches!(verdicts.get(i), Some(Verdict::Unauthorized(_))),
                None => match known {
                    // Without a ledger nothing is called anyone's.
                    None => false,
                    Some(known) => {
                        let ours = known
                            .find_order(&fill.order_id, fill.category, &fill.symbol)
                            .is_some()
                            || fill.client_order_id.as_deref().is_some_and(|cid| {
                                known
                                    .find_client(cid, fill.category, &fill.symbol, |e| {
                                        known.get(e).order_id.is_none()
                                    })
                                    .is_some()
                            });
                        if !ours {
                            only(&mut fills, &fill);
                        }
                        !ours
                    }
                },
            };
            if counted {
                fills.count += 1;
                // Text that is no number counts as zero, as in `only`; checked, as there: a
                // decimal that overflows panics, and a fill's numbers come from the venue.
                let qty = decimal(&fill.qty).unwrap_or_default();
                let price = decimal(&fill.price).unwrap_or_default();
                let value = qty.checked_mul(price).unwrap_or_default();
                match fills.notional.get_mut(&*fill.symbol) {
                    Some(sum) => *sum = sum.checked_add(value).unwrap_or(*sum),
                    None => {
                        fills.notional.insert(fill.symbol.to_string(), value);
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(fills)
}

fn only(fills: &mut Fills, fill: &FillView<'_>) {
    let qty = decimal(&fill.qty).unwrap_or_default();
    let price = decimal(&fill.price).unwrap_or_default();
    let key = (
        fill.category,
        fill.symbol.to_string(),
        fill.order_id.to_string(),
    );
    let entry = fills.only.entry(key).or_insert_with(|| OnlyFills {
        client_order_id: fill.client_order_id.as_deref().map(str::to_owned),
        side: fill.side,
        fills: 0,
        qty: Decimal::ZERO,
        notional: Decimal::ZERO,
        first_ms: fill.time_ms,
        last_ms: fill.time_ms,
    });
    entry.fills += 1;
    // Checked: a decimal that overflows panics, and a fill's numbers come from the venue.
    entry.qty = entry.qty.checked_add(qty).unwrap_or(entry.qty);
    entry.notional = qty
        .checked_mul(price)
        .and_then(|n| entry.notional.checked_add(n))
        .unwrap_or(entry.notional);
    entry.first_ms = entry.first_ms.min(fill.time_ms);
    entry.last_ms = entry.last_ms.max(fill.time_ms);
}
