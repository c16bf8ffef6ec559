//! The regression rule: when a run is worse than its own past.
//!
//! A drill is compared with the latest comparable drills (same venue, scenario, profile and
//! faults) only, never with another setup's; a check with the previous check of its profile.
//! The first run of a kind is never a regression. The time rule needs both a factor over the
//! median and an absolute margin: on loopback a drill's time to contain varies by a factor of
//! two to five from run to run on a busy machine (33-318 ms measured for the same seed), which
//! a factor alone would call rot; the rot worth an alert (a retry, a step moved before the
//! lock, a person waited for) costs seconds.

use std::time::Duration;

use super::check::CheckEntry;
use super::entry::Entry;

/// When a run counts as regressed (config `history: regression:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// How many of the latest comparable drills a drill is compared with.
    pub window: usize,
    /// A time above the window's median times this is a regression; `None`: the time rule is
    /// off.
    pub ttc_factor: Option<f64>,
    /// ...and only when it is also at least this much above the median.
    pub ttc_slack: Duration,
    /// The fewest earlier times (of passed drills in the window) the median is taken of.
    pub min_runs: usize,
    /// A failed drill after a passed one is a regression.
    pub failure_after_pass: bool,
    /// A check that is not ready after one that was (ready or warnings) is a regression.
    pub check_not_ready: bool,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule {
            window: 10,
            ttc_factor: Some(1.5),
            ttc_slack: Duration::from_secs(1),
            min_runs: 3,
            failure_after_pass: true,
            check_not_ready: true,
        }
    }
}

/// Why the drill `run` is a regression against the drills before it (`earlier`, oldest first,
/// of any setup: only the comparable ones count), or `None`.
pub fn judge(earlier: &[Entry], run: &Entry, rule: &Rule) -> Option<String> {
    let comparable: Vec<&Entry> = earlier.iter().filter(|e| e.comparable(run)).collect();
    let window = &comparable[comparable.len().saturating_sub(rule.window)..];
    let last = window.last()?;
    if !run.passed {
        return (rule.failure_after_pass && last.passed)
            .then(|| format!("failed after a passed drill ({})", last.at));
    }
    let factor = rule.ttc_factor?;
    let time = run.time_ms()?;
    let times: Vec<u64> = window
        .iter()
        .filter(|e| e.passed)
        .filter_map(|e| e.time_ms())
        .collect();
    if times.len() < rule.min_runs.max(1) {
        return None;
    }
    let median = median(&times)?;
    let slack = u64::try_from(rule.ttc_slack.as_millis()).unwrap_or(u64::MAX);
    #[allow(clippy::cast_precision_loss)]
    let worse = time as f64 > median as f64 * factor && time >= median.saturating_add(slack);
    worse.then(|| {
        format!(
            "{} {time} ms is over {factor}× the median {median} ms of the last {} comparable drills",
            if run.time_to_contain_ms.is_some() {
                "time to contain"
            } else {
                "time to lock"
            },
            times.len()
        )
    })
}

/// Why the check `run` is a regression against the checks before it (`earlier`, oldest first,
/// of any profile), or `None`: not ready after a check of the same profile that was.
pub fn judge_check(earlier: &[CheckEntry], run: &CheckEntry, rule: &Rule) -> Option<String> {
    if !rule.check_not_ready || run.readiness != "not_ready" {
        return None;
    }
    let last = earlier
        .iter()
        .rev()
        .find(|e| e.profile == run.profile && e.venue == run.venue)?;
    (last.readiness != "not_ready").then(|| {
        format!(
            "not ready after a check that was {} ({})",
            last.readiness.replace('_', " "),
            last.at
        )
    })
}

