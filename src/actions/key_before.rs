//! The leaked key as it was before the lock: read alongside the lock, never ahead of it and
//! never holding it up, and said honestly.
//!
//! The lock's request goes first and alone; the read follows once the lock was answered or
//! [`HEAD_START`] later, whichever comes first, so the exchange sees the lock first and a slow
//! lock still has the read beside it: the master's listing of the key's account where the venue
//! lists keys with their addresses and the account is known, else the key's own `WhoAmI`. A read
//! sent after the lock may be served after the exchange applied it, and then describes the locked
//! key (on a quick exchange it mostly will, and the report says so): it is called
//! "before the lock" only when its answer does not show the lock yet (an address of the lock
//! missing from the key's list, or trading still on for a read-only lock), an answer the exchange
//! cannot give once it applied the lock. Otherwise the record says the original state is not
//! known. Where a person locks the key (Kraken) it is read through the key itself before the
//! person is shown how: nobody was asked to lock it yet.
//!
//! Nothing here fails or stops the lock: a read that fails, or has not answered [`PATIENCE`]
//! after the lock's acknowledgement, is a note in the step's outputs (`not_read`).

use std::future::Future;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::StepContext;
use crate::exchanges::model::{Access, KeyInfo, Lock};
use crate::exchanges::{Auth, ExchangeId, Op, Reply};
use crate::secret::KeyId;

/// How long the lock step waits for the read once the lock was acknowledged (and, where a
/// person locks the key, before the guide is shown).
pub(super) const PATIENCE: Duration = Duration::from_secs(2);

/// How long the lock's request goes alone before the read joins it, if the lock has not been
/// answered by then: long enough that the lock (and a venue's lookup and login before it) is on
/// the wire first, short enough that a lock the exchange is slow to answer still has the read
/// beside it.
pub(super) const HEAD_START: Duration = Duration::from_millis(150);

/// Where the key was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadBy {
    /// The master's listing of the key's account (`Op::SubKeys`).
    MasterListing,
    /// The key itself (`Op::WhoAmI`).
    KeyItself,
}

/// What an answer shows of the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shows {
    /// Every address of the lock is on the key's list (and it is read-only if the lock said so):
    /// the lock may have been applied, or the key was bound so already.
    Lock,
    /// The answer lacks the lock's effect: the exchange had not applied it.
    NotYet,
    /// The answer lists no addresses (Binance's own-key read and broker listing only say that
    /// there is a list).
    CannotTell,
}

/// The `key_before` output of a lock step, which the report's "key before the lock" reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyBeforeRecord {
    /// Whether the exchange cannot have applied the lock when it answered.
    pub before_lock: bool,
    /// What `before_lock` rests on, in a sentence (the report's `source`).
    pub source: String,
    /// Where the key was read.
    pub read_by: ReadBy,
    /// What happened, in order: `lock sent`, `read sent`, `read answered`, `lock acknowledged`
    /// (a guided lock: `read sent`, `read answered`, then `guide shown`).
    pub order: Vec<String>,
    /// When the read was sent, ms after the lock's request was started.
    pub read_sent_ms: u64,
    /// When it was answered, ms after the lock's request was started.
    pub read_answered_ms: Option<u64>,
    /// When the lock was acknowledged, ms after its request was started.
    pub lock_acknowledged_ms: Option<u64>,
    /// When the read was answered, RFC 3339 UTC.
    pub read_at: Option<String>,
    /// What the exchange said of the key.
    pub info: Option<KeyInfo>,
    /// Why there is no `info`: the read failed or was too slow.
    pub not_read: Option<String>,
    /// The key as `audit` or `check` last saw it (`key_seen`), kept when the read beside the
    /// lock is not known to be from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<crate::key_seen::Seen>,
}

/// Adds the last view a readiness command had of `key` to a record whose read is not known to
/// be from before the lock (or makes a record of it when nothing could be read beside the
/// lock): a file read, after the lock was answered.
pub(super) fn with_last_seen(
    cx: &StepContext<'_>,
    key: &KeyId,
    record: Option<KeyBeforeRecord>,
) -> Option<KeyBeforeRecord> {
    if record.as_ref().is_some_and(|r| r.before_lock) {
        return record;
    }
    let Some(seen) = crate::key_seen::last(&cx.profile.state_dir, cx.client.venue().id(), key)
    else {
        return record;
    };
    Some(match record {
        Some(mut record) => {
            record.last_seen = Some(seen);
            record
        }
        None => KeyBeforeRecord {
            before_lock: false,
            source: AFTER.to_owned(),
            read_by: ReadBy::MasterListing,
            order: vec!["lock sent".to_owned(), "lock acknowledged".to_owned()],
            read_sent_ms: 0,
            read_answered_ms: None,
            lock_acknowledged_ms: None,
            read_at: None,
            info: None,
            not_read: Some("nothing could read the key beside the lock".to_owned()),
            last_seen: Some(seen),
        },
    })
}

