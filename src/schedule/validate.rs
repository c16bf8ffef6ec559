//! Checking a config's `schedules:` into [`Job`]s, every problem at once with its place.
//!
//! The cron is parsed by `croner` (five fields, or six with seconds first), the zone looked up
//! in the IANA database `chrono-tz` carries, and the command line parsed by the CLI's own clap
//! definitions, so a job that loads is a job that runs. Only [`SCHEDULABLE`] commands pass:
//! `respond` is the panic button and never runs unattended. A `rotate` job needs `--yes` (nobody
//! is there to confirm the revoke) and `--min-age` (else every run would rotate the key again).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use clap::{CommandFactory, FromArgMatches};
use croner::parser::{CronParser, Seconds, Year};

use super::Job;
use crate::cli::Cli;
use crate::config::RawSchedule;
use crate::source::{Problem, Problems, Source, did_you_mean};

/// The commands a schedule may run.
pub const SCHEDULABLE: &[&str] = &["drill", "check", "rotate", "audit", "scan"];

/// How long a run may take unless the job says.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Checks every schedule of a config; `config` is the file's absolute path (each job runs with
/// it as `--config`), `state_dirs` each profile's state folder.
pub fn validate(
    source: &Source,
    raw: &[RawSchedule],
    config: &Path,
    state_dirs: &BTreeMap<String, PathBuf>,
) -> Result<Vec<Job>, Problems> {
    let dir = config.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    let mut jobs = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in raw.iter().enumerate() {
        let at = |field: &str| format!("schedules[{i}].{field}");
        let before = problems.len();
        let name = entry.name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            problems.push(
                source
                    .problem_at(&at("name"), format!("`{name}` is not a schedule name"))
                    .help("letters, digits, `-` and `_` only: the name is part of the systemd units' names"),
            );
        } else if let Some(first) = names.insert(name, i) {
            let line = source
                .locate(&format!("schedules[{first}].name"))
                .map_or(0, |s| s.line);
            problems.push(
                source
                    .problem_at(
                        &at("name"),
                        format!("a schedule named `{name}` is already defined (line {line})"),
                    )
                    .help("give each schedule its own name"),
            );
        }
        let cron = parse_cron(&entry.cron).map_err(|err| {
            source
                .problem_at(&at("cron"), format!("`{}` is not a cron expression: {err}", entry.cron.trim()))
                .help("five fields `minute hour day month weekday`, or six with seconds first (`*/30 * * * * *`)")
        });
        let zone = match entry.timezone.as_deref().map(str::trim) {
            None => Ok(Tz::UTC),
            Some(text) => text.parse::<Tz>().map_err(|_| {
                let known = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
                let hint = did_you_mean(text, known).map_or_else(String::new, |m| format!("{m} "));
                source
                    .problem_at(&at("timezone"), format!("unknown time zone `{text}`"))
                    .help(format!(
                        "{hint}an IANA name such as `Europe/Berlin`, `America/New_York` or `UTC`"
                    ))
            }),
        };
        let cron = match (cron, zone) {
            (Ok(cron), Ok(zone)) => {
                let probe = chrono::Utc::now().with_timezone(&zone);
                if cron.find_next_occurrence(&probe, false).is_err() {
                    problems.push(
                        source
                            .problem_at(
                                &at("cron"),
                                format!("`{}` never comes due", entry.cron.trim()),
                            )
                            .help("check the day and month fields (no 30 February)"),
                    );
                    None
                } else {
                    Some((cron, zone))
                }
            }
            (cron, zone) => {
                problems.extend(cron.err());
                problems.extend(zone.err());
                None
            }
        };
        let jitter = duration(
            source,
            &at("jitter"),
            entry.jitter.as_deref(),
            Duration::ZERO,
            &mut problems,
        );
        let timeout = duration(
            source,
            &at("timeout"),
            entry.timeout.as_deref(),
            DEFAULT_TIMEOUT,
            &mut problems,
        );
        if timeout.is_some_and(|t| t.is_zero()) {
            problems.push(
                source
                    .problem_at(&at("timeout"), "a timeout of zero cancels every run")
                    .help("give the run time to finish, e.g. `30m`"),
            );
        }
        let history_dir = command(
            source,
            i,
            &entry.run,
            config,
            dir,
            state_dirs,
            &mut problems,
        );
        if problems.len() > before {
            continue;
        }
        let (Some((cron, zone)), Some(jitter), Some(timeout), Some(history_dir)) =
            (cron, jitter, timeout, history_dir)
        else {
            continue;
        };
        jobs.push(Job {
            name: name.to_owned(),
            cron_text: entry.cron.trim().to_owned(),
            cron,
            zone,
            run: entry.run.clone(),
            config: config.to_owned(),
            jitter,
            timeout,
            history_dir,
        });
    }
    if problems.is_empty() {
        Ok(jobs)
    } else {
        Err(Problems {
            file: source.name().to_owned(),
            problems,
        })
    }
}

