//! Money: the spot balance, withdrawals and their history (docs/venues/bingx.md §6).
//!
//! The simulator keeps one wallet per account, shown as the spot account's balances. A
//! withdrawal needs permission `5` (checked before) and leaves the wallet at once; the history
//! answers a bare array, as the docs' example does, newest first by `offset`/`limit` (at most
//! 1000) inside `startTime`/`endTime`.

use serde_json::{Value, json};

use crate::sim::bingx::params::Params;
use crate::sim::bingx::{Caller, Refusal};
use crate::sim::funds::WithdrawKind;
use crate::sim::num;
use crate::sim::state::{NewWithdrawal, Venue, VenueError};

/// `GET /openApi/spot/v1/account/balance`.
pub(crate) fn spot_balance(v: &mut Venue, c: &Caller) -> Result<Value, Refusal> {
    let rows: Vec<Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .map(|(coin, total)| {
            let locked = v.locked(c.uid, &coin);
            json!({
                "asset": coin,
                "free": num::fmt(total - locked),
                "locked": num::fmt(locked),
            })
        })
        .collect();
    Ok(json!({ "balances": rows }))
}

/// `POST /openApi/wallets/v1/capital/withdraw/apply`: `coin`, `address`, `amount`,
/// `walletType` required.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let coin = p.required("coin")?.to_ascii_uppercase();
    let address = p.required("address")?;
    let amount = p
        .required("amount")?
        .parse::<f64>()
        .ok()
        .filter(|a| *a > 0.0)
        .ok_or_else(|| Refusal::invalid("amount"))?;
    match p.required("walletType")?.as_str() {
        "1" | "2" | "3" | "15" => {}
        _ => return Err(Refusal::invalid("walletType")),
    }
    let withdrawal = v
        .withdraw(NewWithdrawal {
            uid: c.uid,
            kind: WithdrawKind::OnChain,
            coin,
            chain: p.text("network").unwrap_or_default(),
            address,
            amount,
        })
        .map_err(|e| match e {
            VenueError::InsufficientBalance { .. } => Refusal::new(100_202, "Insufficient assets"),
            _ => Refusal::invalid("withdrawal"),
        })?;
    Ok(json!({ "id": withdrawal.withdraw_id }))
}

/// `GET /openApi/api/v3/capital/withdraw/history`.
pub(crate) fn withdraw_history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let start = p.ms("startTime")?;
    let end = p.ms("endTime")?;
    let coin = p.text("coin");
    let limit = p.uint("limit")?.unwrap_or(1000);
    if limit == 0 || limit > 1000 {
        return Err(Refusal::invalid("limit"));
    }
    let offset = p.uint("offset")?.unwrap_or(0);
    let mut rows: Vec<(i64, String, Value)> = v
        .withdrawals
        .iter()
        .filter(|w| {
            w.uid == c.uid
                && coin.as_ref().is_none_or(|k| *k == w.coin)
                && start.is_none_or(|s| w.created_ms >= s)
                && end.is_none_or(|e| w.created_ms <= e)
        })
        .map(|w| {
            (
                w.created_ms,
                w.withdraw_id.clone(),
                json!({
                    "address": w.to_address,
                    "amount": w.amount,
                    "applyTime": crate::clock::rfc3339_ms(w.created_ms),
                    "coin": w.coin,
                    "id": w.withdraw_id,
                    "network": w.chain,
                    "transferType": 1,
                    "transactionFee": w.fee,
                    "confirmNo": 0,
                    "info": "",
                    "txId": w.tx_id,
                    "status": 4,
                }),
            )
        })
        .collect();
    rows.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    Ok(Value::Array(
        rows.into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(.., r)| r)
            .collect(),
    ))
}
