//! What an action can reach while its step runs.
//!
//! Actions get the client (recording its calls for this step), the profile, the run, the
//! rendered-template context and earlier steps' outputs, the vault of secrets created during
//! the run, the journal for events that must be on disk before the action goes on (a
//! created key's id before its secret is stored), and the step's progress for people.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{ActionError, Outputs};
use crate::config::Profile;
use crate::exchanges::model::{CreatedKey, KeyInfo};
use crate::exchanges::{Auth, Client, ExchangeError, Op, Reply};
use crate::journal::record::Record;
use crate::journal::{Event, Journal, JournalError};
use crate::secret::{Credential, KeyId};
use crate::template::{self, Context, Tpl};

/// The run an action belongs to.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// Short unique id.
    pub id: String,
    /// The run folder.
    pub dir: PathBuf,
    /// Start time, RFC 3339 UTC.
    pub started_at: String,
    /// The playbook's name.
    pub playbook: String,
    /// When the run started, for time-to-contain.
    pub started: Instant,
    /// When the incident this run answers one key of began, RFC 3339 UTC (its keys' runs start
    /// one after another, a few ms apart); `None` for a single response or a resumed run.
    pub incident_started_at: Option<String>,
    /// The reads the incident's runs share (`None` for a single response or a resumed run).
    pub shared_reads: Option<Arc<super::shared_reads::SharedReads>>,
}

impl RunInfo {
    /// Milliseconds since the run started.
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

impl RunInfo {
    /// What templates see as `run`.
    pub fn template_view(&self) -> Value {
        json!({
            "id": self.id,
            "dir": self.dir.display().to_string(),
            "started_at": self.started_at,
            "playbook": self.playbook,
        })
    }
}

/// The run's journal, shared by the steps.
#[derive(Debug, Clone)]
pub struct JournalHandle(Arc<Mutex<Journal>>);

impl JournalHandle {
    /// Shares a journal.
    pub fn new(journal: Journal) -> JournalHandle {
        JournalHandle(Arc::new(Mutex::new(journal)))
    }

    /// Writes an event and waits until it is on disk.
    pub fn record<R: Record>(&self, data: &R) -> Result<Event, JournalError> {
        let mut journal = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        journal.append(R::KIND, data.to_data())
    }

    /// The last event's sequence number and hash.
    pub fn head(&self) -> (u64, String) {
        let journal = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (seq, hash) = journal.head();
        (seq, hash.to_owned())
    }

    /// The fingerprint of the journal's key (never the key).
    pub fn key_fingerprint(&self) -> Option<String> {
        let journal = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        journal.key_fingerprint().map(str::to_owned)
    }

    /// The journal file.
    pub fn path(&self) -> PathBuf {
        let journal = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        journal.path().to_owned()
    }
}

/// Keys created during the run, with their secrets, until they are stored.
#[derive(Default)]
pub struct Vault(Mutex<HashMap<String, CreatedKey>>);

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

impl Vault {
    /// Keeps a created key under the id of the step that created it.
    pub fn put(&self, step: &str, key: CreatedKey) {
        let mut keys = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.insert(step.to_owned(), key);
    }

    /// The key a step created.
    pub fn get(&self, step: &str) -> Option<CreatedKey> {
        let keys = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(step).cloned()
    }
}

/// Everything a running step can reach.
#[derive(Debug)]
pub struct StepContext<'a> {
    /// The step's id.
    pub step: &'a str,
    /// The exchange client, recording this step's calls.
    pub client: &'a Client,
    /// The profile.
    pub profile: &'a Profile,
    /// The run.
    pub run: &'a RunInfo,
    /// What templates render against.
    pub templates: &'a Context,
    /// Outputs of the steps that ran before, shared.
    pub outputs: &'a BTreeMap<String, Arc<Outputs>>,
    /// Created keys' secrets.
    pub vault: &'a Vault,
    /// The journal.
    pub journal: &'a JournalHandle,
    /// What the step shows people while it runs (a countdown where it waits); never waits
    /// for the terminal.
    pub progress: &'a crate::ui::StepProgress,
}

