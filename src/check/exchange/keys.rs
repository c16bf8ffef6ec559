//! The bot keys' findings, per `keys:` entry: `key.exists` (the venue still has it), and the
//! least-privilege checklist: `key.withdraw` (it can move money off the account) and
//! `key.ip_list` (it works from anywhere).
//!
//! A key is looked up in its account's listing through the master where the venue lists keys
//! (the listing shows what the exchange stores, and needs nothing of the bot key), else by the
//! key itself when the owner holds its secret (`WhoAmI`). A key the listing no longer shows, or
//! that the exchange no longer accepts, is a stale entry.

use super::{call, explain, finding, list_keys};
use crate::audit::permission::moves_money;
use crate::check::{Finding, Severity};
use crate::config::{OwnedKey, Profile};
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Client, ExchangeError, Op};

/// Every bot key's findings.
pub(super) async fn findings(profile: &Profile, client: &Client) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in &profile.keys {
        out.extend(one(profile, client, key).await);
    }
    out
}

/// What could be learnt of one key.
enum Looked {
    /// The venue described it.
    Found(KeyInfo),
    /// It answered, but what it may do and from where could not be read (Deribit's account
    /// summary, when the entry names no `account:` to list).
    Answered,
    /// The venue no longer has it.
    Gone(String),
    /// Nothing could tell.
    Unknown(String),
}

async fn look(profile: &Profile, client: &Client, key: &OwnedKey) -> Looked {
    let venue = profile.exchange;
    let account = key
        .account
        .clone()
        .or_else(|| (!venue.facts().listing_needs_account).then(String::new));
    let mut why = Vec::new();
    if venue.facts().lists_sub_keys
        && let Some(account) = &account
    {
        match list_keys(client, &profile.master, account).await {
            Ok(keys) => match keys.into_iter().find(|k| k.names(&key.id)) {
                Some(info) => return Looked::Found(info),
                // The main account's own listing (no `account:`): the key may be a
                // sub-account's, so its absence there says nothing yet.
                None if key.account.is_none() => {
                    why.push("the master account's listing does not show it".to_owned());
                }
                None => {
                    return Looked::Gone(format!(
                        "the master's listing of `{account}` does not show it"
                    ));
                }
            },
            Err(err) => why.push(format!("listing its account failed: {}", explain(&err).0)),
        }
    }
    match &key.credential {
        Some(credential) => match call(client, &Op::WhoAmI, Some(credential))
            .await
            .and_then(|reply| reply.into_key())
        {
            // Deribit's answer is the account's summary: the key is alive, its scope unread.
            Ok(_) if venue.facts().master_from_listing => return Looked::Answered,
            Ok(info) => return Looked::Found(info),
            Err(err @ ExchangeError::InvalidKey { .. }) => {
                return Looked::Gone(format!("the exchange refuses it: {err}"));
            }
            Err(err) => why.push(format!("asking with its own secret failed: {err}")),
        },
        None if why.is_empty() => {
            why.push("its entry names no `account:` and holds no `secret:`".into());
        }
        None => {}
    }
    Looked::Unknown(why.join("; "))
}

async fn one(profile: &Profile, client: &Client, key: &OwnedKey) -> Vec<Finding> {
    let name = format!("bot key `{}` ({})", key.label, key.id.masked());
    let info = match look(profile, client, key).await {
        Looked::Found(info) => {
            // The key as it is now, for a later incident's report (`key_seen`); a state dir
            // that cannot take it is `state_dir`'s finding, not this one's.
            let _ =
                crate::key_seen::remember(&profile.state_dir, profile.exchange, [&info], "check");
            info
        }
        Looked::Gone(why) => {
            return vec![finding(
                profile,
                "key.exists",
                Severity::Warning,
                format!("{name} no longer exists on {}: {why}", profile.exchange),
                Some(
                    "remove the stale entry from the profile's `keys:` (or fix its `id:`/`account:`)"
                        .into(),
                ),
            )];
        }
        Looked::Answered => {
            let fix = Some(
                "give the entry its `account:` (the sub-account's id) so that the listing shows the key's scope and IP list"
                    .to_owned(),
            );
            return vec![
                finding(
                    profile,
                    "key.exists",
                    Severity::Ok,
                    format!("{name} exists (it answers with its own secret)"),
                    None,
                ),
                finding(
                    profile,
                    "key.withdraw",
                    Severity::Warning,
                    format!("cannot read what {name} may do: its account's listing was not read"),
                    fix.clone(),
                ),
                finding(
                    profile,
                    "key.ip_list",
                    Severity::Warning,
                    format!("cannot read {name}'s IP list: its account's listing was not read"),
                    fix,
                ),
            ];
        }
        Looked::Unknown(why) => {
            return vec![finding(
                profile,
                "key.exists",
                Severity::Warning,
                format!("cannot confirm that {name} exists: {why}"),
                Some("give the entry its `account:` (the sub-account it belongs to) or its `secret:`".into()),
            )];
        }
    };
    let mut out = vec![finding(
        profile,
        "key.exists",
        Severity::Ok,
        format!("{name} exists"),
        None,
    )];
    let moves: Vec<&str> = info
        .permissions
        .iter()
        .map(String::as_str)
        .filter(|p| moves_money(p))
        .collect();
    out.push(if moves.is_empty() && !info.can_withdraw() {
        finding(
            profile,
            "key.withdraw",
            Severity::Ok,
            format!("{name} can neither withdraw nor transfer"),
            None,
        )
    } else {
        finding(
            profile,
            "key.withdraw",
            Severity::Warning,
            format!(
                "{name} can move money off the account ({}): a leak of it is a withdrawal, not only bad trades",
                moves.join(", ")
            ),
            Some(format!(
                "remove its withdraw and transfer permissions in {}'s web interface: a trading bot needs neither",
                profile.exchange
            )),
        )
    });
    out.push(if info.is_masked() {
        finding(
            profile,
            "key.ip_list",
            Severity::Ok,
            format!(
                "{name}: {} shows no IP list in a masked listing",
                profile.exchange
            ),
            None,
        )
    } else if info.ips.is_empty() {
        finding(
            profile,
            "key.ip_list",
            Severity::Warning,
            format!("{name} has no IP list: whoever holds it can trade from anywhere"),
            Some(format!(
                "bind it to the bots' addresses (`bot_ips`) in {}'s web interface",
                profile.exchange
            )),
        )
    } else {
        finding(
            profile,
            "key.ip_list",
            Severity::Ok,
            format!("{name} is bound to {}", info.ips.join(", ")),
            None,
        )
    });
    out
}
