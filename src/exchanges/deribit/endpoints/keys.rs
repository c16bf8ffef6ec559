//! Deribit key management requests (docs/venues/deribit.md §4): the key a lock or revoke names is
//! looked up in the account's listing first (Deribit addresses keys by numeric id), a plan
//! names the key it would look up, and the replacement's scope is built here so that it never
//! holds `wallet:read_write`. Key names are checked before anything is sent.

use super::*;

/// The scope a replacement key gets, before its trading right: never `wallet:read_write`.
const REPLACEMENT_BASE_SCOPE: &str = "account:read wallet:none";

/// The key the lookup found, or `None` when there was no lookup (a plan being rendered).
pub(super) fn looked_up(
    call: &CallContext<'_>,
    client_id: &str,
) -> Result<Option<wire::DeribitApiKey>, ExchangeError> {
    let Some(response) = call.lookup else {
        return Ok(None);
    };
    let keys = wire::key_list(response)?;
    keys.into_iter()
        .find(|k| k.client_id == client_id)
        .map(Some)
        .ok_or_else(|| ExchangeError::Api {
            code: "not_listed".to_owned(),
            message: format!(
                "`private/list_api_keys` does not list key `{}` on this account; a \
                 sub-account's key needs that sub-account as the key's `account` in the profile",
                crate::secret::mask(client_id)
            ),
        })
}

/// What a plan shows where the numeric id goes.
pub(super) fn pending(client_id: &str) -> String {
    format!(
        "<id of {} from private/list_api_keys>",
        crate::secret::mask(client_id)
    )
}

/// The scope of a replacement key: read the account, trade if asked, and no wallet at all.
pub fn replacement_scope(scope: &KeyScope) -> String {
    let trade = if scope.trade.is_empty() {
        "trade:read"
    } else {
        // Deribit scopes are not per product; every trading right is `trade:read_write`.
        "trade:read_write"
    };
    format!("{REPLACEMENT_BASE_SCOPE} {trade}")
}

/// A key's scope with every write right taken away.
pub(super) fn read_only_scope(scope: &str) -> String {
    scope
        .split_whitespace()
        .map(|part| part.replace(":read_write", ":read"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Refuses key names Deribit does not take: at most 16 letters, digits or `_`
/// (docs/venues/deribit.md §4).
pub(super) fn check_name(name: &str) -> Result<(), ExchangeError> {
    let ok = !name.is_empty()
        && name.len() <= 16
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(ExchangeError::Protocol {
            detail: format!(
                "Deribit key names are 1 to 16 letters, digits or `_`; `{name}` is not (use a \
                 label such as `lockdown_{{{{ run.id }}}}`)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::deribit::endpoints::tests::{call, listing, lock_op};
    use crate::exchanges::model::{IpWhitelist, TradePermission};
    use crate::exchanges::{Method, Response, VenueSettings};

    #[test]
    fn the_lock_edits_the_looked_up_key_and_keeps_its_scope() {
        let settings = VenueSettings::default();
        let listing = listing();
        let req = encode(&lock_op(false), &call(&settings, Some(&listing), None)).unwrap();
        assert_eq!(req.path, "/api/v2/private/edit_api_key");
        // A JSON-RPC POST: `ip_whitelist` is the array the method page declares, not its text.
        assert_eq!(req.method, Method::Post);
        assert!(req.query.is_empty());
        let body = params_of(&req);
        assert_eq!(body["id"], 7);
        assert_eq!(body["ip_whitelist"], serde_json::json!(["127.0.0.1"]));
        assert_eq!(
            body["max_scope"],
            "account:read trade:read_write wallet:read"
        );
        assert!(req.mutating);
        let req = encode(&lock_op(true), &call(&settings, Some(&listing), None)).unwrap();
        assert_eq!(
            params_of(&req)["max_scope"],
            "account:read trade:read wallet:read"
        );
    }

    fn params_of(req: &crate::exchanges::Request) -> Value {
        let body: Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        body["params"].clone()
    }

    #[test]
    fn a_plan_names_the_key_it_would_look_up_and_a_missing_key_is_refused() {
        let settings = VenueSettings::default();
        let req = encode(&lock_op(false), &call(&settings, None, None)).unwrap();
        let id = params_of(&req)["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("<id of "), "{id}");
        let empty = Response {
            status: 200,
            headers: Vec::new(),
            body: br#"{"jsonrpc":"2.0","result":[],"usIn":1,"usOut":2,"usDiff":1}"#.to_vec(),
        };
        let err = encode(&lock_op(false), &call(&settings, Some(&empty), None)).unwrap_err();
        assert_eq!(err.code(), Some("not_listed"));
        assert!(err.to_string().contains("`account`"), "{err}");
    }

    #[test]
    fn replacement_scope_never_has_wallet_write() {
        let settings = VenueSettings::default();
        for trade in [
            vec![],
            vec![TradePermission::SpotTrade, TradePermission::ContractTrade],
        ] {
            let op = Op::CreateKey {
                account: "1000002".into(),
                label: "lockdown_abc123".into(),
                scope: KeyScope {
                    trade,
                    ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
                },
            };
            let req = encode(&op, &call(&settings, None, None)).unwrap();
            assert_eq!(req.path, "/api/v2/private/create_api_key");
            let scope = params_of(&req)["max_scope"].as_str().unwrap().to_owned();
            assert!(scope.contains("wallet:none"), "{scope}");
            assert!(!scope.contains("wallet:read_write"));
        }
        let bad = Op::CreateKey {
            account: "1".into(),
            label: "lockdown-abc123".into(),
            scope: KeyScope {
                trade: vec![],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        assert!(encode(&bad, &call(&settings, None, None)).is_err());
    }
}