/// The words of [`KeyBeforeRecord::source`].
pub(crate) const BEFORE: &str = "read alongside the lock, answered before the exchange applied it";
/// A guided lock's.
pub(crate) const BEFORE_GUIDE: &str =
    "read through the key itself before anyone was shown how to contain it";
/// Any other.
pub(crate) const AFTER: &str = "read after the lock; the original state is not known";

/// What `info` shows of `lock`.
pub(crate) fn shows(info: &KeyInfo, lock: &Lock) -> Shows {
    if lock.access == Access::ReadOnly && !info.read_only {
        return Shows::NotYet;
    }
    // A listing that masks ids (Binance's broker family) carries no address lists; a key's own
    // Binance read only says `restricted`.
    let listed: Option<Vec<IpAddr>> = info.ips.iter().map(|ip| address(ip)).collect();
    let Some(listed) = listed.filter(|_| !info.key.as_str().contains('*')) else {
        return Shows::CannotTell;
    };
    let wanted: Vec<IpAddr> = lock
        .ips
        .to_strings()
        .iter()
        .filter_map(|ip| address(ip))
        .collect();
    if wanted.iter().all(|ip| listed.contains(ip)) {
        Shows::Lock
    } else {
        Shows::NotYet
    }
}

/// An address as a list shows it (`1.2.3.4`, `1.2.3.4/32`; Bybit's `*`, any address, as the
/// unspecified address, which no lock names); `None` for anything else.
fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if text == "*" {
        return Some(IpAddr::from([0, 0, 0, 0]));
    }
    let bare = text.strip_suffix("/32").unwrap_or(text);
    bare.parse().ok()
}

/// How this venue's key is best read: `None` when it cannot be read at all.
pub(super) fn read_by(cx: &StepContext<'_>, key: &KeyId, account: Option<&str>) -> Option<ReadBy> {
    let lists = match cx.client.venue().id() {
        // Every key of the account, main or sub, with its addresses (`private/list_api_keys`).
        ExchangeId::Deribit => return Some(ReadBy::MasterListing),
        // No key listing by API: the key's own `GetApiKeyInfo`.
        ExchangeId::Kraken => false,
        _ => true,
    };
    if lists && account.is_some() {
        Some(ReadBy::MasterListing)
    } else {
        cx.key_credential(key).is_ok().then_some(ReadBy::KeyItself)
    }
}

/// Reads `key` as `by` says.
pub(super) async fn read(
    cx: &StepContext<'_>,
    key: &KeyId,
    account: Option<&str>,
    by: ReadBy,
) -> Result<KeyInfo, String> {
    match by {
        ReadBy::MasterListing => {
            let keys = cx
                .account_keys(account.unwrap_or_default())
                .await
                .map_err(|err| format!("the master's key listing failed: {err}"))?;
            keys.into_iter()
                .find(|info| info.names(key))
                .ok_or_else(|| "the master's key listing does not show the key".to_owned())
        }
        ReadBy::KeyItself => {
            let cred = cx.key_credential(key).map_err(|err| err.to_string())?;
            cx.client
                .call(&Op::WhoAmI, Auth::Key(cred))
                .await
                .and_then(Reply::into_key)
                .map_err(|err| format!("the key's own read failed: {err}"))
        }
    }
}

