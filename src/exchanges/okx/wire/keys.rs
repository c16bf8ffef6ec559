//! OKX's answers about API keys (docs/venues/okx.md §4): the calling key's config, a sub-account's
//! keys, a changed key and a created one. A created key's secret and passphrase are read into a
//! redacting type and only ever handed on as `SecretString`s; a created key whose passphrase did
//! not come back is refused, since it could never be used.

use super::*;

/// A sub-account's keys (one page: OKX lists them all).
pub(super) fn sub_keys(account: &str, data: Value) -> Result<Reply, ExchangeError> {
    let keys: Vec<OkxSubKey> = parse(data)?;
    Ok(Reply::Keys(Page {
        items: keys
            .into_iter()
            .map(|key| key.into_info(Some(account)))
            .collect(),
        next: None,
    }))
}

/// A created key with its secret and passphrase.
pub(super) fn created(account: &str, data: Value) -> Result<Reply, ExchangeError> {
    let key: OkxCreatedKey = first(data)?;
    if key.secret_key.is_empty() {
        return Err(protocol("secretKey of the new key"));
    }
    // The passphrase was generated for the request; OKX echoes it (docs/venues/okx.md §4).
    if !passphrase::is_valid(key.passphrase.as_str()) {
        return Err(ExchangeError::Protocol {
            detail: "OKX did not return the new key's passphrase; delete the key in the web interface and run lockdown again".to_owned(),
        });
    }
    let info = OkxSubKey {
        sub_acct: key.sub_acct,
        label: key.label,
        api_key: key.api_key,
        perm: key.perm,
        ip: key.ip,
        ts: key.ts,
    }
    .into_info(Some(account));
    Ok(Reply::Created(CreatedKey {
        info,
        secret: SecretString::from(key.secret_key.into_string()),
        passphrase: Some(SecretString::from(key.passphrase.into_string())),
    }))
}

/// Comma lists (`perm`, `ip`) as items.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Milliseconds as RFC 3339, for key creation times.
fn rfc3339(ms: &str) -> Option<String> {
    ms.parse::<i64>().ok().map(crate::clock::rfc3339_ms)
}

/// `GET /api/v5/account/config`: the calling key and its account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxConfig {
    #[serde(default, deserialize_with = "decode::flex_string")]
    uid: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    main_uid: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    ip: String,
    #[serde(default)]
    perm: String,
}

impl From<OkxConfig> for KeyInfo {
    fn from(config: OkxConfig) -> KeyInfo {
        let permissions = list(&config.perm);
        KeyInfo {
            // Not in the answer: the caller knows which key it signed with.
            key: KeyId::new(""),
            label: config.label,
            // OKX names sub-accounts; this endpoint gives only the UID.
            account: None,
            is_master: !config.uid.is_empty() && config.uid == config.main_uid,
            read_only: !permissions.iter().any(|p| p == "trade"),
            permissions,
            ips: list(&config.ip),
            created_at: None,
            expires_at: None,
        }
    }
}

/// A sub-account key as `users/subaccount/apikey` (list) and `modify-apikey` describe it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OkxSubKey {
    #[serde(default)]
    sub_acct: String,
    #[serde(default)]
    label: String,
    api_key: String,
    #[serde(default)]
    perm: String,
    #[serde(default)]
    ip: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    ts: String,
}

impl OkxSubKey {
    pub(super) fn into_info(self, account: Option<&str>) -> KeyInfo {
        let permissions = list(&self.perm);
        KeyInfo {
            key: KeyId::new(self.api_key),
            label: self.label,
            account: non_empty(self.sub_acct).or_else(|| account.map(str::to_owned)),
            is_master: false,
            read_only: !permissions.iter().any(|p| p == "trade"),
            permissions,
            ips: list(&self.ip),
            created_at: rfc3339(&self.ts),
            expires_at: None,
        }
    }
}

/// `POST /api/v5/users/subaccount/apikey`: the new key, its secret and passphrase.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OkxCreatedKey {
    #[serde(default)]
    sub_acct: String,
    #[serde(default)]
    label: String,
    api_key: String,
    #[serde(default)]
    secret_key: Sensitive,
    #[serde(default)]
    passphrase: Sensitive,
    #[serde(default)]
    perm: String,
    #[serde(default)]
    ip: String,
    #[serde(default, deserialize_with = "decode::flex_string")]
    ts: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::okx::wire::tests::response;

    #[test]
    fn created_key_carries_secret_and_passphrase() {
        let body = r#"{"code":"0","msg":"","data":[{"subAcct":"gridbot01","label":"lockdown-1","apiKey":"k-1","secretKey":"S3CRET","passphrase":"Abcdef1!xyz","perm":"read_only,trade","ip":"127.0.0.1","ts":"1700000000000"}]}"#;
        let op = Op::CreateKey {
            account: "gridbot01".into(),
            label: "lockdown-1".into(),
            scope: crate::exchanges::model::KeyScope {
                trade: vec![],
                ips: crate::exchanges::model::IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
            },
        };
        let created = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_created()
            .unwrap();
        assert!(created.passphrase.is_some());
        assert_eq!(created.info.account.as_deref(), Some("gridbot01"));
        assert_eq!(created.info.permissions, ["read_only", "trade"]);
        assert!(!created.info.can_withdraw());
        let masked = body.replace("Abcdef1!xyz", "******");
        assert!(decode(&op, &response(200, &masked)).reply.is_err());
    }
}
