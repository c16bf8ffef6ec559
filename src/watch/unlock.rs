//! `lockdown unlock RUN`: a false alarm undone in one command.
//!
//! A watcher's lock binds the key to the responder's address; its run journaled the key as it
//! was before the lock (`key_before`, read beside the lock: `src/actions/key_before.rs`).
//! Unlocking binds the key to that list again, through the master credential, as one request.
//! Two things it never does: re-open a key to every address (a key that was unbound before the
//! lock is bound to the profile's `bot_ips` instead, and the command says so: opening it to the
//! world is a person's choice in the venue's web interface), and trust a "before" read that may
//! already show the lock (the list is then the profile's `bot_ips` too). It takes the key's lock
//! file like a response, so it cannot race one, and records what it did in the run folder
//! (`unlocked.json`), since the run's journal is sealed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::actions::key_before::KeyBeforeRecord;
use crate::error::Error;
use crate::exchanges::model::{Access, IpWhitelist, Lock};
use crate::exchanges::{Auth, Mode, Op};
use crate::journal::record::{Record, RunStarted, StepFinished};
use crate::secret::KeyId;
use crate::ui::Ui;

/// What a lock run says about undoing it.
#[derive(Debug, Clone)]
pub struct Locked {
    /// The run's `run_started`.
    pub started: RunStarted,
    /// The key, whole.
    pub key: KeyId,
    /// Its account, when the lock learnt it.
    pub account: Option<String>,
    /// The key as it was before the lock.
    pub before: Option<KeyBeforeRecord>,
}

/// Where the key goes back to, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restore {
    /// The addresses.
    pub ips: Vec<String>,
    /// Where they come from, in a sentence.
    pub source: String,
}

/// What `unlocked.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Unlocked {
    /// The lock run undone.
    pub run_id: String,
    /// The key, masked.
    pub key: String,
    /// What it was bound to, and why.
    pub restored: Restore,
    /// The addresses the exchange lists for the key afterwards.
    pub exchange_ips: Vec<String>,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who (`user@host`).
    pub operator: String,
}

/// Reads a watcher's lock run from its folder.
pub fn read_lock_run(run_dir: &Path) -> Result<Locked, Error> {
    let journal = run_dir.join(crate::journal::FILE_NAME);
    let read = crate::journal::verify(&journal)?;
    let started = read
        .events
        .iter()
        .find_map(RunStarted::of)
        .ok_or_else(|| not_a_lock(run_dir, "its journal has no `run_started`"))?;
    if !started.playbook.starts_with("watch-lock-") {
        return Err(not_a_lock(
            run_dir,
            &format!("it ran `{}`, not a watcher's lock", started.playbook),
        ));
    }
    let lock = read
        .events
        .iter()
        .filter_map(StepFinished::of)
        .find(|step| step.action == "restrict_key")
        .ok_or_else(|| not_a_lock(run_dir, "its lock step never finished"))?;
    let key = started
        .inputs
        .get("key")
        .cloned()
        .ok_or_else(|| not_a_lock(run_dir, "its journal does not name the key"))?;
    Ok(Locked {
        key: KeyId::new(key),
        account: lock
            .outputs
            .get("account")
            .and_then(Value::as_str)
            .map(str::to_owned),
        before: lock
            .outputs
            .get("key_before")
            .and_then(|v| serde_json::from_value(v.clone()).ok()),
        started,
    })
}

fn not_a_lock(run_dir: &Path, why: &str) -> Error {
    Error::Usage {
        message: format!(
            "`{}` is not a lock `lockdown watch` made: {why}",
            run_dir.display()
        ),
        help: Some(
            "pass the run folder a watcher's lock wrote (`runs/<time>-<id>/` under the profile's state_dir, named in the watcher's log)"
                .into(),
        ),
    }
}

/// Where the key goes back to: the list read before the lock when it was a list of exact
/// addresses and read before the lock took effect; else the profile's `bot_ips`.
pub fn restore_to(before: Option<&KeyBeforeRecord>, bot_ips: &[IpAddr]) -> Result<Restore, Error> {
    let bots = || -> Result<Restore, Error> {
        if bot_ips.is_empty() {
            return Err(Error::Usage {
                message: "the key's addresses before the lock are not known, and the profile has no `bot_ips`".into(),
                help: Some(
                    "add the bots' addresses to the profile's `bot_ips`, or bind the key in the venue's web interface"
                        .into(),
                ),
            });
        }
        Ok(Restore {
            ips: bot_ips.iter().map(ToString::to_string).collect(),
            source: String::new(),
        })
    };
    let Some(before) = before else {
        return bots().map(|r| Restore {
            source: "the profile's bot_ips: the lock run did not read the key before the lock"
                .into(),
            ..r
        });
    };
    let listed = before
        .info
        .as_ref()
        .map(|info| info.ips.clone())
        .unwrap_or_default();
    let exact = !listed.is_empty() && IpWhitelist::parse(&listed).is_ok();
    // Not read before the lock, but `audit` or `check` saw the key's list shortly before.
    if !before.before_lock
        && let Some(seen) = before
            .last_seen
            .as_ref()
            .filter(|seen| !seen.info.ips.is_empty() && IpWhitelist::parse(&seen.info.ips).is_ok())
    {
        return Ok(Restore {
            ips: seen.info.ips.clone(),
            source: format!(
                "the key's list as `lockdown {}` saw it at {}, the last view before the lock",
                seen.by, seen.at
            ),
        });
    }
    match (before.before_lock, exact) {
        (true, true) => Ok(Restore {
            ips: listed,
            source: format!("the key's list before the lock ({})", before.source),
        }),
        (true, false) => bots().map(|r| Restore {
            source: "the profile's bot_ips: before the lock the key could be used from any address, and lockdown never re-opens a key to every address".into(),
            ..r
        }),
        (false, _) => bots().map(|r| Restore {
            source: format!(
                "the profile's bot_ips: the key's list before the lock is not known ({})",
                before.source
            ),
            ..r
        }),
    }
}