/// Runs `lock` and `read` together: the lock's request first, the read once the lock was
/// answered or [`HEAD_START`] after the lock started, whichever comes first; waits for the read
/// at most [`PATIENCE`] after the lock ended. The lock's result, and the record.
pub(super) async fn alongside<T>(
    lock: impl Future<Output = T>,
    read: impl Future<Output = Result<KeyInfo, String>>,
    of: &Lock,
    by: ReadBy,
    locked: impl Fn(&T) -> bool,
) -> (T, KeyBeforeRecord) {
    let start = Instant::now();
    let since = move || u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let lock = async {
        let out = lock.await;
        (out, since())
    };
    // Whether the read went out while the lock was still in flight.
    let joined = std::cell::Cell::new(false);
    let read = async {
        joined.set(true);
        let sent = since();
        let got = read.await;
        (got, sent, since(), crate::clock::now_rfc3339())
    };
    let head_start = tokio::time::sleep(HEAD_START);
    tokio::pin!(lock, read, head_start);
    let mut started = false;
    let mut answered = None;
    let (out, acknowledged) = loop {
        tokio::select! {
            // The lock first, at every turn; the read is not even made before its head start.
            biased;
            done = &mut lock => break done,
            () = &mut head_start, if !started => started = true,
            got = &mut read, if started && answered.is_none() => answered = Some(got),
        }
    };
    let joined = joined.get();
    if answered.is_none() {
        answered = tokio::time::timeout(PATIENCE, &mut read).await.ok();
    }
    let acknowledged = locked(&out).then_some(acknowledged);
    let record = match answered {
        Some((got, sent, at_ms, at)) => {
            record(got, by, of, (sent, joined), Some((at_ms, at)), acknowledged)
        }
        None => {
            let slow = Err(format!(
                "the key's read did not answer within {} ms of the lock's end",
                PATIENCE.as_millis()
            ));
            record(slow, by, of, (0, joined), None, acknowledged)
        }
    };
    (out, record)
}

/// Reads the key through itself before a person is shown how to lock it (at most
/// [`PATIENCE`]): the record for a guided lock.
pub(super) async fn before_guide(cx: &StepContext<'_>, key: &KeyId) -> KeyBeforeRecord {
    let start = Instant::now();
    let got = tokio::time::timeout(PATIENCE, read(cx, key, None, ReadBy::KeyItself))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the key's read did not answer within {} ms",
                PATIENCE.as_millis()
            ))
        });
    let at_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut order = vec!["read sent".to_owned()];
    if got.is_ok() {
        order.push("read answered".to_owned());
    }
    order.push("guide shown".to_owned());
    let (info, not_read) = split(got);
    KeyBeforeRecord {
        before_lock: info.is_some(),
        source: BEFORE_GUIDE.to_owned(),
        read_by: ReadBy::KeyItself,
        order,
        read_sent_ms: 0,
        read_answered_ms: info.is_some().then_some(at_ms),
        lock_acknowledged_ms: None,
        read_at: info.is_some().then(crate::clock::now_rfc3339),
        info,
        not_read,
        last_seen: None,
    }
}

/// The plan of a step a person does (`guide`), with the key read before the guide is shown in a
/// live run where the owner holds its secret (`key_before` in the plan's outputs, which the
/// step's outputs keep).
pub(super) async fn guided_plan(
    cx: &StepContext<'_>,
    guide: crate::exchanges::Guide,
    task: super::ManualTask,
    key: &KeyId,
) -> super::Plan {
    let before = match cx.client.mode() {
        crate::exchanges::Mode::Live if cx.key_credential(key).is_ok() => {
            Some(before_guide(cx, key).await)
        }
        _ => None,
    };
    let mut plan = super::manual_plan(guide, task);
    if let Some(before) = before {
        plan.outputs
            .get_or_insert_default()
            .insert("key_before".into(), serde_json::json!(before));
    }
    plan
}

/// The record of a read alongside the lock: `sent`, `answered` and `acknowledged` in ms after
/// the lock's request started; `joined`: the read went out before the lock ended.
fn record(
    got: Result<KeyInfo, String>,
    by: ReadBy,
    of: &Lock,
    (sent, joined): (u64, bool),
    answered: Option<(u64, String)>,
    acknowledged: Option<u64>,
) -> KeyBeforeRecord {
    let before_lock = got
        .as_ref()
        .is_ok_and(|info| shows(info, of) == Shows::NotYet);
    // Within one millisecond, what caused what decides: a read that went out after the lock
    // ended comes after its acknowledgement.
    let read_rank = if joined { 1 } else { 3 };
    let mut events = vec![("lock sent", 0, 0), ("read sent", sent, read_rank)];
    if let (Ok(_), Some((at, _))) = (&got, &answered) {
        events.push(("read answered", *at, 4));
    }
    if let Some(at) = acknowledged {
        events.push(("lock acknowledged", at, 2));
    }
    events.sort_by_key(|(_, at, rank)| (*at, *rank));
    let (info, not_read) = split(got);
    KeyBeforeRecord {
        before_lock,
        source: if before_lock { BEFORE } else { AFTER }.to_owned(),
        read_by: by,
        order: events.iter().map(|(what, ..)| (*what).to_owned()).collect(),
        read_sent_ms: sent,
        read_answered_ms: info.as_ref().and(answered.as_ref()).map(|(at, _)| *at),
        lock_acknowledged_ms: acknowledged,
        read_at: info.as_ref().and(answered).map(|(_, at)| at),
        info,
        not_read,
        last_seen: None,
    }
}

