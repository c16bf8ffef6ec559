//! The history's lines: a drill's (`Entry`, no `kind`) and a check's (`"kind": "check"`).
//!
//! Fields added later (`profile`, `regressed`) default to null, so lines written before them
//! still read; a line of a kind this version does not know is skipped, not an error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::drill::Scorecard;

/// One drill's line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Scenario.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Venue.
    pub venue: String,
    /// The simulator's faults.
    #[serde(default)]
    pub faults: String,
    /// The user's profile the drill twinned (`drill --profile`); null for the simulator's own
    /// setup.
    #[serde(default)]
    pub profile: Option<String>,
    /// Passed?
    pub passed: bool,
    /// Time to contain.
    pub time_to_contain_ms: Option<u64>,
    /// Lock acknowledged.
    pub lock_acknowledged_ms: Option<u64>,
    /// Detection: false positives and missed.
    pub false_positives: usize,
    /// Missed.
    pub missed: usize,
    /// The drill's folder.
    pub drill_dir: String,
    /// Why the drill is a regression against its comparable runs (`history::judge`); null
    /// when it is not.
    #[serde(default)]
    pub regressed: Option<String>,
}

impl Entry {
    /// The time a drill is judged and drawn by: its time to contain, or where the scenario has
    /// no attacker to refuse (`quiet`), the time until the lock was acknowledged.
    pub fn time_ms(&self) -> Option<u64> {
        self.time_to_contain_ms.or(self.lock_acknowledged_ms)
    }

    /// Whether `other` ran the same drill: venue, scenario, profile and faults (a drill under
    /// added latency is slower by design, not by rot).
    pub fn comparable(&self, other: &Entry) -> bool {
        self.venue == other.venue
            && self.scenario == other.scenario
            && self.profile == other.profile
            && self.faults == other.faults
    }
}

impl From<&Scorecard> for Entry {
    fn from(card: &Scorecard) -> Entry {
        Entry {
            at: card.at.clone(),
            scenario: card.scenario.clone(),
            seed: card.seed,
            venue: card.venue.clone(),
            faults: card.faults.clone(),
            profile: card.profile.clone(),
            passed: card.passed,
            time_to_contain_ms: card.time_to_contain_ms,
            lock_acknowledged_ms: card.lock_acknowledged_ms,
            false_positives: card.detection.false_positives,
            missed: card.detection.missed,
            drill_dir: card.drill_dir.clone(),
            regressed: None,
        }
    }
}

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

/// One line of the history, of either kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Line {
    /// A drill.
    Drill(Entry),
    /// A check.
    Check(CheckLine),
}

impl Line {
    /// Reads one line; `None` for a line that does not parse or of a kind not known here.
    pub fn parse(text: &str) -> Option<Line> {
        let value: Value = serde_json::from_str(text).ok()?;
        match value.get("kind").and_then(Value::as_str) {
            None => serde_json::from_value(value).ok().map(Line::Drill),
            Some("check") => serde_json::from_value(value).ok().map(Line::Check),
            Some(_) => None,
        }
    }

    /// The venue it ran on.
    pub fn venue(&self) -> &str {
        match self {
            Line::Drill(e) => &e.venue,
            Line::Check(c) => &c.check.venue,
        }
    }

    /// The profile it ran for (`None`: a drill of the simulator's own setup).
    pub fn profile(&self) -> Option<&str> {
        match self {
            Line::Drill(e) => e.profile.as_deref(),
            Line::Check(c) => Some(&c.check.profile),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_every_age_and_kind_read() {
        let cases = [
            (
                "before profile and regressed",
                r#"{"at":"2026-01-01T00:00:00.000Z","scenario":"quiet","seed":1,"venue":"bybit","faults":"none (latency 0 ms)","passed":true,"time_to_contain_ms":null,"lock_acknowledged_ms":20,"false_positives":0,"missed":0,"drill_dir":"/d"}"#,
                Some("drill"),
            ),
            (
                "before faults",
                r#"{"at":"2026-01-01T00:00:00.000Z","scenario":"quiet","seed":1,"venue":"bybit","passed":true,"time_to_contain_ms":null,"lock_acknowledged_ms":20,"false_positives":0,"missed":0,"drill_dir":"/d"}"#,
                Some("drill"),
            ),
            (
                "a check without regressed",
                r#"{"kind":"check","at":"2026-01-01T00:00:00.000Z","profile":"main","venue":"okx","readiness":"ready","warnings":0,"critical":0}"#,
                Some("check"),
            ),
            (
                "a kind from a later version",
                r#"{"kind":"alert","at":"2026-01-01T00:00:00.000Z"}"#,
                None,
            ),
            ("not JSON", "{\"at\": cut off", None),
        ];
        for (label, text, kind) in cases {
            let read = Line::parse(text).map(|line| match line {
                Line::Drill(e) => {
                    assert_eq!((e.profile, e.regressed), (None, None), "{label}");
                    "drill"
                }
                Line::Check(c) => {
                    assert_eq!(c.regressed, None, "{label}");
                    "check"
                }
            });
            assert_eq!(read, kind, "{label}");
        }
    }
}