/// The median of `values` (the lower of the middle two for an even count: a time that was
/// measured, not one between two).
pub fn median(values: &[u64]) -> Option<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let middle = sorted.len().checked_sub(1)? / 2;
    sorted.get(middle).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drill(passed: bool, ttc: Option<u64>) -> Entry {
        Entry {
            at: "2026-12-01T00:00:00.000Z".into(),
            scenario: "pump-illiquid".into(),
            seed: 1,
            venue: "bybit".into(),
            faults: "none (latency 0 ms)".into(),
            profile: None,
            passed,
            time_to_contain_ms: ttc,
            lock_acknowledged_ms: ttc,
            false_positives: 0,
            missed: 0,
            drill_dir: "/d".into(),
            regressed: None,
        }
    }

    fn check(profile: &str, readiness: &str) -> CheckEntry {
        CheckEntry {
            kind: "check".into(),
            at: "2026-12-01T00:00:00.000Z".into(),
            profile: profile.into(),
            venue: "okx".into(),
            readiness: readiness.into(),
            warnings: 0,
            critical: usize::from(readiness == "not_ready"),
        }
    }

    #[test]
    fn medians() {
        let cases: [(&str, &[u64], Option<u64>); 4] = [
            ("none", &[], None),
            ("one", &[7], Some(7)),
            ("odd, unsorted", &[30, 10, 20], Some(20)),
            ("even: the lower middle", &[40, 10, 30, 20], Some(20)),
        ];
        for (label, values, expected) in cases {
            assert_eq!(median(values), expected, "{label}");
        }
    }

    #[test]
    fn drills_judged_against_their_comparable_past() {
        let fast = |n| vec![drill(true, Some(100)); n];
        let mut other_venue = drill(true, Some(100));
        other_venue.venue = "okx".into();
        let mut profiled = drill(true, Some(2000));
        profiled.profile = Some("main".into());
        let rule = Rule::default();
        let cases: Vec<(&str, Vec<Entry>, Entry, bool)> = vec![
            ("first run", vec![], drill(true, Some(9000)), false),
            ("first failure", vec![], drill(false, None), false),
            ("slow after fast", fast(3), drill(true, Some(1500)), true),
            (
                "too few earlier times",
                fast(2),
                drill(true, Some(1500)),
                false,
            ),
            (
                "over the factor, within the slack",
                fast(3),
                drill(true, Some(1000)),
                false,
            ),
            (
                "within the factor",
                vec![drill(true, Some(2000)); 3],
                drill(true, Some(2900)),
                false,
            ),
            ("a failure after a pass", fast(1), drill(false, None), true),
            (
                "a failure after a failure",
                vec![drill(true, Some(100)), drill(false, None)],
                drill(false, None),
                false,
            ),
            (
                "another venue's runs do not count",
                vec![other_venue; 5],
                drill(true, Some(1500)),
                false,
            ),
            (
                "a profile's runs do not count for the simulator's",
                vec![profiled; 5],
                drill(false, None),
                false,
            ),
            (
                "only the window counts: fast runs before it are forgotten",
                [fast(10), vec![drill(true, Some(2000)); 10]].concat(),
                drill(true, Some(2900)),
                false,
            ),
        ];
        for (label, earlier, run, regressed) in cases {
            let verdict = judge(&earlier, &run, &rule);
            assert_eq!(verdict.is_some(), regressed, "{label}: {verdict:?}");
        }
    }

    #[test]
    fn the_reason_names_the_time_and_the_median() {
        let earlier = vec![drill(true, Some(100)); 4];
        let reason = judge(&earlier, &drill(true, Some(1500)), &Rule::default()).unwrap();
        assert_eq!(
            reason,
            "time to contain 1500 ms is over 1.5× the median 100 ms of the last 4 comparable drills"
        );
    }

    #[test]
    fn rules_turned_off_judge_nothing() {
        let rule = Rule {
            ttc_factor: None,
            failure_after_pass: false,
            check_not_ready: false,
            ..Rule::default()
        };
        let fast = vec![drill(true, Some(100)); 5];
        assert_eq!(judge(&fast, &drill(true, Some(9000)), &rule), None);
        assert_eq!(judge(&fast, &drill(false, None), &rule), None);
        let ready = [check("main", "ready")];
        assert_eq!(
            judge_check(&ready, &check("main", "not_ready"), &rule),
            None
        );
    }

    #[test]
    fn checks_judged_against_the_profile_s_last_check() {
        let rule = Rule::default();
        let cases = [
            ("first check", vec![], "not_ready", None),
            (
                "not ready after ready",
                vec![check("main", "ready")],
                "not_ready",
                Some("not ready after a check that was ready (2026-12-01T00:00:00.000Z)"),
            ),
            (
                "not ready after warnings",
                vec![check("main", "warnings")],
                "not_ready",
                Some("not ready after a check that was warnings (2026-12-01T00:00:00.000Z)"),
            ),
            (
                "still not ready",
                vec![check("main", "ready"), check("main", "not_ready")],
                "not_ready",
                None,
            ),
            (
                "another profile was ready",
                vec![check("other", "ready")],
                "not_ready",
                None,
            ),
            (
                "warnings after ready",
                vec![check("main", "ready")],
                "warnings",
                None,
            ),
        ];
        for (label, earlier, readiness, expected) in cases {
            let verdict = judge_check(&earlier, &check("main", readiness), &rule);
            assert_eq!(verdict.as_deref(), expected, "{label}");
        }
    }
}
