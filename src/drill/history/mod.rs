//! History: one line per drill and per check in `drills.jsonl` in the state folder, so rot (a
//! playbook that got slower, a venue that fails where it passed, a master key that expired)
//! shows as a trend before a real incident, and a run worse than its own past is marked
//! `regressed` for people and for the alerts that will read it.
//!
//! The file holds one JSON object a line, appended and synced:
//! - a drill (no `kind`): `at`, `scenario`, `seed`, `venue`, `faults`, `profile` (null: the
//!   simulator's own setup), `passed`, `time_to_contain_ms`, `lock_acknowledged_ms`,
//!   `false_positives`, `missed`, `drill_dir`, `regressed` (null or why);
//! - a check (`"kind": "check"`): `at`, `profile`, `venue`, `readiness` (`ready`, `warnings`,
//!   `not_ready`), `warnings`, `critical`, `regressed`.
//!
//! Lines written before `profile` and `regressed` existed read with both null; a line that does
//! not parse, or of a kind this version does not know, is skipped. The regression rule (`Rule`,
//! config `history: regression:`) is judged after the run: a drill's line, already written, is
//! then marked in place (see `file`).

mod check;
mod entry;
mod file;
mod line;
mod rule;
mod trend;

use std::path::Path;

pub use check::{CheckEntry, CheckLine};
pub use entry::Entry;
pub use line::Line;
pub use rule::{Rule, judge, judge_check, median};
pub use trend::{CheckTrend, DrillTrend, Filter, Trend, sparkline, trend};

use super::Scorecard;
use crate::error::Error;

/// The history file's name in the state folder.
pub const FILE_NAME: &str = "drills.jsonl";

/// Appends one drill, synced to disk.
pub fn append(state_dir: &Path, card: &Scorecard) -> Result<(), Error> {
    append_entry(state_dir, &Entry::from(card))
}

/// Appends one drill line, synced to disk.
pub fn append_entry(state_dir: &Path, entry: &Entry) -> Result<(), Error> {
    file::with_locked(state_dir, |handle, _| file::append_line(handle, entry))
}

/// Appends one check, synced to disk, not judged (see [`append_check_judged`]).
pub fn append_check(state_dir: &Path, entry: &CheckEntry) -> Result<(), Error> {
    let line = CheckLine {
        check: entry.clone(),
        regressed: None,
    };
    file::with_locked(state_dir, |handle, _| file::append_line(handle, &line))
}

/// Judges one check against the earlier checks of its profile ([`judge_check`]) and appends it
/// with the verdict; returns why it regressed, if it did.
pub fn append_check_judged(
    state_dir: &Path,
    entry: &CheckEntry,
    rule: &Rule,
) -> Result<Option<String>, Error> {
    let path = file::path(state_dir);
    let earlier: Vec<CheckEntry> = file::parse(&file::read_text(&path)?)
        .into_iter()
        .filter_map(|line| match line {
            Line::Check(line) => Some(line.check),
            Line::Drill(_) => None,
        })
        .collect();
    let line = CheckLine {
        check: entry.clone(),
        regressed: judge_check(&earlier, entry, rule),
    };
    file::with_locked(state_dir, |handle, _| file::append_line(handle, &line))?;
    Ok(line.regressed)
}

/// Judges the drill whose line names `drill_dir` against the drills before it ([`judge`]) and,
/// when it regressed, marks its line; returns why. A drill with no line yet is not judged.
pub fn judge_drill(
    state_dir: &Path,
    drill_dir: &str,
    rule: &Rule,
) -> Result<Option<String>, Error> {
    file::with_locked(state_dir, |_, path| {
        let text = std::fs::read_to_string(path)?;
        let drills: Vec<Entry> = file::parse(&text)
            .into_iter()
            .filter_map(|line| match line {
                Line::Drill(entry) => Some(entry),
                Line::Check(_) => None,
            })
            .collect();
        let Some(at) = drills.iter().rposition(|e| e.drill_dir == drill_dir) else {
            return Ok(None);
        };
        let Some(reason) = judge(&drills[..at], &drills[at], rule) else {
            return Ok(None);
        };
        file::mark(path, drill_dir, &reason)?;
        Ok(Some(reason))
    })
}

/// Every line of the history, oldest first; lines that do not read are skipped.
pub fn read(state_dir: &Path) -> Result<Vec<Line>, Error> {
    Ok(file::parse(&file::read_text(&file::path(state_dir))?))
}

