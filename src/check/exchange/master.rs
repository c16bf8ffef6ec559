//! The master credential's findings: `master.auth` (it authenticates), `master.permission` (it
//! may manage keys as the playbook's key steps need), `master.ip_bound` (bound to addresses;
//! required on OKX), `master.expiry` (not expired, not expiring within two weeks).
//!
//! Everything comes from one `WhoAmI` (and, on Deribit, the account's key listing, where the
//! key's scope and IP list are): the checks after `master.auth` judge what it said, and are left
//! out when it said nothing.

use super::facts::{self, KeyAdmin};
use super::{call, explain, finding, list_keys};
use crate::check::{Finding, Severity};
use crate::config::Profile;
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Client, ExchangeError, Op};
use crate::playbook::Playbook;

/// The playbook actions that manage keys through the master credential.
const KEY_STEPS: &[&str] = &["create_key", "freeze_account", "restrict_key", "revoke_key"];

/// What the exchange said about the master key.
pub(crate) struct Master {
    /// Its description, or why there is none.
    pub(crate) info: Result<KeyInfo, ExchangeError>,
    /// The exchange's clock when it was read (ms), for the expiry.
    pub(crate) now_ms: i64,
    /// Where the permission cannot be read back ([`KeyAdmin::MasterOnly`]): how a read-only
    /// call that only a master key may make went (a bot key's account listing); `None` when no
    /// bot key names its account.
    pub(crate) admin_probe: Option<Result<(), ExchangeError>>,
}

impl Master {
    /// The master's IP list as addresses, when it authenticated and the venue shows the list
    /// (Binance shows only that one exists).
    pub(crate) fn addresses(&self) -> Option<Vec<std::net::IpAddr>> {
        let info = self.info.as_ref().ok()?;
        let ips: Vec<std::net::IpAddr> = info
            .ips
            .iter()
            .filter_map(|ip| ip.trim().parse().ok())
            .collect();
        (!ips.is_empty()).then_some(ips)
    }
}

/// Reads the master key: `WhoAmI`, and on Deribit its entry in the main account's listing.
pub(super) async fn read(profile: &Profile, client: &Client) -> Master {
    let master = &profile.master;
    let mut info = call(client, &Op::WhoAmI, Some(master))
        .await
        .and_then(|reply| reply.into_key());
    if profile.exchange.facts().master_from_listing
        && let Ok(summary) = &info
    {
        info = match list_keys(client, master, "").await {
            Ok(keys) => keys
                .into_iter()
                .find(|k| k.names(&master.key))
                .map(|listed| KeyInfo {
                    account: summary.account.clone(),
                    is_master: summary.is_master,
                    ..listed
                })
                .ok_or_else(|| ExchangeError::Protocol {
                    detail: format!(
                        "the account's key listing does not show the master key {}",
                        master.key
                    ),
                }),
            Err(err) => Err(err),
        };
    }
    let admin_probe = match profile.exchange.facts().key_admin {
        KeyAdmin::AnyOf {
            master_only: true, ..
        } if info.is_ok() => match profile.keys.iter().find_map(|k| k.account.as_deref()) {
            Some(account) => Some(list_keys(client, master, account).await.map(|_| ())),
            None => None,
        },
        _ => None,
    };
    Master {
        info,
        now_ms: client.clock().now_ms(),
        admin_probe,
    }
}

/// The master's findings.
pub(super) fn findings(profile: &Profile, playbook: &Playbook, master: &Master) -> Vec<Finding> {
    let key = &profile.master.key;
    let info = match &master.info {
        Ok(info) => info,
        Err(err) => {
            let (message, hint) = explain(err);
            let mut out = vec![finding(
                profile,
                "master.auth",
                Severity::Critical,
                format!(
                    "the master key {key} was refused: {message}; its permission, IP binding and expiry were not checked"
                ),
                Some(hint.unwrap_or_else(auth_fix)),
            )];
            if matches!(err, ExchangeError::KeyExpired { .. }) {
                out.push(finding(
                    profile,
                    "master.expiry",
                    Severity::Critical,
                    format!("the master key {key} has expired"),
                    Some(renew_fix(profile)),
                ));
            }
            return out;
        }
    };
    vec![
        finding(
            profile,
            "master.auth",
            Severity::Ok,
            format!("the master key {key} authenticates"),
            None,
        ),
        permission(profile, playbook, info, master.admin_probe.as_ref()),
        ip_bound(profile, info),
        expiry(profile, info, master.now_ms),
    ]
}

fn auth_fix() -> String {
    "check the master key id, its secret (and passphrase on OKX), that it is not expired or deleted, and that this machine's address is in its IP list".into()
}

