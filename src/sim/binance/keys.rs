//! `/sapi/v1|v2/sub-account/subAccountApi…`: the master's management of its sub-accounts'
//! keys, sub-accounts named by email (docs/venues/binance.md §4).
//!
//! Every endpoint needs a master key (`-1002`); the email must name one of the caller's
//! sub-accounts and `subAccountApiKey` one of its live keys (`-1130` otherwise). A new key gets
//! the flags asked for (all default false; a sub-account key cannot be given the withdrawal
//! flag, which is not a parameter at all) and `status` 1 (unrestricted) or 2 (trusted IPs only,
//! `ipAddress` required, at most 500 characters). `subAccountApiPermission` sets every flag: one
//! not sent is false. `ipRestriction` (v2) replaces the IP list (`status` 1 unbinds); the
//! `ipList` delete removes addresses, and a list left empty unbinds. Deleted keys are refused at
//! once. The create answer is the only one that carries a secret.

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::sim::binance::caller::{Caller, SUB_FLAGS, flags};
use crate::sim::binance::params::Params;
use crate::sim::binance::reply::ApiError;
use crate::sim::binance::state::BinanceState;
use crate::sim::binance::wire;
use crate::sim::key::{Access, IpWhitelist, Permissions, Tier};
use crate::sim::state::{NewKey, Venue};

/// Reads `email` and finds it among the caller's sub-accounts.
fn sub_account(v: &Venue, c: &Caller, p: &Params) -> Result<u64, ApiError> {
    let email = p.required("email")?;
    v.own
        .get::<BinanceState>()
        .and_then(|s| s.uid_of(&email))
        .filter(|uid| v.is_sub_of(*uid, c.uid))
        .ok_or_else(|| ApiError::invalid("email"))
}

/// Finds a live key of sub-account `uid` named by `subAccountApiKey`.
pub(crate) fn target(v: &Venue, uid: u64, p: &Params) -> Result<usize, ApiError> {
    let key = p.required("subAccountApiKey")?;
    v.live_key_index(&key)
        .ok()
        .filter(|&i| v.keys[i].uid == uid && v.keys[i].tier == Tier::Sub)
        .ok_or_else(|| ApiError::invalid("subAccountApiKey"))
}

/// Parses `ipAddress`: comma-separated addresses, at most 500 characters.
pub(crate) fn parse_ips(p: &Params) -> Result<IpWhitelist, ApiError> {
    let text = p.required("ipAddress")?;
    if text.len() > 500 {
        return Err(ApiError::invalid("ipAddress"));
    }
    match IpWhitelist::parse(&Value::from(text)) {
        Ok(IpWhitelist::Only(list)) => Ok(IpWhitelist::Only(list)),
        _ => Err(ApiError::invalid("ipAddress")),
    }
}

/// Reads `status` 1 (unrestricted) or 2 (trusted IPs only, with `ipAddress`).
pub(crate) fn restriction(p: &Params, default: Option<i64>) -> Result<IpWhitelist, ApiError> {
    match p.int("status")?.or(default) {
        Some(1) => Ok(IpWhitelist::Any),
        Some(2) => parse_ips(p),
        None => Err(ApiError::missing("status")),
        Some(_) => Err(ApiError::invalid("status")),
    }
}

/// Whether a key may trade at all.
pub(crate) fn access_of(permissions: &Permissions) -> Access {
    let trades = ["canTrade", "canFuturesTrade", "canVanillaOptions"]
        .iter()
        .any(|f| permissions.has(crate::sim::binance::caller::FLAGS, f));
    if trades {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    }
}

/// The sub-account family's flags of a key, as JSON fields.
fn flag_fields(k: &crate::sim::key::ApiKey) -> serde_json::Map<String, Value> {
    SUB_FLAGS
        .iter()
        .map(|f| ((*f).to_owned(), json!(wire::flag(k, f))))
        .collect()
}

/// `GET /sapi/v1/sub-account/subAccountApi`: one sub-account's live keys, a page at a time.
pub(crate) fn list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let only = p.string("subAccountApiKey");
    let page = p.int("page")?.unwrap_or(1);
    let size = p.int("size")?.unwrap_or(30);
    if page < 1 {
        return Err(ApiError::invalid("page"));
    }
    if !(1..=100).contains(&size) {
        return Err(ApiError::invalid("size"));
    }
    let email = super::email(v, uid);
    let mut keys: Vec<_> = v
        .keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .filter(|k| only.as_ref().is_none_or(|id| *id == k.api_key))
        .collect();
    keys.sort_by_key(|k| k.created_ms);
    let total = keys.len();
    let (page, size) = (
        usize::try_from(page).unwrap_or(1),
        usize::try_from(size).unwrap_or(30),
    );
    let rows: Vec<Value> = keys
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|k| {
            let mut row = flag_fields(k);
            row.insert("email".into(), json!(email));
            row.insert("apiName".into(), json!(k.note));
            row.insert("apikey".into(), json!(k.api_key));
            row.insert("timestamp".into(), json!(k.created_ms));
            Value::Object(row)
        })
        .collect();
    Ok(json!({ "total": total, "rows": rows }))
}