/// The last `n` drills, oldest first; lines that do not parse are skipped.
pub fn last(state_dir: &Path, n: usize) -> Result<Vec<Entry>, Error> {
    let entries: Vec<Entry> = read(state_dir)?
        .into_iter()
        .filter_map(|line| match line {
            Line::Drill(entry) => Some(entry),
            Line::Check(_) => None,
        })
        .collect();
    let skip = entries.len().saturating_sub(n);
    Ok(entries.into_iter().skip(skip).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drill(dir: &str, ttc: u64) -> Entry {
        Entry {
            at: format!("2026-12-01T00:00:0{}.000Z", ttc % 10),
            scenario: "pump-illiquid".into(),
            seed: 1,
            venue: "bybit".into(),
            faults: "none (latency 0 ms)".into(),
            profile: None,
            passed: true,
            time_to_contain_ms: Some(ttc),
            lock_acknowledged_ms: Some(ttc),
            false_positives: 0,
            missed: 0,
            drill_dir: dir.into(),
            regressed: None,
        }
    }

    #[test]
    fn a_regressed_drill_is_marked_in_its_own_line_and_the_others_kept() {
        let state = tempfile::tempdir().unwrap();
        let old_line = r#"{"at":"2026-11-01T00:00:00.000Z","scenario":"pump-illiquid","seed":1,"venue":"bybit","faults":"none (latency 0 ms)","passed":true,"time_to_contain_ms":1,"lock_acknowledged_ms":1,"false_positives":0,"missed":0,"drill_dir":"/old"}"#;
        std::fs::write(
            state.path().join(FILE_NAME),
            format!("{old_line}\nnot json\n"),
        )
        .unwrap();
        for (i, ttc) in [1, 2].into_iter().enumerate() {
            append_entry(state.path(), &drill(&format!("/fast{i}"), ttc)).unwrap();
        }
        append_entry(state.path(), &drill("/slow", 1500)).unwrap();
        let check = CheckEntry {
            kind: "check".into(),
            at: "2026-12-01T00:00:09.000Z".into(),
            profile: "main".into(),
            venue: "bybit".into(),
            readiness: "ready".into(),
            warnings: 0,
            critical: 0,
        };
        append_check(state.path(), &check).unwrap();

        let reason = judge_drill(state.path(), "/slow", &Rule::default()).unwrap();
        assert_eq!(
            reason.as_deref(),
            Some(
                "time to contain 1500 ms is over 1.5× the median 1 ms of the last 3 comparable drills"
            )
        );
        let text = std::fs::read_to_string(state.path().join(FILE_NAME)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(lines[0], old_line, "an old line is kept byte for byte");
        assert_eq!(lines[1], "not json", "a line that does not read is kept");
        let slow: serde_json::Value = serde_json::from_str(lines[4]).unwrap();
        assert_eq!(slow["drill_dir"], "/slow");
        assert_eq!(slow["regressed"], reason.unwrap().as_str());
        assert_eq!(
            Line::parse(lines[5]),
            Some(Line::Check(CheckLine {
                check,
                regressed: None
            }))
        );
        // A fast drill is not marked.
        assert!(
            judge_drill(state.path(), "/fast1", &Rule::default())
                .unwrap()
                .is_none()
        );
        assert_eq!(last(state.path(), 10).unwrap().len(), 4);
    }

    #[test]
    fn drills_judged_from_the_file() {
        let passed = |dir: &str, ttc: u64| drill(dir, ttc);
        let failed = |dir: &str| Entry {
            passed: false,
            time_to_contain_ms: None,
            ..drill(dir, 0)
        };
        let fast: Vec<Entry> = (0..10).map(|i| passed(&format!("/fast{i}"), 10)).collect();
        let slow: Vec<Entry> = (0..10)
            .map(|i| passed(&format!("/slow{i}"), 3000))
            .collect();
        let cases: Vec<(&str, Vec<Entry>, Entry, Option<&str>)> = vec![
            ("the first run", vec![], passed("/run", 60_000), None),
            (
                "a failure after passes",
                fast.clone(),
                failed("/run"),
                Some("failed after a passed drill (2026-12-01T00:00:00.000Z)"),
            ),
            (
                "slow after the median of the window",
                [slow.clone(), fast.clone()].concat(),
                passed("/run", 1500),
                Some(
                    "time to contain 1500 ms is over 1.5× the median 10 ms of the last 10 comparable drills",
                ),
            ),
            (
                "the window forgets what came before it",
                [fast, slow].concat(),
                passed("/run", 4000),
                None,
            ),
        ];
        for (label, earlier, run, expected) in cases {
            let state = tempfile::tempdir().unwrap();
            for entry in earlier.iter().chain([&run]) {
                append_entry(state.path(), entry).unwrap();
            }
            let verdict = judge_drill(state.path(), "/run", &Rule::default()).unwrap();
            assert_eq!(verdict.as_deref(), expected, "{label}");
            let marked = read(state.path()).unwrap().pop();
            let Some(Line::Drill(marked)) = marked else {
                panic!("{label}: {marked:?}");
            };
            assert_eq!(marked.regressed.as_deref(), expected, "{label}: the line");
        }
    }

    #[test]
    fn lines_appended_while_a_line_is_rewritten_are_never_lost() {
        let state = tempfile::tempdir().unwrap();
        append_entry(state.path(), &drill("/marked", 1)).unwrap();
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let dir = state.path();
                scope.spawn(move || {
                    for i in 0..50 {
                        append_entry(dir, &drill(&format!("/w{writer}-{i}"), 1)).unwrap();
                    }
                });
            }
            let dir = state.path();
            scope.spawn(move || {
                for i in 0..50 {
                    file::with_locked(dir, |_, path| file::mark(path, "/marked", &format!("{i}")))
                        .unwrap();
                }
            });
        });
        let drills = last(state.path(), usize::MAX).unwrap();
        assert_eq!(drills.len(), 1 + 4 * 50);
        assert_eq!(drills[0].regressed.as_deref(), Some("49"));
    }

    #[test]
    fn a_check_is_appended_with_its_verdict() {
        let state = tempfile::tempdir().unwrap();
        let check = |readiness: &str| CheckEntry {
            kind: "check".into(),
            at: "2026-12-01T00:00:00.000Z".into(),
            profile: "main".into(),
            venue: "okx".into(),
            readiness: readiness.into(),
            warnings: 0,
            critical: 1,
        };
        let rule = Rule::default();
        assert_eq!(
            append_check_judged(state.path(), &check("ready"), &rule).unwrap(),
            None
        );
        let reason = append_check_judged(state.path(), &check("not_ready"), &rule).unwrap();
        assert!(reason.is_some());
        let lines = read(state.path()).unwrap();
        assert_eq!(
            lines.last(),
            Some(&Line::Check(CheckLine {
                check: check("not_ready"),
                regressed: reason
            }))
        );
    }
}
