//! One step's YAML mapping -> [`Step`]: its keys read one by one, its body (one action with
//! typed parameters, or a `parallel` group of such steps), and the keys that are in the wrong
//! place. Every problem is collected, none stops the others; a step with any problem is left
//! out of the playbook (validation then fails as a whole). What the step's templates and
//! references may read is checked afterwards, across steps (`references`).

use std::time::Duration;

use serde_yaml::{Mapping, Value};

use super::param_error::{locate_param_error, strip_location};
use super::validate::Flat;
use super::{OnError, Retry, Step, StepBody, StepId};
use crate::actions::ActionSpec;
use crate::clock;
use crate::source::{Problem, Source, Span, did_you_mean};
use crate::template;

/// The keys a step may have besides its action.
pub(super) const STEP_KEYS: &[&str] = &[
    "id",
    "name",
    "when",
    "timeout",
    "on_error",
    "retry",
    "parallel",
    "max_parallel",
];

/// Where a step sits and what it collects into: the file, the step's path (`steps[2]`,
/// `steps[1].parallel[0]`), the flat list of all steps, and the problems found.
pub(super) struct Walk<'a> {
    /// The playbook file.
    pub(super) source: &'a Source,
    /// Every step seen so far, in file order, for the checks across steps.
    pub(super) flat: &'a mut Vec<Flat>,
    /// Every problem found so far.
    pub(super) problems: &'a mut Vec<Problem>,
}

/// A step's own keys as read, before its body is built from them.
#[derive(Default)]
struct Keys<'v> {
    id: Option<StepId>,
    /// A key that looked like an action but is none: "no action" is not said again.
    unknown_action: bool,
    name: Option<String>,
    when: Option<String>,
    timeout: Option<Duration>,
    on_error: OnError,
    retry: Option<Retry>,
    max_parallel: Option<usize>,
    parallel: Option<&'v Value>,
    actions: Vec<(String, &'v Value)>,
}

/// Parses the step at `path` (a member of the group whose flat index is `group`, if any);
/// `None` when it has a problem, which is then in `walk.problems`.
pub(super) fn parse_step(
    walk: &mut Walk<'_>,
    value: &Value,
    path: &str,
    group: Option<usize>,
) -> Option<Step> {
    let source = walk.source;
    let Value::Mapping(map) = value else {
        walk.problems.push(
            source
                .problem_at(path, "a step is a mapping with an `id` and one action")
                .help(format!("actions: {}", ActionSpec::NAMES.join(", "))),
        );
        return None;
    };
    let at = |key: &str| format!("{path}.{key}");
    // Problems about the step as a whole point at its `id` key, the start of its entry.
    let step_span = source.key(&at("id")).or_else(|| source.locate(path));
    let before = walk.problems.len();
    let keys = read_keys(source, map, path, walk.problems);

    if keys.id.is_none() && !map.contains_key("id") {
        walk.problems.push(
            source
                .problem(step_span, "this step has no `id`")
                .help("add `id: <name>`; later steps read its outputs as `steps.<name>`"),
        );
    }

    let index = walk.flat.len();
    walk.flat.push(Flat {
        path: path.to_owned(),
        id: keys.id.as_ref().map(|id| id.as_str().to_owned()),
        action_key: keys.actions.first().map(|(name, _)| name.clone()),
        action: None,
        params: match keys.actions.as_slice() {
            [(_, params)] => Some((*params).clone()),
            _ => None,
        },
        when: keys.when.clone(),
        group,
    });

    let body = parse_body(walk, &keys, path, step_span, group, index);
    misplaced_keys(source, &keys, path, walk.problems);
    if walk.problems.len() > before {
        return None;
    }
    Some(Step {
        id: keys.id?,
        name: keys.name,
        when: keys.when,
        timeout: keys.timeout,
        on_error: keys.on_error,
        retry: keys.retry,
        body: body?,
    })
}