fn split(got: Result<KeyInfo, String>) -> (Option<KeyInfo>, Option<String>) {
    match got {
        Ok(info) => (Some(info), None),
        Err(why) => (None, Some(why)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchanges::model::IpWhitelist;

    fn info(key: &str, ips: &[&str], read_only: bool) -> KeyInfo {
        KeyInfo {
            key: KeyId::new(key),
            label: String::new(),
            account: None,
            is_master: false,
            read_only,
            permissions: vec!["ContractTrade:Order".into()],
            ips: ips.iter().map(|ip| (*ip).to_owned()).collect(),
            created_at: None,
            expires_at: None,
        }
    }

    fn lock(ips: &[&str], access: Access) -> Lock {
        Lock {
            ips: IpWhitelist::parse(ips).unwrap(),
            access,
        }
    }

    #[test]
    fn what_an_answer_shows_of_the_lock() {
        let to_responder = lock(&["10.0.0.9"], Access::Unchanged);
        let read_only = lock(&["10.0.0.9"], Access::ReadOnly);
        let cases = [
            (
                "any address (Bybit `*`)",
                info("k", &["*"], false),
                &to_responder,
                Shows::NotYet,
            ),
            (
                "no list (any address)",
                info("k", &[], false),
                &to_responder,
                Shows::NotYet,
            ),
            (
                "another address",
                info("k", &["10.0.0.3"], false),
                &to_responder,
                Shows::NotYet,
            ),
            (
                "the lock's address",
                info("k", &["10.0.0.9"], false),
                &to_responder,
                Shows::Lock,
            ),
            (
                "written as a /32",
                info("k", &["10.0.0.9/32"], false),
                &to_responder,
                Shows::Lock,
            ),
            (
                "the lock's among others",
                info("k", &["10.0.0.3", "10.0.0.9"], false),
                &to_responder,
                Shows::Lock,
            ),
            (
                "still trading under a read-only lock",
                info("k", &["10.0.0.9"], false),
                &read_only,
                Shows::NotYet,
            ),
            (
                "read-only and bound",
                info("k", &["10.0.0.9"], true),
                &read_only,
                Shows::Lock,
            ),
            (
                "Binance's own read",
                info("k", &["restricted"], false),
                &to_responder,
                Shows::CannotTell,
            ),
            (
                "a masked listing",
                info("vmP***xyz", &[], false),
                &to_responder,
                Shows::CannotTell,
            ),
        ];
        for (label, info, lock, want) in cases {
            assert_eq!(shows(&info, lock), want, "{label}");
        }
    }

    #[test]
    fn a_read_is_before_the_lock_only_when_its_answer_does_not_show_it() {
        let of = lock(&["10.0.0.9"], Access::Unchanged);
        let unbound = info("k", &[], false);
        let before = record(
            Ok(unbound),
            ReadBy::KeyItself,
            &of,
            (1, true),
            Some((3, "t".into())),
            Some(9),
        );
        assert!(before.before_lock);
        assert_eq!(before.source, BEFORE);
        assert_eq!(
            before.order,
            [
                "lock sent",
                "read sent",
                "read answered",
                "lock acknowledged"
            ]
        );
        // Sent in the millisecond the lock was acknowledged, after it, and showing the lock: the
        // locked key.
        let bound = info("k", &["10.0.0.9"], false);
        let after = record(
            Ok(bound),
            ReadBy::MasterListing,
            &of,
            (9, false),
            Some((12, "t".into())),
            Some(9),
        );
        assert!(!after.before_lock);
        assert_eq!(after.source, AFTER);
        assert_eq!(
            after.order,
            [
                "lock sent",
                "lock acknowledged",
                "read sent",
                "read answered"
            ]
        );
        // A failed read is a note, never an error.
        let failed = record(
            Err("refused".into()),
            ReadBy::KeyItself,
            &of,
            (1, true),
            Some((2, "t".into())),
            Some(9),
        );
        assert!(!failed.before_lock && failed.info.is_none());
        assert_eq!(failed.not_read.as_deref(), Some("refused"));
        assert_eq!(failed.read_answered_ms, None);
    }
}
