//! The account: `spot/account/info`, `spot/account/assets`, withdrawals and their records, and
//! the transfers between the main account and its sub-accounts (docs/venues/bitget.md §4, §6).
//!
//! `account/info` describes the calling key: its UID, its main account's UID (`parentId`, the
//! key's own UID on a main account), its IP list as one comma-separated string and its rights
//! as Bitget's authority codes (`stor`/`stow` spot, `coor`/`coow` futures orders,
//! `cpor`/`cpow` futures positions, `wtow` transfers, `wwow` withdrawals; `r` reads, `w` writes).
//! A withdrawal needs the `withdraw` right (checked before) and leaves the wallet at once.

use serde_json::{Value, json};

use crate::sim::bitget::params::Params;
use crate::sim::bitget::{Caller, PERMS, Refusal};
use crate::sim::funds::WithdrawKind;
use crate::sim::key::IpWhitelist;
use crate::sim::num;
use crate::sim::state::{NewWithdrawal, Venue, VenueError};

/// The authority codes a `permList` right amounts to.
pub(crate) fn authorities(rights: &[&str]) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for right in rights {
        codes.extend_from_slice(match *right {
            "read" => &["stor", "coor", "cpor", "smor"][..],
            "spot_trade" => &["stor", "stow"][..],
            "margin_trade" => &["smor", "smow"][..],
            "contract_trade" => &["coor", "coow", "cpor", "cpow"][..],
            "transfer" => &["wtow"][..],
            "withdraw" => &["wwow"][..],
            _ => &[][..],
        });
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Every right a Bitget key may hold, in the docs' names.
pub(crate) const RIGHTS: [&str; 6] = [
    "read",
    "spot_trade",
    "margin_trade",
    "contract_trade",
    "transfer",
    "withdraw",
];

/// `GET /api/v2/spot/account/info`.
pub(crate) fn info(v: &mut Venue, c: &Caller) -> Result<Value, Refusal> {
    let key = v
        .live_key(&c.api_key)
        .ok_or_else(|| Refusal::new("40037", "Apikey does not exist"))?;
    let rights: Vec<&str> = RIGHTS
        .into_iter()
        .filter(|r| key.permissions.has(PERMS, r))
        .collect();
    let ips = match &key.ips {
        IpWhitelist::Any => String::new(),
        IpWhitelist::Only(list) => list
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(","),
    };
    let mut authorities = authorities(&rights);
    if key.tier == crate::sim::key::Tier::Master {
        // Sub-account management (`chor`/`chow`), a main account's own.
        authorities.extend(["chor", "chow"]);
    }
    let parent = v.account(key.uid).and_then(|a| a.parent).unwrap_or(key.uid);
    Ok(json!({
        "userId": key.uid.to_string(),
        "inviterId": "0",
        "ips": ips,
        "authorities": authorities,
        "parentId": parent,
        "traderType": "",
        "channelCode": "",
        "channel": "",
        "regisTime": key.created_ms.to_string(),
    }))
}

/// `GET /api/v2/spot/account/assets`: one row per coin held (`coin` filters).
pub(crate) fn assets(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let only = p.text("coin");
    let now = v.now_ms().to_string();
    let rows: Vec<Value> = v
        .balances
        .coins(c.uid)
        .into_iter()
        .filter(|(coin, _)| only.as_ref().is_none_or(|o| o.eq_ignore_ascii_case(coin)))
        .map(|(coin, total)| {
            let locked = v.locked(c.uid, &coin);
            json!({
                "coin": coin,
                "available": num::fmt(total - locked),
                "frozen": num::fmt(locked),
                "locked": "0",
                "limitAvailable": "0",
                "uTime": now,
            })
        })
        .collect();
    Ok(Value::Array(rows))
}

/// `POST /api/v2/spot/wallet/withdrawal`: `coin`, `transferType`, `address`, `size`.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let coin = p.required("coin")?.to_ascii_uppercase();
    let kind = match p.required("transferType")?.as_str() {
        "on_chain" => WithdrawKind::OnChain,
        "internal_transfer" => WithdrawKind::OffChain,
        _ => return Err(Refusal::param("transferType")),
    };
    let address = p.required("address")?;
    let amount = p
        .required("size")?
        .parse::<f64>()
        .ok()
        .filter(|a| *a > 0.0)
        .ok_or_else(|| Refusal::param("size"))?;
    let withdrawal = v
        .withdraw(NewWithdrawal {
            uid: c.uid,
            kind,
            coin,
            chain: p.text("chain").unwrap_or_default(),
            address,
            amount,
        })
        .map_err(|e| match e {
            VenueError::InsufficientBalance { .. } => Refusal::new("43012", "Insufficient balance"),
            _ => Refusal::param("size"),
        })?;
    Ok(json!({ "orderId": withdrawal.withdraw_id, "clientOid": null }))
}

