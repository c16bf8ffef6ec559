//! The report's "key before the lock": what the lock step's `key_before` output
//! (`actions::key_before`) says the exchange showed of the leaked key, with its honest source.
//!
//! Filled from the journal alone, when the timeline reads the lock step's end (the lock
//! action's `report`); renderers read [`Timeline::key_before`] and never this output. A step
//! whose read failed leaves it empty: an empty IP list would read as "any address", which
//! nobody saw. Of two containing steps the first one's read stays: a later one may have read
//! the key after the first contained it.

use serde_json::Value;

use super::Timeline;
use super::content::KeyBefore;
use crate::actions::key_before::KeyBeforeRecord;

/// Sets `report.key_before` from a containing step's `key_before` output, unless an earlier
/// step's did.
pub fn fill(output: &Value, report: &mut Timeline) {
    if report.key_before.is_some() {
        return;
    }
    let Ok(record) = serde_json::from_value::<KeyBeforeRecord>(output.clone()) else {
        return;
    };
    // A read known to be from before the lock, else the last view `audit` or `check` had
    // (before the incident, named as such), else the read after the lock (said so).
    let (info, source, read_at) = match (record.before_lock, record.info, record.last_seen) {
        (true, Some(info), _) => (info, record.source, record.read_at),
        (_, _, Some(seen)) => (
            seen.info,
            format!(
                "as `lockdown {}` saw it at {}, the last view before the incident (the read beside the lock came after it)",
                seen.by, seen.at
            ),
            Some(seen.at),
        ),
        (_, Some(info), None) => (info, record.source, record.read_at),
        (_, None, None) => return,
    };
    report.key_before = Some(KeyBefore {
        permissions: info.permissions,
        ips: info.ips,
        read_only: Some(info.read_only),
        created_at: info.created_at,
        expires_at: info.expires_at,
        source,
        read_at: read_at.unwrap_or_default(),
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::actions::key_before::AFTER;

    fn output(ips: &[&str], source: &str, info: bool) -> Value {
        let info = info.then(|| {
            json!({
                "key": "AbC123", "label": "bot", "is_master": false, "read_only": false,
                "permissions": ["Spot:SpotTrade"], "ips": ips,
                "created_at": "2026-01-02T03:04:05.000Z",
            })
        });
        json!({
            "before_lock": source != AFTER, "source": source, "read_by": "key_itself",
            "order": ["lock sent", "read sent", "read answered", "lock acknowledged"],
            "read_sent_ms": 1, "read_answered_ms": 4, "lock_acknowledged_ms": 9,
            "read_at": "2026-12-05T00:00:00.004Z", "info": info,
            "not_read": if info.is_none() { json!("refused") } else { Value::Null },
        })
    }

    #[test]
    fn the_key_before_the_lock_is_read_from_the_lock_steps_output() {
        let mut report = Timeline::default();
        fill(&output(&[], AFTER, false), &mut report);
        assert!(report.key_before.is_none(), "a failed read says nothing");
        let before = crate::actions::key_before::BEFORE;
        fill(&output(&["10.0.0.3"], before, true), &mut report);
        // A later containing step read the key once it was locked: the first read stays.
        fill(&output(&["10.0.0.9"], AFTER, true), &mut report);
        let kept = report.key_before.unwrap();
        assert_eq!(
            (kept.source.as_str(), kept.ips),
            (before, vec!["10.0.0.3".to_owned()])
        );
        assert_eq!(kept.permissions, ["Spot:SpotTrade"]);
        assert_eq!(kept.read_only, Some(false));
        assert_eq!(kept.created_at.as_deref(), Some("2026-01-02T03:04:05.000Z"));
        assert_eq!(kept.read_at, "2026-12-05T00:00:00.004Z");
    }
}
