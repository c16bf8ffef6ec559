//! OKX key management requests (docs/venues/okx.md §4): restrict a sub-account's key (its IP list,
//! and `perm` only when the lock takes trading away, since each field sent replaces the key's
//! value) and create the replacement with a fresh passphrase. Every request names the
//! sub-account; one without it is refused here, before anything is sent.

use super::*;

/// Creates the replacement key with a fresh passphrase, trading at most, bound to its IP list.
pub(super) fn create(
    account: &str,
    label: &str,
    scope: &KeyScope,
) -> Result<Request, ExchangeError> {
    let passphrase = passphrase::generate();
    #[allow(clippy::disallowed_methods)] // the create body carries the new passphrase
    let passphrase = secrecy::ExposeSecret::expose_secret(&passphrase).to_owned();
    let body = json!({
        "subAcct": sub_account(Some(account))?,
        "label": label,
        "passphrase": passphrase,
        "perm": perm(scope),
        "ip": scope.ips.to_strings().join(","),
    });
    Ok(Request::post(
        "/api/v5/users/subaccount/apikey",
        body.to_string(),
    ))
}

/// Restricts a sub-account's key to the lock's IP list (and read-only when it says so).
pub(super) fn restrict(
    key: &KeyId,
    account: Option<&str>,
    lock: &Lock,
) -> Result<Request, ExchangeError> {
    // Each field passed replaces the key's current value; `perm` is left out to keep it
    // unless the lock also takes trading away (docs/venues/okx.md §4).
    let mut body = serde_json::Map::new();
    body.insert("subAcct".into(), json!(sub_account(account)?));
    body.insert("apiKey".into(), json!(key.as_str()));
    body.insert("ip".into(), json!(lock.ips.to_strings().join(",")));
    if lock.access == Access::ReadOnly {
        body.insert("perm".into(), json!("read_only"));
    }
    Ok(Request::post(
        "/api/v5/users/subaccount/modify-apikey",
        Value::Object(body).to_string(),
    ))
}

/// The sub-account a key-management request names: 6 to 20 letters and digits (docs/venues/okx.md
/// §4).
pub(super) fn sub_account(account: Option<&str>) -> Result<&str, ExchangeError> {
    let needs = |got: String| ExchangeError::NeedsInput {
        venue: "okx",
        what: format!(
            "the key's sub-account name (6 to 20 letters and digits, such as `gridbot01`){got}"
        ),
    };
    match account.map(str::trim) {
        None | Some("") => Err(needs(String::new())),
        Some(name)
            if (6..=20).contains(&name.len())
                && name.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Ok(name)
        }
        Some(name) => Err(needs(format!("; `{name}` is not one"))),
    }
}

/// A replacement key's `perm`: reading always, trading when any trade permission is asked;
/// `withdraw` cannot be asked for (the scope type has no such permission, docs/venues/okx.md §4).
pub(super) fn perm(scope: &KeyScope) -> &'static str {
    if scope.trade.is_empty() {
        "read_only"
    } else {
        "read_only,trade"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::{IpWhitelist, Lock, TradePermission};
    use crate::exchanges::okx::endpoints::tests::NOW;
    use crate::secret::KeyId;

    #[test]
    fn lock_binds_to_the_responder_and_keeps_perm() {
        let op = Op::RestrictKey {
            account: Some("gridbot01".into()),
            key: KeyId::new("bot-key"),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op, NOW).unwrap();
        assert_eq!(req.path, "/api/v5/users/subaccount/modify-apikey");
        assert_eq!(
            req.body.as_deref(),
            Some(r#"{"apiKey":"bot-key","ip":"127.0.0.1","subAcct":"gridbot01"}"#)
        );
        assert!(req.mutating);
    }

    #[test]
    fn key_management_needs_the_sub_account_name() {
        for (label, account) in [
            ("absent", None),
            ("empty", Some("")),
            ("a UID-like dash", Some("grid-bot")),
            ("too short", Some("abc")),
        ] {
            let op = Op::RevokeKey(Revoke::ByMaster {
                key: KeyId::new("k"),
                account: account.map(str::to_owned),
            });
            let err = encode(&op, NOW).unwrap_err();
            assert!(
                matches!(err, ExchangeError::NeedsInput { .. }),
                "{label}: {err:?}"
            );
            assert!(err.to_string().contains("sub-account name"), "{label}");
        }
    }

    #[test]
    fn create_asks_for_trade_at_most_with_a_fresh_passphrase() {
        let op = Op::CreateKey {
            account: "gridbot01".into(),
            label: "lockdown-abc123".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade, TradePermission::ContractTrade],
                ips: IpWhitelist::parse(&["10.0.0.1", "10.0.0.2"]).unwrap(),
            },
        };
        let body: Value = serde_json::from_str(&encode(&op, NOW).unwrap().body.unwrap()).unwrap();
        assert_eq!(body["perm"], "read_only,trade");
        assert_eq!(body["ip"], "10.0.0.1,10.0.0.2");
        assert_eq!(body["subAcct"], "gridbot01");
        let first = body["passphrase"].as_str().unwrap().to_owned();
        assert!(passphrase::is_valid(&first), "{first}");
        let again: Value = serde_json::from_str(&encode(&op, NOW).unwrap().body.unwrap()).unwrap();
        assert_ne!(again["passphrase"], first.as_str(), "fresh every time");
    }
}
