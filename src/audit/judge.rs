//! The rules: what in an [`Inventory`] is a finding, and how bad.
//!
//! Critical is what turns a leak into a loss at once: a key that can move money off the account
//! (a master's transfer right that key management needs aside), a trading key that works from
//! anywhere, a master that works from anywhere, an unknown key that can move money. Warnings
//! are what makes a leak likelier or longer: old or expiring keys, unknown keys, permissions for
//! products the account does not trade, configured keys the venue no longer has, and anything
//! the audit could not see. Pure: every rule judges what the inventory holds.

use std::collections::BTreeMap;

use super::finding::Finding;
use super::inventory::{Entry, Inventory, Role};
use super::permission::{self, Market};
use super::usage::Used;
use crate::check::Severity;
use crate::check::exchange::facts::{self, KeyAdmin};
use crate::exchanges::ExchangeId;

const DAY_MS: i64 = 86_400_000;

/// What the rules need besides the inventory.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    /// The profile's name.
    pub(crate) profile: String,
    /// Keys older than this many days are due for rotation.
    pub(crate) max_age_days: u32,
}

impl Rules {
    fn finding(&self, entry: Option<&Entry>, check: &'static str, severity: Severity) -> Draft {
        Draft(Finding {
            profile: self.profile.clone(),
            check,
            severity,
            key: entry.map(|e| e.info.key.as_str().to_owned()),
            label: entry.map(|e| e.label().to_owned()),
            account: entry.and_then(|e| e.account.clone()),
            message: String::new(),
            fix: String::new(),
        })
    }
}

/// A finding being written.
struct Draft(Finding);

impl Draft {
    fn says(mut self, message: String, fix: String) -> Finding {
        self.0.message = message;
        self.0.fix = fix;
        self.0
    }
}

/// A key for people: `` `label` (id) ``, with its role when it is the master or unknown.
fn name(entry: &Entry) -> String {
    let id = entry.info.key.as_str();
    match entry.role {
        Role::Master => format!("the master key `{}` ({id})", entry.label()),
        Role::Bot { .. } => format!("bot key `{}` ({id})", entry.label()),
        Role::Unknown => format!("unknown key `{}` ({id})", entry.label()),
    }
}

/// Every finding of the inventory (the usage of products aside: see [`products`]).
pub(crate) fn findings(rules: &Rules, inventory: &Inventory) -> Vec<Finding> {
    let mut out = Vec::new();
    for failure in &inventory.failures {
        out.push(rules.finding(None, "audit.unseen", Severity::Warning).says(
            failure.clone(),
            "fix what stopped the read (the master's permission, the key's `account:` or `secret:`) and audit again: until then the audit covers less than the account".into(),
        ));
    }
    for (label, id, why) in &inventory.gone {
        let mut f = rules.finding(None, "key.gone", Severity::Warning).says(
            format!(
                "bot key `{label}` ({}) is in the profile but not on {}: {why}",
                id.as_str(),
                inventory.venue
            ),
            "remove the stale entry from the profile's `keys:` (or fix its `id:`/`account:`)"
                .into(),
        );
        f.key = Some(id.as_str().to_owned());
        f.label = Some(label.clone());
        out.push(f);
    }
    for entry in &inventory.keys {
        out.extend(withdraw(rules, inventory.venue, entry));
        out.extend(ip_list(rules, inventory.venue, entry));
        out.extend(age(rules, inventory.venue, entry, inventory.now_ms));
        out.extend(expiry(rules, entry, inventory.now_ms));
        out.extend(unknown(rules, inventory.venue, entry));
    }
    out
}

/// The permissions of `entry` that move money and that it does not need: for the master, the
/// transfer right key management takes is needed (Bybit: one of `AccountTransfer`,
/// `SubMemberTransfer`, `Withdraw`; a withdraw right is unneeded when it holds another one).
fn unneeded_money_rights(venue: ExchangeId, entry: &Entry) -> Vec<String> {
    let mut moving: Vec<String> = entry
        .info
        .permissions
        .iter()
        .filter(|p| permission::moves_money(p))
        .cloned()
        .collect();
    if moving.is_empty() && entry.info.can_withdraw() {
        moving.push("withdraw".to_owned());
    }
    if entry.role != Role::Master {
        return moving;
    }
    let KeyAdmin::AnyOf { needed, .. } = venue.facts().key_admin else {
        return moving;
    };
    let held: Vec<&String> = moving
        .iter()
        .filter(|p| needed.contains(&p.as_str()))
        .collect();
    let holds_a_transfer = held
        .iter()
        .any(|p| !p.to_ascii_lowercase().contains("withdraw"));
    moving
        .iter()
        .filter(|p| {
            !needed.contains(&p.as_str())
                || (holds_a_transfer && p.to_ascii_lowercase().contains("withdraw"))
        })
        .cloned()
        .collect()
}

