//! Binance's answers about API keys (docs/venues/binance.md §4): the calling key's restrictions,
//! the sub-account and broker key listings (walked key by key, `cursor.rs`), a changed key and a
//! created one. A created key's secret is read into a redacting type and only ever handed on
//! as a `SecretString`.

use super::*;

/// A created key with its secret; the label asked for when Binance names none.
pub(super) fn created(account: &str, label: &str, body: Value) -> Result<Reply, ExchangeError> {
    let created: BinanceCreatedKey = parse(body)?;
    if created.secret_key.is_empty() {
        return Err(protocol("secretKey"));
    }
    let permissions = created.flags.names();
    Ok(Reply::Created(CreatedKey {
        info: KeyInfo {
            key: KeyId::new(created.api_key),
            label: if created.api_name.is_empty() {
                label.to_owned()
            } else {
                created.api_name
            },
            account: Some(account.to_owned()),
            is_master: false,
            read_only: !created.flags.trades(),
            permissions,
            ips: created.ip_list,
            created_at: None,
            expires_at: None,
        },
        secret: SecretString::from(created.secret_key.into_string()),
        passphrase: None,
    }))
}

/// One page of a key listing (see `cursor.rs`): the sub-account listing (no item yet, its keys
/// pending), one key read with its IP list, or the broker listing (masked ids).
pub(super) fn sub_keys(
    account: &str,
    cursor: Option<&str>,
    body: Value,
) -> Result<Page<KeyInfo>, ExchangeError> {
    if body.is_array() {
        let rows: Vec<BinanceBrokerKey> = parse(body)?;
        return Ok(Page {
            items: rows
                .into_iter()
                .map(|row| KeyInfo {
                    key: KeyId::new(row.apikey),
                    label: String::new(),
                    account: Some(if row.subaccount_id.is_empty() {
                        account.to_owned()
                    } else {
                        row.subaccount_id
                    }),
                    is_master: false,
                    read_only: !(row.can_trade || row.futures_trade || row.margin_trade),
                    permissions: broker_flags(row.can_trade, row.margin_trade, row.futures_trade),
                    ips: Vec::new(),
                    created_at: None,
                    expires_at: None,
                })
                .collect(),
            next: None,
        });
    }
    let state = KeysCursor::parse(cursor)?;
    if body.get("ipList").is_some() || body.get("ipRestrict").is_some() {
        let Some(mut state) = state.filter(|s| !s.pending.is_empty()) else {
            return Err(protocol("cursor (a key listing without one)"));
        };
        let listed = state.pending.remove(0);
        let ips: BinanceIpList = parse(body)?;
        let info = KeyInfo {
            key: KeyId::new(listed.key),
            label: listed.label,
            account: Some(account.to_owned()),
            is_master: false,
            read_only: !listed
                .permissions
                .iter()
                .any(|p| p == "canTrade" || p == "canFuturesTrade"),
            permissions: listed.permissions,
            ips: if ips.restricted() {
                ips.ip_list
            } else {
                Vec::new()
            },
            created_at: listed.created_ms.and_then(rfc3339),
            expires_at: None,
        };
        return Ok(Page {
            items: vec![info],
            next: state.to_text(),
        });
    }
    let listing: BinanceKeyListing = parse(body)?;
    let page = state.and_then(|s| s.next_page).unwrap_or(1);
    let seen = usize::try_from(page * endpoints::KEYS_PAGE).unwrap_or(usize::MAX);
    let pending: Vec<ListedKey> = listing
        .rows
        .into_iter()
        .map(|row| ListedKey {
            permissions: row.flags.names(),
            key: row.apikey,
            label: row.api_name,
            created_ms: row.timestamp,
        })
        .collect();
    let next_page = (!pending.is_empty() && listing.total > seen).then_some(page + 1);
    Ok(Page {
        items: Vec::new(),
        next: KeysCursor { next_page, pending }.to_text(),
    })
}

/// The broker family's permission flags that are on, by Binance's names.
fn broker_flags(trade: bool, margin: bool, futures: bool) -> Vec<String> {
    [
        ("canTrade", trade),
        ("marginTrade", margin),
        ("futuresTrade", futures),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// `GET /sapi/v1/account/apiRestrictions`: what the calling key may do (it names neither the
/// key nor its account, and says whether it is IP-restricted but not to which addresses).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BinanceRestrictions {
    #[serde(default)]
    ip_restrict: bool,
    #[serde(default)]
    create_time: Option<i64>,
    #[serde(default)]
    enable_reading: bool,
    #[serde(default)]
    enable_spot_and_margin_trading: bool,
    #[serde(default)]
    enable_withdrawals: bool,
    #[serde(default)]
    enable_internal_transfer: bool,
    #[serde(default)]
    enable_margin: bool,
    #[serde(default)]
    enable_futures: bool,
    #[serde(default)]
    permits_universal_transfer: bool,
    #[serde(default)]
    enable_vanilla_options: bool,
}

impl From<BinanceRestrictions> for KeyInfo {
    fn from(r: BinanceRestrictions) -> KeyInfo {
        let permissions: Vec<String> = [
            ("enableReading", r.enable_reading),
            (
                "enableSpotAndMarginTrading",
                r.enable_spot_and_margin_trading,
            ),
            ("enableWithdrawals", r.enable_withdrawals),
            ("enableInternalTransfer", r.enable_internal_transfer),
            ("enableMargin", r.enable_margin),
            ("enableFutures", r.enable_futures),
            ("permitsUniversalTransfer", r.permits_universal_transfer),
            ("enableVanillaOptions", r.enable_vanilla_options),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name.to_owned())
        .collect();
        KeyInfo {
            key: KeyId::new(""),
            label: String::new(),
            account: None,
            is_master: false,
            read_only: !(r.enable_spot_and_margin_trading
                || r.enable_futures
                || r.enable_margin
                || r.enable_vanilla_options),
            permissions,
            // The key is not told its own list: say that it has one.
            ips: if r.ip_restrict {
                vec!["restricted".to_owned()]
            } else {
                Vec::new()
            },
            created_at: r.create_time.and_then(rfc3339),
            expires_at: None,
        }
    }
}

/// The permission flags of a sub-account family key.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceKeyFlags {
    #[serde(default)]
    can_trade: bool,
    #[serde(default)]
    can_margin_loan_repay: bool,
    #[serde(default)]
    can_futures_trade: bool,
    #[serde(default)]
    can_universal_transfer: bool,
    #[serde(default)]
    can_vanilla_options: bool,
    /// Broker family names.
    #[serde(default)]
    margin_trade: bool,
    #[serde(default)]
    futures_trade: bool,
}