/// Reads each key of a step's mapping into [`Keys`]; a key that is wrong is a problem.
fn read_keys<'v>(
    source: &Source,
    map: &'v Mapping,
    path: &str,
    problems: &mut Vec<Problem>,
) -> Keys<'v> {
    let at = |key: &str| format!("{path}.{key}");
    let mut keys = Keys::default();
    for (key, item) in map {
        let Some(key) = key.as_str() else {
            problems.push(source.problem_at(path, "step keys must be plain words"));
            continue;
        };
        let text = |problems: &mut Vec<Problem>| match item {
            Value::String(text) => Some(text.clone()),
            _ => {
                problems.push(source.problem_at(&at(key), format!("`{key}` must be a string")));
                None
            }
        };
        match key {
            "id" => {
                if let Some(text) = text(problems) {
                    match StepId::parse(&text) {
                        Ok(step_id) => keys.id = Some(step_id),
                        Err(message) => problems.push(source.problem_at(&at("id"), message)),
                    }
                }
            }
            "name" => keys.name = text(problems),
            "when" => {
                if let Some(text) = text(problems) {
                    match template::check_syntax(&text) {
                        Ok(()) => keys.when = Some(text),
                        Err(message) => problems.push(source.problem_at(&at("when"), message)),
                    }
                }
            }
            "timeout" => {
                if let Some(text) = text(problems) {
                    match clock::parse_duration(&text) {
                        Ok(duration) => keys.timeout = Some(duration),
                        Err(message) => problems.push(source.problem_at(&at("timeout"), message)),
                    }
                }
            }
            "on_error" => match item.as_str() {
                Some("abort") => keys.on_error = OnError::Abort,
                Some("continue") => keys.on_error = OnError::Continue,
                _ => problems.push(
                    source
                        .problem_at(&at("on_error"), "`on_error` is `abort` or `continue`")
                        .help("`abort` stops the run; `continue` records the failure and goes on"),
                ),
            },
            "retry" => match read_retry(source, item, &at("retry")) {
                Ok(policy) => keys.retry = Some(policy),
                Err(problem) => problems.push(problem),
            },
            "max_parallel" => match item.as_u64() {
                Some(n) if n >= 1 => keys.max_parallel = usize::try_from(n).ok(),
                _ => problems.push(source.problem_at(
                    &at("max_parallel"),
                    "`max_parallel` is a whole number, at least 1",
                )),
            },
            "parallel" => keys.parallel = Some(item),
            other if ActionSpec::NAMES.contains(&other) => {
                keys.actions.push((other.to_owned(), item));
            }
            other => {
                // Actions take a mapping of parameters; a scalar is a misspelt step key.
                let action_like = matches!(item, Value::Mapping(_) | Value::Null);
                keys.unknown_action |= action_like;
                problems.push(unknown_key(source, &at(other), other, action_like));
            }
        }
    }
    keys
}

/// A step's `retry` policy at `at`, or the problem with it.
fn read_retry(source: &Source, item: &Value, at: &str) -> Result<Retry, Problem> {
    match serde_path_to_error::deserialize::<_, Retry>(item.clone()) {
        Ok(policy) if policy.attempts >= 1 => Ok(policy),
        Ok(_) => Err(source.problem_at(
            &format!("{at}.attempts"),
            "`attempts` counts the first try: at least 1",
        )),
        Err(err) => {
            let (param, hint) =
                locate_param_error(&err.inner().to_string(), &err.path().to_string());
            let full = if param.is_empty() || param == "." {
                at.to_owned()
            } else {
                format!("{at}.{param}")
            };
            let hint = hint.unwrap_or_else(|| {
                "write `retry: { attempts: 3, backoff: 200ms, max_backoff: 5s }`".into()
            });
            Err(source
                .problem_at(
                    &full,
                    format!("`retry`: {}", strip_location(&err.inner().to_string())),
                )
                .help(hint))
        }
    }
}

/// The problem with key `key` (at `at`), which is neither a step key nor an action: an unknown
/// action when it holds parameters (`action_like`), else a misspelt step key.
fn unknown_key(source: &Source, at: &str, key: &str, action_like: bool) -> Problem {
    let known = STEP_KEYS.iter().chain(ActionSpec::NAMES).copied();
    let hint = did_you_mean(key, known).unwrap_or_else(|| {
        format!(
            "a step has `id`, `name`, `when`, `timeout`, `on_error` and one action: {}",
            ActionSpec::NAMES.join(", ")
        )
    });
    let message = if action_like {
        format!("unknown action `{key}`")
    } else {
        format!("unknown key `{key}` in a step")
    };
    source
        .problem(source.key(at), message)
        .help(hint)
        .label("not an action or step key")
}

