//! Bitget's answers about API keys (docs/venues/bitget.md §4): the calling key's account
//! (`spot/account/info`), a sub-account's keys, a modified key and a created one. The create
//! answer carries the new secret, read into a redacting type and only ever handed on as a
//! `SecretString`; it does not echo the passphrase, which the adapter chose for the request and
//! derives again here. The modify answer's `secretKey` (in the docs' example) is never kept.

use super::*;
use crate::exchanges::bitget::{endpoints, passphrase};

/// `GET /api/v2/spot/account/info`: the calling key's account, IP list and authorities.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetInfo {
    #[serde(default, deserialize_with = "flex_string")]
    user_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    parent_id: String,
    #[serde(default, deserialize_with = "flex_string")]
    ips: String,
    #[serde(default)]
    authorities: Vec<String>,
}

/// The calling key (its id is not in the answer: the caller knows which key it signed with).
pub(super) fn who_am_i(data: Value) -> Result<KeyInfo, ExchangeError> {
    let info: BitgetInfo = parse(data)?;
    // Authority codes end in `r` (read) or `w` (read and write): `stow` spot trade, `coow`
    // futures orders, `wwow` withdraw (docs/venues/bitget.md §4).
    // The docs' own example lists `trade` and `readonly` instead.
    let writes = info
        .authorities
        .iter()
        .any(|a| a.ends_with('w') || a == "trade");
    Ok(KeyInfo {
        key: KeyId::new(""),
        label: String::new(),
        is_master: !info.user_id.is_empty() && info.user_id == info.parent_id,
        account: non_empty(info.user_id),
        read_only: !writes,
        permissions: info.authorities,
        ips: list(&info.ips),
        created_at: None,
        expires_at: None,
    })
}

/// A sub-account key as the list and the modify answer describe it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetSubKey {
    #[serde(default, deserialize_with = "flex_string")]
    sub_account_uid: String,
    #[serde(default)]
    label: String,
    sub_account_api_key: String,
    #[serde(default)]
    perm_list: Vec<String>,
    #[serde(default)]
    ip_list: Vec<String>,
}

impl BitgetSubKey {
    fn into_info(self, account: Option<&str>) -> KeyInfo {
        KeyInfo {
            key: KeyId::new(self.sub_account_api_key),
            label: self.label,
            account: non_empty(self.sub_account_uid).or_else(|| account.map(str::to_owned)),
            is_master: false,
            read_only: !self
                .perm_list
                .iter()
                .any(|p| p == "spot_trade" || p == "contract_trade" || p == "margin_trade"),
            permissions: self.perm_list,
            ips: self.ip_list,
            created_at: None,
            expires_at: None,
        }
    }
}

/// A sub-account's keys (one page: Bitget lists them all).
pub(super) fn sub_keys(account: &str, data: Value) -> Result<Reply, ExchangeError> {
    let keys: Vec<BitgetSubKey> = match data {
        Value::Null => Vec::new(),
        data => parse(data)?,
    };
    Ok(Reply::Keys(Page {
        items: keys
            .into_iter()
            .map(|k| k.into_info(Some(account)))
            .collect(),
        next: None,
    }))
}

/// The key a modify changed, as it is now.
pub(super) fn sub_key(account: Option<&str>, data: Value) -> Result<KeyInfo, ExchangeError> {
    let key: BitgetSubKey = parse(data)?;
    Ok(key.into_info(account))
}

/// `create-virtual-subaccount-apikey`: the new key and its secret.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BitgetCreated {
    #[serde(default, deserialize_with = "flex_string")]
    sub_account_uid: String,
    #[serde(default)]
    label: String,
    sub_account_api_key: String,
    #[serde(default)]
    secret_key: Sensitive,
    #[serde(default)]
    perm_list: Vec<String>,
    #[serde(default)]
    ip_list: Vec<String>,
}

/// A created key with its secret and the passphrase the request set.
pub(super) fn created(account: &str, label: &str, data: Value) -> Result<Reply, ExchangeError> {
    let key: BitgetCreated = parse(data)?;
    if key.secret_key.is_empty() {
        return Err(protocol("secretKey of the new key"));
    }
    let sent_label = endpoints::short_label(label);
    let phrase = passphrase::for_new_key(account, &sent_label);
    let info = BitgetSubKey {
        sub_account_uid: key.sub_account_uid,
        label: key.label,
        sub_account_api_key: key.sub_account_api_key,
        perm_list: key.perm_list,
        ip_list: key.ip_list,
    }
    .into_info(Some(account));
    Ok(Reply::Created(CreatedKey {
        info,
        secret: SecretString::from(key.secret_key.into_string()),
        passphrase: Some(SecretString::from(phrase)),
    }))
}

/// A comma list as items.
fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::bitget::wire::tests::response;
    use crate::exchanges::model::{IpWhitelist, KeyScope};

    #[test]
    fn account_info_reads_authorities_and_ips() {
        let body = r#"{"code":"00000","msg":"success","requestTime":1,"data":{"userId":"1000002","inviterId":"0","ips":"127.0.0.1,10.0.0.1","authorities":["stor","stow","coor"],"parentId":1000001,"traderType":"","channelCode":"","channel":"","regisTime":"1700000000000"}}"#;
        let info = decode(&Op::WhoAmI, &response(200, body))
            .reply
            .unwrap()
            .into_key()
            .unwrap();
        assert_eq!(info.ips, ["127.0.0.1", "10.0.0.1"]);
        assert_eq!(info.account.as_deref(), Some("1000002"));
        assert!(!info.is_master && !info.read_only);
    }

    #[test]
    fn created_key_carries_secret_and_the_sent_passphrase() {
        let body = r#"{"code":"00000","msg":"success","requestTime":1,"data":{"subAccountUid":"1000002","label":"lockdown-1","subAccountApiKey":"bg_new","secretKey":"S3CRET","permList":["spot_trade"],"ipList":["10.0.0.1"]}}"#;
        let op = Op::CreateKey {
            account: "1000002".into(),
            label: "lockdown-1".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        let created = decode(&op, &response(200, body))
            .reply
            .unwrap()
            .into_created()
            .unwrap();
        let sent = crate::exchanges::bitget::endpoints::encode(&op, 0).unwrap();
        let sent: Value = serde_json::from_str(sent.body.as_deref().unwrap()).unwrap();
        use secrecy::ExposeSecret;
        // Allowed: the test compares the passphrase the request carried.
        #[allow(clippy::disallowed_methods)]
        let phrase = created.passphrase.unwrap().expose_secret().to_owned();
        assert_eq!(phrase, sent["passphrase"].as_str().unwrap());
        assert_eq!(created.info.key.as_str(), "bg_new");
        assert!(!created.info.can_withdraw());
    }
}
