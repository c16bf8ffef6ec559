//! The account: `GET /execution/tradeHistory`, `GET /user/wallet`, `GET /user/walletHistory`,
//! `POST /user/requestWithdrawal` and `GET /apiKey` (docs/venues/bitmex.md §4, §6).
//!
//! Wallet amounts are in each currency's minor unit (`names.rs`). The wallet history lists
//! withdrawals and transfers newest first by default, paged by `count`/`start` (no time bounds).
//! A withdrawal needs the `withdraw` permission (checked before) and leaves the wallet at once.
//! `GET /apiKey` lists the account's live keys and never their secret: BitMEX has no call that
//! changes one.

use serde_json::{Value, json};

use crate::sim::bitmex::orders::{page, within};
use crate::sim::bitmex::params::Params;
use crate::sim::bitmex::{Caller, PERMS, Refusal, names, wire};
use crate::sim::funds::WithdrawKind;
use crate::sim::key::IpWhitelist;
use crate::sim::state::{NewWithdrawal, Venue, VenueError};

use axum::http::StatusCode;

/// `GET /execution/tradeHistory`: the account's fills.
pub(crate) fn trade_history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let mut rows = Vec::new();
    for e in v.executions.iter().filter(|e| e.uid == c.uid) {
        if within(p, e.exec_time_ms)? {
            rows.push((e.exec_time_ms, e.exec_id.clone(), wire::execution(v, e)));
        }
    }
    Ok(Value::Array(page(rows, p)?))
}

/// A coin amount in its wallet's minor units.
fn minor(amount: f64, scale: f64) -> Value {
    if scale == 1.0 {
        json!(amount)
    } else {
        json!((amount * scale).round() as i64)
    }
}

/// `GET /user/wallet?currency=all`: one row per currency held.
pub(crate) fn wallet(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let wanted = p.text("currency").unwrap_or_else(|| "XBt".to_owned());
    let now = wire::time(v.now_ms());
    let rows: Vec<Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .filter_map(|(coin, amount)| {
            let (currency, scale) = names::currency(&coin);
            (wanted == "all" || wanted == currency).then(|| {
                json!({
                    "account": c.uid,
                    "currency": currency,
                    "deposited": 0,
                    "withdrawn": 0,
                    "transferIn": 0,
                    "transferOut": 0,
                    "amount": minor(amount, scale),
                    "pendingCredit": 0,
                    "pendingDebit": 0,
                    "confirmedDebit": 0,
                    "timestamp": now,
                })
            })
        })
        .collect();
    if wanted == "all" {
        Ok(Value::Array(rows))
    } else {
        Ok(rows
            .into_iter()
            .next()
            .unwrap_or_else(|| json!({"account": c.uid, "currency": wanted, "amount": 0})))
    }
}

