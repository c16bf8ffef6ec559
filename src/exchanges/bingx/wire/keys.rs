//! BingX's answers about keys (docs/venues/bingx.md §4): the calling key's permissions
//! (`apiPermissions`), a sub-account's keys (`apiKey/query`, ids masked as `zF*******zQ`), an
//! edit's and a creation's answers. Permissions are integer codes, kept as text (`"1"` spot
//! trading, `"2"` read, `"3"` perpetual futures trading, `"4"` universal transfer, `"5"`
//! withdraw, `"7"` transfers between sub-accounts); a key with none but `2` is read-only. An
//! empty whitelist is written `[]` or `[""]`.

use serde::Deserialize;

use super::*;
use crate::exchanges::model::CreatedKey;
use crate::secret::SecretString;

/// One key as the answers show it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BingxKey {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    permissions: Vec<Value>,
    #[serde(default)]
    ip_addresses: Vec<Value>,
    #[serde(default)]
    create_time: Option<i64>,
}

/// The codes that change anything: all but read (`2`).
const READ: &str = "2";

impl BingxKey {
    fn codes(&self) -> Vec<String> {
        self.permissions
            .iter()
            .map(decode::text_of)
            .filter(|p| !p.is_empty())
            .collect()
    }

    fn info(self, account: Option<String>) -> KeyInfo {
        let permissions = self.codes();
        KeyInfo {
            read_only: permissions.iter().all(|p| p == READ),
            ips: self
                .ip_addresses
                .iter()
                .map(decode::text_of)
                .filter(|ip| !ip.trim().is_empty())
                .collect(),
            permissions,
            key: KeyId::new(self.api_key),
            label: self.note,
            account,
            is_master: false,
            created_at: self
                .create_time
                .filter(|t| *t > 0)
                .map(crate::clock::rfc3339_ms),
            expires_at: None,
        }
    }
}

/// `GET /openApi/v1/account/apiPermissions`: the signing key.
pub(super) fn who_am_i(data: Value) -> Result<KeyInfo, ExchangeError> {
    let key: BingxKey = parse(data)?;
    Ok(key.info(None))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyList {
    #[serde(default)]
    api_infos: Vec<BingxKey>,
}

/// `GET /openApi/account/v1/apiKey/query`: one page holds every key of the account.
pub(super) fn sub_keys(account: &str, data: Value) -> Result<Reply, ExchangeError> {
    let list: KeyList = parse(data)?;
    Ok(Reply::Keys(Page {
        items: list
            .api_infos
            .into_iter()
            .map(|k| k.info(Some(account.to_owned())))
            .collect(),
        next: None,
    }))
}

/// The note and permission codes `apiKey/query` lists for `key` (the lookup before an edit,
/// whose `note` and `permissions` are required).
pub fn listed_key(response: &Response, key: &KeyId) -> Result<(String, Vec<u64>), ExchangeError> {
    let decoded = decode(
        &Op::SubKeys {
            account: String::new(),
            cursor: None,
        },
        response,
    );
    let page = decoded.reply?.into_keys()?;
    let found = page
        .items
        .into_iter()
        .find(|k| k.names(key))
        .ok_or_else(|| ExchangeError::UnknownTarget {
            code: "not_listed".to_owned(),
            what: format!(
                "key {} in the sub-account's `apiKey/query` listing (the key's `account:` must be its sub-account's UID)",
                crate::secret::mask(key.as_str())
            ),
        })?;
    let codes = found
        .permissions
        .iter()
        .filter_map(|p| p.trim().parse::<u64>().ok())
        .collect();
    Ok((found.label, codes))
}

/// `apiKey/edit`: the key as it is now.
pub(super) fn edited(
    key: &KeyId,
    account: &Option<String>,
    data: Value,
) -> Result<KeyInfo, ExchangeError> {
    let mut edited: BingxKey = parse(data)?;
    edited.api_key = key.as_str().to_owned();
    Ok(edited.info(account.clone()))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewKey {
    #[serde(flatten)]
    key: BingxKey,
    #[serde(default)]
    api_secret: String,
}

/// `apiKey/create`: the new key and its secret, shown once.
pub(super) fn created(account: &str, data: Value) -> Result<CreatedKey, ExchangeError> {
    let new: NewKey = parse(data)?;
    if new.key.api_key.is_empty() || new.api_secret.is_empty() {
        return Err(protocol("apiKey/apiSecret"));
    }
    let secret = SecretString::from(new.api_secret);
    Ok(CreatedKey {
        info: new.key.info(Some(account.to_owned())),
        secret,
        passphrase: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bingx::wire::tests::response;

    #[test]
    fn a_masked_listing_finds_the_key() {
        let body = r#"{"code":0,"timestamp":1702351994615,"data":{"apiInfos":[{"apiKey":"zF*******zQ","note":"note****","permissions":[1,2,3,4,7],"ipAddresses":[""],"status":0,"createTime":1702289687211,"updateTime":1702289687000}]}}"#;
        let (note, codes) =
            listed_key(&response(200, body), &KeyId::new("zFabcdefghijklmnopzQ")).unwrap();
        assert_eq!(note, "note****");
        assert_eq!(codes, [1, 2, 3, 4, 7]);
        let err =
            listed_key(&response(200, body), &KeyId::new("xxabcdefghijklmnopzQ")).unwrap_err();
        assert!(
            matches!(err, ExchangeError::UnknownTarget { .. }),
            "{err:?}"
        );
    }
}