fn window(p: &Params) -> Result<(i64, i64), Refusal> {
    // Both are required on the records endpoints (docs/venues/bitget.md §6).
    let start = p
        .int("startTime")?
        .ok_or_else(|| Refusal::param("startTime"))?;
    let end = p.int("endTime")?.ok_or_else(|| Refusal::param("endTime"))?;
    if end < start || end - start > 90 * 86_400_000 {
        return Err(Refusal::new(
            "40705",
            "The start and end time cannot exceed 90 days",
        ));
    }
    Ok((start, end))
}

/// Newest id first, below `idLessThan`, at most `limit` (100).
fn newest(mut rows: Vec<(u128, Value)>, p: &Params) -> Result<Value, Refusal> {
    let limit = usize::try_from(p.int("limit")?.unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    if let Some(below) = p.text("idLessThan") {
        let below = below
            .parse::<u128>()
            .map_err(|_| Refusal::param("idLessThan"))?;
        rows.retain(|(id, _)| *id < below);
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    rows.truncate(limit);
    Ok(Value::Array(rows.into_iter().map(|(_, r)| r).collect()))
}

/// `GET /api/v2/spot/wallet/withdrawal-records`.
pub(crate) fn withdrawals(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let (start, end) = window(p)?;
    let rows = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.uid && (start..=end).contains(&w.created_ms))
        .map(|w| {
            (
                w.withdraw_id.parse::<u128>().unwrap_or(0),
                json!({
                    "orderId": w.withdraw_id,
                    "tradeId": w.tx_id,
                    "coin": w.coin,
                    "dest": "on_chain",
                    "clientOid": "",
                    "type": "withdraw",
                    "tag": "",
                    "size": w.amount,
                    "fee": w.fee,
                    "status": "pending",
                    "toAddress": w.to_address,
                    "fromAddress": "",
                    "confirm": "0",
                    "chain": w.chain,
                    "cTime": w.created_ms.to_string(),
                    "uTime": w.updated_ms.to_string(),
                }),
            )
        })
        .collect();
    newest(rows, p)
}

/// `GET /api/v2/spot/account/sub-main-trans-record`: transfers in or out of the caller's
/// account between the main account and its sub-accounts.
pub(crate) fn transfers(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let start = p.int("startTime")?;
    let end = p.int("endTime")?;
    let rows = v
        .transfers
        .iter()
        .filter(|t| t.from_uid == c.uid || t.to_uid == c.uid)
        .filter(|t| start.is_none_or(|s| t.at_ms >= s) && end.is_none_or(|e| t.at_ms <= e))
        .map(|t| {
            (
                t.transfer_id.parse::<u128>().unwrap_or(0),
                json!({
                    "coin": t.coin,
                    "status": "Successful",
                    "toType": "spot",
                    "fromType": "spot",
                    "size": t.amount,
                    "ts": t.at_ms.to_string(),
                    "clientOid": "",
                    "transferId": t.transfer_id,
                    "fromUserId": t.from_uid.to_string(),
                    "toUserId": t.to_uid.to_string(),
                }),
            )
        })
        .collect();
    newest(rows, p)
}
