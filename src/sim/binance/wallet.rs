//! Withdrawals, deposits and transfers between the master and its sub-accounts
//! (docs/venues/binance.md §6).
//!
//! `withdraw/apply` needs a key with the withdrawal flag (`-1002` otherwise, as Binance answers
//! it); an accepted request leaves the one modelled wallet at once and is `-2010` when the coin
//! is not free. `withdraw/history` and `deposit/hisrec` list the caller's account's records,
//! newest first, in windows under 90 days (`-1127`), by `offset` and `limit`; the only
//! deposits are the ones seeded (the default incident's bot funded its funding wallet by one,
//! `seed.rs`), shown with the "Deposit History" page's fields. Transfers between the master and its sub-accounts are listed for a master
//! key: by email (`sub-account/universalTransfer`) or by `subAccountId`, an empty id being the
//! master (`broker/transfer`), page by page. The funding wallet (`asset/get-funding-asset`, a
//! POST that reads) is the caller's account's, kept apart from the spot wallet by the dialect
//! (`state.rs`), empty assets left out; the simulator never moves money into or out of it.

use chrono::DateTime;
use serde_json::{Value, json};

use crate::sim::binance::caller::Caller;
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::{ApiError, Code};
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::wire::dec;
use crate::sim::funds::{Transfer, WithdrawKind};
use crate::sim::key::DAY_MS;
use crate::sim::num;
use crate::sim::state::{NewWithdrawal, Venue};

/// `POST /sapi/v1/capital/withdraw/apply`.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let coin = p.required("coin")?;
    let address = p.required("address")?;
    let amount =
        num::parse_positive(&p.required("amount")?).ok_or_else(|| ApiError::invalid("amount"))?;
    let withdrawal = v
        .withdraw(NewWithdrawal {
            uid: c.uid,
            kind: WithdrawKind::OnChain,
            chain: p.string("network").unwrap_or_else(|| "ETH".to_owned()),
            coin,
            address,
            amount,
        })
        .map_err(|_| ApiError::new(Code::NewOrderRejected, "Insufficient balance."))?;
    Ok(json!({ "id": withdrawal.withdraw_id }))
}

/// `POST /sapi/v1/asset/get-funding-asset`: the caller's funding wallet, one asset's or all.
pub(crate) fn funding(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let only = p.string("asset");
    let btc = p.flag("needBtcValuation")?.unwrap_or(false);
    let btc_price = v.usd_price("BTC");
    let held: Vec<(String, f64)> = v
        .own
        .get::<BinanceState>()
        .and_then(|s| s.funding.get(&c.uid))
        .map(|coins| coins.iter().map(|(k, a)| (k.clone(), *a)).collect())
        .unwrap_or_default();
    let rows: Vec<Value> = held
        .into_iter()
        .filter(|(coin, amount)| *amount > 0.0 && only.as_ref().is_none_or(|o| o == coin))
        .map(|(coin, amount)| {
            let valuation = if btc && btc_price > 0.0 {
                amount * v.usd_price(&coin) / btc_price
            } else {
                0.0
            };
            json!({
                "asset": coin,
                "free": dec(amount),
                "locked": dec(0.0),
                "freeze": dec(0.0),
                "withdrawing": dec(0.0),
                "btcValuation": dec(valuation),
            })
        })
        .collect();
    Ok(Value::Array(rows))
}

/// A window under 90 days (the last 90 days when none is given).
fn window(v: &Venue, p: &Params) -> Result<(i64, i64), ApiError> {
    let now = v.now_ms();
    let end = p.int("endTime")?.unwrap_or(now);
    let start = p.int("startTime")?.unwrap_or(end - 90 * DAY_MS + 1);
    if end - start >= 90 * DAY_MS {
        return Err(ApiError::new(
            Code::IntervalTooBig,
            "The interval between startTime and endTime must be less than 90 days.",
        ));
    }
    Ok((start, end))
}

/// `2019-10-12 11:12:02`, UTC.
fn apply_time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Binance's withdrawal `status`: 6 completed, 4 processing.
fn withdrawal_status(status: &str) -> i64 {
    if status.eq_ignore_ascii_case("success") {
        6
    } else {
        4
    }
}

/// `GET /sapi/v1/capital/withdraw/history`.
pub(crate) fn withdrawals(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let (start, end) = window(v, p)?;
    let coin = p.string("coin");
    let offset = usize::try_from(p.int("offset")?.unwrap_or(0)).unwrap_or(0);
    let limit = p.limit(1000, 1000)?;
    let mut rows: Vec<_> = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.uid && (start..=end).contains(&w.created_ms))
        .filter(|w| coin.as_ref().is_none_or(|x| *x == w.coin))
        .collect();
    rows.sort_by_key(|w| std::cmp::Reverse((w.created_ms, w.withdraw_id.clone())));
    Ok(Value::Array(
        rows.into_iter()
            .skip(offset)
            .take(limit)
            .map(|w| {
                json!({
                    "id": w.withdraw_id,
                    "amount": w.amount,
                    "transactionFee": w.fee,
                    "coin": w.coin,
                    "status": withdrawal_status(&w.status),
                    "address": w.to_address,
                    "txId": w.tx_id,
                    "applyTime": apply_time(w.created_ms),
                    "network": w.chain,
                    "transferType": 0,
                    "info": "",
                    "confirmNo": 12,
                    "walletType": 0,
                    "txKey": "",
                    "completeTime": apply_time(w.updated_ms),
                })
            })
            .collect(),
    ))
}