/// `key.withdraw`: the key can move money off the account.
fn withdraw(rules: &Rules, venue: ExchangeId, entry: &Entry) -> Option<Finding> {
    let rights = unneeded_money_rights(venue, entry);
    if rights.is_empty() {
        return None;
    }
    let what = if entry.role == Role::Master {
        "key management does not need them"
    } else {
        "a trading bot needs neither withdrawals nor transfers"
    };
    Some(rules.finding(Some(entry), "key.withdraw", Severity::Critical).says(
        format!(
            "{} can move money off the account ({}): a leak of it is a withdrawal, not only bad trades",
            name(entry),
            rights.join(", ")
        ),
        format!("remove those permissions in {venue}'s web interface: {what}"),
    ))
}

/// `key.ip_list` (and `master.ip_bound`): the key works from anywhere, or from a network so wide
/// that it binds nothing.
fn ip_list(rules: &Rules, venue: ExchangeId, entry: &Entry) -> Option<Finding> {
    let info = &entry.info;
    // A masked listing, or one that shows only *that* a list exists (Binance), tells nothing
    // of its width.
    if info.is_masked() || (!info.ips.is_empty() && !permission::shows_addresses(&info.ips)) {
        return None;
    }
    let wide: Vec<String> = info
        .ips
        .iter()
        .filter_map(|ip| permission::wide(ip))
        .collect();
    let problem = if info.ips.is_empty() {
        "has no IP allow-list".to_owned()
    } else if !wide.is_empty() {
        format!(
            "has an IP allow-list that binds nothing: {}",
            wide.join(", ")
        )
    } else {
        return None;
    };
    let (check, severity, why) = match entry.role {
        Role::Master => (
            "master.ip_bound",
            Severity::Critical,
            "whoever holds it can manage every key from anywhere",
        ),
        _ if info.read_only => (
            "key.ip_list",
            Severity::Warning,
            "whoever holds it can read the account from anywhere",
        ),
        _ => (
            "key.ip_list",
            Severity::Critical,
            "whoever holds it can trade from anywhere",
        ),
    };
    let fix = match entry.role {
        Role::Master => format!(
            "bind the master key to `responder_ip` in {venue}'s web interface (an IP-bound key also does not expire on Bybit)"
        ),
        _ => format!("bind it to the bots' addresses (`bot_ips`) in {venue}'s web interface"),
    };
    Some(
        rules
            .finding(Some(entry), check, severity)
            .says(format!("{} {problem}: {why}", name(entry)), fix),
    )
}

/// `key.age`: created longer ago than the rotation period.
fn age(rules: &Rules, venue: ExchangeId, entry: &Entry, now_ms: i64) -> Option<Finding> {
    let created = entry.info.created_at.as_deref()?;
    let created_ms = crate::clock::parse_rfc3339_ms(created)?;
    let days = (now_ms - created_ms).div_euclid(DAY_MS);
    if days <= i64::from(rules.max_age_days) {
        return None;
    }
    Some(rules.finding(Some(entry), "key.age", Severity::Warning).says(
        format!(
            "{} was created {days} days ago ({created}), over the {} days a key should live",
            name(entry),
            rules.max_age_days
        ),
        format!(
            "rotate it: create a replacement with the same restrictions in {venue}, move the bot to it, then delete this one"
        ),
    ))
}

/// `key.expiry`: expired, or expiring within two weeks.
fn expiry(rules: &Rules, entry: &Entry, now_ms: i64) -> Option<Finding> {
    let at = entry.info.expires_at.as_deref()?;
    let at_ms = crate::clock::parse_rfc3339_ms(at)?;
    let days = (at_ms - now_ms).div_euclid(DAY_MS);
    let message = if at_ms <= now_ms {
        format!("{} expired at {at}", name(entry))
    } else if days < facts::EXPIRY_WARNING_DAYS {
        format!("{} expires at {at}, in {days} day(s)", name(entry))
    } else {
        return None;
    };
    Some(
        rules
            .finding(Some(entry), "key.expiry", Severity::Warning)
            .says(
                message,
                "replace it before it stops working (an IP-bound key does not expire on Bybit), and delete the expired one".into(),
            ),
    )
}

