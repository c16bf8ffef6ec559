//! The incident summary: one table for a response to many keys at once (the vendor leak).
//!
//! Each key keeps its own run folder, journal and report; the summary says, key by key, whether
//! it was locked, revoked and replaced, how long containment took, what is left and where its run
//! folder is, so the operator sees at a glance which of a hundred keys still needs a person. It
//! is written as `summary.md` and `summary.json` in `<state_dir>/incidents/<utc>-<id>/` and is
//! what `respond --json` prints for several keys. Key ids are masked; no secret reaches it.

use std::path::Path;

use serde::Serialize;

use crate::engine::left::Todo;

/// What became of one key.
#[derive(Debug, Clone, Serialize)]
pub struct KeyResult {
    /// The key id, masked.
    pub key: String,
    /// The profile it was answered through.
    pub profile: String,
    /// The lock was acknowledged.
    pub locked: bool,
    /// The key was deleted (and, where the playbook checks it, proven refused).
    pub revoked: bool,
    /// A replacement key was created (and stored, where the playbook stores it).
    pub replaced: bool,
    /// Run start → containment, ms; `None` when not contained.
    pub time_to_contain_ms: Option<u64>,
    /// Unauthorized orders the diff found (`None`: unknown).
    pub unauthorized_orders: Option<usize>,
    /// The key's run's exit code.
    pub exit_code: u8,
    /// What is left for people.
    pub left: Vec<Todo>,
    /// Why the key's run did not start or stopped early (an error before its run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its run folder, when one was made.
    pub run_dir: Option<String>,
}

/// The whole incident.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The incident's id.
    pub incident_id: String,
    /// Its folder.
    pub incident_dir: String,
    /// Start, RFC 3339 UTC.
    pub started_at: String,
    /// Start → every key's run over, ms.
    pub duration_ms: u64,
    /// Start → the last lock acknowledged (of the keys that were locked), ms.
    pub locks_done_ms: Option<u64>,
    /// How many keys.
    pub keys_total: usize,
    /// How many were locked, revoked, replaced.
    pub locked: usize,
    /// Revoked.
    pub revoked: usize,
    /// Replaced.
    pub replaced: usize,
    /// The exit code: the worst of the keys' (`exit::Exit::worst`).
    pub exit_code: u8,
    /// Key by key, in the order they were given.
    pub keys: Vec<KeyResult>,
}

impl Summary {
    /// The summary for people, as Markdown.
    pub fn markdown(&self) -> String {
        let yes = |b: bool| if b { "yes" } else { "**NO**" };
        let mut out = format!(
            "# Incident {}\n\nStarted {}; {} key(s): {} locked, {} revoked, {} replaced; \
             all locks done {}; finished after {} ms; exit {}.\n\n",
            self.incident_id,
            self.started_at,
            self.keys_total,
            self.locked,
            self.revoked,
            self.replaced,
            self.locks_done_ms
                .map_or_else(|| "never".to_owned(), |ms| format!("{ms} ms after start")),
            self.duration_ms,
            self.exit_code,
        );
        out.push_str(
            "| key | profile | locked | revoked | replaced | contained after | unauthorized orders | exit | run folder |\n\
             |---|---|---|---|---|---|---|---|---|\n",
        );
        for k in &self.keys {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                k.key,
                k.profile,
                yes(k.locked),
                yes(k.revoked),
                yes(k.replaced),
                k.time_to_contain_ms
                    .map_or_else(|| "not contained".to_owned(), |ms| format!("{ms} ms")),
                k.unauthorized_orders
                    .map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
                k.exit_code,
                k.run_dir
                    .as_deref()
                    .map_or_else(|| "none".to_owned(), |d| format!("`{d}`")),
            ));
        }
        let open: Vec<&KeyResult> = self
            .keys
            .iter()
            .filter(|k| !k.left.is_empty() || k.error.is_some())
            .collect();
        if !open.is_empty() {
            out.push_str("\n## Left to do\n\n");
            for k in open {
                out.push_str(&format!("- `{}` ({}):\n", k.key, k.profile));
                if let Some(err) = &k.error {
                    out.push_str(&format!("  - the response did not run: {err}\n"));
                }
                for todo in &k.left {
                    out.push_str(&format!("  - {} (how: {})\n", todo.what, todo.how));
                }
            }
        }
        out
    }

    /// Writes `summary.md` and `summary.json` into `dir`, private to the owner.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::private::write(&dir.join("summary.json"), json + "\n")?;
        crate::private::write(&dir.join("summary.md"), self.markdown())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, contained: bool) -> KeyResult {
        KeyResult {
            key: name.to_owned(),
            profile: "p".to_owned(),
            locked: true,
            revoked: contained,
            replaced: contained,
            time_to_contain_ms: contained.then_some(12),
            unauthorized_orders: Some(2),
            exit_code: if contained { 0 } else { 1 },
            left: if contained {
                vec![]
            } else {
                vec![Todo {
                    what: "the key was not revoked".to_owned(),
                    how: "delete it by hand".to_owned(),
                }]
            },
            error: None,
            run_dir: Some("/s/runs/r1".to_owned()),
        }
    }

    #[test]
    fn markdown_has_a_row_per_key_and_what_is_left() {
        let summary = Summary {
            incident_id: "abc123".to_owned(),
            incident_dir: "/s/incidents/x".to_owned(),
            started_at: "2026-12-05T11:00:00Z".to_owned(),
            duration_ms: 40,
            locks_done_ms: Some(5),
            keys_total: 2,
            locked: 2,
            revoked: 1,
            replaced: 1,
            exit_code: 1,
            keys: vec![key("AAAA…1111", true), key("BBBB…2222", false)],
        };
        let md = summary.markdown();
        assert!(
            md.contains("| `AAAA…1111` | p | yes | yes | yes | 12 ms | 2 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("| `BBBB…2222` | p | yes | **NO** | **NO** | not contained |"),
            "{md}"
        );
        assert!(
            md.contains("## Left to do") && md.contains("delete it by hand"),
            "{md}"
        );
        assert!(
            !md.contains("`AAAA…1111` (p):"),
            "a contained key has nothing left: {md}"
        );
    }
}
