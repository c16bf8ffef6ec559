//! API keys and sub-accounts (docs/venues/bingx.md §4).
//!
//! Any key reads its own permissions (`apiPermissions`). Only a master key lists keys
//! (`apiKey/query`, its own account's or a sub-account's, ids masked) and sub-accounts
//! (`subAccount/v1/list`), and only a master key holding "Manage Subaccounts" creates, edits
//! and deletes a sub-account's keys and freezes a sub-account ("the user who verifies the
//! signature of this API must be main account"). No route changes a master-account key: that
//! is the web interface's (`Sim::web_ui_delete_key`).
//!
//! `apiKey/edit` replaces `note` and `permissions` (both required) and the IP list: an omitted
//! `ipAddresses` is read as "no whitelist", as an empty one is (the docs do not say; a client
//! that means to keep a list must send it). Edits take effect at once; a deleted key is refused
//! at once (`100413`). A frozen sub-account's keys are refused (`100414`) until it is unfrozen.
//! Keys never expire.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::sim::bingx::params::Params;
use crate::sim::bingx::{Caller, PERMS, Refusal};
use crate::sim::key::{Access, ApiKey, IpWhitelist, Permissions, Tier};
use crate::sim::state::{NewKey, Venue};

/// The permission codes a sub-account key may be given at creation (the docs' list: 1 spot
/// trading, 2 read, 3 perpetual futures trading, 4 universal transfer, 5 withdraw, 7 internal
/// transfer between sub-accounts; 6 appears in the edit example, unnamed).
const CREATE_CODES: &[&str] = &["1", "2", "3", "4", "5", "6", "7"];

/// The codes an edit may set: the edit's list has no 5 (withdraw).
const EDIT_CODES: &[&str] = &["1", "2", "3", "4", "6", "7"];

/// The sub-accounts a master froze.
#[derive(Debug, Default)]
pub(crate) struct Frozen(BTreeSet<u64>);

/// Whether `uid` is a frozen sub-account.
pub(crate) fn is_frozen(v: &Venue, uid: u64) -> bool {
    v.own.get::<Frozen>().is_some_and(|f| f.0.contains(&uid))
}