impl StepContext<'_> {
    /// Renders a parameter.
    pub fn render<T: DeserializeOwned>(&self, tpl: &Tpl<T>) -> Result<T, ActionError> {
        tpl.render(self.templates).map_err(ActionError::Template)
    }

    /// Whether this run may read from the exchange without acting (a dry run).
    pub fn dry_run_reads(&self) -> bool {
        self.client.mode() == crate::exchanges::Mode::DryRun
    }

    /// The master credential.
    pub fn master(&self) -> &Credential {
        &self.profile.master
    }

    /// The credential of a bot key the owner holds.
    pub fn key_credential(&self, key: &KeyId) -> Result<&Credential, ActionError> {
        key_credential(self.profile, key)
    }

    /// The sub-account `key` belongs to: the profile's `account:`, else what an earlier step of
    /// this run learned (the lock's `account` output, journaled, so a resumed run knows it too).
    pub fn key_account(&self, key: &KeyId) -> Option<String> {
        if let Some(account) = self.profile.key(key).and_then(|k| k.account.clone()) {
            return Some(account);
        }
        let masked = key.masked();
        self.outputs.values().find_map(|outputs| {
            (outputs.get("key").and_then(Value::as_str) == Some(masked.as_str()))
                .then(|| outputs.get("account").and_then(Value::as_str))
                .flatten()
                .map(str::to_owned)
        })
    }

    /// Finds the sub-account of a key the profile does not hold (one made in the web interface
    /// by whoever holds the leak, say): the master lists the keys of every account the profile
    /// names, all at once, and the one listing `key` is its account. `Ok(None)`: none lists it.
    pub async fn find_account(&self, key: &KeyId) -> Result<Option<String>, ExchangeError> {
        let mut accounts: Vec<&str> = Vec::new();
        for account in self
            .profile
            .keys
            .iter()
            .filter_map(|k| k.account.as_deref())
        {
            if !accounts.contains(&account) {
                accounts.push(account);
            }
        }
        let listings = futures_util::future::join_all(
            accounts.iter().map(|account| self.account_keys(account)),
        )
        .await;
        let mut failed = None;
        for (account, listing) in accounts.iter().zip(listings) {
            match listing {
                Ok(keys) if keys.iter().any(|info| info.names(key)) => {
                    return Ok(Some((*account).to_owned()));
                }
                Ok(_) => {}
                Err(err) => failed = Some(err),
            }
        }
        failed.map_or(Ok(None), Err)
    }

    /// Every key of a sub-account, as the master sees them.
    pub async fn account_keys(&self, account: &str) -> Result<Vec<KeyInfo>, ExchangeError> {
        self.client
            .all_pages(
                |cursor| Op::SubKeys {
                    account: account.to_owned(),
                    cursor,
                },
                Auth::Key(self.master()),
                Reply::into_keys,
            )
            .await
    }

    /// Appends a journal event.
    pub fn journal<R: Record>(&self, data: &R) -> Result<Event, ActionError> {
        self.journal.record(data).map_err(ActionError::Journal)
    }
}

/// The credential of a key in a profile: a bot key under `keys:`, or the master's own (venues
/// without key management, Kraken, cancel and read with the owner's key, `profile.owner_key`).
pub fn key_credential<'p>(
    profile: &'p Profile,
    key: &KeyId,
) -> Result<&'p Credential, ActionError> {
    if profile.master.key == *key && profile.key(key).is_none() {
        return Ok(&profile.master);
    }
    let Some(owned) = profile.key(key) else {
        return Err(ActionError::Input {
            message: format!("key `{key}` is not in profile `{}`", profile.name),
            hint: "add it under `keys:` with its `secret` reference, so lockdown can cancel and \
                   snapshot with it once it is locked to the responder"
                .into(),
        });
    };
    owned.credential.as_ref().ok_or_else(|| ActionError::Input {
        message: format!("profile `{}` has no secret for key `{key}`", profile.name),
        hint: "add `secret: env:NAME` or `secret: file:PATH` to that key under `keys:`".into(),
    })
}

/// What can be checked before anything is sent.
#[derive(Debug)]
pub struct Preflight<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// Templates over inputs, profile and run (no step outputs yet).
    pub templates: &'a Context,
}

impl Preflight<'_> {
    /// Renders a parameter that does not depend on step outputs; `None` when it does.
    pub fn render<T: DeserializeOwned>(&self, tpl: &Tpl<T>) -> Option<Result<T, ActionError>> {
        let reads_steps = tpl.sources().iter().any(|source| {
            template::references(source)
                .iter()
                .any(|r| r.starts_with("steps"))
        });
        (!reads_steps).then(|| tpl.render(self.templates).map_err(ActionError::Template))
    }

    /// Says when the profile does not hold the secret of the key parameter `key` names (where
    /// that does not depend on step outputs): an advice, never a reason to stop the run. A key
    /// the profile does not list (one made by whoever holds the leak), or lists without a
    /// secret, is still locked and revoked through the master; only the steps that need the
    /// key's own secret fail, each alone, and the run says what is left.
    pub fn key_credential(&self, key: &Tpl<String>) -> Option<ActionError> {
        let key = KeyId::new(self.render(key)?.ok()?);
        // A secret that did not read now (a store down) is said once, by the profile.
        if self.profile.unread_keys.iter().any(|u| u.id == key) {
            return None;
        }
        let err = key_credential(self.profile, &key).err()?;
        let message = match self.profile.key(&key) {
            None => format!(
                "key `{key}` is not in profile `{}`: it is locked and revoked through the master; this step needs its own secret and fails alone",
                self.profile.name
            ),
            Some(_) => format!(
                "profile `{}` has no secret for key `{key}`: it is locked and revoked through the master; this step needs the secret and fails alone",
                self.profile.name
            ),
        };
        Some(ActionError::Input {
            message,
            hint: err.hint().unwrap_or_default(),
        })
    }
}
