//! API-key management: list, edit (the lock), create, remove, disable, enable
//! (docs/venues/deribit.md §4).
//!
//! Every method acts on the keys of the caller's acting account: its own, or the sub-account its
//! token was switched to with `public/exchange_token`. Keys are addressed by their numeric `id`;
//! an id that is not a key of that account is -32602. A key whose `max_scope` exceeds the
//! caller's own scope cannot be managed, and no key can be given more than the caller holds:
//! 13403 `scope_exceeded`. Changes take effect at once; removing or disabling a key ends its
//! tokens. Each change is written to the account's security log with the key's client id.
//! Deribit keys do not expire, bound or not.

use serde_json::{Value, json};

use crate::sim::deribit::caller::Caller;
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::{RpcError, code};
use crate::sim::deribit::scope::Scope;
use crate::sim::deribit::seed::{give_identity, is_key_name};
use crate::sim::deribit::state::DeribitState;
use crate::sim::deribit::{security_log, wire};
use crate::sim::key::{Access, IpWhitelist, Tier};
use crate::sim::state::{NewKey, Venue};

/// `private/list_api_keys`: every key of the acting account, removed ones excluded.
pub(crate) fn list_api_keys(v: &mut Venue, c: &Caller, _p: &Params) -> Result<Value, RpcError> {
    Ok(Value::Array(
        v.keys
            .iter()
            .filter(|k| k.uid == c.account && k.deleted_ms.is_none())
            .map(|k| wire::key(k, None))
            .collect(),
    ))
}

/// `private/edit_api_key`: `max_scope` (required), and optionally `ip_whitelist` (a JSON array;
/// an empty one unbinds), `enabled`, `name`.
pub(crate) fn edit_api_key(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let idx = target(v, c, p)?;
    let scope = parse_scope(&p.required("max_scope")?)?;
    within(&scope, c)?;
    let ips = match p.array("ip_whitelist")? {
        None => None,
        Some(list) => Some(
            IpWhitelist::parse(&json!(list))
                .map_err(|why| RpcError::param("ip_whitelist", &why))?,
        ),
    };
    let enabled = p.opt_flag("enabled")?;
    let name = p.string("name")?;
    if let Some(name) = &name
        && !is_key_name(name)
    {
        return Err(RpcError::param(
            "name",
            "must be 1 to 16 letters, digits or `_`",
        ));
    }
    let key = &mut v.keys[idx];
    let client_id = key.api_key.clone();
    let mut logs = Vec::new();
    if Scope::from_permissions(&key.permissions) != scope {
        key.permissions = scope.to_permissions();
        logs.push("changed_scope");
    }
    if let Some(ips) = ips
        && ips != key.ips
    {
        key.ips = ips;
        logs.push("changed_whitelist");
    }
    if let Some(enabled) = enabled
        && enabled != key.enabled
    {
        key.enabled = enabled;
        logs.push(if enabled {
            "enabled_api_key"
        } else {
            "disabled_api_key"
        });
    }
    if let Some(name) = name {
        key.note = name;
    }
    key.expires_ms = None;
    let out = wire::key(key, None);
    let (uid, disabled) = (key.uid, !key.enabled);
    if disabled {
        v.own.get_mut::<DeribitState>().tokens.revoke(&client_id);
    }
    for log in logs {
        security_log::record(v, uid, c.peer, log, &client_id);
    }
    Ok(out)
}

/// `private/create_api_key`: `max_scope` (required) and `name`; the only answer with a secret.
pub(crate) fn create_api_key(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let scope = parse_scope(&p.required("max_scope")?)?;
    within(&scope, c)?;
    let name = p.string("name")?.unwrap_or_default();
    if !name.is_empty() && !is_key_name(&name) {
        return Err(RpcError::param(
            "name",
            "must be 1 to 16 letters, digits or `_`",
        ));
    }
    let tier = if c.account == v.master_uid {
        Tier::Master
    } else {
        Tier::Sub
    };
    let idx = v.create_key(
        NewKey {
            uid: c.account,
            tier,
            note: name,
            permissions: scope.to_permissions(),
            access: Access::ReadWrite,
            ips: IpWhitelist::Any,
        },
        false,
    );
    give_identity(v, idx);
    let key = &v.keys[idx];
    // Allowed: create_api_key returns the secret exactly once (docs/venues/deribit.md §4).
    #[allow(clippy::disallowed_methods)]
    let secret = secrecy::ExposeSecret::expose_secret(&key.secret).to_owned();
    let out = wire::key(key, Some(&secret));
    let client_id = key.api_key.clone();
    security_log::record(v, c.account, c.peer, "new_api_key", &client_id);
    Ok(out)
}

/// `private/remove_api_key`: gone for good; answers `"ok"`.
pub(crate) fn remove_api_key(v: &mut Venue, c: &Caller, p: &Params) -> Result<Value, RpcError> {
    let idx = target(v, c, p)?;
    let now = v.now_ms();
    let key = &mut v.keys[idx];
    key.deleted_ms = Some(now);
    let client_id = key.api_key.clone();
    v.own.get_mut::<DeribitState>().tokens.revoke(&client_id);
    security_log::record(v, c.account, c.peer, "removed_api_key", &client_id);
    Ok(json!("ok"))
}

/// `private/disable_api_key` and `private/enable_api_key`: reversible.
pub(crate) fn set_enabled(
    v: &mut Venue,
    c: &Caller,
    p: &Params,
    enabled: bool,
) -> Result<Value, RpcError> {
    let idx = target(v, c, p)?;
    let key = &mut v.keys[idx];
    let changed = key.enabled != enabled;
    key.enabled = enabled;
    let client_id = key.api_key.clone();
    let out = wire::key(key, None);
    if !enabled {
        v.own.get_mut::<DeribitState>().tokens.revoke(&client_id);
    }
    if changed {
        let log = if enabled {
            "enabled_api_key"
        } else {
            "disabled_api_key"
        };
        security_log::record(v, c.account, c.peer, log, &client_id);
    }
    Ok(out)
}

/// The key `id` names in the acting account (removed keys are gone), within the caller's scope.
fn target(v: &Venue, c: &Caller, p: &Params) -> Result<usize, RpcError> {
    let id = p.int("id")?.ok_or_else(|| RpcError::missing("id"))?;
    let idx = v
        .keys
        .iter()
        .position(|k| {
            k.uid == c.account && k.deleted_ms.is_none() && k.internal_id == id.to_string()
        })
        .ok_or_else(|| RpcError::param("id", "is not a key of this account"))?;
    within(&Scope::from_permissions(&v.keys[idx].permissions), c)?;
    Ok(idx)
}

/// Refuses a scope above the caller's own (13403).
fn within(scope: &Scope, c: &Caller) -> Result<(), RpcError> {
    match scope.exceeding(&c.scope) {
        None => Ok(()),
        Some(group) => Err(RpcError::new(code::SCOPE_EXCEEDED, "scope_exceeded")
            .because(&format!("`{}` above the caller's", group.as_str()))),
    }
}

fn parse_scope(text: &str) -> Result<Scope, RpcError> {
    Scope::parse(text).map_err(|why| RpcError::param("max_scope", &why))
}
