//! Balances and money movements: account summaries, withdrawals, deposits, transfers, and the
//! one change here, `private/withdraw` (docs/venues/deribit.md §6).
//!
//! Summaries show the acting account's coins: `balance` is the wallet, `spot_reserve` what open
//! spot orders hold, `available_funds` the rest; the risk figures the documented example shows
//! (deltas, P&L, margins of positions and options) are zero, the simulator models none. With
//! `extended=true` they also name the account (`id`, `username`, `type` `main` or `subaccount`,
//! and the account settings the example shows). The money lists are per `currency`,
//! newest first, `offset`/`count` (default 10, at most 1000), with the total `count`: withdrawals
//! of the account, transfers touching it (`direction` `payment` out or `income` in), and no
//! deposits (the simulator models none). A withdrawal needs `wallet:read_write` (checked before,
//! by scope: 13021), takes the coin off the wallet at once and waits as `unconfirmed`; a coin
//! that is not free is 10009.

use serde_json::{Value, json};

use crate::sim::deribit::caller::Caller;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::{RpcError, code};
use crate::sim::deribit::short_page::shorten;
use crate::sim::deribit::state::DeribitState;
use crate::sim::funds::WithdrawKind;
use crate::sim::num;
use crate::sim::state::{NewWithdrawal, Venue};

/// The account fields of an extended summary.
fn account_fields(v: &Venue, uid: u64) -> serde_json::Map<String, Value> {
    let account = v.account(uid);
    let main = account.is_none_or(|a| a.parent.is_none());
    let username = account
        .map(|a| a.note.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("user_{uid}"));
    let mut out = serde_json::Map::new();
    out.insert("id".to_owned(), json!(uid));
    out.insert("username".to_owned(), json!(username));
    out.insert("system_name".to_owned(), json!(username));
    out.insert(
        "type".to_owned(),
        json!(if main { "main" } else { "subaccount" }),
    );
    out.insert("creation_timestamp".to_owned(), json!(0));
    out.insert(
        "security_keys_enabled".to_owned(),
        json!(v.own.get::<DeribitState>().is_some_and(|s| s.tfa_required)),
    );
    out.insert("email".to_owned(), json!(format!("{username}@example.com")));
    out.insert("referrer_id".to_owned(), Value::Null);
    out.insert("self_trading_reject_mode".to_owned(), json!("cancel_maker"));
    for flag in [
        "block_rfq_self_match_prevention",
        "login_enabled",
        "mmp_enabled",
        "interuser_transfers_enabled",
        "self_trading_extended_to_subaccounts",
    ] {
        out.insert(flag.to_owned(), json!(false));
    }
    out
}

/// The risk figures of a summary the method page's example shows, none of which the simulator
/// models (no positions, no options): zero, `false`, and per-index maps under the currency's
/// index (`btc_usd`).
fn risk_fields(coin: &str) -> serde_json::Map<String, Value> {
    let index = format!("{}_usd", coin.to_ascii_lowercase());
    let mut out = serde_json::Map::new();
    for zero in [
        "delta_total",
        "estimated_liquidation_ratio",
        "fee_balance",
        "futures_pl",
        "futures_session_rpl",
        "futures_session_upl",
        "options_delta",
        "options_gamma",
        "options_pl",
        "options_session_rpl",
        "options_session_upl",
        "options_theta",
        "options_value",
        "options_vega",
        "projected_delta_total",
        "projected_initial_margin",
        "projected_maintenance_margin",
        "session_rpl",
        "session_upl",
        "total_pl",
    ] {
        out.insert(zero.to_owned(), json!(0.0));
    }
    for map in [
        "delta_total_map",
        "estimated_liquidation_ratio_map",
        "options_gamma_map",
        "options_vega_map",
    ] {
        out.insert(map.to_owned(), json!({ index.clone(): 0.0 }));
    }
    out.insert("cross_collateral_enabled".to_owned(), json!(false));
    out.insert("portfolio_margining_enabled".to_owned(), json!(false));
    out.insert("margin_model".to_owned(), json!("segregated_sm"));
    out
}

/// One coin's summary.
fn coin_summary(v: &Venue, uid: u64, coin: &str) -> Value {
    let balance = v.balances.get(uid, coin);
    let reserve = v.locked(uid, coin);
    let free = (balance - reserve).max(0.0);
    let mut out = risk_fields(coin);
    for (name, value) in [
        ("currency", json!(coin)),
        ("balance", json!(balance)),
        ("equity", json!(balance)),
        ("margin_balance", json!(balance)),
        ("spot_reserve", json!(reserve)),
        ("available_funds", json!(free)),
        ("available_withdrawal_funds", json!(free)),
        ("initial_margin", json!(0.0)),
        ("maintenance_margin", json!(0.0)),
    ] {
        out.insert(name.to_owned(), value);
    }
    Value::Object(out)
}

