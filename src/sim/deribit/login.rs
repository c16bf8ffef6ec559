//! `public/auth` and `public/exchange_token`: where tokens come from (docs/venues/deribit.md §2).
//!
//! `public/auth` takes the `client_signature` grant (signature over `timestamp\nnonce\ndata`),
//! `client_credentials` (the secret itself) or `refresh_token`. Refusals, in order: an unknown
//! grant -32602; a stale timestamp 13009; an unknown, removed or disabled key 13004
//! `invalid_credentials`; a bad signature or secret 13009 with reason `invalid_signature`; a
//! reused nonce 13009; an address outside the key's whitelist 13021 `ip_not_whitelisted`.
//! `public/exchange_token` turns a refresh token into a token for another subject: the key's
//! own account, or, for a main-account key, one of its sub-accounts (else 13021
//! `not_a_subaccount`). Logins are written to the key's account's security log. Answers:
//! `access_token`, `expires_in` (seconds), `refresh_token`, `scope`, `token_type: "bearer"`.

use std::net::IpAddr;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::sim::deribit::auth;
use crate::sim::deribit::caller::{invalid_credentials, invalid_token, unauthorized, usable_key};
use crate::sim::deribit::params::Params;
use crate::sim::deribit::reply::RpcError;
use crate::sim::deribit::security_log;
use crate::sim::deribit::state::DeribitState;
use crate::sim::key::Tier;
use crate::sim::state::Venue;

/// `public/auth`.
pub(crate) fn auth(v: &mut Venue, p: &Params, peer: Option<IpAddr>) -> Result<Value, RpcError> {
    let now = v.now_ms();
    let grant_type = p.required("grant_type")?;
    if grant_type == "refresh_token" {
        let token = p.required("refresh_token")?;
        let grant = v
            .own
            .get_mut::<DeribitState>()
            .tokens
            .refresh(&token, now)
            .cloned()
            .ok_or_else(invalid_token)?;
        return issue(v, &grant.client_id, grant.subject, peer);
    }
    let client_id = p.required("client_id")?;
    // A refused login of a key the account has (disabled ones included) is in its log.
    let known = v
        .keys
        .iter()
        .find(|k| k.api_key == client_id && k.deleted_ms.is_none())
        .map(|k| k.uid);
    match verify(v, p, &grant_type, &client_id, now) {
        Ok(uid) => issue(v, &client_id, uid, peer),
        Err(err) => {
            if let Some(uid) = known {
                security_log::record(v, uid, peer, "failure", &client_id);
            }
            Err(err)
        }
    }
}

/// Checks a `client_signature` or `client_credentials` login; the key's account when it holds.
fn verify(
    v: &mut Venue,
    p: &Params,
    grant_type: &str,
    client_id: &str,
    now: i64,
) -> Result<u64, RpcError> {
    let nonce = match grant_type {
        "client_signature" => {
            let timestamp_raw = p.required("timestamp")?;
            let timestamp: i64 = timestamp_raw
                .parse()
                .map_err(|_| RpcError::param("timestamp", "must be milliseconds"))?;
            let nonce = p.required("nonce")?;
            let signature = p.required("signature")?;
            let data = p.string("data")?.unwrap_or_default();
            if !auth::in_window(timestamp, now) {
                return Err(unauthorized("timestamp_out_of_window"));
            }
            let key = usable_key(v, client_id).ok_or_else(invalid_credentials)?;
            let text = auth::client_signature_string(&timestamp_raw, &nonce, &data);
            if !auth::signature_matches(&key.secret, &text, &signature) {
                return Err(unauthorized("invalid_signature"));
            }
            Some(nonce)
        }
        "client_credentials" => {
            let secret = p.required("client_secret")?;
            let key = usable_key(v, client_id).ok_or_else(invalid_credentials)?;
            // Allowed: this is where a credential is checked.
            #[allow(clippy::disallowed_methods)]
            let matches = key.secret.expose_secret() == secret;
            if !matches {
                return Err(unauthorized("invalid_signature"));
            }
            None
        }
        _ => {
            return Err(RpcError::param(
                "grant_type",
                "must be client_signature, client_credentials or refresh_token",
            ));
        }
    };
    if let Some(nonce) = nonce
        && !v
            .own
            .get_mut::<DeribitState>()
            .nonces
            .first_use(client_id, &nonce, now)
    {
        return Err(unauthorized("nonce_reused"));
    }
    usable_key(v, client_id)
        .map(|k| k.uid)
        .ok_or_else(invalid_credentials)
}

/// `public/exchange_token`.
pub(crate) fn exchange_token(
    v: &mut Venue,
    p: &Params,
    peer: Option<IpAddr>,
) -> Result<Value, RpcError> {
    let now = v.now_ms();
    let token = p.required("refresh_token")?;
    let subject = p
        .int("subject_id")?
        .ok_or_else(|| RpcError::missing("subject_id"))
        .and_then(|id| {
            u64::try_from(id).map_err(|_| RpcError::param("subject_id", "must be a user id"))
        })?;
    let grant = v
        .own
        .get_mut::<DeribitState>()
        .tokens
        .refresh(&token, now)
        .cloned()
        .ok_or_else(invalid_token)?;
    let key = usable_key(v, &grant.client_id).ok_or_else(invalid_token)?;
    let allowed = subject == key.uid || (key.tier == Tier::Master && v.is_sub_of(subject, key.uid));
    if !allowed {
        return Err(RpcError::forbidden("not_a_subaccount"));
    }
    issue(v, &grant.client_id, subject, peer)
}

/// Checks the address, issues a token for `client_id` acting in `subject`, and logs the login.
fn issue(
    v: &mut Venue,
    client_id: &str,
    subject: u64,
    peer: Option<IpAddr>,
) -> Result<Value, RpcError> {
    let Some(key) = usable_key(v, client_id) else {
        return Err(invalid_credentials());
    };
    let (uid, tier) = (key.uid, key.tier);
    let mut scope =
        crate::sim::deribit::scope::Scope::from_permissions(&key.permissions).to_string();
    if !key.ips.allows(peer) {
        security_log::record(v, uid, peer, "failure", client_id);
        return Err(RpcError::forbidden("ip_not_whitelisted"));
    }
    let now = v.now_ms();
    let issued = v
        .own
        .get_mut::<DeribitState>()
        .tokens
        .issue(client_id, subject, now);
    security_log::record(v, uid, peer, "success", client_id);
    scope.push_str(" connection");
    if tier == Tier::Master && subject == uid {
        scope.push_str(" mainaccount");
    }
    Ok(json!({
        "access_token": issued.access,
        "expires_in": issued.expires_in_s,
        "refresh_token": issued.refresh,
        "scope": scope,
        "token_type": "bearer",
        "enabled_features": [],
    }))
}