/// The cron parser: seconds optional (a sixth field first), no year field.
pub(super) fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
        .parse(text.trim())
        .map_err(|err| lowercase_first(&err.to_string()))
}

fn lowercase_first(text: &str) -> String {
    let text = text.trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn duration(
    source: &Source,
    at: &str,
    text: Option<&str>,
    default: Duration,
    problems: &mut Vec<Problem>,
) -> Option<Duration> {
    let Some(text) = text else {
        return Some(default);
    };
    match humantime::parse_duration(text.trim()) {
        Ok(duration) => Some(duration),
        Err(err) => {
            problems.push(
                source
                    .problem_at(at, format!("`{}` is not a duration: {err}", text.trim()))
                    .help("a duration such as `90s`, `5m` or `1h 30m`"),
            );
            None
        }
    }
}

/// Checks a job's command line; where its history lines go.
fn command(
    source: &Source,
    i: usize,
    run: &[String],
    config: &Path,
    dir: &Path,
    state_dirs: &BTreeMap<String, PathBuf>,
    problems: &mut Vec<Problem>,
) -> Option<PathBuf> {
    let at = format!("schedules[{i}].run");
    let allowed = SCHEDULABLE
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    if run.is_empty() {
        problems.push(source.problem_at(&at, "`run` is empty").help(format!(
            "a lockdown command line as a list, e.g. `[drill, --venue, okx]`; {allowed}"
        )));
        return None;
    }
    if let Some(k) = run
        .iter()
        .position(|a| a == "--config" || a.starts_with("--config="))
    {
        problems.push(
            source
                .problem_at(
                    &format!("{at}[{k}]"),
                    "a job runs with the config it is written in",
                )
                .help("drop `--config` from `run`"),
        );
        return None;
    }
    // The subcommand is the first word that is not a flag (global flags take no value here).
    let word = run.iter().position(|a| !a.starts_with('-'));
    let known = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect::<Vec<_>>();
    if let Some(k) = word {
        let name = run[k].as_str();
        if known.iter().any(|c| c == name) && !SCHEDULABLE.contains(&name) {
            let why = if name == "respond" || name == "resume" {
                "the panic button never runs unattended"
            } else {
                "it is not a drill, a check or a rotation"
            };
            problems.push(
                source
                    .problem_at(
                        &format!("{at}[{k}]"),
                        format!("`{name}` cannot be scheduled: {why}"),
                    )
                    .help(format!("a schedule runs {allowed}")),
            );
            return None;
        }
    }
    let mut argv = vec![
        "lockdown".to_owned(),
        "--config".to_owned(),
        config.display().to_string(),
    ];
    argv.extend(run.iter().cloned());
    let matches = match Cli::command().try_get_matches_from(&argv) {
        Ok(matches) => matches,
        Err(err) => {
            problems.push(
                source
                    .problem_at(&at, format!("`run` is not a lockdown command line: {}", clap_message(&err)))
                    .help(format!("a schedule runs {allowed}, with the options you would type (`lockdown drill --help`)")),
            );
            return None;
        }
    };
    if let Err(err) = Cli::from_arg_matches(&matches) {
        problems.push(source.problem_at(&at, clap_message(&err)));
        return None;
    }
    let Some((name, sub)) = matches.subcommand() else {
        problems.push(source.problem_at(&at, "`run` names no command"));
        return None;
    };
    if !SCHEDULABLE.contains(&name) {
        problems.push(
            source
                .problem_at(&at, format!("`{name}` cannot be scheduled"))
                .help(format!("a schedule runs {allowed}")),
        );
        return None;
    }
    if name == "rotate" {
        let yes = sub.try_get_one::<bool>("yes").ok().flatten() == Some(&true);
        let aged = sub
            .try_get_one::<Duration>("min_age")
            .ok()
            .flatten()
            .is_some();
        if !yes || !aged {
            problems.push(
                source
                    .problem_at(&at, "a scheduled `rotate` needs `--yes` and `--min-age`")
                    .help("nobody is there to confirm the revoke, and without a minimum age every run rotates the key again: `[rotate, --key, ID, --min-age, 90d, --yes]`"),
            );
            return None;
        }
    }
    // The profiles it names exist in this file.
    // `drill --profile P` and `check --profile P…` (whose argument is named `profiles`).
    let profiles: Vec<String> = ["profile", "profiles"]
        .into_iter()
        .filter_map(|id| sub.try_get_many::<String>(id).ok().flatten())
        .flat_map(|values| values.cloned())
        .collect();
    for profile in &profiles {
        if !state_dirs.contains_key(profile) {
            let hint = did_you_mean(profile, state_dirs.keys().map(String::as_str));
            problems.push(
                source
                    .problem_at(&at, format!("no profile `{profile}` in this config"))
                    .help(hint.unwrap_or_else(|| {
                        format!(
                            "profiles in this file: {}",
                            state_dirs.keys().cloned().collect::<Vec<_>>().join(", ")
                        )
                    })),
            );
            return None;
        }
    }
    let explicit = sub.try_get_one::<PathBuf>("state_dir").ok().flatten();
    Some(match (explicit, profiles.first()) {
        (Some(path), _) => dir.join(path),
        (None, Some(profile)) => state_dirs[profile].clone(),
        (None, None) => crate::config::default_state_dir(),
    })
}

/// clap's message without its `error: ` prefix, usage and tips.
fn clap_message(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(schedule: &str) -> Vec<String> {
        let text = format!("profiles: {{}}\nschedules:\n{schedule}");
        let source = Source::new("c.yaml", text.clone());
        let raw = crate::config::parse_raw(&source).unwrap();
        match validate(
            &source,
            &raw,
            Path::new("/etc/lockdown/c.yaml"),
            &BTreeMap::new(),
        ) {
            Ok(_) => Vec::new(),
            Err(found) => found.problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn each_bad_field_is_named_at_its_place() {
        let cases = [
            (
                "good",
                "  - { name: a, cron: '0 3 * * *', run: [drill] }\n",
                "",
            ),
            (
                "a check",
                "  - { name: a, cron: '0 3 * * *', run: [check, --json] }\n",
                "",
            ),
            (
                "an audit",
                "  - { name: a, cron: '0 3 * * *', run: [audit, --json, --max-age-days, '30'] }\n",
                "",
            ),
            (
                "a scan of a repository's history",
                "  - { name: a, cron: '0 3 * * *', run: [scan, /srv/bot, --git, --json] }\n",
                "",
            ),
            (
                "an audit of a profile not in the file",
                "  - { name: a, cron: '0 3 * * *', run: [audit, --profile, main] }\n",
                "no profile `main` in this config",
            ),
            (
                "a check of a profile not in the file",
                "  - { name: a, cron: '0 3 * * *', run: [check, --profile, main] }\n",
                "no profile `main` in this config",
            ),
            (
                "empty run",
                "  - { name: a, cron: '0 3 * * *', run: [] }\n",
                "`run` is empty",
            ),
            (
                "own config",
                "  - { name: a, cron: '0 3 * * *', run: [drill, --config, x.yaml] }\n",
                "c.yaml:3:48: a job runs with the config it is written in",
            ),
            (
                "scheduler itself",
                "  - { name: a, cron: '0 3 * * *', run: [schedule, run] }\n",
                "`schedule` cannot be scheduled: it is not a drill, a check or a rotation",
            ),
            (
                "a rotation of keys older than 90 days",
                "  - { name: a, cron: '0 3 * * *', run: [rotate, --key, K, --min-age, 90d, --yes] }\n",
                "",
            ),
            (
                "a rotation without a minimum age",
                "  - { name: a, cron: '0 3 * * *', run: [rotate, --key, K, --yes] }\n",
                "a scheduled `rotate` needs `--yes` and `--min-age`",
            ),
            (
                "a rotation nobody confirms",
                "  - { name: a, cron: '0 3 * * *', run: [rotate, --key, K, --min-age, 90d] }\n",
                "a scheduled `rotate` needs `--yes` and `--min-age`",
            ),
            (
                "bad jitter",
                "  - { name: a, cron: '0 3 * * *', run: [drill], jitter: soon }\n",
                "`soon` is not a duration",
            ),
            (
                "zero timeout",
                "  - { name: a, cron: '0 3 * * *', run: [drill], timeout: 0s }\n",
                "a timeout of zero cancels every run",
            ),
            (
                "name with a space",
                "  - { name: 'my job', cron: '0 3 * * *', run: [drill] }\n",
                "`my job` is not a schedule name",
            ),
            (
                "never due",
                "  - { name: a, cron: '0 0 30 2 *', run: [drill] }\n",
                "never comes due",
            ),
            (
                "unknown drill option",
                "  - { name: a, cron: '0 3 * * *', run: [drill, --venue, mtgox] }\n",
                "`run` is not a lockdown command line",
            ),
        ];
        for (label, schedule, says) in cases {
            let found = problems(schedule);
            if says.is_empty() {
                assert!(found.is_empty(), "{label}: {found:?}");
            } else {
                assert!(found.iter().any(|p| p.contains(says)), "{label}: {found:?}");
            }
        }
    }
}
