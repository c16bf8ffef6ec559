//! Whether a found key is still live, asked of the exchange through each profile's master,
//! read-only: the master's key listing of every account the profile names (as `lockdown check`
//! reads it), and, for the master key itself, whether the exchange still accepts it.
//!
//! The client runs in dry-run mode, so nothing mutating can be sent; every call is bounded in
//! time; a found secret is never used to ask anything (that would be using a leaked credential).
//! One answer per (venue, key id) per run.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use super::finding::{Finding, Liveness};
use crate::config::Profile;
use crate::exchanges::model::KeyInfo;
use crate::exchanges::{Auth, Client, ExchangeError, ExchangeId, Mode, Op};
use crate::secret::KeyId;

/// How long one call (its retries included) may take.
const CALL_LIMIT: Duration = Duration::from_secs(15);

/// Sets each finding's liveness, asking each profile of its venue.
pub(crate) async fn judge(profiles: &[Profile], config: Option<&Path>, findings: &mut [Finding]) {
    let mut asked: HashMap<(ExchangeId, String), Liveness> = HashMap::new();
    let mut listings = Listings::default();
    for finding in findings.iter_mut() {
        let (Some(venue), Some(key_id)) = (finding.venue, finding.key_id.clone()) else {
            finding.liveness = Liveness::Unknown {
                why: "no key id found with it".into(),
            };
            continue;
        };
        let answer = match asked.get(&(venue, key_id.clone())) {
            Some(answer) => answer.clone(),
            None => {
                let answer = ask(profiles, config, venue, &key_id, &mut listings).await;
                asked.insert((venue, key_id), answer.clone());
                answer
            }
        };
        finding.liveness = answer;
    }
}

/// The master's listings read so far, per (profile, account).
#[derive(Default)]
struct Listings(HashMap<(String, String), Result<Vec<KeyInfo>, String>>);

async fn ask(
    profiles: &[Profile],
    config: Option<&Path>,
    venue: ExchangeId,
    key_id: &str,
    listings: &mut Listings,
) -> Liveness {
    let candidates: Vec<&Profile> = profiles.iter().filter(|p| p.exchange == venue).collect();
    if candidates.is_empty() {
        return Liveness::Unknown {
            why: format!("no {venue} profile to ask (give `--profile`)"),
        };
    }
    let mut why = Vec::new();
    let mut revoked = None;
    for profile in candidates {
        match ask_profile(profile, key_id, listings).await {
            Seen::Live => {
                return Liveness::Live {
                    profile: profile.name.clone(),
                    respond: respond_command(config, &profile.name, key_id),
                };
            }
            Seen::Gone => revoked = revoked.or(Some(profile.name.clone())),
            Seen::Unknown(reason) => why.push(format!("profile `{}`: {reason}", profile.name)),
        }
    }
    match revoked {
        Some(profile) => Liveness::Revoked { profile },
        None => Liveness::Unknown {
            why: why.join("; "),
        },
    }
}

/// The exact command that contains the key.
fn respond_command(config: Option<&Path>, profile: &str, key_id: &str) -> String {
    let config = config
        .map(|c| format!(" --config {}", shell_word(&c.display().to_string())))
        .unwrap_or_default();
    format!(
        "lockdown respond{config} --profile {} --key {key_id}",
        shell_word(profile)
    )
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:@=+".contains(&b))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What one profile's master could tell.
enum Seen {
    Live,
    Gone,
    Unknown(String),
}

async fn ask_profile(profile: &Profile, key_id: &str, listings: &mut Listings) -> Seen {
    let client = match crate::respond::connect(profile, Mode::DryRun) {
        Ok(client) => client,
        Err(err) => return Seen::Unknown(format!("cannot reach `{}`: {err}", profile.base_url)),
    };
    let id = KeyId::new(key_id);
    if profile.master.key.as_str() == key_id {
        return match call(&client, &Op::WhoAmI, profile).await {
            Ok(_) => Seen::Live,
            Err(ExchangeError::InvalidKey { .. }) => Seen::Gone,
            Err(err) => Seen::Unknown(format!("asking with the master failed: {err}")),
        };
    }
    if profile.exchange == ExchangeId::Kraken {
        return Seen::Unknown("Kraken lists no keys by API; only the key itself could tell".into());
    }
    let owned = profile.key(&id);
    let mut accounts: Vec<String> = profile
        .keys
        .iter()
        .filter_map(|k| k.account.clone())
        .collect();
    // Deribit's listing with no subject is the main account's own keys.
    if profile.exchange == ExchangeId::Deribit {
        accounts.push(String::new());
    }
    accounts.sort();
    accounts.dedup();
    if accounts.is_empty() {
        return Seen::Unknown(
            "its `keys:` name no `account:` whose listing could show the key".into(),
        );
    }
    let mut failed = Vec::new();
    let mut owner_listed = false;
    for account in accounts {
        let key = (profile.name.clone(), account.clone());
        if !listings.0.contains_key(&key) {
            let listed = list_keys(&client, profile, &account)
                .await
                .map_err(|err| err.to_string());
            listings.0.insert(key.clone(), listed);
        }
        match &listings.0[&key] {
            Ok(keys) if keys.iter().any(|k| k.names(&id)) => return Seen::Live,
            Ok(_) => {
                owner_listed |=
                    owned.is_some_and(|k| k.account.as_deref() == Some(account.as_str()));
            }
            Err(err) => failed.push(format!("listing `{account}` failed: {err}")),
        }
    }
    if owner_listed {
        Seen::Gone
    } else if failed.is_empty() {
        Seen::Unknown(
            "no listing of the profile's accounts shows it (another account's key, or deleted)"
                .into(),
        )
    } else {
        Seen::Unknown(failed.join("; "))
    }
}

/// Sends `op` signed by the master, bounded by [`CALL_LIMIT`].
async fn call(
    client: &Client,
    op: &Op,
    profile: &Profile,
) -> Result<crate::exchanges::Reply, ExchangeError> {
    let client = client.with_deadline(Instant::now() + CALL_LIMIT);
    tokio::time::timeout(CALL_LIMIT, client.call(op, Auth::Key(&profile.master)))
        .await
        .unwrap_or_else(|_| {
            Err(ExchangeError::Transport {
                detail: format!(
                    "no answer to `{}` within {} s",
                    op.name(),
                    CALL_LIMIT.as_secs()
                ),
                reached: true,
            })
        })
}

/// Every key of one account's listing, following its cursor (a bounded number of pages).
async fn list_keys(
    client: &Client,
    profile: &Profile,
    account: &str,
) -> Result<Vec<KeyInfo>, ExchangeError> {
    const MAX_PAGES: usize = 50;
    let mut keys = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let op = Op::SubKeys {
            account: account.to_owned(),
            cursor: cursor.take(),
        };
        let page = call(client, &op, profile).await?.into_keys()?;
        keys.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_respond_command_quotes_what_a_shell_would_split() {
        assert_eq!(
            respond_command(None, "main", "ABC123"),
            "lockdown respond --profile main --key ABC123"
        );
        assert_eq!(
            respond_command(Some(Path::new("/a b/c.yaml")), "main", "K"),
            "lockdown respond --config '/a b/c.yaml' --profile main --key K"
        );
    }
}
