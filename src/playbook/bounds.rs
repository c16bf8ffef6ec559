//! Bounds a playbook must keep that its types alone do not: durations within sane caps, a
//! number of steps a person can read, no empty `parallel` group, and no template reading an
//! input a run may not have.
//!
//! A zero `timeout` fails every step at once, a `backoff` of centuries stalls a response that
//! is racing an attacker, and a deadline past the end of time overflows the clock: each is an
//! error with its `file:line:col`, like every other playbook problem. Only values that parse
//! are checked here; one that does not is `validate`'s to report.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_yaml::Value;

use super::raw::RawPlaybook;
use crate::clock;
use crate::source::{Problem, Problems, Source};
use crate::template;

/// The longest `deadline`: a day.
pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// The longest step `timeout`: an hour.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// The longest `retry.backoff` and `retry.max_backoff`: ten minutes.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The most `retry.attempts`.
pub const MAX_ATTEMPTS: u64 = 100;

/// The most steps, `finally` and group members included.
pub const MAX_STEPS: usize = 1000;

/// Refuses a playbook with more than [`MAX_STEPS`] steps before any of them is checked.
pub fn check_step_count(source: &Source, raw: &RawPlaybook) -> Result<(), Problems> {
    let members = |step: &Value| match step.get("parallel") {
        Some(Value::Sequence(items)) => items.len(),
        _ => 0,
    };
    let count: usize = raw
        .steps
        .iter()
        .chain(&raw.finally)
        .map(|step| 1 + members(step))
        .sum();
    if count <= MAX_STEPS {
        return Ok(());
    }
    Err(Problems {
        file: source.name().to_owned(),
        problems: vec![
            source
                .problem(
                    source.key("steps"),
                    format!("{count} steps; a playbook has at most {MAX_STEPS}"),
                )
                .help("a response is a handful of steps; split the work into several playbooks"),
        ],
    })
}

/// Checks the bounds of every duration, `parallel` group and input a template reads.
pub fn check(source: &Source, raw: &RawPlaybook, problems: &mut Vec<Problem>) {
    if let Some(text) = &raw.deadline {
        duration(source, "deadline", text, MAX_DEADLINE, problems);
    }
    let steps = raw
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("steps[{i}]"), s));
    let finally = raw
        .finally
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("finally[{i}]"), s));
    for (path, step) in steps.chain(finally) {
        check_step(source, raw, &path, step, problems);
    }
}

fn check_step(
    source: &Source,
    raw: &RawPlaybook,
    path: &str,
    step: &Value,
    problems: &mut Vec<Problem>,
) {
    let Value::Mapping(map) = step else {
        return;
    };
    let at = |key: &str| format!("{path}.{key}");
    if let Some(Value::String(text)) = map.get("timeout") {
        duration(source, &at("timeout"), text, MAX_TIMEOUT, problems);
    }
    if let Some(Value::Mapping(retry)) = map.get("retry") {
        for key in ["backoff", "max_backoff"] {
            if let Some(Value::String(text)) = retry.get(key) {
                let path = format!("{path}.retry.{key}");
                let zero_ok = Some(Duration::ZERO);
                bounded(source, &path, key, text, zero_ok, MAX_BACKOFF, problems);
            }
        }
        if let Some(attempts) = retry.get("attempts").and_then(Value::as_u64)
            && attempts > MAX_ATTEMPTS
        {
            problems.push(
                source
                    .problem_at(
                        &format!("{path}.retry.attempts"),
                        format!("{attempts} attempts; a step is tried at most {MAX_ATTEMPTS} times"),
                    )
                    .help("a few attempts with backoff ride out a transient failure; more only delay the response"),
            );
        }
    }
    if let Some(group) = map.get("parallel") {
        if let Value::Sequence(members) = group {
            if members.is_empty() {
                problems.push(
                    source
                        .problem_at(&at("parallel"), "this `parallel` group has no steps")
                        .help(
                            "list the steps to run together under `parallel:`, or drop the group",
                        ),
                );
            }
            for (i, member) in members.iter().enumerate() {
                check_step(
                    source,
                    raw,
                    &format!("{path}.parallel[{i}]"),
                    member,
                    problems,
                );
            }
        }
        return;
    }
    for (key, value) in map {
        let Some(key) = key.as_str() else {
            continue;
        };
        if matches!(
            key,
            "id" | "name" | "timeout" | "on_error" | "retry" | "max_parallel"
        ) {
            continue;
        }
        inputs_read(source, raw, &at(key), value, problems);
    }
}

/// Reports each input a template under `value` reads that a run may not have: declared, but
/// neither `required` nor given a `default`.
fn inputs_read(
    source: &Source,
    raw: &RawPlaybook,
    path: &str,
    value: &Value,
    problems: &mut Vec<Problem>,
) {
    match value {
        Value::String(text) if template::is_template(text) => {
            let optional: BTreeSet<String> = template::references(text)
                .into_iter()
                .filter_map(|name| {
                    let mut parts = name.split('.');
                    (parts.next() == Some("inputs")).then(|| parts.next().map(str::to_owned))?
                })
                .filter(|name| {
                    raw.inputs
                        .get(name)
                        .is_some_and(|input| !input.required && input.default.is_none())
                })
                .collect();
            for name in optional {
                problems.push(
                    source
                        .problem_at(
                            path,
                            format!(
                                "input `{name}` is read here but is neither `required` nor given a `default`"
                            ),
                        )
                        .help(format!(
                            "under `inputs.{name}`, add `required: true` or a `default:`, so that a run without it stops before anything is sent"
                        )),
                );
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                inputs_read(source, raw, &format!("{path}[{i}]"), item, problems);
            }
        }
        Value::Mapping(map) => {
            for (key, item) in map {
                if let Some(key) = key.as_str() {
                    inputs_read(source, raw, &format!("{path}.{key}"), item, problems);
                }
            }
        }
        _ => {}
    }
}

