//! `GetApiKeyInfo`: what Kraken says about the calling key (docs/venues/kraken.md §4).
//!
//! The only key endpoint Kraken has: no permission needed, and it describes the signing key
//! alone. Kraken has no endpoint to list, edit, delete or create keys: in the simulator that is
//! done through the "web interface" (`Sim::web_ui_delete_key`, `Sim::web_ui_create_key`) only.
//! Times are Unix seconds as strings; `validUntil` `0` means the key never expires.

use serde_json::{Value, json};

use crate::sim::key::IpWhitelist;
use crate::sim::kraken::caller::{Caller, permission_list};
use crate::sim::kraken::reply::KrakenError;
use crate::sim::kraken::state::KrakenState;
use crate::sim::state::Venue;

/// `GetApiKeyInfo`.
pub(crate) fn info(v: &mut Venue, c: &Caller) -> Result<Value, KrakenError> {
    let key = v.live_key(&c.api_key).ok_or(KrakenError::InvalidKey)?;
    let now_s = v.now_ms() / 1000;
    let ips: Vec<String> = match &key.ips {
        IpWhitelist::Any => Vec::new(),
        IpWhitelist::Only(list) => list.iter().map(ToString::to_string).collect(),
    };
    Ok(json!({
        "apiKeyName": key.note,
        "apiKey": key.api_key,
        "nonce": v.own.get::<KrakenState>().and_then(|s| s.last_nonce.get(&key.api_key).copied()).unwrap_or(0).to_string(),
        "nonceWindow": 0,
        "permissions": permission_list(&key.permissions),
        "iban": "",
        "validUntil": key.expires_ms.map_or_else(|| "0".to_owned(), |ms| (ms / 1000).to_string()),
        "queryFrom": "0",
        "queryTo": "0",
        "createdTime": (key.created_ms / 1000).to_string(),
        "modifiedTime": (key.created_ms / 1000).to_string(),
        "ipAllowlist": ips,
        "lastUsed": now_s.to_string(),
    }))
}