/// A credited deposit into an account (the simulator's deposits are seeded, never made).
#[derive(Clone, Debug)]
pub(crate) struct Deposit {
    /// The account it credited.
    pub(crate) uid: u64,
    /// Binance's deposit id (digits).
    pub(crate) id: String,
    pub(crate) coin: String,
    pub(crate) amount: f64,
    pub(crate) network: String,
    /// The account's deposit address it came to.
    pub(crate) address: String,
    pub(crate) tx_id: String,
    /// When it was seen (`insertTime`); credited at once (`completeTime`).
    pub(crate) at_ms: i64,
    /// `walletType`: 0 spot, 1 funding.
    pub(crate) wallet_type: u8,
}

/// `GET /sapi/v1/capital/deposit/hisrec`: the caller's account's deposits, newest first.
pub(crate) fn deposits(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let (start, end) = window(v, p)?;
    let coin = p.string("coin");
    let offset = usize::try_from(p.int("offset")?.unwrap_or(0)).unwrap_or(0);
    let limit = p.limit(1000, 1000)?;
    let state = v.own.get_mut::<BinanceState>();
    let mut rows: Vec<&Deposit> = state
        .deposits
        .iter()
        .filter(|d| d.uid == c.uid && (start..=end).contains(&d.at_ms))
        .filter(|d| coin.as_ref().is_none_or(|x| *x == d.coin))
        .collect();
    rows.sort_by_key(|d| std::cmp::Reverse((d.at_ms, d.id.clone())));
    Ok(Value::Array(
        rows.into_iter()
            .skip(offset)
            .take(limit)
            .map(|d| {
                json!({
                    "id": d.id,
                    "amount": dec(d.amount),
                    "coin": d.coin,
                    "network": d.network,
                    "status": 1,
                    "address": d.address,
                    "addressTag": "",
                    "txId": d.tx_id,
                    "insertTime": d.at_ms,
                    "completeTime": d.at_ms,
                    "transferType": 0,
                    "confirmTimes": "12/12",
                    "unlockConfirm": 0,
                    "walletType": d.wallet_type,
                    "travelRuleStatus": 0,
                })
            })
            .collect(),
    ))
}

/// The transfers between `master` and its sub-accounts in the request's window, oldest first,
/// with the page asked for.
fn master_transfers<'v>(
    v: &'v Venue,
    master: u64,
    p: &Params,
) -> Result<Vec<&'v Transfer>, ApiError> {
    let start = p.int("startTime")?.unwrap_or(i64::MIN);
    let end = p.int("endTime")?.unwrap_or(i64::MAX);
    let page = usize::try_from(p.int("page")?.unwrap_or(1).max(1)).unwrap_or(1);
    let limit = p.limit(500, 500)?;
    let mut rows: Vec<&Transfer> = v
        .transfers
        .iter()
        .filter(|t| {
            (t.from_uid == master && v.is_sub_of(t.to_uid, master))
                || (t.to_uid == master && v.is_sub_of(t.from_uid, master))
        })
        .filter(|t| (start..=end).contains(&t.at_ms))
        .collect();
    rows.sort_by_key(|t| (t.at_ms, t.transfer_id.clone()));
    Ok(rows
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect())
}

/// `GET /sapi/v1/sub-account/universalTransfer`: by email, in a window of at most 7 days (the
/// last 7 days when none is given; the "Query Universal Transfer History" page).
pub(crate) fn universal_transfers(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
) -> Result<Value, ApiError> {
    let now = v.now_ms();
    let (start, end) = (p.int("startTime")?, p.int("endTime")?);
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + 7 * DAY_MS),
        (None, Some(e)) => (e - 7 * DAY_MS, e),
        (None, None) => (now - 7 * DAY_MS, now),
    };
    if end - start > 7 * DAY_MS {
        return Err(ApiError::new(
            Code::IntervalTooBig,
            "The time range between startTime and endTime cannot exceed 7 days.",
        ));
    }
    let from_email = p.string("fromEmail");
    let to_email = p.string("toEmail");
    let email = |uid: u64| super::email(v, uid);
    let rows: Vec<Value> = master_transfers(v, c.uid, p)?
        .into_iter()
        .filter(|t| (start..=end).contains(&t.at_ms))
        .filter(|t| from_email.as_ref().is_none_or(|e| *e == email(t.from_uid)))
        .filter(|t| to_email.as_ref().is_none_or(|e| *e == email(t.to_uid)))
        .map(|t| {
            json!({
                // Binance's ids are numbers; the transfer's time is one, and unique here.
                "tranId": t.at_ms,
                "fromEmail": email(t.from_uid),
                "toEmail": email(t.to_uid),
                "asset": t.coin,
                "amount": t.amount,
                "createTimeStamp": t.at_ms,
                "fromAccountType": "SPOT",
                "toAccountType": "SPOT",
                "status": t.status,
                "clientTranId": "",
            })
        })
        .collect();
    Ok(json!({ "totalCount": rows.len(), "result": rows }))
}

/// `GET /sapi/v1/broker/transfer`: by `subAccountId`, the master's side empty.
pub(crate) fn broker_transfers(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let id = |uid: u64| {
        if uid == c.uid {
            String::new()
        } else {
            uid.to_string()
        }
    };
    let rows: Vec<Value> = master_transfers(v, c.uid, p)?
        .into_iter()
        .map(|t| {
            json!({
                "fromId": id(t.from_uid),
                "toId": id(t.to_uid),
                "asset": t.coin,
                "qty": t.amount,
                "time": t.at_ms,
                "txnId": t.transfer_id,
                "clientTranId": "",
                "status": t.status,
            })
        })
        .collect();
    Ok(Value::Array(rows))
}
