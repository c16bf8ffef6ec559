//! `account/config` and `/api/v5/users/subaccount/*`: the calling key, and the master's
//! management of its sub-accounts' keys (docs/venues/okx.md §4).
//!
//! Sub-accounts are named (`subAcct`, 6 to 20 letters and digits; the simulator keeps the name in
//! the account's note). Listing needs a master key (`59500`); modifying, deleting and creating
//! also need it bound to IP addresses (`50035`) and `trade`. `modify-apikey` replaces each of
//! `label`, `perm`, `ip` that is passed and keeps the others; `ip=""` unbinds. A new key's
//! passphrase must meet OKX's rules (`59505`) and its label be unique on the sub-account
//! (`59502` is modelled as `51000`). Deleted keys are refused at once. OKX expires keys that are
//! unbound and unused for 14 days; the simulator does not model that, so its OKX keys never
//! expire. The create answer is the only one that carries a secret and a passphrase.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::sim::key::{Access, IpWhitelist, Tier};
use crate::sim::okx::caller::{Caller, parse_perm, perm_text};
use crate::sim::okx::params::Params;
use crate::sim::okx::reply::{ApiError, Code, Outcome};
use crate::sim::okx::wire;
use crate::sim::state::{NewKey, Venue};

/// `GET /api/v5/account/config`: the calling key's account, label, IPs and permissions.
pub(crate) fn config(v: &mut Venue, c: &Caller, _p: &Params) -> Result<Outcome, ApiError> {
    let key = v
        .live_key(&c.api_key)
        .ok_or_else(|| ApiError::new(Code::KeyDoesNotExist, "API key doesn't exist"))?;
    Ok(Outcome::Data(json!([wire::config(v, key)])))
}

/// `GET /api/v5/users/subaccount/apikey`: the live keys of one sub-account (all at once).
pub(crate) fn list(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_master()?;
    let (uid, _) = sub_account(v, c, p)?;
    let only = p.string("apiKey")?;
    let mut keys: Vec<_> = v
        .keys
        .iter()
        .filter(|k| k.uid == uid && k.is_live())
        .filter(|k| only.as_ref().is_none_or(|id| id == &k.api_key))
        .collect();
    keys.sort_by_key(|k| k.created_ms);
    Ok(Outcome::Data(Value::Array(
        keys.into_iter().map(wire::sub_key).collect(),
    )))
}

/// `POST /api/v5/users/subaccount/modify-apikey`: replace `label`, `perm`, `ip` of a sub key.
pub(crate) fn modify(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_key_admin()?;
    let (uid, name) = sub_account(v, c, p)?;
    let idx = target_key(v, uid, &p.required("apiKey")?)?;
    let label = p.string("label")?;
    let perm = p
        .string("perm")?
        .map(|text| parse_perm(Some(&text)))
        .transpose()?;
    // `ip` passed as "" unbinds the key, so absent and empty differ here.
    let ips = match p.string("ip")? {
        Some(text) => Some(parse_ips(&text)?),
        None if p.present("ip") => Some(IpWhitelist::Any),
        None => None,
    };
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    if let Some(label) = label {
        key.note = label;
    }
    if let Some(perm) = perm {
        key.access = access_of(&perm);
        key.permissions = perm;
    }
    if let Some(ips) = ips {
        key.set_ips(ips, now);
        key.expires_ms = None;
    }
    Ok(Outcome::Data(json!([{
        "subAcct": name,
        "label": key.note,
        "apiKey": key.api_key,
        "perm": perm_text(&key.permissions),
        "ip": wire::ip_text(&key.ips),
        "ts": key.created_ms.to_string(),
    }])))
}

/// `POST /api/v5/users/subaccount/delete-apikey`.
pub(crate) fn delete(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_key_admin()?;
    let (uid, name) = sub_account(v, c, p)?;
    let idx = target_key(v, uid, &p.required("apiKey")?)?;
    let api_key = v.keys[idx].api_key.clone();
    v.delete_key(&api_key)
        .map_err(|_| ApiError::new(Code::TargetKeyDoesNotExist, "API key doesn't exist."))?;
    Ok(Outcome::Data(json!([{ "subAcct": name }])))
}