/// A step's body: its one action, or its `parallel` group (each member parsed as a step).
fn parse_body(
    walk: &mut Walk<'_>,
    keys: &Keys<'_>,
    path: &str,
    step_span: Option<Span>,
    group: Option<usize>,
    index: usize,
) -> Option<StepBody> {
    let source = walk.source;
    match (keys.parallel, keys.actions.as_slice()) {
        (Some(_), [_, ..]) => {
            walk.problems.push(source.problem(
                step_span,
                "a step has either `parallel` or an action, not both",
            ));
            None
        }
        (Some(list), []) => parse_group(walk, list, keys.max_parallel, path, group, index),
        (None, []) => {
            if !keys.unknown_action {
                walk.problems.push(
                    source
                        .problem(step_span, "this step has no action")
                        .help(format!("add one of: {}", ActionSpec::NAMES.join(", "))),
                );
            }
            None
        }
        (None, [(name, params)]) => match parse_action(source, name, params, path) {
            Ok(action) => {
                walk.flat[index].action = action.clone();
                action.map(StepBody::Action)
            }
            Err(problem) => {
                walk.problems.push(problem);
                None
            }
        },
        (None, [_, second, ..]) => {
            walk.problems.push(
                source
                    .problem(
                        source.key(&format!("{path}.{}", second.0)),
                        format!("a step has one action; this one also has `{}`", second.0),
                    )
                    .help("split it into two steps"),
            );
            None
        }
    }
}

/// A `parallel` group's members, parsed as steps of the group at flat index `index`.
fn parse_group(
    walk: &mut Walk<'_>,
    list: &Value,
    max_parallel: Option<usize>,
    path: &str,
    group: Option<usize>,
    index: usize,
) -> Option<StepBody> {
    let at = format!("{path}.parallel");
    if group.is_some() {
        let problem = walk
            .source
            .problem_at(&at, "`parallel` groups cannot be nested");
        walk.problems.push(problem);
        return None;
    }
    let Value::Sequence(items) = list else {
        let problem = walk.source.problem_at(&at, "`parallel` is a list of steps");
        walk.problems.push(problem);
        return None;
    };
    let mut members = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let member_path = format!("{path}.parallel[{i}]");
        if let Some(step) = parse_step(walk, item, &member_path, Some(index)) {
            members.push(step);
        }
    }
    Some(StepBody::Parallel {
        steps: members,
        max: max_parallel.unwrap_or(super::DEFAULT_MAX_PARALLEL),
    })
}

/// Action `name` with its parameters; `Ok(None)` for an action that is not known (said
/// already), the problem where a parameter is wrong.
fn parse_action(
    source: &Source,
    name: &str,
    params: &Value,
    path: &str,
) -> Result<Option<ActionSpec>, Problem> {
    let err = match ActionSpec::parse(name, params.clone()) {
        Some(Ok(action)) => return Ok(Some(action)),
        Some(Err(err)) => err,
        None => return Ok(None),
    };
    let (param_path, hint) = locate_param_error(&err.message, &err.path);
    let full = if param_path.is_empty() {
        format!("{path}.{name}")
    } else {
        format!("{path}.{name}.{param_path}")
    };
    // An unknown parameter is pointed at by its name, anything else by its value.
    let span = if err.message.starts_with("unknown field") {
        source.key(&full).or_else(|| source.locate(&full))
    } else {
        source.locate(&full)
    };
    let mut problem = source.problem(span, format!("`{name}`: {}", strip_location(&err.message)));
    if let Some(hint) = hint {
        problem = problem.help(hint);
    }
    Err(problem)
}

/// Keys a step has where they do nothing: `max_parallel` outside a group, `retry` or `timeout`
/// on a group rather than on its members.
fn misplaced_keys(source: &Source, keys: &Keys<'_>, path: &str, problems: &mut Vec<Problem>) {
    let at = |key: &str| format!("{path}.{key}");
    if keys.max_parallel.is_some() && keys.parallel.is_none() {
        problems.push(
            source
                .problem(
                    source.key(&at("max_parallel")),
                    "`max_parallel` belongs to a `parallel` group",
                )
                .help("set `retry`/`timeout` on the action step, `max_parallel` on its group"),
        );
    }
    if keys.parallel.is_some() && (keys.retry.is_some() || keys.timeout.is_some()) {
        let key = if keys.retry.is_some() {
            "retry"
        } else {
            "timeout"
        };
        problems.push(
            source
                .problem(
                    source.key(&at(key)),
                    format!("`{key}` belongs on the group's member steps"),
                )
                .help("each member of a `parallel` group has its own `retry` and `timeout`"),
        );
    }
}
