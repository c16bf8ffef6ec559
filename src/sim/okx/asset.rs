//! Balances, withdrawals and sub-account transfers (docs/venues/okx.md §6).
//!
//! `account/balance` shows the caller's own trading account; `asset/balances` its funding
//! account, kept in the dialect's state (coins moved there leave the trading account's sight).
//! `account/balance`: `cashBal` the wallet, `frozenBal`
//! what open spot orders hold, `eqUsd` at the markets' last prices. `asset/withdrawal` is the
//! only change here: a sub-account key is refused (`59504`: sub-accounts cannot withdraw), a
//! master key needs `withdraw` (`50120`); an accepted request leaves the one modelled wallet at
//! once, and is `58350` when the coin is not free. `withdrawal-history` lists the caller's
//! account's withdrawals, `asset/subaccount/bills` (master keys only, `59500`) the transfers
//! between the master and its sub-accounts; both page by timestamp.

use serde_json::{Value, json};

use crate::sim::funds::WithdrawKind;
use crate::sim::num;
use crate::sim::okx::OkxState;
use crate::sim::okx::caller::Caller;
use crate::sim::okx::page::PageReq;
use crate::sim::okx::params::Params;
use crate::sim::okx::reply::{ApiError, Code, Outcome};
use crate::sim::state::{NewWithdrawal, Venue};

/// `GET /api/v5/account/balance`.
pub(crate) fn balance(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let wanted: Option<Vec<String>> = p
        .string("ccy")?
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).collect());
    let now = v.now_ms().to_string();
    let mut details = Vec::new();
    let mut total = 0.0;
    for (coin, wallet) in v.balances.coins(c.uid) {
        if wanted.as_ref().is_some_and(|w| !w.contains(&coin)) {
            continue;
        }
        let locked = v.locked(c.uid, &coin);
        let usd = v.usd_price(&coin);
        total += wallet * usd;
        let free = num::fmt((wallet - locked).max(0.0));
        // The fields of OKX's example ("GET / Balance"), in two halves (one `json!` of them all
        // passes the macro's recursion limit); what the simulator does not model (loans,
        // positions, copy trading, spot cost basis) is zero or empty as for a cash account.
        let mut coin_row = json!({
            "availBal": free,
            "availEq": free,
            "borrowFroz": "0",
            "cashBal": num::fmt(wallet),
            "ccy": coin,
            "crossLiab": "0",
            "collateralEnabled": false,
            "disEq": num::fmt(wallet * usd),
            "eq": num::fmt(wallet),
            "eqUsd": num::fmt(wallet * usd),
            "smtSyncEq": "0",
            "spotCopyTradingEq": "0",
            "fixedBal": "0",
            "frozenBal": num::fmt(locked),
            "imr": "",
            "interest": "0",
            "isoEq": "0",
            "isoLiab": "0",
            "isoUpl": "0",
            "liab": "0",
        });
        let rest = json!({
            "maxLoan": "0",
            "mgnRatio": "",
            "mmr": "",
            "notionalLever": "",
            "ordFrozen": num::fmt(locked),
            "rewardBal": "0",
            "spotInUseAmt": "",
            "clSpotInUseAmt": "",
            "maxSpotInUse": "",
            "spotIsoBal": "0",
            "stgyEq": "0",
            "twap": "0",
            "uTime": now,
            "upl": "0",
            "uplLiab": "0",
            "spotBal": num::fmt(wallet),
            "openAvgPx": "",
            "accAvgPx": "",
            "spotUpl": "",
            "spotUplRatio": "",
            "totalPnl": "",
            "totalPnlRatio": "",
        });
        if let (Some(row), Value::Object(rest)) = (coin_row.as_object_mut(), rest) {
            row.extend(rest);
        }
        details.push(coin_row);
    }
    Ok(Outcome::Data(json!([{
        "adjEq": num::fmt(total),
        "borrowFroz": "0",
        "imr": "0",
        "isoEq": "0",
        "mgnRatio": "",
        "mmr": "0",
        "notionalUsd": "0",
        "notionalUsdForBorrow": "0",
        "notionalUsdForFutures": "0",
        "notionalUsdForOption": "0",
        "notionalUsdForSwap": "0",
        "ordFroz": "",
        "totalEq": num::fmt(total),
        "uTime": now,
        "upl": "0",
        "details": details,
    }])))
}

/// `GET /api/v5/asset/balances`: the caller's funding account, coins with a balance only
/// (OKX docs, "Funding account: Get balance"); nothing there is frozen by orders.
pub(crate) fn funding(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let wanted: Option<Vec<String>> = p
        .string("ccy")?
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).collect());
    let coins = v
        .own
        .get::<OkxState>()
        .and_then(|s| s.funding.get(&c.uid))
        .cloned()
        .unwrap_or_default();
    Ok(Outcome::Data(Value::Array(
        coins
            .into_iter()
            .filter(|(coin, amount)| {
                *amount > 0.0 && wanted.as_ref().is_none_or(|w| w.contains(coin))
            })
            .map(|(coin, amount)| {
                json!({
                    "availBal": num::fmt(amount),
                    "bal": num::fmt(amount),
                    "ccy": coin,
                    "frozenBal": "0",
                })
            })
            .collect(),
    )))
}