fn renew_fix(profile: &Profile) -> String {
    format!(
        "create a new master key in {}'s web interface, bound to `responder_ip`, and point `master:` at it",
        profile.exchange
    )
}

/// `master.permission`: the key-management permission the playbook's key steps need.
fn permission(
    profile: &Profile,
    playbook: &Playbook,
    info: &KeyInfo,
    probe: Option<&Result<(), ExchangeError>>,
) -> Finding {
    let steps: Vec<&str> = playbook
        .action_steps()
        .into_iter()
        .map(|(_, action)| action.name())
        .filter(|name| KEY_STEPS.contains(name))
        .collect();
    let check = "master.permission";
    if steps.is_empty() {
        return finding(
            profile,
            check,
            Severity::Ok,
            format!("playbook `{}` has no key step", playbook.name),
            None,
        );
    }
    let named = steps
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match profile.exchange.facts().key_admin {
        KeyAdmin::Guided => finding(
            profile,
            check,
            Severity::Ok,
            format!(
                "{} manages no keys by API: the playbook's key steps ({named}) are guided steps in its web interface",
                profile.exchange
            ),
            None,
        ),
        KeyAdmin::AnyOf { needed, what, .. } => {
            let has = info
                .permissions
                .iter()
                .any(|p| needed.contains(&p.as_str()));
            if !has || info.read_only {
                let held = if info.permissions.is_empty() {
                    "none".to_owned()
                } else {
                    info.permissions.join(", ")
                };
                return finding(
                    profile,
                    check,
                    Severity::Critical,
                    format!(
                        "the master key {} cannot manage keys{}: it holds {held}; the playbook's {named} would be refused",
                        profile.master.key,
                        if info.read_only { " (read-only)" } else { "" },
                    ),
                    Some(format!("give the master key {what}")),
                );
            }
            match probe {
                Some(Err(
                    err @ (ExchangeError::Permission { .. } | ExchangeError::KeyRefused { .. }),
                )) => finding(
                    profile,
                    check,
                    Severity::Critical,
                    format!(
                        "the master key {} may not list a sub-account's keys ({err}): it is not a master-account key, and the playbook's {named} would be refused",
                        profile.master.key
                    ),
                    Some(format!(
                        "point `master:` at an API key of the master account ({} serves sub-account key management to it only)",
                        profile.exchange
                    )),
                ),
                Some(Err(err)) => finding(
                    profile,
                    check,
                    Severity::Warning,
                    format!(
                        "the master key holds the permission, but whether it is a master-account key could not be tried: listing a sub-account's keys failed ({err})"
                    ),
                    Some("check the `account:` of the profile's `keys:` entries".into()),
                ),
                Some(Ok(())) => finding(
                    profile,
                    check,
                    Severity::Ok,
                    format!(
                        "the master key may manage keys (the playbook's {named}), and listed a sub-account's keys, which {} serves to a master-account key only",
                        profile.exchange
                    ),
                    None,
                ),
                None => finding(
                    profile,
                    check,
                    Severity::Ok,
                    format!("the master key may manage keys (the playbook's {named})"),
                    None,
                ),
            }
        }
    }
}