/// Undoes a watcher's lock: binds the key to [`restore_to`]'s list again. `yes`: without asking.
pub async fn unlock(run_dir: &Path, yes: bool, ui: &Ui) -> Result<Unlocked, Error> {
    let locked = read_lock_run(run_dir)?;
    let done = run_dir.join("unlocked.json");
    if done.exists() {
        return Err(Error::Usage {
            message: format!("run `{}` was unlocked already", locked.started.run_id),
            help: Some(format!("see `{}`", done.display())),
        });
    }
    let config = PathBuf::from(&locked.started.config);
    let profile = crate::config::load_profile(&config, Some(&locked.started.profile))?;
    let restore = restore_to(locked.before.as_ref(), &profile.bot_ips)?;
    ui.info(&format!(
        "lockdown unlock: key {} on {} (profile `{}`) goes back to {} ({})",
        locked.key,
        profile.exchange,
        profile.name,
        restore.ips.join(", "),
        restore.source
    ));
    if !yes {
        let question = "bind the key to these addresses again (the lock is undone)?";
        match ui.confirm(question) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::Usage {
                    message: "not unlocked: declined".into(),
                    help: None,
                });
            }
            Err(err) => {
                return Err(Error::Usage {
                    message: format!("not unlocked: {err}"),
                    help: Some("pass `--yes` where nobody can answer".into()),
                });
            }
        }
    }
    // One process per key: never while a response runs on it.
    let _key_lock = crate::incident::lock_key(&profile, &locked.key, ui)?;
    let ips = IpWhitelist::parse(&restore.ips).map_err(|message| Error::Usage {
        message,
        help: None,
    })?;
    let client = crate::respond::connect(&profile, Mode::Live)?;
    let op = Op::RestrictKey {
        key: locked.key.clone(),
        account: locked
            .account
            .clone()
            .or_else(|| profile.key(&locked.key).and_then(|k| k.account.clone())),
        lock: Lock {
            ips,
            access: Access::Unchanged,
        },
    };
    let info = client
        .call(&op, Auth::Key(&profile.master))
        .await
        .and_then(|reply| reply.into_key())
        .map_err(|err| Error::Exchange {
            message: format!("the exchange did not rebind key {}: {err}", locked.key),
            help: err.hint().map(str::to_owned),
        })?;
    let unlocked = Unlocked {
        run_id: locked.started.run_id.clone(),
        key: locked.key.masked(),
        restored: restore,
        exchange_ips: info.ips.clone(),
        at: crate::clock::now_rfc3339(),
        operator: crate::whoami::operator(),
    };
    let text = serde_json::to_string_pretty(&unlocked).unwrap_or_default() + "\n";
    crate::private::write(&done, text).map_err(|source| Error::Io {
        what: "write",
        path: done.clone(),
        source,
    })?;
    Ok(unlocked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::key_before::ReadBy;
    use crate::exchanges::model::KeyInfo;

    fn before(before_lock: bool, ips: &[&str]) -> KeyBeforeRecord {
        let info: KeyInfo = serde_json::from_value(serde_json::json!({
            "key": "k", "label": "", "is_master": false, "read_only": false, "permissions": [], "ips": ips,
        }))
        .unwrap();
        KeyBeforeRecord {
            before_lock,
            source: "test".into(),
            read_by: ReadBy::MasterListing,
            order: Vec::new(),
            read_sent_ms: 0,
            read_answered_ms: None,
            lock_acknowledged_ms: None,
            read_at: None,
            info: Some(info),
            last_seen: None,
            not_read: None,
        }
    }

    #[test]
    fn a_late_read_restores_the_list_audit_saw() {
        let bots: Vec<IpAddr> = vec!["10.0.0.7".parse().unwrap()];
        let mut record = before(false, &["127.0.0.1"]);
        let unknown = restore_to(Some(&record), &bots).unwrap();
        assert_eq!(unknown.ips, ["10.0.0.7"]);
        let mut seen = record.info.clone().unwrap();
        seen.ips = vec!["10.0.0.3".into()];
        record.last_seen = Some(crate::key_seen::Seen {
            info: seen,
            at: "2026-12-05T00:00:00Z".into(),
            by: "audit".into(),
        });
        let restored = restore_to(Some(&record), &bots).unwrap();
        assert_eq!(restored.ips, ["10.0.0.3"]);
        assert!(
            restored.source.contains("lockdown audit"),
            "{}",
            restored.source
        );
    }

    #[test]
    fn the_list_before_the_lock_comes_back_but_never_every_address() {
        let bots: Vec<IpAddr> = vec!["10.0.0.7".parse().unwrap()];
        let exact = restore_to(Some(&before(true, &["10.0.0.1", "10.0.0.2"])), &bots).unwrap();
        assert_eq!(exact.ips, ["10.0.0.1", "10.0.0.2"]);
        let anywhere = restore_to(Some(&before(true, &["*"])), &bots).unwrap();
        assert_eq!(anywhere.ips, ["10.0.0.7"]);
        let unbound = restore_to(Some(&before(true, &[])), &bots).unwrap();
        assert_eq!(unbound.ips, ["10.0.0.7"]);
        let late = restore_to(Some(&before(false, &["10.0.0.1"])), &bots).unwrap();
        assert_eq!(late.ips, ["10.0.0.7"]);
        assert!(restore_to(None, &[]).is_err());
    }
}
