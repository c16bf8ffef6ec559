//! The authenticated caller of a private method, and how a request becomes one.
//!
//! Credentials come in the `Authorization` header: `Bearer <access token>` from `public/auth`
//! or `public/exchange_token`, or a per-request `deri-hmac-sha256` signature (`auth.rs`). In
//! this order (first failure answers): no usable header 10000; an unknown, expired or revoked
//! token 13009 `invalid_token`; a stale signed timestamp, bad signature or reused nonce 13009
//! `unauthorized` (with `data.reason`); an unknown, removed or disabled key 13004 (signature) or
//! 13009 (token); a peer address outside the key's whitelist 13021 `forbidden` with reason
//! `ip_not_whitelisted` (the docs name no code for it, docs/venues/deribit.md §10). The whitelist
//! is checked on every request against the socket's address, so a token issued before a lock stops
//! working from elsewhere at once. The scope is the key's `max_scope` as it is now. No secret is
//! kept.

use std::net::IpAddr;

use axum::http::HeaderMap;

use crate::sim::deribit::auth::{self, HeaderSignature};
use crate::sim::deribit::reply::{RpcError, code};
use crate::sim::deribit::scope::Scope;
use crate::sim::deribit::state::DeribitState;
use crate::sim::key::ApiKey;
use crate::sim::state::Venue;

/// Who a private request acts as.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    /// The key's client id.
    pub(crate) client_id: String,
    /// The account the request acts in (a sub-account after `public/exchange_token`).
    pub(crate) account: u64,
    pub(crate) scope: Scope,
    /// Hidden truth: orders placed by this key are the attacker's.
    pub(crate) leaked: bool,
    pub(crate) peer: Option<IpAddr>,
}

impl Caller {
    /// Who an order this caller places belongs to (`crate::sim::origin_of`).
    pub(crate) fn origin(&self) -> crate::sim::Origin {
        crate::sim::origin_of(self.leaked, self.peer)
    }
}

/// The raw request parts a signature covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) body: &'a [u8],
}

impl Caller {
    /// Authenticates a private request (module doc).
    pub(crate) fn authenticate(
        v: &mut Venue,
        headers: &HeaderMap,
        signed: Signed<'_>,
        peer: Option<IpAddr>,
    ) -> Result<Caller, RpcError> {
        let now = v.now_ms();
        let required = || RpcError::new(code::AUTHORIZATION_REQUIRED, "authorization_required");
        let header = headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .ok_or_else(required)?;
        let (client_id, account) = if let Some(token) = header.strip_prefix("Bearer ") {
            let grant = v
                .own
                .get_mut::<DeribitState>()
                .tokens
                .access(token.trim(), now)
                .ok_or_else(invalid_token)?;
            (grant.client_id.clone(), Some(grant.subject))
        } else {
            let sig = HeaderSignature::parse(header).ok_or_else(required)?;
            if !auth::in_window(sig.timestamp, now) {
                return Err(unauthorized("timestamp_out_of_window"));
            }
            let key = usable_key(v, &sig.client_id).ok_or_else(invalid_credentials)?;
            let uri = if signed.query.is_empty() {
                signed.path.to_owned()
            } else {
                format!("{}?{}", signed.path, signed.query)
            };
            let text = sig.signed_string(signed.method, &uri, signed.body);
            if !auth::signature_matches(&key.secret, &text, &sig.signature) {
                return Err(unauthorized("invalid_signature"));
            }
            if !v
                .own
                .get_mut::<DeribitState>()
                .nonces
                .first_use(&sig.client_id, &sig.nonce, now)
            {
                return Err(unauthorized("nonce_reused"));
            }
            (sig.client_id, None)
        };
        // A token outlives nothing: its key must still be usable.
        let key = usable_key(v, &client_id).ok_or_else(invalid_token)?;
        if !key.ips.allows(peer) {
            return Err(RpcError::forbidden("ip_not_whitelisted"));
        }
        Ok(Caller {
            client_id,
            account: account.unwrap_or(key.uid),
            scope: Scope::from_permissions(&key.permissions),
            leaked: key.leaked,
            peer,
        })
    }
}

/// The key with this client id, when it is neither removed nor disabled.
pub(crate) fn usable_key<'v>(v: &'v Venue, client_id: &str) -> Option<&'v ApiKey> {
    v.keys
        .iter()
        .find(|k| k.api_key == client_id && k.is_live())
}

/// 13009 `invalid_token`.
pub(crate) fn invalid_token() -> RpcError {
    RpcError::new(code::UNAUTHORIZED, "invalid_token")
}

/// 13009 `unauthorized` with a reason.
pub(crate) fn unauthorized(reason: &str) -> RpcError {
    RpcError::new(code::UNAUTHORIZED, "unauthorized").because(reason)
}

/// 13004 `invalid_credentials`.
pub(crate) fn invalid_credentials() -> RpcError {
    RpcError::new(code::INVALID_CREDENTIALS, "invalid_credentials")
}
