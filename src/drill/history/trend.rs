//! The trend `drill --history` shows: a row per drilled setup (venue, profile, scenario and
//! faults: the runs the regression rule compares) and per checked profile, over its latest runs.
//!
//! Pure: it reads lines and returns rows; `cli::drill` draws them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::check::CheckLine;
use super::entry::Entry;
use super::line::Line;
use super::rule::median;

/// Which lines to show.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Only this venue's.
    pub venue: Option<String>,
    /// Only this profile's.
    pub profile: Option<String>,
    /// How many of the latest runs each row covers, and how many runs are listed.
    pub last: usize,
}

impl Filter {
    fn keeps(&self, line: &Line) -> bool {
        self.venue.as_deref().is_none_or(|v| v == line.venue())
            && self
                .profile
                .as_deref()
                .is_none_or(|p| Some(p) == line.profile())
    }
}

/// One drilled setup's latest runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillTrend {
    /// Venue.
    pub venue: String,
    /// The profile twinned; null for the simulator's own setup.
    pub profile: Option<String>,
    /// Scenario.
    pub scenario: String,
    /// The simulator's faults.
    pub faults: String,
    /// Runs in the row.
    pub runs: usize,
    /// Of those, passed.
    pub passed: usize,
    /// Passed, in percent of the runs.
    pub pass_rate_pct: u32,
    /// The median time of the passed runs (time to contain; to the lock where there is no
    /// attacker).
    pub median_ms: Option<u64>,
    /// The latest run's time.
    pub last_ms: Option<u64>,
    /// The attacker's orders the responses missed, summed over the runs.
    pub missed: usize,
    /// The owner's orders they reported, summed over the runs.
    pub false_positives: usize,
    /// The latest run's result: `pass` or `fail`.
    pub last: String,
    /// When the latest run ran.
    pub last_at: String,
    /// Why the latest run regressed, if it did.
    pub regressed: Option<String>,
    /// Runs in the row marked regressed.
    pub regressions: usize,
    /// Each run's time, oldest first (null: failed or not measured).
    pub times_ms: Vec<Option<u64>>,
    /// The times drawn, oldest first: `▁`..`█` scaled to the row's slowest, `✗` a failed run,
    /// `·` a run without a time.
    pub sparkline: String,
}

/// One profile's latest checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckTrend {
    /// The profile.
    pub profile: String,
    /// Its venue.
    pub venue: String,
    /// Checks in the row.
    pub runs: usize,
    /// Of those, ready.
    pub ready: usize,
    /// The latest check's readiness.
    pub last: String,
    /// When it ran.
    pub last_at: String,
    /// Its warnings.
    pub warnings: usize,
    /// Its critical findings.
    pub critical: usize,
    /// Why it regressed, if it did.
    pub regressed: Option<String>,
    /// Each check oldest first: `✓` ready, `!` warnings, `✗` not ready.
    pub trend: String,
}

/// The rows, and the latest runs themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// A row per drilled setup.
    pub drills: Vec<DrillTrend>,
    /// A row per checked profile.
    pub checks: Vec<CheckTrend>,
    /// The latest runs of either kind, oldest first, as in the file.
    pub runs: Vec<Line>,
}

/// The trend of `lines` (oldest first) that `filter` keeps.
pub fn trend(lines: &[Line], filter: &Filter) -> Trend {
    let kept: Vec<&Line> = lines.iter().filter(|l| filter.keeps(l)).collect();
    let mut drills: BTreeMap<(String, Option<String>, String, String), Vec<&Entry>> =
        BTreeMap::new();
    let mut checks: BTreeMap<(String, String), Vec<&CheckLine>> = BTreeMap::new();
    for line in &kept {
        match line {
            Line::Drill(e) => drills
                .entry((
                    e.venue.clone(),
                    e.profile.clone(),
                    e.scenario.clone(),
                    e.faults.clone(),
                ))
                .or_default()
                .push(e),
            Line::Check(c) => checks
                .entry((c.check.profile.clone(), c.check.venue.clone()))
                .or_default()
                .push(c),
        }
    }
    let latest = |n: usize| n.saturating_sub(filter.last.max(1));
    Trend {
        drills: drills
            .into_values()
            .map(|runs| drill_row(&runs[latest(runs.len())..]))
            .collect(),
        checks: checks
            .into_values()
            .map(|runs| check_row(&runs[latest(runs.len())..]))
            .collect(),
        runs: kept[latest(kept.len())..]
            .iter()
            .map(|line| (*line).clone())
            .collect(),
    }
}

fn drill_row(runs: &[&Entry]) -> DrillTrend {
    let newest = runs[runs.len() - 1];
    let passed = runs.iter().filter(|e| e.passed).count();
    let times: Vec<u64> = runs
        .iter()
        .filter(|e| e.passed)
        .filter_map(|e| e.time_ms())
        .collect();
    let drawn: Vec<(bool, Option<u64>)> = runs.iter().map(|e| (e.passed, e.time_ms())).collect();
    DrillTrend {
        venue: newest.venue.clone(),
        profile: newest.profile.clone(),
        scenario: newest.scenario.clone(),
        faults: newest.faults.clone(),
        runs: runs.len(),
        passed,
        pass_rate_pct: percent(passed, runs.len()),
        median_ms: median(&times),
        last_ms: newest.time_ms(),
        missed: runs.iter().map(|e| e.missed).sum(),
        false_positives: runs.iter().map(|e| e.false_positives).sum(),
        last: if newest.passed { "pass" } else { "fail" }.to_owned(),
        last_at: newest.at.clone(),
        regressed: newest.regressed.clone(),
        regressions: runs.iter().filter(|e| e.regressed.is_some()).count(),
        times_ms: drawn.iter().map(|(ok, t)| t.filter(|_| *ok)).collect(),
        sparkline: sparkline(&drawn),
    }
}