/// A `deadline` or `timeout`: above zero and at most `max`.
fn duration(source: &Source, path: &str, text: &str, max: Duration, problems: &mut Vec<Problem>) {
    let name = path.rsplit('.').next().unwrap_or(path);
    bounded(source, path, name, text, None, max, problems);
}

/// A duration at most `max`; zero only where `zero` allows it.
fn bounded(
    source: &Source,
    path: &str,
    name: &str,
    text: &str,
    zero: Option<Duration>,
    max: Duration,
    problems: &mut Vec<Problem>,
) {
    let Ok(value) = clock::parse_duration(text) else {
        return;
    };
    let shown = humantime::format_duration(max);
    if value.is_zero() && zero.is_none() {
        problems.push(
            source
                .problem_at(path, format!("a `{name}` of zero ends at once"))
                .help(format!("write a duration above zero, at most {shown}")),
        );
    } else if value > max {
        problems.push(
            source
                .problem_at(
                    path,
                    format!("`{name}` is `{}`; at most {shown}", text.trim()),
                )
                .help(format!(
                    "write a duration up to {shown}, such as `30s` or `5m`"
                )),
        );
    }
}

#[cfg(test)]
mod tests {
    const HEAD: &str = "version: 1\nname: t\nexchange: bybit\ninputs:\n  key: { required: true }\n  maybe: {}\n  since: { default: 7d }\n";

    fn problems(body: &str) -> Vec<String> {
        match super::super::parse("t.yaml", &format!("{HEAD}{body}")) {
            Ok(_) => Vec::new(),
            Err(all) => all
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.location(), p.message()))
                .collect(),
        }
    }

    #[test]
    fn out_of_bounds_values_are_errors_at_their_place() {
        let step = "  - id: a\n    report: {}\n";
        for (label, body, want) in [
            (
                "huge deadline",
                format!("deadline: '300000000000y'\nsteps:\n{step}"),
                "t.yaml:8:11: ",
            ),
            ("zero deadline", format!("deadline: 0s\nsteps:\n{step}"), "t.yaml:8:11: a `deadline` of zero"),
            ("long deadline", format!("deadline: 25h\nsteps:\n{step}"), "t.yaml:8:11: `deadline` is `25h`; at most 1day"),
            (
                "zero timeout",
                "steps:\n  - id: a\n    timeout: 0ms\n    report: {}\n".to_owned(),
                "t.yaml:10:14: a `timeout` of zero",
            ),
            (
                "long timeout",
                "steps:\n  - id: a\n    timeout: 2h\n    report: {}\n".to_owned(),
                "t.yaml:10:14: `timeout` is `2h`; at most 1h",
            ),
            (
                "centuries of backoff",
                "steps:\n  - id: a\n    retry: { attempts: 2, backoff: 300000000000y }\n    report: {}\n".to_owned(),
                "t.yaml:10:",
            ),
            (
                "long max_backoff in a group member",
                "steps:\n  - id: g\n    parallel:\n      - id: a\n        retry: { attempts: 2, max_backoff: 11m }\n        report: {}\n".to_owned(),
                "t.yaml:12:44: `max_backoff` is `11m`; at most 10m",
            ),
            (
                "many attempts",
                "steps:\n  - id: a\n    retry: { attempts: 1000000 }\n    report: {}\n".to_owned(),
                "t.yaml:10:24: 1000000 attempts",
            ),
            (
                "empty parallel group",
                "steps:\n  - id: g\n    parallel: []\n".to_owned(),
                "t.yaml:10:15: this `parallel` group has no steps",
            ),
            (
                "an optional input read by a template",
                "steps:\n  - id: a\n    restrict_key: { key: \"{{ inputs.maybe }}\" }\n".to_owned(),
                "t.yaml:10:26: input `maybe` is read here but is neither `required` nor given a `default`",
            ),
            (
                "in a `when`",
                "steps:\n  - id: a\n    when: \"{{ inputs.maybe == 'x' }}\"\n    report: {}\n".to_owned(),
                "t.yaml:10:11: input `maybe`",
            ),
        ] {
            let found = problems(&body);
            assert!(
                found.iter().any(|p| p.contains(want)),
                "{label}: wanted `{want}` in {found:#?}"
            );
        }
    }

    #[test]
    fn values_within_bounds_pass() {
        let body = "deadline: 24h\nsteps:\n  - id: a\n    timeout: 1h\n    retry: { attempts: 100, backoff: 0s, max_backoff: 10m }\n    when: \"{{ inputs.since and inputs.key }}\"\n    report: {}\n";
        assert_eq!(problems(body), Vec::<String>::new());
    }

    #[test]
    fn too_many_steps_are_refused_before_they_are_read() {
        let steps: String = (0..=super::MAX_STEPS)
            .map(|i| format!("  - {{ id: s{i}, report: {{}} }}\n"))
            .collect();
        let found = problems(&format!("steps:\n{steps}"));
        assert_eq!(
            found,
            ["t.yaml:8:1: 1001 steps; a playbook has at most 1000"]
        );
    }
}