/// `private/get_account_summary`: one `currency`; `extended` adds the account.
pub(crate) fn account_summary(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let currency = p.required("currency")?;
    let mut out = match coin_summary(v, c.account, &currency) {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    // This example shows the options' theta by index (the list's shows none, and an
    // `additional_reserve`).
    let index = format!("{}_usd", currency.to_ascii_lowercase());
    out.insert("options_theta_map".to_owned(), json!({ index: 0.0 }));
    if p.flag("extended", false)? {
        out.extend(account_fields(v, c.account));
    }
    Ok(Value::Object(out))
}

/// `private/get_account_summaries`: every coin the account holds.
pub(crate) fn account_summaries(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let summaries: Vec<Value> = v
        .balances
        .coins(c.account)
        .into_iter()
        .map(|(coin, _)| {
            let mut summary = coin_summary(v, c.account, &coin);
            if let Value::Object(map) = &mut summary {
                map.insert("additional_reserve".to_owned(), json!(0.0));
                map.insert("options_theta_map".to_owned(), json!({}));
            }
            summary
        })
        .collect();
    let mut out = if p.flag("extended", false)? {
        account_fields(v, c.account)
    } else {
        serde_json::Map::new()
    };
    out.insert("summaries".to_owned(), Value::Array(summaries));
    Ok(Value::Object(out))
}

/// A page of a money list with its total.
fn page(v: &mut Venue, p: &Params, mut items: Vec<Value>) -> Result<Value, RpcError> {
    let count = p.count(10, 1000)?;
    let offset = p.offset()?;
    let total = items.len();
    let mut page: Vec<Value> = items.drain(..).skip(offset).take(count).collect();
    shorten(&mut page, &mut v.short_page);
    Ok(json!({ "count": total, "data": page }))
}

/// `private/get_withdrawals`.
pub(crate) fn withdrawals(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let currency = p.required("currency")?;
    let mut rows: Vec<_> = v
        .withdrawals
        .iter()
        .filter(|w| w.uid == c.account && w.coin == currency)
        .collect();
    rows.sort_by_key(|w| std::cmp::Reverse((w.created_ms, w.withdraw_id.clone())));
    let items = rows.into_iter().map(withdrawal).collect();
    page(v, p, items)
}

/// A withdrawal as the list and `private/withdraw` show it (the method pages' examples).
fn withdrawal(w: &crate::sim::funds::Withdrawal) -> Value {
    let done = w.status == "success";
    json!({
        "id": w.withdraw_id.parse::<i64>().unwrap_or(0),
        "currency": w.coin,
        "amount": num::parse_lenient(&w.amount).unwrap_or(0.0),
        "fee": num::parse_lenient(&w.fee).unwrap_or(0.0),
        "address": w.to_address,
        "state": if done { "completed" } else { "unconfirmed" },
        "transaction_id": if w.tx_id.is_empty() { Value::Null } else { json!(w.tx_id) },
        "priority": 1.0,
        "confirmed_timestamp": if done { json!(w.updated_ms) } else { Value::Null },
        "created_timestamp": w.created_ms,
        "updated_timestamp": w.updated_ms,
    })
}

/// `private/get_deposits`: the simulator models no deposits.
pub(crate) fn deposits(v: &mut Venue, _c: &Caller, p: &Params) -> Result<Value, RpcError> {
    p.required("currency")?;
    page(v, p, Vec::new())
}

/// `private/get_transfers`: transfers to or from the acting account.
pub(crate) fn transfers(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let currency = p.required("currency")?;
    let mut rows: Vec<_> = v
        .transfers
        .iter()
        .filter(|t| t.coin == currency && (t.from_uid == c.account || t.to_uid == c.account))
        .collect();
    rows.sort_by_key(|t| std::cmp::Reverse((t.at_ms, t.transfer_id.clone())));
    let name = |uid: u64| {
        v.account(uid)
            .map(|a| a.note.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("user_{uid}"))
    };
    let items = rows
        .into_iter()
        .map(|t| {
            let outgoing = t.from_uid == c.account;
            json!({
                // Deribit numbers transfers (the method page's example): the place in the
                // venue's record, from 1.
                "id": v
                    .transfers
                    .iter()
                    .position(|x| x.transfer_id == t.transfer_id)
                    .map_or(0, |i| i + 1),
                "currency": t.coin,
                "amount": num::parse_lenient(&t.amount).unwrap_or(0.0),
                "direction": if outgoing { "payment" } else { "income" },
                "other_side": name(if outgoing { t.to_uid } else { t.from_uid }),
                "state": "confirmed",
                "type": "subaccount",
                "created_timestamp": t.at_ms,
                "updated_timestamp": t.at_ms,
            })
        })
        .collect();
    page(v, p, items)
}

/// `private/withdraw`: `currency`, `address`, `amount`.
pub(crate) fn withdraw(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let currency = p.required("currency")?;
    let address = p.required("address")?;
    let amount = p
        .number("amount")?
        .filter(|a| *a > 0.0)
        .ok_or_else(|| RpcError::new(code::INVALID_AMOUNT, "invalid_amount"))?;
    let w = v
        .withdraw(NewWithdrawal {
            uid: c.account,
            kind: WithdrawKind::OnChain,
            coin: currency,
            chain: String::new(),
            address,
            amount,
        })
        .map_err(|e| {
            RpcError::new(code::NOT_ENOUGH_FUNDS, "not_enough_funds").because(&e.to_string())
        })?;
    Ok(withdrawal(&w))
}
