//! Bybit's answers about API keys (docs/venues/bybit.md §4): a key as `query-api` and the
//! sub-account listing describe it (read-only spelled either way), and a created key, whose
//! secret is read into a redacting type and handed on only as a `SecretString`.

use super::*;

/// One page of a sub-account's keys.
pub(super) fn sub_keys(account: &str, result: Value) -> Result<Reply, ExchangeError> {
    let page: BybitKeyPage = parse(result)?;
    Ok(Reply::Keys(Page {
        items: page
            .result
            .into_iter()
            .map(|key| {
                let mut info = KeyInfo::from(key);
                info.account = Some(account.to_owned());
                info
            })
            .collect(),
        next: page.next_page_cursor.filter(|c| !c.is_empty()),
    }))
}

/// A created key with its secret.
pub(super) fn created(account: &str, result: Value) -> Result<Reply, ExchangeError> {
    let key: BybitApiKey = parse(result)?;
    let secret = key.secret.clone().unwrap_or_default();
    if secret.is_empty() {
        return Err(protocol("secret of the new key"));
    }
    let mut info = KeyInfo::from(key);
    info.account = Some(account.to_owned());
    Ok(Reply::Created(CreatedKey {
        info,
        secret: SecretString::from(secret.into_string()),
        passphrase: None,
    }))
}

/// A key as `query-api`, `update-sub-api`, `create-sub-api` and `sub-apikeys` describe it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BybitApiKey {
    api_key: String,
    #[serde(default)]
    note: String,
    #[serde(default, deserialize_with = "flex::bool")]
    read_only: bool,
    #[serde(default)]
    secret: Option<Sensitive>,
    #[serde(default)]
    permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default, rename = "userID", deserialize_with = "decode::flex_string")]
    user_id: String,
    #[serde(default)]
    is_master: bool,
    #[serde(default)]
    created_at: String,
    #[serde(default)]
    expired_at: String,
}

impl From<BybitApiKey> for KeyInfo {
    fn from(key: BybitApiKey) -> KeyInfo {
        let permissions = key
            .permissions
            .iter()
            .flat_map(|(group, perms)| perms.iter().map(move |perm| format!("{group}:{perm}")))
            .collect();
        KeyInfo {
            key: KeyId::new(key.api_key),
            label: key.note,
            account: non_empty(key.user_id),
            is_master: key.is_master,
            read_only: key.read_only,
            permissions,
            // Bybit writes an unbound key as `["*"]`.
            ips: key.ips.into_iter().filter(|ip| ip != "*").collect(),
            created_at: non_empty(key.created_at),
            expires_at: non_empty(key.expired_at),
        }
    }
}

/// `GET /v5/user/sub-apikeys`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BybitKeyPage {
    #[serde(default)]
    result: Vec<BybitApiKey>,
    #[serde(default)]
    next_page_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bybit::wire::tests::response;

    #[test]
    fn reads_query_api_with_either_read_only_spelling() {
        let body = r#"{"retCode":0,"retMsg":"","result":{"id":"1","note":"bot","apiKey":"ABCDEFGHIJKLMNOPQR","readOnly":0,"secret":"","permissions":{"Spot":["SpotTrade"],"Wallet":[]},"ips":["*"],"userID":1000002,"isMaster":false,"parentUid":"1000001"},"time":1700000000000}"#;
        let decoded = decode(&Op::WhoAmI, &response(body));
        assert_eq!(decoded.server_ms, Some(1_700_000_000_000));
        let key = decoded.reply.unwrap().into_key().unwrap();
        assert_eq!(key.account.as_deref(), Some("1000002"));
        assert_eq!(key.permissions, ["Spot:SpotTrade"]);
        assert!(key.ips.is_empty());
        assert!(!key.read_only);
    }
}
