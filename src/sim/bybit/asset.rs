//! Balances, withdrawals and universal transfers (docs/venues/bybit.md §6).
//!
//! `wallet-balance` shows the caller's own account only (`accountType=UNIFIED`); `locked` is what
//! open spot orders hold, and `usdValue` uses the markets' last prices. Withdrawal records need a
//! master-account key; the universal-transfer list needs Wallet `SubMemberTransfer` on a master
//! key or `SubMemberTransferList` on a sub key, and shows transfers touching the caller's account
//! (a master also sees its sub-accounts'). `withdraw/create` is the only change here: it needs a
//! read-write master key with Wallet `Withdraw` (docs `asset/withdraw/withdraw.mdx`: master UID's
//! key only, so a sub key is 10005 before its parameters are read); an accepted request leaves
//! the unified wallet at once, whichever documented `accountType` it names (the funding wallet,
//! `fund.rs`, is not drawn on), waits in `SecurityCheck`, and is 131212 when the coin is not
//! free. The `timestamp` and `accountType` parameters are required; replays are not detected.

use serde_json::{Value, json};

use crate::sim::bybit::caller::Caller;
use crate::sim::bybit::page::{PageReq, Span, window};
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::funds::WithdrawKind;
use crate::sim::key::{DAY_MS, Tier};
use crate::sim::num;
use crate::sim::state::{NewWithdrawal, Venue};

/// `GET /v5/account/wallet-balance`.
pub(crate) fn wallet_balance(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let account_type = p.required("accountType")?;
    if account_type != "UNIFIED" {
        return Err(ApiError::invalid(
            "accountType",
            "must be `UNIFIED` (the simulator models unified accounts only)",
        ));
    }
    let wanted: Option<Vec<String>> = p
        .string("coin")?
        .map(|s| s.split(',').map(|c| c.trim().to_owned()).collect());
    let mut coins = Vec::new();
    let (mut total, mut available) = (0.0, 0.0);
    for (coin, wallet) in v.balances.coins(c.uid) {
        if wanted.as_ref().is_some_and(|w| !w.contains(&coin)) {
            continue;
        }
        let locked = v.locked(c.uid, &coin);
        let usd = v.usd_price(&coin);
        total += wallet * usd;
        available += (wallet - locked).max(0.0) * usd;
        coins.push(json!({
            "coin": coin,
            "equity": num::fmt(wallet),
            "usdValue": num::fmt(wallet * usd),
            "walletBalance": num::fmt(wallet),
            "locked": num::fmt(locked),
            "availableToWithdraw": num::fmt((wallet - locked).max(0.0)),
            "availableToBorrow": "",
            "borrowAmount": "0",
            "accruedInterest": "0",
            "totalOrderIM": "0",
            "totalPositionIM": "0",
            "totalPositionMM": "0",
            "unrealisedPnl": "0",
            "cumRealisedPnl": "0",
            "bonus": "0",
            "collateralSwitch": true,
            "marginCollateral": true,
            "spotHedgingQty": "0",
            "spotBorrow": "0",
        }));
    }
    Ok(json!({
        "list": [{
            "accountType": "UNIFIED",
            "totalEquity": num::fmt(total),
            "totalWalletBalance": num::fmt(total),
            "totalMarginBalance": num::fmt(total),
            "totalAvailableBalance": num::fmt(available),
            "totalPerpUPL": "0",
            "totalInitialMargin": "0",
            "totalMaintenanceMargin": "0",
            "accountIMRate": "0",
            "accountIMRateByMp": "0",
            "accountMMRate": "0",
            "accountMMRateByMp": "0",
            "totalInitialMarginByMp": "0",
            "totalMaintenanceMarginByMp": "0",
            "accountLTV": "0",
            "coin": coins,
        }]
    }))
}

/// `GET /v5/asset/withdraw/query-record`: the master account's withdrawals.
pub(crate) fn withdraw_records(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_master()?;
    let coin = p.string("coin")?;
    let withdraw_type = p.int("withdrawType")?.unwrap_or(2);
    if !(0..=2).contains(&withdraw_type) {
        return Err(ApiError::invalid("withdrawType", "must be 0, 1 or 2"));
    }
    let (start, end) = window(p, v.now_ms(), Span::Under(30 * DAY_MS))?;
    let page = PageReq::from_params(p, 50, 50)?;
    let rows: Vec<_> = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.uid && (start..=end).contains(&w.created_ms))
        .filter(|w| coin.as_ref().is_none_or(|x| x == &w.coin))
        .filter(|w| withdraw_type == 2 || w.kind.as_int() == withdraw_type)
        .collect();
    let (rows, next) = page.page(
        rows,
        |w| (w.created_ms, w.withdraw_id.clone()),
        &mut v.short_page,
    );
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|w| {
            json!({
                "withdrawId": w.withdraw_id,
                "txID": w.tx_id,
                "withdrawType": w.kind.as_int(),
                "coin": w.coin,
                "chain": w.chain,
                "amount": w.amount,
                "withdrawFee": w.fee,
                "status": w.status,
                "toAddress": w.to_address,
                "tag": "",
                "createTime": w.created_ms.to_string(),
                "updateTime": w.updated_ms.to_string(),
                // Travel-rule tax fields, empty where no tax applies (docs
                // `asset/withdraw/withdraw-record.mdx`).
                "fee": "",
                "tax": "",
                "taxRate": "",
                "taxType": "",
            })
        })
        .collect();
    Ok(json!({ "rows": rows, "nextPageCursor": next }))
}

