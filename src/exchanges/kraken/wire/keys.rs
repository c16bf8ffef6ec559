//! Kraken's answer about the calling key (docs/venues/kraken.md §4): its permissions and IP list,
//! read into the model's [`KeyInfo`]. Kraken has no key management by API, so this is all.

use super::*;

/// `GetApiKeyInfo`: the calling key (docs/venues/kraken.md §4).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KrakenKeyInfo {
    #[serde(default)]
    api_key_name: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default)]
    ip_allowlist: Vec<String>,
    #[serde(default)]
    created_time: Value,
    #[serde(default)]
    valid_until: Value,
}

/// The permissions that change anything (docs/venues/kraken.md §4's list).
const WRITES: &[&str] = &[
    "add-funds",
    "withdraw-funds",
    "earn-funds",
    "modify-trades",
    "close-trades",
    "add-withdraw-address",
    "update-withdraw-address",
];

impl From<KrakenKeyInfo> for KeyInfo {
    fn from(info: KrakenKeyInfo) -> KeyInfo {
        KeyInfo {
            key: KeyId::new(info.api_key),
            label: info.api_key_name,
            // Kraken keys belong to the account that signs; there is no sub-account to name.
            account: None,
            is_master: false,
            read_only: !info
                .permissions
                .iter()
                .any(|p| WRITES.contains(&p.as_str())),
            permissions: info.permissions,
            ips: info.ip_allowlist,
            created_at: time_text(&info.created_time),
            expires_at: time_text(&info.valid_until),
        }
    }
}

/// `GetWebSocketsToken`: `{token, expires}`, the token a secret from here on (docs/venues/
/// kraken.md "Private stream"). Read by hand, not through a typed parse, so that no parse error
/// can quote it.
pub(super) fn stream_token(data: Value) -> Result<Reply, ExchangeError> {
    let token = data
        .get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| protocol("token"))?;
    Ok(Reply::StreamToken(crate::secret::SecretString::from(
        token.to_owned(),
    )))
}