/// `master.ip_bound`: bound to addresses (OKX and Bitget refuse key management otherwise).
fn ip_bound(profile: &Profile, info: &KeyInfo) -> Finding {
    let check = "master.ip_bound";
    if !info.ips.is_empty() {
        // Binance shows only that a list exists; the others show the addresses (not secret:
        // they are the owner's own servers).
        let shown = if info
            .ips
            .iter()
            .all(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        {
            format!(": {}", info.ips.join(", "))
        } else {
            String::new()
        };
        return finding(
            profile,
            check,
            Severity::Ok,
            format!("the master key is bound to IP addresses{shown}"),
            None,
        );
    }
    let fix = Some(format!(
        "bind the master key to `responder_ip` ({}) in {}'s web interface",
        profile.responder_ip, profile.exchange
    ));
    if profile.exchange.facts().key_admin_needs_ip_bound_master {
        finding(
            profile,
            check,
            Severity::Critical,
            format!(
                "the master key is not bound to any IP address: {} refuses key management through it ({} §4)",
                profile.exchange,
                profile.exchange.spec().docs
            ),
            fix,
        )
    } else {
        finding(
            profile,
            check,
            Severity::Warning,
            "the master key is not bound to any IP address: whoever holds it can use it from anywhere".into(),
            fix,
        )
    }
}

/// `master.expiry`: not expired, not expiring within [`facts::EXPIRY_WARNING_DAYS`].
fn expiry(profile: &Profile, info: &KeyInfo, now_ms: i64) -> Finding {
    let check = "master.expiry";
    let Some(at) = info.expires_at.as_deref() else {
        return finding(
            profile,
            check,
            Severity::Ok,
            format!("{} reports no expiry for the master key", profile.exchange),
            None,
        );
    };
    let Some(at_ms) = crate::clock::parse_rfc3339_ms(at) else {
        return finding(
            profile,
            check,
            Severity::Warning,
            format!("the master key's expiry `{at}` could not be read"),
            Some(format!(
                "look the key up in {}'s web interface",
                profile.exchange
            )),
        );
    };
    let days = (at_ms - now_ms).div_euclid(24 * 60 * 60 * 1000);
    let (severity, message) = if at_ms <= now_ms {
        (
            Severity::Critical,
            format!("the master key expired at {at}"),
        )
    } else if days < facts::EXPIRY_WARNING_DAYS {
        (
            Severity::Warning,
            format!("the master key expires at {at}, in {days} day(s)"),
        )
    } else {
        (
            Severity::Ok,
            format!("the master key expires at {at}, in {days} days"),
        )
    };
    let fix = (severity != Severity::Ok).then(|| match profile.exchange {
        // Unbound keys live 90 days; bound ones do not expire (docs/venues/bybit.md §4).
        crate::exchanges::ExchangeId::Bybit => format!(
            "{}; an IP-bound Bybit key does not expire (unbound ones live 90 days)",
            renew_fix(profile)
        ),
        _ => renew_fix(profile),
    });
    finding(profile, check, severity, message, fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::exchange::tests::profile;
    use crate::exchanges::ExchangeId;
    use crate::secret::KeyId;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn key(permissions: &[&str], ips: &[&str], read_only: bool) -> KeyInfo {
        KeyInfo {
            key: KeyId::new(""),
            label: String::new(),
            account: None,
            is_master: true,
            read_only,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            ips: ips.iter().map(|p| (*p).to_owned()).collect(),
            created_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn the_permission_is_the_venues_and_read_only_never_manages() {
        for (label, venue, info, want) in [
            (
                "bybit wallet",
                ExchangeId::Bybit,
                key(&["Wallet:AccountTransfer"], &[], false),
                Severity::Ok,
            ),
            (
                "bybit no wallet",
                ExchangeId::Bybit,
                key(&["Spot:SpotTrade"], &[], false),
                Severity::Critical,
            ),
            (
                "bybit read-only",
                ExchangeId::Bybit,
                key(&["Wallet:Withdraw"], &[], true),
                Severity::Critical,
            ),
            (
                "okx trade",
                ExchangeId::Okx,
                key(&["read_only", "trade"], &[], false),
                Severity::Ok,
            ),
            (
                "okx read",
                ExchangeId::Okx,
                key(&["read_only"], &[], true),
                Severity::Critical,
            ),
            (
                "deribit",
                ExchangeId::Deribit,
                key(&["account:read"], &[], false),
                Severity::Critical,
            ),
            (
                "kraken guided",
                ExchangeId::Kraken,
                key(&[], &[], false),
                Severity::Ok,
            ),
        ] {
            let profile = profile(venue);
            let playbook = crate::playbook::builtin(venue).unwrap();
            let found = permission(&profile, &playbook, &info, None);
            assert_eq!(found.severity, want, "{label}: {}", found.message);
        }
    }

    #[test]
    fn an_unbound_master_is_critical_only_where_key_management_needs_a_bound_one() {
        for (venue, want) in [
            (ExchangeId::Okx, Severity::Critical),
            (ExchangeId::Bybit, Severity::Warning),
            (ExchangeId::Kraken, Severity::Warning),
        ] {
            let found = ip_bound(&profile(venue), &key(&[], &[], false));
            assert_eq!(found.severity, want, "{venue}");
        }
        let bound = ip_bound(&profile(ExchangeId::Okx), &key(&[], &["127.0.0.1"], false));
        assert_eq!(bound.severity, Severity::Ok);
    }

    #[test]
    fn expiry_warns_under_two_weeks_and_is_critical_once_past() {
        let now = 1_800_000_000_000;
        for (label, at, want) in [
            ("none", None, Severity::Ok),
            ("far", Some(now + 60 * DAY), Severity::Ok),
            ("soon", Some(now + 5 * DAY), Severity::Warning),
            ("past", Some(now - DAY), Severity::Critical),
        ] {
            let mut info = key(&[], &[], false);
            info.expires_at = at.map(crate::clock::rfc3339_ms);
            let found = expiry(&profile(ExchangeId::Bybit), &info, now);
            assert_eq!(found.severity, want, "{label}");
        }
    }
}
