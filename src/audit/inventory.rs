//! The inventory: every API key the profile's master can see, on the main account and on every
//! sub-account the profile's `keys:` name, each with what the venue says about it.
//!
//! Keys are read from the venue's key listing through the master where it has one (the listing
//! shows what the exchange stores, keys the owner never configured included: an attacker's
//! among them), and from the key itself (`WhoAmI` with its own secret) where it has none
//! (Kraken) or where a configured key is in no listing. The inventory says which of the two
//! each key came from, and what it could not see, so nobody reads a clean audit of a partial
//! view as a clean account.
//!
//! Read-only and bounded: the client runs in dry-run mode and every call goes through
//! [`super::listing`]. `scan` may use [`Inventory::find`] to tell whether a key it found in a
//! file is still live.

use serde::Serialize;

use super::listing::{call, list_keys};
use crate::config::Profile;
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Client, ExchangeError, ExchangeId, Op};
use crate::secret::{Credential, KeyId};

/// Whose a listed key is, as the profile knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// The profile's master key.
    Master,
    /// A key of the profile's `keys:` (its label there).
    Bot { label: String },
    /// A key the profile does not name: unknown to the owner, possibly an attacker's.
    Unknown,
}

impl Role {
    /// The word the table shows.
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Role::Master => "master",
            Role::Bot { .. } => "bot",
            Role::Unknown => "unknown",
        }
    }
}

/// Where what is known of a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Seen {
    /// The venue's key listing, through the master.
    Listing,
    /// The key's own answer about itself (signed with its own secret).
    Itself,
}

/// One key of the inventory.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// What the venue says: id, label, permissions, IP list, read-only, created, expires.
    pub(crate) info: KeyInfo,
    /// The account it was listed on (`""`: the main account), or the one its answer named.
    pub(crate) account: Option<String>,
    /// Whose it is.
    pub(crate) role: Role,
    /// Where its description came from.
    pub(crate) seen: Seen,
}

impl Entry {
    /// The label for people: the profile's where it names the key, else the venue's note.
    pub(crate) fn label(&self) -> &str {
        match &self.role {
            Role::Bot { label } => label,
            Role::Master if self.info.label.is_empty() => "master",
            _ => &self.info.label,
        }
    }
}

/// Everything one profile's master could see.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inventory {
    /// The venue.
    pub(crate) venue: ExchangeId,
    /// Every key seen, each once.
    pub(crate) keys: Vec<Entry>,
    /// How the keys were found, for people (`listed through the master on …`).
    pub(crate) scope: String,
    /// What the venue cannot show by API, one sentence each: a clean audit covers only what
    /// was seen.
    pub(crate) limits: Vec<String>,
    /// What should have been seen and was not (a listing or a key's own answer failed), one
    /// sentence each.
    pub(crate) failures: Vec<String>,
    /// Configured keys the venue no longer has (the listing of their account does not show
    /// them, or the exchange refuses them): label, id and why.
    pub(crate) gone: Vec<(String, KeyId, String)>,
    /// The exchange's clock when the inventory was taken (ms).
    pub(crate) now_ms: i64,
}

impl Inventory {
    /// The key with this id (or a masked listing entry that names it), if it was seen.
    pub(crate) fn find(&self, key: &KeyId) -> Option<&Entry> {
        self.keys.iter().find(|e| e.info.names(key))
    }
}

