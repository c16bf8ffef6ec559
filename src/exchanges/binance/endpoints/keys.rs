//! Binance key management requests (docs/venues/binance.md §4): read a sub-account's keys, restrict
//! one (trade flags off, or its IP list), delete one and create the replacement. The family
//! (sub-account or broker) decides the paths and how the owner is named; a request that does
//! not name its owner is refused here, before anything is sent.

use super::*;

/// Restricts a key: its trade flags off (read-only), or its IP list (docs/venues/binance.md §4).
pub(super) fn restrict(
    family: KeyFamily,
    key: &KeyId,
    account: Option<&str>,
    lock: &Lock,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, account)?;
    let key = ("subAccountApiKey", key.as_str().to_owned());
    Ok(match (lock.access.clone(), family) {
        // Read-only: the trade flags go first, the IP list follows (`Venue::then`).
        (Access::ReadOnly, KeyFamily::SubAccount) => post(
            "/sapi/v1/sub-account/subAccountApiPermission",
            &[
                owner,
                key,
                flag("canTrade", false),
                flag("canMarginLoanRepay", false),
                flag("canFuturesTrade", false),
                flag("canUniversalTransfer", false),
                flag("canVanillaOptions", false),
            ],
        ),
        (Access::ReadOnly, KeyFamily::Broker) => post(
            "/sapi/v1/broker/subAccountApi/permission",
            &[
                owner,
                key,
                flag("canTrade", false),
                flag("marginTrade", false),
                flag("futuresTrade", false),
            ],
        ),
        // `status` 2: trusted IPs only, these (docs/venues/binance.md §4).
        (Access::Unchanged, KeyFamily::SubAccount) => post(
            "/sapi/v2/sub-account/subAccountApi/ipRestriction",
            &[
                owner,
                key,
                ("status", "2".into()),
                ("ipAddress", lock.ips.to_strings().join(",")),
            ],
        ),
        (Access::Unchanged, KeyFamily::Broker) => post(
            "/sapi/v2/broker/subAccountApi/ipRestriction",
            &[
                owner,
                key,
                ("status", "2".into()),
                ("ipAddress", lock.ips.to_strings().join(",")),
            ],
        ),
    })
}

/// Deletes a sub-account's key, by the master.
pub(super) fn revoke(
    family: KeyFamily,
    key: &KeyId,
    account: Option<&str>,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, account)?;
    let path = match family {
        KeyFamily::SubAccount => "/sapi/v1/sub-account/subAccountApi",
        KeyFamily::Broker => "/sapi/v1/broker/subAccountApi",
    };
    Ok(delete(
        path,
        &[owner, ("subAccountApiKey", key.as_str().to_owned())],
    ))
}

/// The sub-account a key-management request names: `email` (sub-account family) or
/// `subAccountId` (broker family), from the key's `account:`.
fn owner(
    family: KeyFamily,
    account: Option<&str>,
) -> Result<(&'static str, String), ExchangeError> {
    let account = account.map(str::trim).filter(|a| !a.is_empty());
    match (family, account) {
        (KeyFamily::SubAccount, Some(email)) if email.contains('@') => {
            Ok(("email", email.to_owned()))
        }
        (KeyFamily::Broker, Some(id)) if id.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(("subAccountId", id.to_owned()))
        }
        (KeyFamily::SubAccount, got) => Err(ExchangeError::NeedsInput {
            venue: "binance",
            what: format!(
                "the key's sub-account email (`account:`, such as `gridbot_virtual@abcdnoemail.com`){}",
                got.map(|g| format!("; `{g}` is not one"))
                    .unwrap_or_default()
            ),
        }),
        (KeyFamily::Broker, got) => Err(ExchangeError::NeedsInput {
            venue: "binance",
            what: format!(
                "the broker sub-account's `subAccountId` (`account:`, digits){}",
                got.map(|g| format!("; `{g}` is not one"))
                    .unwrap_or_default()
            ),
        }),
    }
}

/// A key listing: the sub-account family lists, then reads each key's IP list; the broker
/// family lists once (ids masked, no IP lists: docs/venues/binance.md §4).
pub(super) fn sub_keys(
    family: KeyFamily,
    account: &str,
    cursor: Option<&str>,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, Some(account))?;
    if family == KeyFamily::Broker {
        return Ok(get(
            "/sapi/v1/broker/subAccountApi",
            &[owner, ("page", "1".into()), ("size", "500".into())],
        ));
    }
    let cursor = KeysCursor::parse(cursor)?;
    match cursor.as_ref().and_then(|c| c.pending.first()) {
        Some(listed) => Ok(get(
            "/sapi/v1/sub-account/subAccountApi/ipRestriction",
            &[owner, ("subAccountApiKey", listed.key.clone())],
        )),
        None => {
            let page = cursor.and_then(|c| c.next_page).unwrap_or(1);
            Ok(get(
                "/sapi/v1/sub-account/subAccountApi",
                &[
                    owner,
                    ("page", page.to_string()),
                    ("size", KEYS_PAGE.to_string()),
                ],
            ))
        }
    }
}