/// `key.unknown`: a key the profile does not name; critical when it can move money.
fn unknown(rules: &Rules, venue: ExchangeId, entry: &Entry) -> Option<Finding> {
    if entry.role != Role::Unknown {
        return None;
    }
    let moves = !unneeded_money_rights(venue, entry).is_empty();
    let severity = if moves {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let made_by_lockdown = entry.info.label.starts_with("lockdown-");
    let message = format!(
        "{} is on the account but not in the profile's `keys:`{}: nobody here knows who uses it{}",
        name(entry),
        if made_by_lockdown {
            " (its label says a lockdown response created it as a replacement)"
        } else {
            ""
        },
        if moves {
            ", and it can move money off the account"
        } else {
            ""
        }
    );
    let fix = format!(
        "if it is yours, add it to the profile's `keys:`; if nobody knows it, treat it as an attacker's: `lockdown respond --key {}`",
        entry.info.key.as_str()
    );
    Some(
        rules
            .finding(Some(entry), "key.unknown", severity)
            .says(message, fix),
    )
}

/// `key.products`: trading permissions whose every market the key's account has no orders in
/// (a permission that also opens a traded market cannot be dropped, so it is not named). A
/// market whose orders could not be read is no finding (a bot key bound to the bots' servers
/// refuses this machine, as it should): [`unread`] names it as not seen.
pub(crate) fn products(
    rules: &Rules,
    venue: ExchangeId,
    entry: &Entry,
    markets: &BTreeMap<Market, Used>,
) -> Vec<Finding> {
    let unused = |market: &Market| matches!(markets.get(market), Some(Used::No { .. }));
    let idle: Vec<&str> = entry
        .info
        .permissions
        .iter()
        .filter(|p| {
            let opens = permission::markets(venue, p);
            !opens.is_empty() && opens.iter().all(unused)
        })
        .map(String::as_str)
        .collect();
    let mut out = Vec::new();
    let days = markets.values().find_map(|used| match used {
        Used::No { days } => Some(*days),
        _ => None,
    });
    if let Some(days) = days
        && !idle.is_empty()
    {
        let mut named: Vec<String> = idle
            .iter()
            .flat_map(|p| permission::markets(venue, p).iter().map(|m| m.name()))
            .collect();
        named.dedup();
        out.push(rules.finding(Some(entry), "key.products", Severity::Warning).says(
            format!(
                "{} may trade {} ({}) but its account has no order there (open, or in the last {days} days)",
                name(entry),
                named.join(", "),
                idle.join(", ")
            ),
            format!(
                "remove {} in {venue}'s web interface: the bot does not trade there",
                idle.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    out
}

/// What could not be read of a key's markets, one sentence each (the audit's `not seen:`).
pub(crate) fn unread(entry: &Entry, markets: &BTreeMap<Market, Used>) -> Vec<String> {
    markets
        .iter()
        .filter_map(|(market, used)| match used {
            Used::Unread(why) => Some(format!(
                "whether {} trades {} (its orders could not be read with its own secret: {why})",
                name(entry),
                market.name()
            )),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::inventory::Seen;
    use crate::exchanges::model::KeyInfo;
    use crate::secret::KeyId;

    const NOW: i64 = 1_800_000_000_000;

    fn entry(role: Role, permissions: &[&str], ips: &[&str], read_only: bool) -> Entry {
        Entry {
            info: KeyInfo {
                key: KeyId::new("KEY123"),
                label: "grid".into(),
                account: None,
                is_master: role == Role::Master,
                read_only,
                permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
                ips: ips.iter().map(|p| (*p).to_owned()).collect(),
                created_at: None,
                expires_at: None,
            },
            account: Some("1001".into()),
            role,
            seen: Seen::Listing,
        }
    }

    fn bot() -> Role {
        Role::Bot {
            label: "grid".into(),
        }
    }

    fn inventory(keys: Vec<Entry>) -> Inventory {
        Inventory {
            venue: ExchangeId::Bybit,
            keys,
            scope: String::new(),
            limits: Vec::new(),
            failures: Vec::new(),
            gone: Vec::new(),
            now_ms: NOW,
        }
    }

    fn rules() -> Rules {
        Rules {
            profile: "main".into(),
            max_age_days: 90,
        }
    }

    fn checks(keys: Vec<Entry>) -> Vec<(&'static str, Severity)> {
        findings(&rules(), &inventory(keys))
            .into_iter()
            .map(|f| (f.check, f.severity))
            .collect()
    }

    #[test]
    fn each_rule_trips_on_its_case() {
        let ip = &["203.0.113.7"][..];
        let mut old = entry(bot(), &["Spot:SpotTrade"], ip, false);
        old.info.created_at = Some(crate::clock::rfc3339_ms(NOW - 120 * DAY_MS));
        let mut expiring = entry(bot(), &["Spot:SpotTrade"], ip, false);
        expiring.info.expires_at = Some(crate::clock::rfc3339_ms(NOW + 3 * DAY_MS));
        type Case = (&'static str, Entry, Vec<(&'static str, Severity)>);
        let cases: Vec<Case> = vec![
            (
                "clean bot",
                entry(bot(), &["Spot:SpotTrade"], ip, false),
                vec![],
            ),
            (
                "withdraw",
                entry(bot(), &["Spot:SpotTrade", "Wallet:Withdraw"], ip, false),
                vec![("key.withdraw", Severity::Critical)],
            ),
            (
                "trade key from anywhere",
                entry(bot(), &["Spot:SpotTrade"], &[], false),
                vec![("key.ip_list", Severity::Critical)],
            ),
            (
                "read-only key from anywhere",
                entry(bot(), &[], &[], true),
                vec![("key.ip_list", Severity::Warning)],
            ),
            (
                "a /0 list",
                entry(bot(), &["Spot:SpotTrade"], &["0.0.0.0/0"], false),
                vec![("key.ip_list", Severity::Critical)],
            ),
            (
                "binance says only that a list exists",
                entry(bot(), &["canTrade"], &["restricted"], false),
                vec![],
            ),
            ("old", old, vec![("key.age", Severity::Warning)]),
            (
                "expiring",
                expiring,
                vec![("key.expiry", Severity::Warning)],
            ),
            (
                "unknown",
                entry(Role::Unknown, &["Spot:SpotTrade"], ip, false),
                vec![("key.unknown", Severity::Warning)],
            ),
            (
                "unknown that withdraws",
                entry(Role::Unknown, &["Wallet:Withdraw"], ip, false),
                vec![
                    ("key.withdraw", Severity::Critical),
                    ("key.unknown", Severity::Critical),
                ],
            ),
            (
                "unbound master",
                entry(Role::Master, &["Wallet:AccountTransfer"], &[], false),
                vec![("master.ip_bound", Severity::Critical)],
            ),
            (
                "master with the transfer key management needs",
                entry(Role::Master, &["Wallet:AccountTransfer"], ip, false),
                vec![],
            ),
            (
                "master that also withdraws",
                entry(
                    Role::Master,
                    &["Wallet:AccountTransfer", "Wallet:Withdraw"],
                    ip,
                    false,
                ),
                vec![("key.withdraw", Severity::Critical)],
            ),
        ];
        for (label, entry, want) in cases {
            assert_eq!(checks(vec![entry]), want, "{label}");
        }
    }

    #[test]
    fn unused_products_name_the_permission_to_remove() {
        let key = entry(
            bot(),
            &["Spot:SpotTrade", "Options:OptionsTrade"],
            &[],
            false,
        );
        let markets = |list: &[(&str, Used)]| -> BTreeMap<Market, Used> {
            list.iter()
                .flat_map(|(perm, used)| {
                    let opens = permission::markets(ExchangeId::Bybit, perm);
                    opens.iter().map(move |m| (*m, used.clone()))
                })
                .collect()
        };
        let found = products(
            &rules(),
            ExchangeId::Bybit,
            &key,
            &markets(&[
                ("Spot:SpotTrade", Used::Yes),
                ("Options:OptionsTrade", Used::No { days: 7 }),
            ]),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].check, "key.products");
        assert!(found[0].message.contains("option"), "{}", found[0].message);
        assert!(
            found[0].fix.contains("`Options:OptionsTrade`"),
            "{}",
            found[0].fix
        );
        let all_used = markets(&[
            ("Spot:SpotTrade", Used::Yes),
            ("Options:OptionsTrade", Used::Yes),
        ]);
        assert!(products(&rules(), ExchangeId::Bybit, &key, &all_used).is_empty());
        // Bybit's `ContractTrade` opens linear and inverse: one of them traded keeps it.
        let contracts = entry(bot(), &["ContractTrade:Order"], &[], false);
        let mut half = markets(&[("ContractTrade:Order", Used::No { days: 7 })]);
        half.insert(
            Market {
                category: crate::exchanges::model::Category::Linear,
                settle: None,
            },
            Used::Yes,
        );
        assert!(products(&rules(), ExchangeId::Bybit, &contracts, &half).is_empty());
        // Orders that could not be read are not seen, never unused.
        let refused = markets(&[("Options:OptionsTrade", Used::Unread("ip refused".into()))]);
        assert!(products(&rules(), ExchangeId::Bybit, &key, &refused).is_empty());
        assert_eq!(unread(&key, &refused).len(), 2);
    }
}