impl BinanceKeyFlags {
    /// The flags that are on, by Binance's names.
    fn names(&self) -> Vec<String> {
        [
            ("canTrade", self.can_trade),
            ("canMarginLoanRepay", self.can_margin_loan_repay),
            ("canFuturesTrade", self.can_futures_trade),
            ("canUniversalTransfer", self.can_universal_transfer),
            ("canVanillaOptions", self.can_vanilla_options),
            ("marginTrade", self.margin_trade),
            ("futuresTrade", self.futures_trade),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| name.to_owned())
        .collect()
    }

    /// Whether any trading flag is on.
    fn trades(&self) -> bool {
        self.can_trade
            || self.can_futures_trade
            || self.can_vanilla_options
            || self.margin_trade
            || self.futures_trade
    }
}

/// The sub-account family listing (`rows`, `list` before SDK 7.0.0).
#[derive(Debug, Deserialize)]
struct BinanceKeyListing {
    #[serde(default)]
    total: usize,
    #[serde(default, alias = "list")]
    rows: Vec<BinanceListedKey>,
}

/// One listed key of a sub-account.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceListedKey {
    #[serde(alias = "apiKey")]
    apikey: String,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// One listed broker key: the id masked (`vmP*************`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceBrokerKey {
    #[serde(alias = "apiKey")]
    apikey: String,
    #[serde(default, alias = "subAccountId")]
    subaccount_id: String,
    #[serde(default)]
    can_trade: bool,
    #[serde(default)]
    margin_trade: bool,
    #[serde(default)]
    futures_trade: bool,
}

/// A key's IP restriction as read back (`ipRestrict` a string or a boolean).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceIpList {
    #[serde(default)]
    ip_restrict: Value,
    #[serde(default)]
    status: Value,
    #[serde(default)]
    ip_list: Vec<String>,
}

impl BinanceIpList {
    fn restricted(&self) -> bool {
        match (&self.ip_restrict, &self.status) {
            (Value::Bool(on), _) => *on,
            (Value::String(text), _) => text == "true",
            (_, status) => status.as_i64() == Some(2) || status.as_str() == Some("2"),
        }
    }
}

/// The answer to an IP restriction (`ipList`) or a permission change (the flags).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BinanceKeyChange {
    #[serde(default)]
    ip_list: Option<Vec<String>>,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
}

impl BinanceKeyChange {
    pub(super) fn into_info(self, key: &KeyId, account: Option<&str>) -> KeyInfo {
        let changed_flags = self.ip_list.is_none();
        KeyInfo {
            key: key.clone(),
            label: self.api_name,
            account: account.map(str::to_owned),
            is_master: false,
            read_only: changed_flags && !self.flags.trades(),
            permissions: self.flags.names(),
            ips: self.ip_list.unwrap_or_default(),
            created_at: None,
            expires_at: None,
        }
    }
}

/// A new key with its secret (sub-account family, or broker family without an IP list).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BinanceCreatedKey {
    api_key: String,
    #[serde(default)]
    secret_key: Sensitive,
    #[serde(default)]
    api_name: String,
    #[serde(flatten)]
    flags: BinanceKeyFlags,
    #[serde(default)]
    ip_list: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::binance::wire::tests::response;

    #[test]
    fn listings_read_each_key_with_its_ip_list() {
        let op = |cursor: Option<String>| Op::SubKeys {
            account: "bot@x.com".into(),
            cursor,
        };
        let listing = r#"{"total":1,"rows":[{"email":"bot@x.com","apiName":"grid","apikey":"k1","canTrade":true,"canFuturesTrade":true,"timestamp":1700000000000}]}"#;
        let page = decode(&op(None), &response(200, listing))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert!(page.items.is_empty() && page.next.is_some());
        let ips = r#"{"ipRestrict":"true","ipList":["127.0.0.1"],"updateTime":1,"apiKey":"k1"}"#;
        let page = decode(&op(page.next), &response(200, ips))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert_eq!(page.next, None);
        let key = &page.items[0];
        assert_eq!(key.key.as_str(), "k1");
        assert_eq!(key.ips, ["127.0.0.1"]);
        assert_eq!(key.permissions, ["canTrade", "canFuturesTrade"]);
        assert!(!key.can_withdraw());
        let broker = r#"[{"apikey":"vmP*************","subaccountId":"1","canTrade":true,"marginTrade":false,"futuresTrade":false}]"#;
        let page = decode(&op(None), &response(200, broker))
            .reply
            .unwrap()
            .into_keys()
            .unwrap();
        assert!(page.items[0].is_masked());
    }
}
