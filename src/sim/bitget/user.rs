//! `/api/v2/user/*`: the master's management of its virtual sub-accounts and their keys
//! (docs/venues/bitget.md §4). Main-account keys bound to IP addresses only (checked before).
//!
//! - `virtual-subaccount-apikey-list`: the live keys of one sub-account, all at once;
//! - `modify-virtual-subaccount-apikey`: `passphrase` (8–32 letters and digits) and `label`
//!   (at most 20 characters) are required; `ipList` replaces the key's list and, left out, sets
//!   it empty (the docs' words: "if not then ip whitelist is set to empty"); `permList` left out
//!   keeps the key's rights, `[]` removes them all. Whether the passphrase must be the key's or
//!   sets a new one the docs do not say (docs/venues/bitget.md §10): the simulator checks its
//!   shape only and leaves the key's passphrase as it was;
//! - `create-virtual-subaccount-apikey`: a new key with the caller's passphrase; the only answer
//!   that carries a secret;
//! - `modify-virtual-subaccount` with `status=freeze`: every key of the sub-account is refused
//!   (`40013`) until `status=normal`.
//!
//! No endpoint deletes a classic sub-account key: only `Sim::web_ui_delete_key` does.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::sim::bitget::account::RIGHTS;
use crate::sim::bitget::params::Params;
use crate::sim::bitget::{BitgetState, Caller, PERMS, Refusal};
use crate::sim::key::{Access, ApiKey, IpWhitelist, Permissions, Tier};
use crate::sim::state::{NewKey, Venue};

/// The longest label Bitget takes.
const MAX_LABEL: usize = 20;

/// The most addresses one key's `ipList` holds.
const MAX_IPS: usize = 30;

/// `subAccountUid`: one of the caller's sub-accounts.
fn sub_account(v: &Venue, c: &Caller, p: &Params) -> Result<u64, Refusal> {
    let uid = p
        .required("subAccountUid")?
        .parse::<u64>()
        .map_err(|_| Refusal::param("subAccountUid"))?;
    v.accounts
        .iter()
        .find(|a| a.uid == uid && a.parent == Some(c.uid))
        .map(|a| a.uid)
        .ok_or_else(|| {
            Refusal::new(
                "40017",
                "Parameter verification failed: subAccountUid is not a sub-account of this account",
            )
        })
}

/// A live key of sub-account `uid`.
fn target(v: &Venue, uid: u64, api_key: &str) -> Result<usize, Refusal> {
    v.live_key_index(api_key)
        .ok()
        .filter(|&i| v.keys[i].uid == uid && v.keys[i].tier == Tier::Sub)
        .ok_or_else(|| Refusal::new("40037", "Apikey does not exist"))
}

fn passphrase_ok(text: &str) -> bool {
    (8..=32).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| c.is_ascii_alphabetic())
}

fn label(p: &Params) -> Result<String, Refusal> {
    let label = p.required("label")?;
    if label.chars().count() > MAX_LABEL {
        return Err(Refusal::param("label"));
    }
    Ok(label)
}

fn ips(list: Option<Vec<String>>) -> Result<IpWhitelist, Refusal> {
    let list = list.unwrap_or_default();
    if list.len() > MAX_IPS {
        return Err(Refusal::param("ipList"));
    }
    if list.is_empty() {
        return Ok(IpWhitelist::Any);
    }
    IpWhitelist::parse(&Value::from(list.join(","))).map_err(|_| Refusal::param("ipList"))
}

/// `permList` as the key's rights; withdrawals are never granted to a sub-account key.
fn rights(list: &[String]) -> Result<Permissions, Refusal> {
    let mut granted: Vec<&str> = Vec::new();
    for right in list {
        match RIGHTS.iter().find(|r| **r == right.as_str()) {
            Some(&"withdraw") | None => return Err(Refusal::param("permList")),
            Some(r) => granted.push(r),
        }
    }
    Ok(Permissions::of(&[(PERMS, &granted)]))
}

fn access_of(p: &Permissions) -> Access {
    if p.has_any(PERMS, &["spot_trade", "margin_trade", "contract_trade"]) {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    }
}

fn row(key: &ApiKey) -> Value {
    let perms: Vec<&str> = RIGHTS
        .into_iter()
        .filter(|r| key.permissions.has(PERMS, r))
        .collect();
    json!({
        "subAccountUid": key.uid.to_string(),
        "label": key.note,
        "subAccountApiKey": key.api_key,
        "permList": perms,
        "ipList": match &key.ips {
            IpWhitelist::Any => Vec::new(),
            IpWhitelist::Only(list) => list.iter().map(ToString::to_string).collect(),
        },
    })
}

/// `GET /api/v2/user/virtual-subaccount-apikey-list`.
pub(crate) fn list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_account(v, c, p)?;
    let mut keys: Vec<&ApiKey> = v
        .keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .collect();
    keys.sort_by_key(|k| k.created_ms);
    Ok(Value::Array(keys.into_iter().map(row).collect()))
}

/// `POST /api/v2/user/modify-virtual-subaccount-apikey`.
pub(crate) fn modify(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_account(v, c, p)?;
    let idx = target(v, uid, &p.required("subAccountApiKey")?)?;
    let phrase = p.required("passphrase")?;
    if !passphrase_ok(&phrase) {
        return Err(Refusal::param("passphrase"));
    }
    let label = label(p)?;
    let ips = ips(p.list("ipList")?)?;
    let perms = p.list("permList")?.map(|l| rights(&l)).transpose()?;
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.note = label;
    key.set_ips(ips, now);
    if let Some(perms) = perms {
        key.access = access_of(&perms);
        key.permissions = perms;
    }
    let mut out = row(key);
    // The docs' example answer carries a `secretKey`; the simulator never shows a secret again.
    if let Value::Object(map) = &mut out {
        map.insert("secretKey".into(), json!(""));
    }
    Ok(out)
}

/// `POST /api/v2/user/create-virtual-subaccount-apikey`: the only answer with a secret.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_account(v, c, p)?;
    let phrase = p.required("passphrase")?;
    if !passphrase_ok(&phrase) {
        return Err(Refusal::param("passphrase"));
    }
    let label = label(p)?;
    let ips = ips(p.list("ipList")?)?;
    let perms = rights(
        &p.list("permList")?
            .unwrap_or_else(|| vec!["read".to_owned()]),
    )?;
    if v.keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .count()
        >= 10
    {
        return Err(Refusal::new(
            "40017",
            "Parameter verification failed: at most 10 API keys",
        ));
    }
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note: label,
            access: access_of(&perms),
            permissions: perms,
            ips,
        },
        false,
    );
    let key = &mut v.keys[idx];
    key.passphrase = Some(SecretString::from(phrase));
    key.expires_ms = None;
    // Allowed: the create answer returns the secret exactly once (docs/venues/bitget.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = key.secret.expose_secret().to_owned();
    let mut out = row(key);
    if let Value::Object(map) = &mut out {
        map.insert("secretKey".into(), json!(secret));
    }
    Ok(out)
}

/// `POST /api/v2/user/modify-virtual-subaccount`: `status` `freeze` or `normal`.
pub(crate) fn freeze(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, Refusal> {
    let uid = sub_account(v, c, p)?;
    if p.list("permList")?.is_none() {
        return Err(Refusal::param("permList"));
    }
    let frozen = &mut v.own.get_mut::<BitgetState>().frozen;
    match p.required("status")?.as_str() {
        "freeze" => frozen.insert(uid),
        "normal" => frozen.remove(&uid),
        _ => return Err(Refusal::param("status")),
    };
    Ok(json!({ "result": "success" }))
}
