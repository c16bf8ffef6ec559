//! `/v5/user/*`: query, list, restrict, delete and create API keys (docs/venues/bybit.md §4).
//!
//! Who may act on which key follows the docs: a master key manages keys of its own sub-accounts
//! (passing `apikey`); a sub key manages only itself (and must not pass `apikey`); a master key
//! deletes only itself with `delete-api`. Every change needs a read-write key with a Wallet
//! permission. `update-sub-api` applies the documented defaults for what is omitted, read
//! literally (docs `user/modify-sub-apikey.mdx`): no `readOnly` is "0 (default): Read and Write",
//! no `ips` "means no bind"; only `permissions` is kept when omitted ("Don't send this param if
//! you don't want to change the permission"). A client that means to keep a value must send it.
//! Deleted keys are refused at once. A master freezes a sub UID with `frozen-sub-member`: every key
//! of it is refused from then on, until it is unfrozen.

use serde_json::{Value, json};

use crate::sim::bybit::caller::Caller;
use crate::sim::bybit::page::PageReq;
use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::bybit::wire;
use crate::sim::key::{Access, IpWhitelist, Permissions, Tier};
use crate::sim::state::{IpEditPolicy, NewKey, Venue};

/// `GET /v5/user/query-api`: the calling key.
pub(crate) fn query_api(v: &mut Venue, c: &Caller, _p: &Params) -> Result<Value, ApiError> {
    let idx = v
        .live_key_index(&c.api_key)
        .map_err(|_| ApiError::new(RetCode::InvalidApiKey, "API key is invalid."))?;
    let key = &v.keys[idx];
    let parent = v.account(key.uid).and_then(|a| a.parent);
    Ok(wire::key_info(key, parent, v.now_ms()))
}

/// `GET /v5/user/sub-apikeys`: a sub-account's live keys, master only.
pub(crate) fn sub_apikeys(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_master()?;
    let sub = sub_uid(v, c, p, "subMemberId")?;
    let page = PageReq::from_params(p, 20, 20)?;
    let now = v.now_ms();
    let keys: Vec<_> = v
        .keys
        .iter()
        .filter(|k| k.uid == sub && k.is_live())
        .collect();
    let (keys, next) = page.page(
        keys,
        |k| (k.created_ms, k.internal_id.clone()),
        &mut v.short_page,
    );
    let list: Vec<Value> = keys.into_iter().map(|k| wire::sub_key(k, now)).collect();
    Ok(json!({ "result": list, "nextPageCursor": next }))
}

/// `POST /v5/user/update-sub-api`: change `readOnly`, `ips`, `permissions` of a sub key.
pub(crate) fn update_sub_api(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_key_admin()?;
    let idx = target_sub_key(v, c, p)?;
    let access = match p.flag("readOnly")? {
        Some(true) => Access::ReadOnly,
        Some(false) | None => Access::ReadWrite,
    };
    let ips = match p.value("ips") {
        None => IpWhitelist::Any,
        Some(raw) => IpWhitelist::parse(raw)
            .map_err(|why| ApiError::new(RetCode::ParamError, format!("params error: {why}")))?,
    };
    let permissions = p
        .value("permissions")
        .map(parse_sub_permissions)
        .transpose()?;
    if p.value("ips").is_some() && v.ip_edit == IpEditPolicy::WebUiOnly {
        // docs/venues/bybit.md §4: 141019, the IP whitelist can only be edited in the web UI.
        return Err(ApiError::new(
            RetCode::IpEditWebUiOnly,
            "The IP whitelist of this API key can only be modified on the website.",
        ));
    }
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.access = access;
    key.set_ips(ips, now);
    if let Some(permissions) = permissions {
        key.permissions = permissions;
    }
    let mut out = wire::key_core(key);
    if let Value::Object(m) = &mut out {
        m.insert("ips".to_owned(), json!(key.ips.to_wire()));
    }
    Ok(out)
}

/// `POST /v5/user/delete-sub-api`: delete a sub key (master with `apikey`, or the key itself).
pub(crate) fn delete_sub_api(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_key_admin()?;
    let idx = target_sub_key(v, c, p)?;
    let api_key = v.keys[idx].api_key.clone();
    v.delete_key(&api_key)
        .map_err(|e| ApiError::invalid("apikey", &e.to_string()))?;
    Ok(json!({}))
}

/// The sub UIDs a master froze (`frozen-sub-member`).
#[derive(Debug, Default)]
pub(crate) struct Frozen(std::collections::BTreeSet<u64>);

/// Whether `uid` is a frozen sub-account: its keys are refused.
pub(crate) fn is_frozen(v: &Venue, uid: u64) -> bool {
    v.own.get::<Frozen>().is_some_and(|f| f.0.contains(&uid))
}

/// How a key of a frozen sub UID is refused. The docs do not say which code that is: `10008`
/// ("User has been banned.", docs/venues/bybit.md §8) is the documented one closest in meaning.
pub(crate) fn frozen_refusal() -> ApiError {
    ApiError::new(RetCode::UserBanned, "User has been banned.")
}