/// `POST /api/v5/users/subaccount/apikey`: a new key for a sub-account, with the caller's
/// passphrase. The only answer that ever carries a secret and a passphrase.
pub(crate) fn create(v: &mut Venue, c: &Caller, p: &Params) -> Result<Outcome, ApiError> {
    c.require_key_admin()?;
    let (uid, name) = sub_account(v, c, p)?;
    let label = p.required("label")?;
    let passphrase = p.required("passphrase")?;
    if !passphrase_ok(&passphrase) {
        return Err(ApiError::new(
            Code::PassphraseFormat,
            "The passphrase format is incorrect.",
        ));
    }
    let permissions = parse_perm(p.string("perm")?.as_deref())?;
    let ips = match p.string("ip")? {
        Some(text) => parse_ips(&text)?,
        None => IpWhitelist::Any,
    };
    if v.keys
        .iter()
        .any(|k| k.uid == uid && k.is_live() && k.note == label)
    {
        return Err(ApiError::invalid(
            "label",
            "this note name already exists; enter a unique API key note name",
        ));
    }
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note: label,
            access: access_of(&permissions),
            permissions,
            ips,
        },
        false,
    );
    let key = &mut v.keys[idx];
    key.passphrase = Some(SecretString::from(passphrase.clone()));
    key.expires_ms = None;
    // Allowed: the create answer returns the secret exactly once (docs/venues/okx.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = key.secret.expose_secret().to_owned();
    Ok(Outcome::Data(json!([{
        "subAcct": name,
        "label": key.note,
        "apiKey": key.api_key,
        "secretKey": secret,
        "passphrase": passphrase,
        "perm": perm_text(&key.permissions),
        "ip": wire::ip_text(&key.ips),
        "ts": key.created_ms.to_string(),
    }])))
}

/// Reads `subAcct` and finds it among the caller's sub-accounts: its UID and name.
fn sub_account(v: &Venue, c: &Caller, p: &Params) -> Result<(u64, String), ApiError> {
    let name = p.required("subAcct")?;
    v.accounts
        .iter()
        .find(|a| a.parent == Some(c.uid) && a.note == name)
        .map(|a| (a.uid, name))
        .ok_or_else(|| ApiError::new(Code::SubAccountDoesNotExist, "Sub-account does not exist"))
}

/// Finds a live key of sub-account `uid` (`59506` otherwise).
fn target_key(v: &Venue, uid: u64, api_key: &str) -> Result<usize, ApiError> {
    v.live_key_index(api_key)
        .ok()
        .filter(|&i| v.keys[i].uid == uid && v.keys[i].tier == Tier::Sub)
        .ok_or_else(|| ApiError::new(Code::TargetKeyDoesNotExist, "API key doesn't exist."))
}

/// Parses `ip`: comma-separated addresses, at most 20 (`59503`, modelled as `51000`).
fn parse_ips(text: &str) -> Result<IpWhitelist, ApiError> {
    let ips = IpWhitelist::parse(&Value::from(text))
        .map_err(|why| ApiError::invalid("ip", &why.replace("`ips`", "`ip`")))?;
    if let IpWhitelist::Only(list) = &ips
        && list.len() > 20
    {
        return Err(ApiError::invalid(
            "ip",
            "each API key can bind up to 20 IP addresses",
        ));
    }
    Ok(ips)
}

/// `read_only` keys cannot change anything.
fn access_of(permissions: &crate::sim::key::Permissions) -> Access {
    if permissions.has(crate::sim::okx::caller::PERM, "trade") {
        Access::ReadWrite
    } else {
        Access::ReadOnly
    }
}

/// OKX's passphrase rules, as the server checks them: 8 to 32 printable characters with at
/// least one digit, one uppercase letter, one lowercase letter and one special character.
fn passphrase_ok(text: &str) -> bool {
    (8..=32).contains(&text.chars().count())
        && text.chars().all(|c| c.is_ascii_graphic())
        && text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| c.is_ascii_uppercase())
        && text.chars().any(|c| c.is_ascii_lowercase())
        && text.chars().any(|c| !c.is_ascii_alphanumeric())
}