/// A key's permission codes, as numbers, in order.
fn codes(key: &ApiKey) -> Vec<u64> {
    let mut out: Vec<u64> = CREATE_CODES
        .iter()
        .filter(|c| key.permissions.has(PERMS, c))
        .filter_map(|c| c.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

fn ips(key: &ApiKey) -> Vec<String> {
    match &key.ips {
        IpWhitelist::Any => Vec::new(),
        IpWhitelist::Only(list) => list.iter().map(ToString::to_string).collect(),
    }
}

/// A key id as the listings show it: two characters, stars, two characters.
fn masked(api_key: &str) -> String {
    let n = api_key.len();
    if n <= 4 {
        return "*".repeat(n);
    }
    format!("{}*******{}", &api_key[..2], &api_key[n - 2..])
}

/// `GET /openApi/v1/account/apiPermissions`: the calling key.
pub(crate) fn api_permissions(v: &mut Venue, c: &Caller) -> Result<Value, Refusal> {
    let key = v
        .live_key(&c.api_key)
        .ok_or_else(|| Refusal::new(100_413, "Incorrect apiKey"))?;
    Ok(json!({
        "apiKey": key.api_key,
        "permissions": codes(key),
        "ipAddresses": ips(key),
        "note": key.note,
    }))
}

/// A sub-account UID parameter, checked to be one of the caller's.
fn sub_uid(v: &Venue, c: &Caller, p: &Params, name: &str) -> Result<u64, Refusal> {
    let uid = p
        .uint(name)?
        .ok_or_else(|| Refusal::new(100_400, format!("miss arguments: {name}")))?;
    if !v.is_sub_of(uid, c.uid) {
        return Err(Refusal::new(
            100_400,
            format!("{uid} is not a sub-account of this main account"),
        ));
    }
    Ok(uid)
}

/// `GET /openApi/account/v1/apiKey/query`: the live keys of the caller's account or of one of
/// its sub-accounts (`uid`), or the one `apiKey` names.
pub(crate) fn query(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = p
        .uint("uid")?
        .ok_or_else(|| Refusal::new(100_400, "miss arguments: uid"))?;
    if uid != c.uid && !v.is_sub_of(uid, c.uid) {
        return Err(Refusal::new(
            100_400,
            format!("{uid} is not this account or one of its sub-accounts"),
        ));
    }
    let wanted = p.text("apiKey");
    let rows: Vec<Value> = v
        .keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .filter(|k| wanted.as_ref().is_none_or(|w| *w == k.api_key))
        .map(|k| {
            json!({
                "apiKey": masked(&k.api_key),
                "note": k.note,
                "permissions": codes(k),
                // An unbound key is listed with `[""]`, as the docs' example shows it.
                "ipAddresses": if ips(k).is_empty() { vec![String::new()] } else { ips(k) },
                "status": 0,
                "createTime": k.created_ms,
                "updateTime": k.created_ms,
            })
        })
        .collect();
    Ok(json!({ "apiInfos": rows }))
}

/// `GET /openApi/subAccount/v1/list`: `page` (from 1) and `limit` (at most 1000).
pub(crate) fn sub_list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let page = p.uint("page")?.unwrap_or(1).max(1);
    let limit = p.uint("limit")?.unwrap_or(100);
    if limit == 0 || limit > 1000 {
        return Err(Refusal::invalid("limit"));
    }
    let subs: Vec<Value> = v
        .accounts
        .iter()
        .filter(|a| a.parent == Some(c.uid))
        .map(|a| {
            json!({
                "subUid": a.uid.to_string(),
                "subAccountString": a.note,
                "note": "",
                "freeze": is_frozen(v, a.uid),
                "createTime": 0,
            })
        })
        .collect();
    let total = subs.len();
    let rows: Vec<Value> = subs
        .into_iter()
        .skip(usize::try_from((page - 1) * limit).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(json!({ "result": rows, "pageId": page, "total": total }))
}

/// Permission codes from an array parameter, each one of `allowed`.
fn parse_codes(p: &Params, allowed: &[&str]) -> Result<Permissions, Refusal> {
    let Some(Value::Array(items)) = p.value("permissions") else {
        return Err(Refusal::new(100_400, "miss arguments: permissions"));
    };
    let mut granted: Vec<String> = Vec::new();
    for item in items {
        let code = match item {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_owned(),
            _ => return Err(Refusal::invalid("permissions")),
        };
        if !allowed.contains(&code.as_str()) {
            return Err(Refusal::invalid(&format!("permissions: {code}")));
        }
        if !granted.contains(&code) {
            granted.push(code);
        }
    }
    let refs: Vec<&str> = granted.iter().map(String::as_str).collect();
    Ok(Permissions::of(&[(PERMS, &refs)]))
}

fn parse_ips(p: &Params) -> Result<IpWhitelist, Refusal> {
    match p.value("ipAddresses") {
        None => Ok(IpWhitelist::Any),
        Some(raw) => IpWhitelist::parse(raw).map_err(|why| Refusal::invalid(&why)),
    }
}

/// The live key of sub-account `uid` that `apiKey` names.
fn sub_key(v: &Venue, uid: u64, p: &Params) -> Result<usize, Refusal> {
    let api_key = p.required("apiKey")?;
    v.keys
        .iter()
        .position(|k| k.uid == uid && k.tier == Tier::Sub && k.is_live() && k.api_key == api_key)
        .ok_or_else(|| Refusal::new(100_400, "apiKey is not a live key of this sub-account"))
}

/// `POST /openApi/subAccount/v1/apiKey/create`: the only answer that carries a secret.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_uid(v, c, p, "subUid")?;
    let note = p.required("note")?;
    let permissions = parse_codes(p, CREATE_CODES)?;
    let whitelist = parse_ips(p)?;
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note,
            permissions,
            access: Access::ReadWrite,
            ips: whitelist,
        },
        false,
    );
    v.keys[idx].expires_ms = None;
    let key = &v.keys[idx];
    // Allowed: apiKey/create returns the secret exactly once (docs/venues/bingx.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = secrecy::ExposeSecret::expose_secret(&key.secret).to_owned();
    Ok(json!({
        "note": key.note,
        "apiKey": key.api_key,
        "apiSecret": secret,
        "permissions": codes(key),
        "ipAddresses": ips(key),
    }))
}

/// `POST /openApi/subAccount/v1/apiKey/edit`.
pub(crate) fn edit(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_uid(v, c, p, "subUid")?;
    let idx = sub_key(v, uid, p)?;
    let note = p.required("note")?;
    let permissions = parse_codes(p, EDIT_CODES)?;
    let whitelist = parse_ips(p)?;
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.note = note;
    key.permissions = permissions;
    key.set_ips(whitelist, now);
    key.expires_ms = None;
    let key = &v.keys[idx];
    Ok(json!({
        "note": key.note,
        "permissions": codes(key),
        "ipAddresses": ips(key),
    }))
}

/// `POST /openApi/subAccount/v1/apiKey/del`.
pub(crate) fn delete(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_uid(v, c, p, "subUid")?;
    let idx = sub_key(v, uid, p)?;
    let api_key = v.keys[idx].api_key.clone();
    v.delete_key(&api_key)
        .map_err(|_| Refusal::new(100_413, "Incorrect apiKey"))?;
    Ok(Value::Null)
}

/// `POST /openApi/subAccount/v1/updateStatus`: `freeze` true or false.
pub(crate) fn freeze(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_uid(v, c, p, "subUid")?;
    let freeze = p
        .flag("freeze")?
        .ok_or_else(|| Refusal::new(100_400, "miss arguments: freeze"))?;
    let set = &mut v.own.get_mut::<Frozen>().0;
    if freeze {
        set.insert(uid);
    } else {
        set.remove(&uid);
    }
    Ok(json!({ "subUid": uid, "freeze": freeze }))
}