/// A replacement key: never a withdrawal or transfer flag (the scope cannot express one), and
/// bound to its IP list: at creation on the sub-account family (`status` 2), by the follow-up
/// `ipRestriction` on the broker family, whose create takes no address (docs/venues/binance.md §4).
pub(super) fn create(
    family: KeyFamily,
    account: &str,
    label: &str,
    scope: &KeyScope,
) -> Result<Request, ExchangeError> {
    let owner = owner(family, Some(account))?;
    let has = |p: TradePermission| scope.trade.contains(&p);
    Ok(match family {
        KeyFamily::SubAccount => post(
            "/sapi/v1/sub-account/subAccountApi",
            &[
                owner,
                ("apiName", label.to_owned()),
                ("status", "2".into()),
                ("ipAddress", scope.ips.to_strings().join(",")),
                flag("canTrade", has(TradePermission::SpotTrade)),
                flag("canMarginLoanRepay", false),
                flag("canFuturesTrade", has(TradePermission::ContractTrade)),
                flag("canUniversalTransfer", false),
                flag("canVanillaOptions", has(TradePermission::OptionsTrade)),
            ],
        ),
        KeyFamily::Broker => post(
            "/sapi/v1/broker/subAccountApi",
            &[
                owner,
                flag("canTrade", has(TradePermission::SpotTrade)),
                flag("marginTrade", false),
                flag("futuresTrade", has(TradePermission::ContractTrade)),
            ],
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::VenueSettings;
    use crate::exchanges::binance::endpoints::tests::{EMAIL, broker, call, lock};
    use crate::exchanges::model::IpWhitelist;

    #[test]
    fn locks_bind_the_ip_list_per_family() {
        let settings = VenueSettings::default();
        let req = encode(&lock(Access::Unchanged), &call(&settings)).unwrap();
        assert_eq!(req.path, "/sapi/v2/sub-account/subAccountApi/ipRestriction");
        assert_eq!(
            req.body.as_deref(),
            Some(
                "email=gridbot_virtual%40abcdefghnoemail.com&subAccountApiKey=bot-key&status=2&ipAddress=127.0.0.1"
            )
        );
        let strip = encode(&lock(Access::ReadOnly), &call(&settings)).unwrap();
        assert_eq!(strip.path, "/sapi/v1/sub-account/subAccountApiPermission");
        assert!(strip.body.unwrap().contains("canTrade=false"));
        let broker = broker();
        let op = Op::RestrictKey {
            key: KeyId::new("bot-key"),
            account: Some("1000002".into()),
            lock: Lock {
                ips: IpWhitelist::parse(&["127.0.0.1", "10.0.0.1"]).unwrap(),
                access: Access::Unchanged,
            },
        };
        let req = encode(&op, &call(&broker)).unwrap();
        assert_eq!(req.path, "/sapi/v2/broker/subAccountApi/ipRestriction");
        assert_eq!(
            req.body.as_deref(),
            Some(
                "subAccountId=1000002&subAccountApiKey=bot-key&status=2&ipAddress=127.0.0.1%2C10.0.0.1"
            )
        );
    }

    #[test]
    fn key_management_needs_the_right_account() {
        for (label, settings, account) in [
            ("no email", VenueSettings::default(), None),
            (
                "a UID for an email",
                VenueSettings::default(),
                Some("1000002"),
            ),
            ("an email for a broker id", broker(), Some(EMAIL)),
        ] {
            let op = Op::RevokeKey(Revoke::ByMaster {
                key: KeyId::new("k"),
                account: account.map(str::to_owned),
            });
            let err = encode(&op, &call(&settings)).unwrap_err();
            assert!(
                matches!(err, ExchangeError::NeedsInput { .. }),
                "{label}: {err:?}"
            );
        }
        let err = encode(
            &Op::RevokeKey(Revoke::SelfMaster),
            &call(&VenueSettings::default()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("web interface"), "{err}");
    }

    #[test]
    fn create_asks_for_no_withdrawal_and_binds_the_key() {
        let op = Op::CreateKey {
            account: EMAIL.into(),
            label: "lockdown-abc".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade, TradePermission::ContractTrade],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        let settings = VenueSettings::default();
        let body = encode(&op, &call(&settings)).unwrap().body.unwrap();
        assert_eq!(
            body,
            "email=gridbot_virtual%40abcdefghnoemail.com&apiName=lockdown-abc&status=2&ipAddress=10.0.0.1&canTrade=true&canMarginLoanRepay=false&canFuturesTrade=true&canUniversalTransfer=false&canVanillaOptions=false"
        );
        let op = Op::CreateKey {
            account: "1000002".into(),
            label: "lockdown-abc".into(),
            scope: KeyScope {
                trade: vec![TradePermission::SpotTrade],
                ips: IpWhitelist::parse(&["10.0.0.1"]).unwrap(),
            },
        };
        let broker = broker();
        let req = encode(&op, &call(&broker)).unwrap();
        assert_eq!(req.path, "/sapi/v1/broker/subAccountApi");
        assert_eq!(
            req.body.as_deref(),
            Some("subAccountId=1000002&canTrade=true&marginTrade=false&futuresTrade=false")
        );
    }
}