/// `POST /sapi/v1|v2/sub-account/subAccountApi`: a new key, its secret shown this once.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let name = p.required("apiName")?;
    let ips = restriction(p, Some(1))?;
    let mut granted = Vec::new();
    for flag in SUB_FLAGS {
        if p.flag(flag)?.unwrap_or(false) {
            granted.push(*flag);
        }
    }
    let permissions = flags(&granted);
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note: name,
            access: access_of(&permissions),
            permissions,
            ips,
        },
        false,
    );
    let key = &mut v.keys[idx];
    key.expires_ms = None;
    // Allowed: the create answer returns the secret exactly once (docs/venues/binance.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = key.secret.expose_secret().to_owned();
    let mut shown = flag_fields(key);
    shown.insert("apiName".into(), json!(key.note));
    shown.insert("apiKey".into(), json!(key.api_key));
    shown.insert("secretKey".into(), json!(secret));
    // A number here (the create page's example); the IP restriction answers write it as text.
    shown.insert(
        "status".into(),
        json!(if matches!(key.ips, IpWhitelist::Any) {
            1
        } else {
            2
        }),
    );
    shown.insert("ipList".into(), json!(wire::ip_list(&key.ips)));
    Ok(Value::Object(shown))
}

/// `DELETE /sapi/v1/sub-account/subAccountApi`.
pub(crate) fn delete(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let api_key = v.keys[idx].api_key.clone();
    v.delete_key(&api_key)
        .map_err(|_| ApiError::invalid("subAccountApiKey"))?;
    Ok(json!({}))
}

/// `POST /sapi/v1/sub-account/subAccountApiPermission`: every flag set as sent.
pub(crate) fn permission(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let mut granted = Vec::new();
    for flag in SUB_FLAGS {
        if p.flag(flag)?.unwrap_or(false) {
            granted.push(*flag);
        }
    }
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.permissions = flags(&granted);
    key.access = access_of(&key.permissions);
    let mut shown = flag_fields(key);
    shown.insert("apiName".into(), json!(key.note));
    shown.insert("apikey".into(), json!(key.api_key));
    shown.insert("timestamp".into(), json!(now));
    Ok(Value::Object(shown))
}

/// `POST /sapi/v2/sub-account/subAccountApi/ipRestriction`.
pub(crate) fn ip_set(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let ips = restriction(p, None)?;
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.set_ips(ips, now);
    key.expires_ms = None;
    Ok(json!({
        "status": if matches!(key.ips, IpWhitelist::Any) { "1" } else { "2" },
        "ipList": wire::ip_list(&key.ips),
        "updateTime": now,
        "apiKey": key.api_key,
    }))
}

/// `GET /sapi/v1/sub-account/subAccountApi/ipRestriction`.
pub(crate) fn ip_get(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let key = &v.keys[idx];
    Ok(ip_answer(key, v.now_ms()))
}

/// `DELETE /sapi/v1/sub-account/subAccountApi/ipRestriction/ipList`.
pub(crate) fn ip_delete(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, p)?;
    let IpWhitelist::Only(gone) = parse_ips(p)? else {
        return Err(ApiError::invalid("ipAddress"));
    };
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    let left: Vec<_> = match &key.ips {
        IpWhitelist::Only(list) => list
            .iter()
            .filter(|ip| !gone.contains(ip))
            .copied()
            .collect(),
        IpWhitelist::Any => Vec::new(),
    };
    let ips = if left.is_empty() {
        IpWhitelist::Any
    } else {
        IpWhitelist::Only(left)
    };
    key.set_ips(ips, now);
    key.expires_ms = None;
    Ok(ip_answer(key, now))
}

/// A key's IP restriction as the sub-account family reads it back.
fn ip_answer(key: &crate::sim::key::ApiKey, now: i64) -> Value {
    let restricted = matches!(key.ips, IpWhitelist::Only(_));
    json!({
        "ipRestrict": if restricted { "true" } else { "false" },
        "ipList": wire::ip_list(&key.ips),
        "updateTime": now,
        "apiKey": key.api_key,
    })
}