/// `GET /user/walletHistory`: withdrawals and transfers, newest first unless `reverse=false`.
pub(crate) fn wallet_history(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let mut rows = Vec::new();
    for w in v.withdrawals.iter().filter(|w| w.uid == c.uid) {
        let (currency, scale) = names::currency(&w.coin);
        let amount: f64 = w.amount.parse().unwrap_or(0.0);
        rows.push((
            w.created_ms,
            w.withdraw_id.clone(),
            json!({
                "transactID": w.withdraw_id,
                "account": c.uid,
                "currency": currency,
                "network": w.chain,
                "transactType": "Withdrawal",
                "amount": minor(-amount, scale),
                "fee": 0,
                "transactStatus": "Pending",
                "address": w.to_address,
                "tx": w.tx_id,
                "text": "",
                "transactTime": wire::time(w.created_ms),
                "timestamp": wire::time(w.updated_ms),
                "walletBalance": null,
            }),
        ));
    }
    for t in v
        .transfers
        .iter()
        .filter(|t| t.from_uid == c.uid || t.to_uid == c.uid)
    {
        let (currency, scale) = names::currency(&t.coin);
        let amount: f64 = t.amount.parse().unwrap_or(0.0);
        let signed = if t.from_uid == c.uid { -amount } else { amount };
        rows.push((
            t.at_ms,
            t.transfer_id.clone(),
            json!({
                "transactID": t.transfer_id,
                "account": c.uid,
                "currency": currency,
                "network": "",
                "transactType": "Transfer",
                "amount": minor(signed, scale),
                "fee": 0,
                "transactStatus": "Completed",
                "address": if t.from_uid == c.uid { t.to_uid } else { t.from_uid }.to_string(),
                "tx": "",
                "text": "",
                "transactTime": wire::time(t.at_ms),
                "timestamp": wire::time(t.at_ms),
                "walletBalance": null,
            }),
        ));
    }
    // The wallet history is newest first unless told otherwise (the swagger: "Default true").
    let reversed = p.reverse(true);
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    if reversed {
        rows.reverse();
    }
    let count = usize::try_from(p.uint("count")?.unwrap_or(100).min(10_000)).unwrap_or(100);
    let start = usize::try_from(p.uint("start")?.unwrap_or(0)).unwrap_or(usize::MAX);
    Ok(Value::Array(
        rows.into_iter()
            .skip(start)
            .take(count)
            .map(|(.., r)| r)
            .collect(),
    ))
}

/// `POST /user/requestWithdrawal`: `currency`, `amount` in minor units, `address`.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let currency = p.required("currency")?;
    let (coin, scale) = names::coin(&currency);
    let amount = p
        .required("amount")?
        .parse::<f64>()
        .ok()
        .filter(|a| *a > 0.0)
        .ok_or_else(|| Refusal::invalid("amount"))?
        / scale;
    let address = p.required("address")?;
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
            VenueError::InsufficientBalance { .. } => {
                Refusal::new(StatusCode::BAD_REQUEST, "Insufficient available balance")
            }
            _ => Refusal::invalid("withdrawal"),
        })?;
    Ok(json!({
        "transactID": withdrawal.withdraw_id,
        "account": c.uid,
        "currency": currency,
        "network": withdrawal.chain,
        "transactType": "Withdrawal",
        "amount": minor(-amount, scale),
        "fee": 0,
        "transactStatus": "Pending",
        "address": withdrawal.to_address,
        "tx": "",
        "text": "",
        "transactTime": wire::time(withdrawal.created_ms),
        "timestamp": wire::time(withdrawal.created_ms),
        "walletBalance": null,
    }))
}

/// `GET /apiKey`: the account's live keys, oldest first (`reverse=true`: newest first).
pub(crate) fn api_keys(v: &mut Venue, c: &Caller) -> Result<Value, Refusal> {
    let rows: Vec<Value> = v
        .keys
        .iter()
        .filter(|k| k.uid == c.uid && k.is_live())
        .map(|k| {
            let cidrs: Vec<String> = match &k.ips {
                IpWhitelist::Any => Vec::new(),
                IpWhitelist::Only(list) => list
                    .iter()
                    .map(|ip| match ip {
                        std::net::IpAddr::V4(_) => format!("{ip}/32"),
                        std::net::IpAddr::V6(_) => format!("{ip}/128"),
                    })
                    .collect(),
            };
            let permissions: Vec<&str> = ["order", "orderCancel", "withdraw"]
                .into_iter()
                .filter(|p| k.permissions.has(PERMS, p))
                .collect();
            json!({
                "id": k.api_key,
                "name": k.note,
                "nonce": 0,
                "cidr": cidrs.first().cloned().unwrap_or_default(),
                "cidrs": cidrs,
                "targetAccountId": null,
                "permissions": permissions,
                "enabled": k.enabled,
                "userId": k.uid,
                "created": wire::time(k.created_ms),
            })
        })
        .collect();
    Ok(Value::Array(rows))
}
