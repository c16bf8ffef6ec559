//! The config's `history:` section, validated: the regression rule, and where each profile's
//! history lives.
//!
//! Read apart from the profiles (`drill` needs no valid profile: a drill of the simulator's own
//! setup must not fail on a typo in a profile it never uses), with every problem of the section
//! reported at once, at its place in the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::credential::resolve_path;
use super::raw::{RawHistoryView, RawRegression};
use crate::drill::history::Rule;
use crate::source::{Problem, Problems, Source};

/// What the history needs of a config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistorySettings {
    /// When a run counts as regressed (the defaults where the config says nothing).
    pub rule: Rule,
    /// Each profile's state folder, where its drills' and checks' history is.
    pub state_dirs: BTreeMap<String, PathBuf>,
}

/// Validates what was read of the file at `source` (in folder `dir`).
pub(super) fn validate(
    source: &Source,
    raw: &RawHistoryView,
    dir: &Path,
) -> Result<HistorySettings, Problems> {
    let mut problems = Vec::new();
    let rule = match raw.history.as_ref().and_then(|h| h.regression.as_ref()) {
        Some(regression) => rule(source, regression, &mut problems),
        None => Rule::default(),
    };
    if !problems.is_empty() {
        return Err(Problems {
            file: source.name().to_owned(),
            problems,
        });
    }
    let state_dirs = raw
        .profiles
        .iter()
        .map(|(name, profile)| {
            let dir = profile
                .state_dir
                .as_deref()
                .map(|text| resolve_path(text, dir))
                .unwrap_or_else(super::default_state_dir);
            (name.clone(), dir)
        })
        .collect();
    Ok(HistorySettings { rule, state_dirs })
}

fn rule(source: &Source, raw: &RawRegression, problems: &mut Vec<Problem>) -> Rule {
    let defaults = Rule::default();
    let at = |field: &str| format!("history.regression.{field}");
    let mut problem = |field: &str, message: String, help: &str| {
        problems.push(source.problem_at(&at(field), message).help(help));
    };
    let window = raw.window.unwrap_or(defaults.window);
    if window == 0 {
        problem(
            "window",
            "`window` must be at least 1".to_owned(),
            "how many of the latest comparable drills a drill is compared with, e.g. `10`",
        );
    }
    let min_runs = raw.min_runs.unwrap_or(defaults.min_runs);
    if min_runs == 0 || min_runs > window {
        problem(
            "min_runs",
            format!("`min_runs` must be between 1 and the window ({window})"),
            "the fewest earlier times a median is taken of, e.g. `3`",
        );
    }
    let ttc_factor = match raw.ttc_factor {
        None => defaults.ttc_factor,
        Some(factor) if factor.is_finite() && factor >= 1.0 => Some(factor),
        // `0` turns the time rule off.
        Some(factor) if factor.abs() < f64::EPSILON => None,
        Some(factor) => {
            problem(
                "ttc_factor",
                format!("`ttc_factor` {factor} is below 1"),
                "a time above the median times this is a regression, e.g. `1.5` (`0`: off)",
            );
            defaults.ttc_factor
        }
    };
    let ttc_slack = match raw.ttc_slack.as_deref() {
        None => defaults.ttc_slack,
        Some(text) => crate::clock::parse_duration(text).unwrap_or_else(|message| {
            problem(
                "ttc_slack",
                message,
                "how far above the median a time must also be, e.g. `1s`",
            );
            defaults.ttc_slack
        }),
    };
    Rule {
        window,
        ttc_factor,
        ttc_slack,
        min_runs,
        failure_after_pass: raw
            .failure_after_pass
            .unwrap_or(defaults.failure_after_pass),
        check_not_ready: raw.check_not_ready.unwrap_or(defaults.check_not_ready),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn load(
        text: &str,
    ) -> (
        tempfile::TempDir,
        Result<HistorySettings, crate::config::ConfigError>,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, text).unwrap();
        let loaded = crate::config::load_history(Some(&path));
        (dir, loaded)
    }

    #[test]
    fn the_section_read_with_defaults_for_what_it_leaves_out() {
        let (dir, loaded) = load(
            "profiles:\n  main:\n    exchange: okx\n    state_dir: state\n    unknown_to_history: 1\nhistory:\n  regression:\n    ttc_factor: 0\n    ttc_slack: 2s\n    window: 5\n",
        );
        let settings = loaded.unwrap();
        assert_eq!(
            settings.rule,
            Rule {
                window: 5,
                ttc_factor: None,
                ttc_slack: Duration::from_secs(2),
                ..Rule::default()
            }
        );
        assert_eq!(settings.state_dirs["main"], dir.path().join("state"));
        let (_dir, loaded) = load("profiles: {}\n");
        assert_eq!(loaded.unwrap(), HistorySettings::default());
    }

    #[test]
    fn every_problem_of_the_section_at_its_place() {
        let (_dir, loaded) = load(
            "profiles: {}\nhistory:\n  regression:\n    window: 0\n    ttc_factor: 0.5\n    ttc_slack: soon\n",
        );
        let Err(crate::config::ConfigError::Invalid(problems)) = loaded else {
            panic!("{loaded:?}");
        };
        let places: Vec<(&str, &str)> = problems
            .problems
            .iter()
            .map(|p| (p.location().rsplit_once(".yaml:").unwrap().1, p.message()))
            .collect();
        assert_eq!(places.len(), 4, "{places:?}");
        assert_eq!(places[0], ("4:13", "`window` must be at least 1"));
        assert!(
            places[1].1.contains("between 1 and the window"),
            "{places:?}"
        );
        assert_eq!(places[2], ("5:17", "`ttc_factor` 0.5 is below 1"));
        assert_eq!(places[3].0, "6:16");
        let (_dir, loaded) = load("profiles: {}\nhistory:\n  regresion: {}\n");
        assert!(
            matches!(loaded, Err(crate::config::ConfigError::Invalid(_))),
            "a misspelt key: {loaded:?}"
        );
    }

    #[test]
    fn a_named_config_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.yaml");
        assert!(matches!(
            crate::config::load_history(Some(&missing)),
            Err(crate::config::ConfigError::NotFound { .. })
        ));
    }
}