/// `POST /api/v5/asset/withdrawal`: `dest` 4 on-chain (needs `chain`), 3 to another OKX user.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_withdraw()?;
    let coin = p.required("ccy")?;
    let amount = p.required("amt")?;
    let amount = num::parse_positive(&amount)
        .ok_or_else(|| ApiError::invalid("amt", "must be a positive decimal"))?;
    let kind = match p.required("dest")?.as_str() {
        "4" => WithdrawKind::OnChain,
        "3" => WithdrawKind::OffChain,
        _ => {
            return Err(ApiError::invalid(
                "dest",
                "must be 3 (internal) or 4 (on-chain)",
            ));
        }
    };
    let chain = match (kind, p.string("chain")?) {
        (WithdrawKind::OnChain, None) => return Err(ApiError::missing("chain")),
        (_, chain) => chain.unwrap_or_default(),
    };
    let address = p.required("toAddr")?;
    let withdrawal = v
        .withdraw(NewWithdrawal {
            uid: c.uid,
            kind,
            coin,
            chain,
            address,
            amount,
        })
        .map_err(|e| {
            ApiError::new(
                Code::WithdrawInsufficientBalance,
                format!("Insufficient balance: {e}"),
            )
        })?;
    Ok(Outcome::Data(json!([{
        "amt": withdrawal.amount,
        "wdId": withdrawal.withdraw_id,
        "ccy": withdrawal.coin,
        "clientId": "",
        "chain": withdrawal.chain,
    }])))
}

/// OKX's withdrawal `state`: `2` done, `0` waiting.
fn state(status: &str) -> &'static str {
    if status.eq_ignore_ascii_case("success") {
        "2"
    } else {
        "0"
    }
}

/// `GET /api/v5/asset/withdrawal-history`: the caller's account's withdrawals, newest first.
pub(crate) fn withdrawals(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    let coin = p.string("ccy")?;
    let wd_id = p.string("wdId")?;
    let page = PageReq::by_time(p)?;
    let rows: Vec<_> = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.uid)
        .filter(|w| coin.as_ref().is_none_or(|x| x == &w.coin))
        .filter(|w| wd_id.as_ref().is_none_or(|x| x == &w.withdraw_id))
        .collect();
    let rows = page.page(
        rows,
        |w| (w.created_ms, w.withdraw_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        rows.into_iter()
            .map(|w| {
                json!({
                    "chain": w.chain,
                    "fee": w.fee,
                    "feeCcy": w.coin,
                    "ccy": w.coin,
                    "clientId": "",
                    "amt": w.amount,
                    "txId": w.tx_id,
                    "from": "",
                    "areaCodeFrom": "",
                    "to": w.to_address,
                    "areaCodeTo": "",
                    "state": state(&w.status),
                    "note": "",
                    "ts": w.created_ms.to_string(),
                    "nonTradableAsset": false,
                    "wdId": w.withdraw_id,
                })
            })
            .collect(),
    )))
}

/// `GET /api/v5/asset/subaccount/bills`: transfers between the master and its sub-accounts;
/// `type` 0 is master to sub-account, 1 the other way.
pub(crate) fn sub_bills(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_master()?;
    let coin = p.string("ccy")?;
    let kind = p.string("type")?;
    let sub = p.string("subAcct")?;
    let page = PageReq::by_time(p)?;
    let name = |uid: u64| {
        v.account(uid)
            .filter(|a| a.parent == Some(c.uid))
            .map(|a| a.note.clone())
    };
    let rows: Vec<(String, &str, &crate::sim::funds::Transfer)> = v
        .transfers
        .iter()
        .filter_map(|t| match (t.from_uid == c.uid, t.to_uid == c.uid) {
            (true, false) => name(t.to_uid).map(|n| (n, "0", t)),
            (false, true) => name(t.from_uid).map(|n| (n, "1", t)),
            _ => None,
        })
        .filter(|(n, k, t)| {
            coin.as_ref().is_none_or(|x| x == &t.coin)
                && kind.as_deref().is_none_or(|x| x == *k)
                && sub.as_ref().is_none_or(|x| x == n)
        })
        .collect();
    let rows = page.page(
        rows,
        |(_, _, t)| (t.at_ms, t.transfer_id.clone()),
        &mut v.short_page,
    );
    Ok(Outcome::Data(Value::Array(
        rows.into_iter()
            .map(|(n, k, t)| {
                json!({
                    "billId": t.transfer_id,
                    "ccy": t.coin,
                    "amt": t.amount,
                    "type": k,
                    "subAcct": n,
                    "ts": t.at_ms.to_string(),
                })
            })
            .collect(),
    )))
}