fn check_row(runs: &[&CheckLine]) -> CheckTrend {
    let newest = runs[runs.len() - 1];
    CheckTrend {
        profile: newest.check.profile.clone(),
        venue: newest.check.venue.clone(),
        runs: runs.len(),
        ready: runs.iter().filter(|c| c.check.readiness == "ready").count(),
        last: newest.check.readiness.clone(),
        last_at: newest.check.at.clone(),
        warnings: newest.check.warnings,
        critical: newest.check.critical,
        regressed: newest.regressed.clone(),
        trend: runs
            .iter()
            .map(|c| match c.check.readiness.as_str() {
                "ready" => '✓',
                "warnings" => '!',
                _ => '✗',
            })
            .collect(),
    }
}

fn percent(part: usize, whole: usize) -> u32 {
    u32::try_from((part * 100).checked_div(whole).unwrap_or(0)).unwrap_or(100)
}

/// Draws runs (passed?, time) oldest first: a bar per passed run scaled from zero to the
/// slowest (so noise of a few milliseconds stays a few bars high, not the full range), `✗` per
/// failed run, `·` per run without a time.
pub fn sparkline(runs: &[(bool, Option<u64>)]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let slowest = runs
        .iter()
        .filter(|(passed, _)| *passed)
        .filter_map(|(_, time)| *time)
        .max()
        .unwrap_or(0);
    runs.iter()
        .map(|(passed, time)| match (passed, time) {
            (false, _) => '✗',
            (true, None) => '·',
            (true, Some(_)) if slowest == 0 => BARS[0],
            (true, Some(time)) => {
                let step = (time * 8).div_ceil(slowest).clamp(1, 8) - 1;
                BARS[usize::try_from(step).unwrap_or(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::history::CheckEntry;

    #[test]
    fn sparklines() {
        type Runs = Vec<(bool, Option<u64>)>;
        let cases: [(&str, Runs, &str); 5] = [
            ("none", vec![], ""),
            (
                "rising",
                (1..=8).map(|t| (true, Some(t * 10))).collect(),
                "▁▂▃▄▅▆▇█",
            ),
            (
                "noise stays high",
                vec![(true, Some(70)), (true, Some(80))],
                "▇█",
            ),
            (
                "a failure and no time",
                vec![(true, Some(10)), (false, Some(5000)), (true, None)],
                "█✗·",
            ),
            ("all zero", vec![(true, Some(0)), (true, Some(0))], "▁▁"),
        ];
        for (label, runs, drawn) in cases {
            assert_eq!(sparkline(&runs), drawn, "{label}");
        }
    }

    fn drill(venue: &str, profile: Option<&str>, passed: bool, ttc: u64) -> Line {
        Line::Drill(Entry {
            at: format!("2026-12-01T00:00:{ttc:02}.000Z"),
            scenario: "pump-illiquid".into(),
            seed: 1,
            venue: venue.into(),
            faults: "none (latency 0 ms)".into(),
            profile: profile.map(str::to_owned),
            passed,
            time_to_contain_ms: Some(ttc),
            lock_acknowledged_ms: Some(ttc),
            false_positives: 0,
            missed: usize::from(!passed),
            drill_dir: "/d".into(),
            regressed: None,
        })
    }

    fn check(readiness: &str) -> Line {
        Line::Check(CheckLine {
            check: CheckEntry {
                kind: "check".into(),
                at: "2026-12-01T00:01:00.000Z".into(),
                profile: "main".into(),
                venue: "okx".into(),
                readiness: readiness.into(),
                warnings: usize::from(readiness == "warnings"),
                critical: 0,
            },
            regressed: None,
        })
    }

    #[test]
    fn rows_per_setup_and_profile_over_the_latest_runs() {
        let lines = vec![
            drill("bybit", None, true, 40),
            drill("bybit", None, false, 50),
            drill("bybit", None, true, 20),
            drill("okx", Some("main"), true, 30),
            check("ready"),
            check("warnings"),
        ];
        let all = Filter {
            venue: None,
            profile: None,
            last: 20,
        };
        let shown = trend(&lines, &all);
        assert_eq!(shown.drills.len(), 2);
        let bybit = &shown.drills[0];
        assert_eq!(
            (
                bybit.venue.as_str(),
                bybit.runs,
                bybit.passed,
                bybit.pass_rate_pct
            ),
            ("bybit", 3, 2, 66)
        );
        assert_eq!((bybit.median_ms, bybit.last_ms), (Some(20), Some(20)));
        assert_eq!((bybit.missed, bybit.sparkline.as_str()), (1, "█✗▄"));
        assert_eq!(shown.checks.len(), 1);
        assert_eq!(
            (
                shown.checks[0].trend.as_str(),
                shown.checks[0].last.as_str()
            ),
            ("✓!", "warnings")
        );
        assert_eq!(shown.runs.len(), 6);

        let latest_two = trend(
            &lines,
            &Filter {
                last: 2,
                ..all.clone()
            },
        );
        assert_eq!(latest_two.drills[0].sparkline, "✗█");
        assert_eq!(latest_two.runs.len(), 2);

        let main = trend(
            &lines,
            &Filter {
                profile: Some("main".into()),
                ..all.clone()
            },
        );
        assert_eq!((main.drills.len(), main.checks.len()), (1, 1));
        let okx = trend(
            &lines,
            &Filter {
                venue: Some("bybit".into()),
                ..all
            },
        );
        assert_eq!(
            (okx.drills.len(), okx.checks.len(), okx.runs.len()),
            (1, 0, 3)
        );
    }
}
