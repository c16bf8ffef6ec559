//! Deribit's answers about keys and access (docs/venues/deribit.md §4): the account summary a key
//! reads, the key listing, a changed key, a created one (its client secret read into a redacting
//! type and handed on only as a `SecretString`), the session a login returns and the security
//! log.

use super::*;

/// The account the key belongs to, from its summary.
pub(super) fn who_am_i(result: Value) -> Result<Reply, ExchangeError> {
    let me: DeribitAccount = parse(result)?;
    Ok(Reply::Key(KeyInfo {
        // The summary names the account, not the key (module `endpoints`, `WhoAmI`).
        key: KeyId::new(""),
        label: me.username,
        account: Some(me.id.to_string()),
        is_master: me.kind == "main",
        read_only: false,
        permissions: Vec::new(),
        ips: Vec::new(),
        created_at: None,
        expires_at: None,
    }))
}

/// The account's keys (one page: Deribit lists them all).
pub(super) fn sub_keys(account: &str, result: Value) -> Result<Reply, ExchangeError> {
    let keys: Vec<DeribitApiKey> = parse(result)?;
    let account = (!account.is_empty()).then(|| account.to_owned());
    Ok(Reply::Keys(Page {
        items: keys
            .into_iter()
            .map(|key| key.into_info(account.to_owned()))
            .collect(),
        next: None,
    }))
}

/// A created key with its client secret.
pub(super) fn created(account: &str, result: Value) -> Result<Reply, ExchangeError> {
    let key: DeribitApiKey = parse(result)?;
    let secret = key.client_secret.clone().unwrap_or_default();
    if secret.is_empty() {
        return Err(protocol("client_secret of the new key"));
    }
    Ok(Reply::Created(CreatedKey {
        info: key.into_info(Some(account.to_owned())),
        secret: SecretString::from(secret.into_string()),
        passphrase: None,
    }))
}

/// One page of the security log, by offset.
pub(super) fn access_log(cursor: Option<&str>, result: Value) -> Result<Reply, ExchangeError> {
    let entries: Vec<DeribitAccessEntry> = match result.get("data") {
        Some(list) => parse(list.clone())?,
        None => parse(result)?,
    };
    let offset = endpoints::offset(cursor);
    let next = (entries.len() >= LOG_PAGE).then(|| (offset + entries.len()).to_string());
    Ok(Reply::AccessLog(Page {
        items: entries
            .into_iter()
            .map(DeribitAccessEntry::into_event)
            .collect(),
        next,
    }))
}

/// The lock's answer named another key than the one locked: the number the profile gave for it
/// (`listed:`) is another key's, which the lock has just bound to the responder.
pub(super) fn edited_another_key(key: &KeyId, edited: &DeribitApiKey) -> ExchangeError {
    ExchangeError::Api {
        code: "listed_mismatch".to_owned(),
        message: format!(
            "`private/edit_api_key` with id {} edited key `{}`, not `{}`: the profile's `listed:` \
             number for the key is wrong (that other key is now bound to the responder's \
             address; set its whitelist back), remove or correct `listed:` and lock again",
            edited.id,
            crate::secret::mask(&edited.client_id),
            crate::secret::mask(key.as_str()),
        ),
    }
}

/// The keys a `private/list_api_keys` answer lists (the lookup before a key is edited).
pub fn key_list(response: &Response) -> Result<Vec<DeribitApiKey>, ExchangeError> {
    let envelope: DeribitEnvelope =
        serde_json::from_slice(&response.body).map_err(|_| NOT_JSON.error(response))?;
    if let Some(error) = envelope.error {
        return Err(api_error(&error));
    }
    parse(envelope.result.unwrap_or(Value::Null))
}

/// `public/auth` and `public/exchange_token` results.
#[derive(Debug, Deserialize)]
pub(super) struct DeribitToken {
    pub(super) access_token: Sensitive,
    pub(super) expires_in: i64,
    #[serde(default)]
    pub(super) refresh_token: Option<Sensitive>,
}

/// `private/get_account_summary` with `extended=true`: the account fields used.
#[derive(Debug, Deserialize)]
struct DeribitAccount {
    id: i64,
    #[serde(default)]
    username: String,
    #[serde(default, rename = "type")]
    kind: String,
}

/// An API key as `list_api_keys`, `edit_api_key` and `create_api_key` describe it
/// (docs/venues/deribit.md §4).
#[derive(Debug, Clone, Deserialize)]
pub struct DeribitApiKey {
    /// The numeric id key management addresses it by.
    pub id: i64,
    /// What a client signs with.
    pub client_id: String,
    /// The secret: only in `create_api_key`'s answer.
    #[serde(default)]
    client_secret: Option<Sensitive>,
    /// Space-separated scopes (`account:read trade:read_write`).
    #[serde(default)]
    pub max_scope: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    name: String,
    #[serde(default)]
    ip_whitelist: Option<Vec<String>>,
    #[serde(default)]
    timestamp: Option<i64>,
}

fn yes() -> bool {
    true
}

impl DeribitApiKey {
    pub(super) fn into_info(self, account: Option<String>) -> KeyInfo {
        let mut permissions: Vec<String> = self
            .max_scope
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !self.enabled {
            permissions.push("disabled".to_owned());
        }
        KeyInfo {
            key: KeyId::new(self.client_id),
            label: self.name,
            account,
            is_master: false,
            read_only: !self.max_scope.contains(":read_write"),
            permissions,
            ips: self
                .ip_whitelist
                .unwrap_or_default()
                .into_iter()
                .filter(|ip| ip != "*" && !ip.is_empty())
                .collect(),
            created_at: self.timestamp.map(crate::clock::rfc3339_ms),
            expires_at: None,
        }
    }
}

/// One `private/get_access_log` entry.
#[derive(Debug, Deserialize)]
struct DeribitAccessEntry {
    id: Value,
    #[serde(default)]
    ip: String,
    timestamp: i64,
    /// The event: `log` in the method page's schema, `result` in its example.
    #[serde(default, alias = "result")]
    log: String,
    #[serde(default)]
    data: Value,
    #[serde(default)]
    country: String,
    #[serde(default)]
    city: String,
}

impl DeribitAccessEntry {
    fn into_event(self) -> AccessEvent {
        let place = [self.city, self.country]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        AccessEvent {
            id: text_of(&self.id),
            time_ms: self.timestamp,
            event: self.log,
            ip: non_empty(self.ip),
            detail: match &self.data {
                Value::Null => None,
                Value::String(text) => non_empty(text.clone()),
                other => Some(other.to_string()),
            },
            place: non_empty(place),
        }
    }
}
