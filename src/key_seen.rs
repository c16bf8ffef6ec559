//! The last view of each key that `audit` or `check` had, kept in the state dir: the key as it
//! was before the incident, for the report, when the incident's own read comes too late.
//!
//! The lock goes out first and alone, and the read of the key beside it (`actions::key_before`)
//! is mostly answered after a quick exchange applied the lock; the report then cannot say which
//! addresses and permissions the key had. A scheduled `audit` or `check` has seen the key
//! shortly before, through the same listings: that view, with when and by which command, is
//! what the report shows then, named as such ("as `lockdown audit` saw it at …").
//!
//! One file per venue, `<state_dir>/keys-seen/<venue>.json`, owner-only: an object of key id →
//! [`Seen`]. Key ids, labels, permissions and addresses only: no secret is ever in a
//! [`KeyInfo`]. Writing it never fails the command that reads the keys (a note at most).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::exchanges::ExchangeId;
use crate::exchanges::model::KeyInfo;
use crate::secret::KeyId;

/// One key as a readiness command saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Seen {
    /// What the exchange said of the key.
    pub info: KeyInfo,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Which command read it (`audit`, `check`).
    pub by: String,
}

/// The file of `venue`'s keys under `state_dir`.
fn file(state_dir: &Path, venue: ExchangeId) -> PathBuf {
    state_dir
        .join("keys-seen")
        .join(format!("{}.json", venue.as_str()))
}

fn load(path: &Path) -> BTreeMap<String, Seen> {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Keeps `keys` as `by` saw them now (other keys' earlier views stay).
pub fn remember<'k>(
    state_dir: &Path,
    venue: ExchangeId,
    keys: impl IntoIterator<Item = &'k KeyInfo>,
    by: &str,
) -> io::Result<()> {
    let path = file(state_dir, venue);
    let mut seen = load(&path);
    let at = crate::clock::now_rfc3339();
    let mut changed = false;
    for info in keys {
        // A masked listing entry (Binance's broker keys) names no key exactly: not kept.
        if info.key.as_str().contains('*') {
            continue;
        }
        seen.insert(
            info.key.as_str().to_owned(),
            Seen {
                info: info.clone(),
                at: at.clone(),
                by: by.to_owned(),
            },
        );
        changed = true;
    }
    if !changed {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        crate::private::create_dir(dir)?;
    }
    let text = serde_json::to_vec_pretty(&seen).map_err(io::Error::other)?;
    // Written beside and renamed over, so a reader never sees half a file.
    let partial = path.with_extension("json.partial");
    crate::private::write(&partial, text)?;
    std::fs::rename(&partial, &path)
}

/// The last view of `key` on `venue`, if a readiness command had one.
pub fn last(state_dir: &Path, venue: ExchangeId, key: &KeyId) -> Option<Seen> {
    load(&file(state_dir, venue)).remove(key.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(key: &str, ips: &[&str]) -> KeyInfo {
        serde_json::from_value(serde_json::json!({
            "key": key, "label": "bot", "is_master": false, "read_only": false,
            "permissions": ["Spot:SpotTrade"], "ips": ips,
        }))
        .unwrap()
    }

    #[test]
    fn the_last_view_of_each_key_is_kept_and_masked_entries_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let venue = ExchangeId::Bybit;
        assert!(last(dir.path(), venue, &KeyId::new("AbC123")).is_none());
        remember(
            dir.path(),
            venue,
            &[info("AbC123", &["10.0.0.1"]), info("vmP***xyz", &[])],
            "audit",
        )
        .unwrap();
        remember(dir.path(), venue, &[info("Other9", &[])], "check").unwrap();
        let seen = last(dir.path(), venue, &KeyId::new("AbC123")).unwrap();
        assert_eq!(
            (seen.by.as_str(), seen.info.ips.clone()),
            ("audit", vec!["10.0.0.1".to_owned()])
        );
        assert_eq!(
            last(dir.path(), venue, &KeyId::new("Other9")).unwrap().by,
            "check"
        );
        assert!(last(dir.path(), venue, &KeyId::new("vmP***xyz")).is_none());
        assert!(last(dir.path(), ExchangeId::Okx, &KeyId::new("AbC123")).is_none());
        // A later view replaces the earlier one.
        remember(dir.path(), venue, &[info("AbC123", &["10.0.0.2"])], "check").unwrap();
        let seen = last(dir.path(), venue, &KeyId::new("AbC123")).unwrap();
        assert_eq!(
            (seen.by.as_str(), seen.info.ips),
            ("check", vec!["10.0.0.2".to_owned()])
        );
    }
}
