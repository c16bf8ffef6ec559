//! Money: `Balance`, `BalanceEx`, `WithdrawStatus`, `DepositStatus`, `Withdraw`, `Ledgers`
//! (docs/venues/kraken.md §6).
//!
//! Balances are the account's wallet, with what open orders hold of it (`hold_trade`) in
//! `BalanceEx`. `WithdrawStatus` lists the account's withdrawals newest first: a plain array, or,
//! asked with `cursor`, an object with `withdrawals` and `next_cursor` (a page of `limit`, 500 by
//! default). `DepositStatus` has the same shapes (`deposit`, 25 by default); the simulator models
//! no deposits, so it is always empty. `Withdraw` needs `withdraw-funds` (checked before, by the
//! route) and a free balance. The ledger is built from what the venue records: two entries per
//! fill (the coins that moved; the fee on the coin it was charged in), one per withdrawal and
//! one per transfer in or out of the account; `type` filters it, it pages by offset.

use serde_json::{Map, Value, json};

use crate::sim::funds::WithdrawKind;
use crate::sim::kraken::caller::Caller;
use crate::sim::kraken::params::Params;
use crate::sim::kraken::reply::KrakenError;
use crate::sim::kraken::{names, page, wire};
use crate::sim::num;
use crate::sim::order::Side;
use crate::sim::state::{NewWithdrawal, Venue};

/// `Balance`: `{asset: amount}`.
pub(crate) fn balance(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let out: Map<String, Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .map(|(coin, amount)| (names::asset(&coin), json!(num::fmt(amount))))
        .collect();
    Ok(Value::Object(out))
}

/// `BalanceEx`: `{asset: {balance, hold_trade}}`; `credit` and `credit_used` only for an account with
/// a credit line (Kraken docs, "Get Extended Balance"), which the simulator does not model.
pub(crate) fn balance_ex(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let out: Map<String, Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .map(|(coin, amount)| {
            let held = v.locked(c.uid, &coin);
            (
                names::asset(&coin),
                json!({
                    "balance": num::fmt(amount),
                    "hold_trade": num::fmt(held),
                }),
            )
        })
        .collect();
    Ok(Value::Object(out))
}

/// Kraken's funding status for a venue status word.
fn funding_status(status: &str) -> &'static str {
    match status.to_ascii_lowercase().as_str() {
        "success" => "Success",
        "fail" | "failed" | "failure" => "Failure",
        _ => "Pending",
    }
}

/// `WithdrawStatus`.
pub(crate) fn withdraw_status(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let asset = p.get("asset").map(names::coin);
    let (start, end) = (p.seconds("start")?, p.seconds("end")?);
    let mut rows: Vec<_> = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.uid)
        .filter(|w| asset.as_ref().is_none_or(|a| a == &w.coin))
        .filter(|w| start.is_none_or(|s| w.created_ms > s) && end.is_none_or(|e| w.created_ms < e))
        .collect();
    rows.sort_by(|a, b| (b.created_ms, &b.withdraw_id).cmp(&(a.created_ms, &a.withdraw_id)));
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|w| {
            json!({
                "method": format!("{} ({})", w.coin, if w.chain.is_empty() { "on-chain" } else { &w.chain }),
                "aclass": "currency",
                "asset": names::asset(&w.coin),
                "refid": w.withdraw_id,
                "txid": w.tx_id,
                "info": w.to_address,
                "amount": w.amount,
                "fee": w.fee,
                "time": w.created_ms / 1000,
                "status": funding_status(&w.status),
            })
        })
        .collect();
    paged(v, p, rows, "withdrawals", 500)
}

/// `DepositStatus`: the simulator models no deposits.
pub(crate) fn deposit_status(v: &mut Venue, _c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    p.seconds("start")?;
    p.seconds("end")?;
    paged(v, p, Vec::new(), "deposit", 25)
}

/// A funding list: the whole array without `cursor`, else one page with `next_cursor`.
fn paged(
    v: &mut Venue,
    p: &Params,
    rows: Vec<Value>,
    field: &str,
    default_limit: u64,
) -> Result<Value, KrakenError> {
    let Some(ofs) = page::cursor_offset(p.get("cursor"))? else {
        return Ok(Value::Array(rows));
    };
    let limit =
        usize::try_from(p.uint("limit")?.unwrap_or(default_limit).max(1)).unwrap_or(usize::MAX);
    let total = rows.len();
    let shown = page::slice(rows, ofs, limit, &mut v.short_page);
    let next = page::next_cursor(ofs, shown.len(), total);
    Ok(json!({ field: shown, "next_cursor": next }))
}

/// `Withdraw`: `asset`, `key` (the saved address's name; the simulator takes any), `amount`.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let coin = names::coin(p.required("asset")?);
    let address = p.required("key")?.to_owned();
    let amount =
        num::parse_positive(p.required("amount")?).ok_or_else(|| KrakenError::invalid("amount"))?;
    let withdrawal = v
        .withdraw(NewWithdrawal {
            uid: c.uid,
            kind: WithdrawKind::OnChain,
            coin,
            chain: String::new(),
            address,
            amount,
        })
        .map_err(|_| KrakenError::FundingInsufficient)?;
    Ok(json!({ "refid": withdrawal.withdraw_id }))
}