/// Takes the inventory of `profile` through `client` (which should be in dry-run mode).
pub(crate) async fn take(profile: &Profile, client: &Client) -> Inventory {
    let venue = profile.exchange;
    // The clock first: a skewed one would cost every signed call below a refusal.
    let _ = tokio::time::timeout(super::listing::CALL_LIMIT, client.resync()).await;
    let mut out = Inventory {
        venue,
        keys: Vec::new(),
        scope: String::new(),
        limits: Vec::new(),
        failures: Vec::new(),
        gone: Vec::new(),
        now_ms: 0,
    };
    let accounts = accounts(profile);
    let mut read = Vec::new();
    if venue.facts().lists_sub_keys {
        for account in &accounts {
            let place = place(account);
            match list_keys(client, &profile.master, account).await {
                Ok(listed) => {
                    read.push(account.clone());
                    for info in listed {
                        out.add(profile, info, Some(account.clone()), Seen::Listing);
                    }
                }
                Err(err) => out.failures.push(format!(
                    "the keys of {place} could not be listed through the master: {err}"
                )),
            }
        }
        let named: Vec<String> = accounts.iter().map(|a| place(a)).collect();
        out.scope = if named.is_empty() {
            "no account listed: no `keys:` entry names its `account:`".to_owned()
        } else {
            format!("listed through the master on {}", named.join(", "))
        };
        if venue.facts().listing_needs_account {
            out.limits.push(format!(
                "{venue} lists keys per sub-account: the main account's keys other than the master, and sub-accounts no `keys:` entry names, were not listed"
            ));
        }
    } else {
        out.scope = format!(
            "{venue} has no key listing: each configured key described itself (its own secret)"
        );
        out.limits.push(format!(
            "{venue} has no key listing by API: keys not in the profile were not seen; look for them in its web interface"
        ));
    }
    // The master, when no listing showed it: its own answer.
    if out.find(&profile.master.key).is_none() {
        match describe(client, &profile.master).await {
            // Deribit's own answer is the account's summary, not the key: its scope was in the
            // main account's listing, which did not show it.
            Ok(_) if venue.facts().master_from_listing => out.failures.push(format!(
                "the master key {} answers, but the main account's listing does not show its scope",
                profile.master.key.as_str()
            )),
            Ok(info) => out.add(
                profile,
                named(info, &profile.master.key),
                None,
                Seen::Itself,
            ),
            Err(err) => out.failures.push(format!(
                "the master key {} could not describe itself: {err}",
                profile.master.key.as_str()
            )),
        }
    }
    // Configured keys no listing showed: gone, or described by themselves.
    for key in &profile.keys {
        if out.find(&key.id).is_some() {
            continue;
        }
        let listed_there = key.account.as_ref().is_some_and(|a| read.contains(a));
        if listed_there {
            out.gone.push((
                key.label.clone(),
                key.id.clone(),
                format!(
                    "the master's listing of {} does not show it",
                    place(key.account.as_deref().unwrap_or(""))
                ),
            ));
            continue;
        }
        let Some(credential) = &key.credential else {
            out.failures.push(format!(
                "bot key `{}` ({}) is in no listing read and has no `secret:` to describe itself",
                key.label,
                key.id.as_str()
            ));
            continue;
        };
        match describe(client, credential).await {
            Ok(_) if venue.facts().master_from_listing => out.failures.push(format!(
                "bot key `{}` ({}) answers, but no listing read shows its scope: give its entry its `account:`",
                key.label,
                key.id.as_str()
            )),
            Ok(info) => out.add(
                profile,
                named(info, &key.id),
                key.account.clone(),
                Seen::Itself,
            ),
            Err(err @ ExchangeError::InvalidKey { .. }) => out.gone.push((
                key.label.clone(),
                key.id.clone(),
                format!("the exchange refuses it: {err}"),
            )),
            Err(err) => out.failures.push(format!(
                "bot key `{}` ({}) could not describe itself: {err}",
                key.label,
                key.id.as_str()
            )),
        }
    }
    out.limits.push(
        "when a key was last used: no key answer lockdown reads carries it, so an idle key shows only by its account's orders (`key.products`)"
            .to_owned(),
    );
    out.now_ms = client.clock().now_ms();
    out
}

/// The accounts whose listings are read: the main account where a listing takes no subject,
/// then every `account:` the profile's keys name, each once.
fn accounts(profile: &Profile) -> Vec<String> {
    let mut accounts = Vec::new();
    if !profile.exchange.facts().listing_needs_account {
        accounts.push(String::new());
    }
    for key in &profile.keys {
        if let Some(account) = &key.account
            && !accounts.contains(account)
        {
            accounts.push(account.clone());
        }
    }
    accounts
}

/// An account for people.
fn place(account: &str) -> String {
    if account.is_empty() {
        "the main account".to_owned()
    } else {
        format!("sub-account `{account}`")
    }
}

/// A key's own answer with its id: some venues' answers about the calling key name no key (OKX
/// `account/config`, Binance `apiRestrictions`), and the caller knows which key it signed with.
fn named(mut info: KeyInfo, key: &KeyId) -> KeyInfo {
    if info.key.as_str().is_empty() {
        info.key = key.clone();
    }
    info
}

/// What `credential`'s key says about itself.
async fn describe(client: &Client, credential: &Credential) -> Result<KeyInfo, ExchangeError> {
    call(client, &Op::WhoAmI, Some(credential))
        .await
        .and_then(|reply| reply.into_key())
}

impl Inventory {
    /// Adds a key once; a key already seen keeps its first (listing) description.
    fn add(&mut self, profile: &Profile, info: KeyInfo, account: Option<String>, seen: Seen) {
        if self.keys.iter().any(|e| e.info.key == info.key) {
            return;
        }
        let role = if info.names(&profile.master.key) {
            Role::Master
        } else if let Some(owned) = profile.keys.iter().find(|k| info.names(&k.id)) {
            Role::Bot {
                label: owned.label.clone(),
            }
        } else {
            Role::Unknown
        };
        let account = account.or_else(|| info.account.clone());
        self.keys.push(Entry {
            info,
            account,
            role,
            seen,
        });
    }
}
