//! BingX's answers about money (docs/venues/bingx.md §6): the spot account's balances
//! (`free` and `locked` per asset) and the withdrawal history (a bare array in the docs'
//! example, `applyTime` in ISO 8601 with an offset, `status` 4 under review, 5 failed, 6 done).

use serde::Deserialize;

use super::*;
use crate::exchanges::bingx::endpoints::{WITHDRAW_PAGE, offset};
use crate::exchanges::model::TransferKind;

#[derive(Debug, Deserialize)]
struct Row {
    asset: String,
    #[serde(default, deserialize_with = "flex_string")]
    free: String,
    #[serde(default, deserialize_with = "flex_string")]
    locked: String,
}

#[derive(Debug, Deserialize)]
struct Balances {
    #[serde(default)]
    balances: Vec<Row>,
}

/// `GET /openApi/spot/v1/account/balance`.
pub(super) fn balances(data: Value) -> Result<Vec<Balance>, ExchangeError> {
    let list: Balances = parse(data)?;
    Ok(list
        .balances
        .into_iter()
        .map(|row| {
            let free = row.free.trim().parse::<f64>().unwrap_or(0.0);
            let locked = row.locked.trim().parse::<f64>().unwrap_or(0.0);
            Balance {
                coin: row.asset,
                total: Amount::new(&decode::decimal(free + locked)),
                locked: Amount::new(if row.locked.is_empty() {
                    "0"
                } else {
                    &row.locked
                }),
                usd_value: None,
                account: Some("spot".to_owned()),
            }
        })
        .collect())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Withdrawal {
    #[serde(deserialize_with = "flex_string")]
    id: String,
    #[serde(default)]
    coin: String,
    #[serde(default, deserialize_with = "flex_string")]
    amount: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    apply_time: Option<String>,
    #[serde(default)]
    status: Option<Value>,
}

fn status(value: Option<&Value>) -> String {
    match value.map(decode::text_of).as_deref() {
        Some("4") => "under review".to_owned(),
        Some("5") => "failed".to_owned(),
        Some("6") => "completed".to_owned(),
        Some(other) if !other.is_empty() => other.to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// `GET /openApi/api/v3/capital/withdraw/history`: the next offset while answers come full.
pub(super) fn withdrawals(cursor: Option<&str>, data: Value) -> Result<Reply, ExchangeError> {
    let rows: Vec<Withdrawal> = if data.is_null() {
        Vec::new()
    } else {
        parse(data)?
    };
    let len = rows.len();
    let items = rows
        .into_iter()
        .map(|w| Transfer {
            status: status(w.status.as_ref()),
            id: w.id,
            kind: TransferKind::Withdrawal,
            coin: w.coin,
            amount: Amount::new(&w.amount),
            from: None,
            to: w.address.and_then(non_empty),
            time_ms: w
                .apply_time
                .as_deref()
                .and_then(crate::clock::parse_rfc3339_ms)
                .unwrap_or(0),
        })
        .collect();
    Ok(Reply::Transfers(Page {
        items,
        next: (len >= WITHDRAW_PAGE).then(|| (offset(cursor) + len).to_string()),
    }))
}