/// One ledger entry before it is shaped.
#[derive(Clone)]
struct Entry {
    id: String,
    refid: String,
    time_ms: i64,
    kind: &'static str,
    coin: String,
    amount: f64,
    fee: f64,
}

/// Every ledger entry of the account.
fn entries(v: &Venue, uid: u64) -> Vec<Entry> {
    let mut out = Vec::new();
    for e in v.executions.iter().filter(|e| e.uid == uid) {
        let Some(inst) = v.instrument(e.category, &e.symbol) else {
            continue;
        };
        let value = e.exec_price * e.exec_qty;
        let (base, quote) = match e.side {
            Side::Buy => (e.exec_qty, -value),
            Side::Sell => (-e.exec_qty, value),
        };
        for (coin, amount) in [(&inst.base_coin, base), (&inst.settle_coin, quote)] {
            let fee = if &e.fee_currency == coin {
                e.exec_fee
            } else {
                0.0
            };
            out.push(Entry {
                id: wire::derived_id('L', &format!("{}:{coin}", e.exec_id)),
                refid: e.exec_id.clone(),
                time_ms: e.exec_time_ms,
                kind: "trade",
                coin: coin.clone(),
                amount,
                fee,
            });
        }
    }
    for w in v.withdrawals.iter().filter(|w| w.uid == uid) {
        out.push(Entry {
            id: wire::derived_id('L', &format!("w:{}", w.withdraw_id)),
            refid: w.withdraw_id.clone(),
            time_ms: w.created_ms,
            kind: "withdrawal",
            coin: w.coin.clone(),
            amount: -num::parse_lenient(&w.amount).unwrap_or(0.0),
            fee: num::parse_lenient(&w.fee).unwrap_or(0.0),
        });
    }
    for t in v
        .transfers
        .iter()
        .filter(|t| t.from_uid == uid || t.to_uid == uid)
    {
        let amount = num::parse_lenient(&t.amount).unwrap_or(0.0);
        out.push(Entry {
            id: wire::derived_id('L', &format!("t:{}:{uid}", t.transfer_id)),
            refid: t.transfer_id.clone(),
            time_ms: t.at_ms,
            kind: "transfer",
            coin: t.coin.clone(),
            amount: if t.to_uid == uid { amount } else { -amount },
            fee: 0.0,
        });
    }
    out
}

/// `Ledgers`: `type` (`all` by default), `asset` (comma list), `start`/`end`, `ofs`.
pub(crate) fn ledgers(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, KrakenError> {
    let kind = p.get("type").unwrap_or("all");
    let assets: Option<Vec<String>> = p
        .get("asset")
        .filter(|a| *a != "all")
        .map(|a| a.split(',').map(|x| names::coin(x.trim())).collect());
    let (start, end) = (p.seconds("start")?, p.seconds("end")?);
    let ofs = usize::try_from(p.uint("ofs")?.unwrap_or(0)).unwrap_or(usize::MAX);
    let all = entries(v, c.uid);
    // The running `balance` after each entry: the wallet now, less what every later entry of
    // the same coin moved (amount less fee).
    let wallet: std::collections::BTreeMap<String, f64> =
        v.balances.coins(c.uid).into_iter().collect();
    let balance_after = |entry: &Entry| {
        let later: f64 = all
            .iter()
            .filter(|e| e.coin == entry.coin && (e.time_ms, &e.id) > (entry.time_ms, &entry.id))
            .map(|e| e.amount - e.fee)
            .sum();
        wallet.get(&entry.coin).copied().unwrap_or(0.0) - later
    };
    let mut rows: Vec<(Entry, f64)> = all
        .iter()
        .cloned()
        .map(|e| {
            let balance = balance_after(&e);
            (e, balance)
        })
        .filter(|(e, _)| kind == "all" || kind == e.kind)
        .filter(|(e, _)| assets.as_ref().is_none_or(|a| a.contains(&e.coin)))
        .filter(|(e, _)| start.is_none_or(|s| e.time_ms > s) && end.is_none_or(|x| e.time_ms < x))
        .collect();
    rows.sort_by(|(a, _), (b, _)| (b.time_ms, &b.id).cmp(&(a.time_ms, &a.id)));
    let count = rows.len();
    let shown = page::slice(rows, ofs, page::SIZE, &mut v.short_page);
    let ledger: Map<String, Value> = shown
        .into_iter()
        .map(|(e, balance)| {
            (
                e.id,
                json!({
                    "refid": e.refid,
                    "time": wire::seconds(e.time_ms),
                    "type": e.kind,
                    "subtype": "",
                    "aclass": "currency",
                    "asset": names::asset(&e.coin),
                    "amount": num::fmt(e.amount),
                    "fee": num::fmt(e.fee),
                    "balance": num::fmt(balance),
                }),
            )
        })
        .collect();
    Ok(json!({ "ledger": ledger, "count": count }))
}
