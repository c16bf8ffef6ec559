//! A check's line in the history (`"kind": "check"`): what `lockdown check` found of one
//! profile, and whether that was a regression.
//!
//! `CheckEntry` is what `check` fills; `CheckLine` adds the verdict, so a check that never
//! judges (`append_check`) writes the same shape with `regressed` null.

use serde::{Deserialize, Serialize};

/// One `lockdown check` of one profile (`"kind": "check"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckEntry {
    /// Always `check`.
    pub kind: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The profile.
    pub profile: String,
    /// Its venue.
    pub venue: String,
    /// `ready`, `warnings` or `not_ready`.
    pub readiness: String,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity critical.
    pub critical: usize,
}

/// A check's line as written: the check and whether it regressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckLine {
    /// The check.
    #[serde(flatten)]
    pub check: CheckEntry,
    /// Why the check is a regression (`history::judge_check`); null when it is not.
    #[serde(default)]
    pub regressed: Option<String>,
}