/// `POST /v5/asset/withdraw/create`: a master key with Wallet `Withdraw` sends coins out.
pub(crate) fn withdraw_create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_write()?;
    c.require_master()?;
    c.require("Wallet", &["Withdraw"])?;
    let coin = p.required("coin")?;
    if !coin
        .chars()
        .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
    {
        return Err(ApiError::invalid("coin", "must be an uppercase coin name"));
    }
    // forceChain 0 (default) and 1 go on-chain and need `chain`; 2 pays a Bybit UID.
    let kind = match p.int("forceChain")?.unwrap_or(0) {
        0 | 1 => WithdrawKind::OnChain,
        2 => WithdrawKind::OffChain,
        _ => return Err(ApiError::invalid("forceChain", "must be 0, 1 or 2")),
    };
    let chain = match (kind, p.string("chain")?) {
        (WithdrawKind::OnChain, None) => return Err(ApiError::missing("chain")),
        (_, chain) => chain.unwrap_or_default(),
    };
    let address = p.required("address")?;
    let amount = p.required("amount")?;
    let amount = num::parse_positive(&amount)
        .ok_or_else(|| ApiError::invalid("amount", "must be a positive decimal"))?;
    if p.int("timestamp")?.is_none() {
        return Err(ApiError::missing("timestamp"));
    }
    // Required; `FUND`, `UTA`, `EARN` or a comma list of them (docs `asset/withdraw/
    // withdraw.mdx`). `UNIFIED` is not among them.
    let account_type = p.required("accountType")?;
    if !account_type
        .split(',')
        .all(|part| matches!(part, "FUND" | "UTA" | "EARN"))
    {
        return Err(ApiError::invalid(
            "accountType",
            "must be `FUND`, `UTA`, `EARN` or a comma list of them",
        ));
    }
    if !matches!(p.int("feeType")?, None | Some(0 | 1)) {
        return Err(ApiError::invalid("feeType", "must be 0 or 1"));
    }
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
                RetCode::WithdrawInsufficientBalance,
                format!("Insufficient balance: {e}"),
            )
        })?;
    Ok(json!({ "id": withdrawal.withdraw_id }))
}

/// `GET /v5/asset/transfer/query-universal-transfer-list`.
pub(crate) fn universal_transfers(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
) -> Result<Value, ApiError> {
    match c.tier {
        Tier::Master => c.require("Wallet", &["SubMemberTransfer"])?,
        Tier::Sub => c.require("Wallet", &["SubMemberTransferList"])?,
    }
    let transfer_id = p.string("transferId")?;
    let coin = p.string("coin")?;
    let status = p.string("status")?;
    let (start, end) = window(p, v.now_ms(), Span::AtMost(7 * DAY_MS))?;
    let page = PageReq::from_params(p, 20, 50)?;
    let visible = |uid: u64| uid == c.uid || (c.tier == Tier::Master && v.is_sub_of(uid, c.uid));
    let list: Vec<_> = v
        .transfers
        .iter()
        .filter(|t| visible(t.from_uid) || visible(t.to_uid))
        .filter(|t| (start..=end).contains(&t.at_ms))
        .filter(|t| transfer_id.as_ref().is_none_or(|x| x == &t.transfer_id))
        .filter(|t| coin.as_ref().is_none_or(|x| x == &t.coin))
        .filter(|t| status.as_ref().is_none_or(|x| x == &t.status))
        .collect();
    let (list, next) = page.page(
        list,
        |t| (t.at_ms, t.transfer_id.clone()),
        &mut v.short_page,
    );
    let list: Vec<Value> = list
        .into_iter()
        .map(|t| {
            json!({
                "transferId": t.transfer_id,
                "coin": t.coin,
                "amount": t.amount,
                "fromMemberId": t.from_uid.to_string(),
                "toMemberId": t.to_uid.to_string(),
                "fromAccountType": t.from_account_type,
                "toAccountType": t.to_account_type,
                "timestamp": t.at_ms.to_string(),
                "status": t.status,
            })
        })
        .collect();
    Ok(json!({ "list": list, "nextPageCursor": next }))
}
