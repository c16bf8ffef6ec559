//! `/sapi/v1|v2/broker/subAccountApi…`: Binance Link, the broker's management of its
//! sub-accounts' keys, sub-accounts named by `subAccountId` (docs/venues/binance.md §4).
//!
//! Every endpoint needs a master key that can trade (`-1002`); `subAccountId` must name one of
//! the caller's sub-accounts (the simulator's id is the account's UID) and `subAccountApiKey`
//! one of its live keys (`-1130` otherwise). A new key takes `canTrade` (required),
//! `marginTrade` and `futuresTrade`, no name and no address: it is unrestricted until
//! `ipRestriction` binds it. The listing masks key ids (`vmP*************`, the docs' example)
//! and shows no IP list. The permission change takes all three flags (required). The create
//! answer is the only one that carries a secret. Setting the IP restriction answers the
//! sub-account family's shape (`status, ipList, updateTime, apiKey`), as its page shows.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::sim::binance::caller::{Caller, flags};
use crate::sim::binance::keys::{access_of, restriction, target};
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::ApiError;
use crate::sim::binance::wire;
use crate::sim::key::{ApiKey, IpWhitelist, Tier};
use crate::sim::state::{NewKey, Venue};

/// Reads `subAccountId` and finds it among the caller's sub-accounts.
fn sub_account(v: &Venue, c: &Caller, p: &Params) -> Result<u64, ApiError> {
    p.required("subAccountId")?
        .parse::<u64>()
        .ok()
        .filter(|uid| v.is_sub_of(*uid, c.uid))
        .ok_or_else(|| ApiError::invalid("subAccountId"))
}

/// The broker family's three flags, from the simulator's flag names.
fn broker_flags(k: &ApiKey) -> (bool, bool, bool) {
    (
        wire::flag(k, "canTrade"),
        wire::flag(k, "canMarginLoanRepay"),
        wire::flag(k, "canFuturesTrade"),
    )
}

/// Reads the three flags; `required` makes each mandatory (the permission change), else only
/// `canTrade` is (the create).
fn read_flags(p: &Params, required: bool) -> Result<Vec<&'static str>, ApiError> {
    let mut granted = Vec::new();
    for (name, flag) in [
        ("canTrade", "canTrade"),
        ("marginTrade", "canMarginLoanRepay"),
        ("futuresTrade", "canFuturesTrade"),
    ] {
        let value = match p.flag(name)? {
            Some(on) => on,
            None if required || name == "canTrade" => return Err(ApiError::missing(name)),
            None => false,
        };
        if value {
            granted.push(flag);
        }
    }
    Ok(granted)
}

/// `POST /sapi/v1/broker/subAccountApi`: a new, unrestricted key.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let permissions = flags(&read_flags(p, false)?);
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note: String::new(),
            access: access_of(&permissions),
            permissions,
            ips: IpWhitelist::Any,
        },
        false,
    );
    let key = &mut v.keys[idx];
    key.expires_ms = None;
    // Allowed: the create answer returns the secret exactly once (docs/venues/binance.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = key.secret.expose_secret().to_owned();
    let (trade, margin, futures) = broker_flags(key);
    Ok(json!({
        "subaccountId": uid.to_string(),
        "apiKey": key.api_key,
        "secretKey": secret,
        "canTrade": trade,
        "marginTrade": margin,
        "futuresTrade": futures,
    }))
}

/// `DELETE /sapi/v1/broker/subAccountApi`.
pub(crate) fn delete(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let api_key = v.keys[idx].api_key.clone();
    v.delete_key(&api_key)
        .map_err(|_| ApiError::invalid("subAccountApiKey"))?;
    Ok(json!({}))
}

/// `GET /sapi/v1/broker/subAccountApi`: one sub-account's live keys, ids masked.
pub(crate) fn list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let only = p.string("subAccountApiKey");
    let page = usize::try_from(p.int("page")?.unwrap_or(1).max(1)).unwrap_or(1);
    let size = p.int("size")?.unwrap_or(500);
    if !(1..=500).contains(&size) {
        return Err(ApiError::invalid("size"));
    }
    let size = usize::try_from(size).unwrap_or(500);
    let mut keys: Vec<&ApiKey> = v
        .keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .filter(|k| only.as_ref().is_none_or(|id| *id == k.api_key))
        .collect();
    keys.sort_by_key(|k| k.created_ms);
    Ok(Value::Array(
        keys.into_iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|k| {
                let (trade, margin, futures) = broker_flags(k);
                json!({
                    "apikey": wire::masked(&k.api_key),
                    "subaccountId": uid.to_string(),
                    "canTrade": trade,
                    "marginTrade": margin,
                    "futuresTrade": futures,
                })
            })
            .collect(),
    ))
}

/// `POST /sapi/v1/broker/subAccountApi/permission`.
pub(crate) fn permission(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let granted = read_flags(p, true)?;
    let key = &mut v.keys[idx];
    key.permissions = flags(&granted);
    key.access = access_of(&key.permissions);
    let (trade, margin, futures) = broker_flags(key);
    Ok(json!({
        "subaccountId": uid.to_string(),
        "apikey": key.api_key,
        "canTrade": trade,
        "marginTrade": margin,
        "futuresTrade": futures,
    }))
}

/// `POST /sapi/v2/broker/subAccountApi/ipRestriction`.
pub(crate) fn ip_set(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let ips = restriction(p, None)?;
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.set_ips(ips, now);
    key.expires_ms = None;
    // The page's answer: no `subaccountId`, and the key as `apiKey` (the other broker answers
    // say `apikey`).
    Ok(json!({
        "status": if matches!(key.ips, IpWhitelist::Any) { "1" } else { "2" },
        "ipList": wire::ip_list(&key.ips),
        "updateTime": now,
        "apiKey": key.api_key,
    }))
}

/// `GET /sapi/v1/broker/subAccountApi/ipRestriction`.
pub(crate) fn ip_get(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let key = &v.keys[idx];
    Ok(json!({
        "subaccountId": uid.to_string(),
        "ipRestrict": matches!(key.ips, IpWhitelist::Only(_)),
        "apikey": key.api_key,
        "ipList": wire::ip_list(&key.ips),
        "updateTime": v.now_ms(),
    }))
}