/// `POST /v5/user/frozen-sub-member`: a master freezes (`frozen` 1) or unfreezes (0) one of its
/// sub UIDs; master keys only, read-write with AccountTransfer, SubMemberTransfer or Withdraw
/// (docs/venues/bybit.md §4).
pub(crate) fn frozen_sub_member(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_master()?;
    c.require_write()?;
    c.require(
        "Wallet",
        &["AccountTransfer", "SubMemberTransfer", "Withdraw"],
    )?;
    let uid = sub_uid(v, c, p, "subuid")?;
    let frozen = match p.int("frozen")? {
        None => return Err(ApiError::missing("frozen")),
        Some(1) => true,
        Some(0) => false,
        Some(_) => return Err(ApiError::invalid("frozen", "must be 0 or 1")),
    };
    let set = &mut v.own.get_mut::<Frozen>().0;
    if frozen {
        set.insert(uid);
    } else {
        set.remove(&uid);
    }
    Ok(json!({}))
}

/// `POST /v5/user/delete-api`: a master-account key deletes itself.
pub(crate) fn delete_api(v: &mut Venue, c: &Caller, _p: &Params) -> Result<Value, ApiError> {
    c.require_master()?;
    c.require_key_admin()?;
    v.delete_key(&c.api_key)
        .map_err(|_| ApiError::new(RetCode::InvalidApiKey, "API key is invalid."))?;
    Ok(json!({}))
}

/// `POST /v5/user/create-sub-api`: a new key for one of the master's sub-accounts. The only
/// answer that ever carries a secret.
pub(crate) fn create_sub_api(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, ApiError> {
    c.require_master()?;
    c.require_key_admin()?;
    let uid = sub_uid(v, c, p, "subuid")?;
    let access = match p.flag("readOnly")? {
        None => return Err(ApiError::missing("readOnly")),
        Some(true) => Access::ReadOnly,
        Some(false) => Access::ReadWrite,
    };
    let permissions = parse_sub_permissions(
        p.value("permissions")
            .ok_or_else(|| ApiError::missing("permissions"))?,
    )?;
    let ips = match p.value("ips") {
        None => IpWhitelist::Any,
        Some(raw) => IpWhitelist::parse(raw)
            .map_err(|why| ApiError::new(RetCode::ParamError, format!("params error: {why}")))?,
    };
    let note = p.string("note")?.unwrap_or_default();
    let idx = v.create_key(
        NewKey {
            uid,
            tier: Tier::Sub,
            note,
            permissions,
            access,
            ips,
        },
        false,
    );
    let key = &v.keys[idx];
    let mut out = wire::key_core(key);
    // Allowed: create-sub-api returns the secret exactly once (docs/venues/bybit.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = secrecy::ExposeSecret::expose_secret(&key.secret).to_owned();
    if let Value::Object(m) = &mut out {
        m.insert("secret".to_owned(), json!(secret));
    }
    Ok(out)
}

/// Reads a sub-account UID parameter and checks it belongs to the calling master.
fn sub_uid(v: &Venue, c: &Caller, p: &Params, name: &str) -> Result<u64, ApiError> {
    let uid = p
        .int(name)?
        .ok_or_else(|| ApiError::missing(name))
        .and_then(|n| u64::try_from(n).map_err(|_| ApiError::invalid(name, "must be a UID")))?;
    if !v.is_sub_of(uid, c.uid) {
        return Err(ApiError::invalid(
            name,
            &format!("`{uid}` is not a sub-account of this master account"),
        ));
    }
    Ok(uid)
}

/// Resolves the key a sub-key operation acts on (docs/venues/bybit.md §4): a master names it with
/// `apikey` and it must belong to one of its sub-accounts; a sub key acts on itself and must not
/// pass `apikey`.
fn target_sub_key(v: &Venue, c: &Caller, p: &Params) -> Result<usize, ApiError> {
    let named = p.string("apikey")?;
    match (c.tier, named) {
        (Tier::Master, None) => Err(ApiError::missing("apikey")),
        (Tier::Master, Some(target)) => v
            .live_key_index(&target)
            .ok()
            .filter(|&i| v.keys[i].tier == Tier::Sub && v.is_sub_of(v.keys[i].uid, c.uid))
            .ok_or_else(|| {
                ApiError::invalid(
                    "apikey",
                    &format!("`{target}` is not a live key of a sub-account of this master"),
                )
            }),
        (Tier::Sub, Some(_)) => Err(ApiError::invalid(
            "apikey",
            "must not be passed when a sub-account key acts on itself",
        )),
        (Tier::Sub, None) => v
            .live_key_index(&c.api_key)
            .map_err(|_| ApiError::new(RetCode::InvalidApiKey, "API key is invalid.")),
    }
}

/// Parses a sub key's permissions; at least one group must grant something.
fn parse_sub_permissions(raw: &Value) -> Result<Permissions, ApiError> {
    let perms = Permissions::parse(raw, Tier::Sub)
        .map_err(|why| ApiError::new(RetCode::ParamError, format!("params error: {why}")))?;
    if perms.is_empty() {
        return Err(ApiError::invalid(
            "permissions",
            "must grant at least one permission group",
        ));
    }
    Ok(perms)
}
