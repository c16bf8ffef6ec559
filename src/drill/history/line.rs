//! One line of the history, of either kind, read leniently: a line that does not parse, or of
//! a kind this version does not know (a later version's), is skipped, not an error.

use serde::Serialize;
use serde_json::Value;

use super::check::CheckLine;
use super::entry::Entry;

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
