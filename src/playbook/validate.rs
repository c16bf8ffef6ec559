//! Raw playbook -> [`Playbook`]: every check, every problem at once.

use std::collections::{BTreeSet, HashMap};

use serde_yaml::Value;

use super::raw::RawPlaybook;
use super::{Input, OnError, Playbook, Step, StepBody, StepId};
use crate::actions::ActionSpec;
use crate::clock;
use crate::config::TEMPLATE_FIELDS;
use crate::exchanges::ExchangeId;
use crate::source::{Problem, Problems, Source, did_you_mean};
use crate::template::{self, ROOTS};

/// The keys a step may have besides its action.
const STEP_KEYS: &[&str] = &[
    "id",
    "name",
    "when",
    "timeout",
    "on_error",
    "retry",
    "parallel",
    "max_parallel",
];

/// What templates may read of `run`.
const RUN_FIELDS: &[&str] = &["id", "dir", "started_at", "playbook"];

/// Names that mark a secret: templates may not read anything so named.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "passphrase",
    "password",
    "master",
    "token",
    "credential",
];

/// A step as the semantic checks see it, with where it sits in the file.
struct Flat {
    path: String,
    id: Option<String>,
    action_key: Option<String>,
    action: Option<ActionSpec>,
    when: Option<String>,
    group: Option<usize>,
}

/// Validates a raw playbook.
pub fn validate(source: &Source, raw: RawPlaybook) -> Result<Playbook, Problems> {
    let mut problems: Vec<Problem> = Vec::new();
    super::bounds::check(source, &raw, &mut problems);
    if raw.version != 1 {
        problems.push(
            source
                .problem_at(
                    "version",
                    format!("unknown playbook version {}", raw.version),
                )
                .help("this lockdown reads `version: 1`"),
        );
    }
    let exchange = ExchangeId::parse(&raw.exchange);
    if exchange.is_none() {
        let names: Vec<&str> = ExchangeId::ALL.iter().map(|id| id.as_str()).collect();
        problems.push(
            source
                .problem_at(
                    "exchange",
                    format!("`{}` is not a supported exchange", raw.exchange),
                )
                .help(
                    did_you_mean(&raw.exchange, names.iter().copied())
                        .unwrap_or_else(|| format!("supported: {}", names.join(", "))),
                ),
        );
    }
    let inputs: Vec<Input> = raw
        .inputs
        .iter()
        .map(|(name, input)| Input {
            name: name.clone(),
            required: input.required,
            default: input.default.clone(),
            description: input.description.clone(),
        })
        .collect();

    let mut flat: Vec<Flat> = Vec::new();
    let mut steps = Vec::new();
    for (i, value) in raw.steps.iter().enumerate() {
        let path = format!("steps[{i}]");
        if let Some(step) = parse_step(source, value, &path, None, &mut flat, &mut problems) {
            steps.push(step);
        }
    }
    let mut finally = Vec::new();
    for (i, value) in raw.finally.iter().enumerate() {
        let path = format!("finally[{i}]");
        if let Some(step) = parse_step(source, value, &path, None, &mut flat, &mut problems) {
            finally.push(step);
        }
    }
    let deadline = match &raw.deadline {
        None => None,
        Some(text) => match clock::parse_duration(text) {
            Ok(deadline) => Some(deadline),
            Err(message) => {
                problems.push(source.problem_at("deadline", message));
                None
            }
        },
    };
    if raw.steps.is_empty() {
        problems.push(source.problem_at("steps", "a playbook needs at least one step"));
    }
    check_semantics(source, &flat, &inputs, &mut problems);

    match (problems.is_empty(), exchange) {
        (true, Some(exchange)) => Ok(Playbook {
            name: raw.name,
            description: raw.description,
            exchange,
            inputs,
            steps,
            finally,
            deadline,
            origin: source.name().to_owned(),
            sha256: super::text_sha256(source.text()),
        }),
        _ => {
            problems.sort_by_key(|p| location_order(p.location()));
            Err(Problems {
                file: source.name().to_owned(),
                problems,
            })
        }
    }
}

fn location_order(location: &str) -> (usize, usize) {
    let mut parts = location.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (line, col)
}

fn parse_step(
    source: &Source,
    value: &Value,
    path: &str,
    group: Option<usize>,
    flat: &mut Vec<Flat>,
    problems: &mut Vec<Problem>,
) -> Option<Step> {
    let Value::Mapping(map) = value else {
        problems.push(
            source
                .problem_at(path, "a step is a mapping with an `id` and one action")
                .help(format!("actions: {}", ActionSpec::NAMES.join(", "))),
        );
        return None;
    };
    let at = |key: &str| format!("{path}.{key}");
    // Problems about the step as a whole point at its `id` key, the start of its entry.
    let step_span = source.key(&at("id")).or_else(|| source.locate(path));
    let mut id = None;
    let mut unknown_action = false;
    let mut name = None;
    let mut when = None;
    let mut timeout = None;
    let mut on_error = OnError::Abort;
    let mut retry = None;
    let mut max_parallel = None;
    let mut parallel: Option<&Value> = None;
    let mut actions: Vec<(String, &Value)> = Vec::new();
    let before = problems.len();

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
                        Ok(step_id) => id = Some(step_id),
                        Err(message) => problems.push(source.problem_at(&at("id"), message)),
                    }
                }
            }
            "name" => name = text(problems),
            "when" => {
                if let Some(text) = text(problems) {
                    match template::check_syntax(&text) {
                        Ok(()) => when = Some(text),
                        Err(message) => problems.push(source.problem_at(&at("when"), message)),
                    }
                }
            }
            "timeout" => {
                if let Some(text) = text(problems) {
                    match clock::parse_duration(&text) {
                        Ok(duration) => timeout = Some(duration),
                        Err(message) => problems.push(source.problem_at(&at("timeout"), message)),
                    }
                }
            }
            "on_error" => match item.as_str() {
                Some("abort") => on_error = OnError::Abort,
                Some("continue") => on_error = OnError::Continue,
                _ => problems.push(
                    source
                        .problem_at(&at("on_error"), "`on_error` is `abort` or `continue`")
                        .help("`abort` stops the run; `continue` records the failure and goes on"),
                ),
            },
            "retry" => match serde_path_to_error::deserialize::<_, super::Retry>(item.clone()) {
                Ok(policy) if policy.attempts >= 1 => retry = Some(policy),
                Ok(_) => problems.push(source.problem_at(
                    &at("retry.attempts"),
                    "`attempts` counts the first try: at least 1",
                )),
                Err(err) => {
                    let (param, hint) =
                        locate_param_error(&err.inner().to_string(), &err.path().to_string());
                    let full = if param.is_empty() || param == "." {
                        at("retry")
                    } else {
                        format!("{}.{param}", at("retry"))
                    };
                    let mut problem = source.problem_at(
                        &full,
                        format!("`retry`: {}", strip_location(&err.inner().to_string())),
                    );
                    if let Some(hint) = hint.or_else(|| {
                        Some(
                            "write `retry: { attempts: 3, backoff: 200ms, max_backoff: 5s }`"
                                .into(),
                        )
                    }) {
                        problem = problem.help(hint);
                    }
                    problems.push(problem);
                }
            },
            "max_parallel" => match item.as_u64() {
                Some(n) if n >= 1 => max_parallel = usize::try_from(n).ok(),
                _ => problems.push(source.problem_at(
                    &at("max_parallel"),
                    "`max_parallel` is a whole number, at least 1",
                )),
            },
            "parallel" => parallel = Some(item),
            other if ActionSpec::NAMES.contains(&other) => actions.push((other.to_owned(), item)),
            other => {
                let known = STEP_KEYS.iter().chain(ActionSpec::NAMES).copied();
                let hint = did_you_mean(other, known).unwrap_or_else(|| {
                    format!(
                        "a step has `id`, `name`, `when`, `timeout`, `on_error` and one action: {}",
                        ActionSpec::NAMES.join(", ")
                    )
                });
                // Actions take a mapping of parameters; a scalar is a misspelt step key.
                let message = if matches!(item, Value::Mapping(_) | Value::Null) {
                    unknown_action = true;
                    format!("unknown action `{other}`")
                } else {
                    format!("unknown key `{other}` in a step")
                };
                problems.push(
                    source
                        .problem(source.key(&at(other)), message)
                        .help(hint)
                        .label("not an action or step key"),
                );
            }
        }
    }

    if id.is_none() && !map.contains_key("id") {
        problems.push(
            source
                .problem(step_span, "this step has no `id`")
                .help("add `id: <name>`; later steps read its outputs as `steps.<name>`"),
        );
    }

    let index = flat.len();
    flat.push(Flat {
        path: path.to_owned(),
        id: id.as_ref().map(|id| id.as_str().to_owned()),
        action_key: actions.first().map(|(name, _)| name.clone()),
        action: None,
        when: when.clone(),
        group,
    });

    let body = match (parallel, actions.as_slice()) {
        (Some(_), [_, ..]) => {
            problems.push(source.problem(
                step_span,
                "a step has either `parallel` or an action, not both",
            ));
            None
        }
        (Some(list), []) => {
            if group.is_some() {
                problems
                    .push(source.problem_at(&at("parallel"), "`parallel` groups cannot be nested"));
                None
            } else if let Value::Sequence(items) = list {
                let mut members = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let member_path = format!("{path}.parallel[{i}]");
                    if let Some(step) =
                        parse_step(source, item, &member_path, Some(index), flat, problems)
                    {
                        members.push(step);
                    }
                }
                Some(StepBody::Parallel {
                    steps: members,
                    max: max_parallel.unwrap_or(super::DEFAULT_MAX_PARALLEL),
                })
            } else {
                problems.push(source.problem_at(&at("parallel"), "`parallel` is a list of steps"));
                None
            }
        }
        (None, []) => {
            if !unknown_action {
                problems.push(
                    source
                        .problem(step_span, "this step has no action")
                        .help(format!("add one of: {}", ActionSpec::NAMES.join(", "))),
                );
            }
            None
        }
        (None, [(name, params)]) => match ActionSpec::parse(name, (*params).clone()) {
            Some(Ok(action)) => {
                flat[index].action = Some(action.clone());
                Some(StepBody::Action(action))
            }
            Some(Err(err)) => {
                let (param_path, hint) = locate_param_error(&err.message, &err.path);
                let full = if param_path.is_empty() {
                    at(name)
                } else {
                    format!("{}.{param_path}", at(name))
                };
                // An unknown parameter is pointed at by its name, anything else by its value.
                let span = if err.message.starts_with("unknown field") {
                    source.key(&full).or_else(|| source.locate(&full))
                } else {
                    source.locate(&full)
                };
                let mut problem =
                    source.problem(span, format!("`{name}`: {}", strip_location(&err.message)));
                if let Some(hint) = hint {
                    problem = problem.help(hint);
                }
                problems.push(problem);
                None
            }
            None => None,
        },
        (None, [_, second, ..]) => {
            problems.push(
                source
                    .problem(
                        source.key(&at(&second.0)),
                        format!("a step has one action; this one also has `{}`", second.0),
                    )
                    .help("split it into two steps"),
            );
            None
        }
    };

    if max_parallel.is_some() && parallel.is_none() {
        problems.push(
            source
                .problem(
                    source.key(&at("max_parallel")),
                    "`max_parallel` belongs to a `parallel` group",
                )
                .help("set `retry`/`timeout` on the action step, `max_parallel` on its group"),
        );
    }
    if parallel.is_some() && (retry.is_some() || timeout.is_some()) {
        let key = if retry.is_some() { "retry" } else { "timeout" };
        problems.push(
            source
                .problem(
                    source.key(&at(key)),
                    format!("`{key}` belongs on the group's member steps"),
                )
                .help("each member of a `parallel` group has its own `retry` and `timeout`"),
        );
    }
    if problems.len() > before {
        return None;
    }
    Some(Step {
        id: id?,
        name,
        when,
        timeout,
        on_error,
        retry,
        body: body?,
    })
}

/// serde's messages sometimes end in a location of their own; ours is shown separately.
fn strip_location(message: &str) -> &str {
    match message.find(" at line ") {
        Some(cut) => &message[..cut],
        None => message,
    }
}

/// Where an action-parameter error points, and a hint for it.
fn locate_param_error(message: &str, path: &str) -> (String, Option<String>) {
    let mut path = path.to_owned();
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        // serde_path_to_error names the field itself in some versions, not in others.
        let named = path == field || path.ends_with(&format!(".{field}"));
        if !named {
            path = if path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
        }
    }
    (path, serde_hint(message))
}

/// A hint for serde's "unknown field/variant" messages: the closest expected name.
pub fn serde_hint(message: &str) -> Option<String> {
    let (kind, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("field", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        ("variant", rest)
    } else {
        return None;
    };
    let name = rest.split('`').next()?;
    if kind == "variant" && name.to_ascii_lowercase().contains("withdraw") {
        return Some(
            "replacement keys never get a withdrawal permission; lockdown cannot express one"
                .to_owned(),
        );
    }
    let expected: Vec<&str> = rest
        .split_once("expected")
        .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default();
    did_you_mean(name, expected.iter().copied()).or_else(|| {
        (!expected.is_empty()).then(|| format!("expected one of: {}", expected.join(", ")))
    })
}

fn check_semantics(source: &Source, flat: &[Flat], inputs: &[Input], problems: &mut Vec<Problem>) {
    let mut first_seen: HashMap<&str, &str> = HashMap::new();
    for step in flat {
        let Some(id) = step.id.as_deref() else {
            continue;
        };
        match first_seen.get(id) {
            Some(first) => {
                let line = source.locate(&format!("{first}.id")).map_or(0, |s| s.line);
                problems.push(
                    source
                        .problem_at(
                            &format!("{}.id", step.path),
                            format!("duplicate step id `{id}`"),
                        )
                        .help(format!(
                            "the first `{id}` is on line {line}; ids must be unique"
                        )),
                );
            }
            None => {
                first_seen.insert(id, &step.path);
            }
        }
    }

    let input_names: BTreeSet<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
    for (index, step) in flat.iter().enumerate() {
        // Steps this one may read: earlier action steps outside its own parallel group.
        let earlier: HashMap<&str, &Flat> = flat[..index]
            .iter()
            .filter(|s| s.action.is_some())
            .filter(|s| step.group.is_none() || s.group != step.group)
            .filter_map(|s| s.id.as_deref().map(|id| (id, s)))
            .collect();
        let mut templates: Vec<(String, String)> = Vec::new();
        if let Some(when) = &step.when {
            templates.push((format!("{}.when", step.path), when.clone()));
        }
        if let (Some(action), Some(key)) = (&step.action, &step.action_key) {
            for (param, text) in action.templates() {
                let at = if param.is_empty() {
                    format!("{}.{key}", step.path)
                } else {
                    format!("{}.{key}.{param}", step.path)
                };
                templates.push((at, text));
            }
            for reference in action.step_refs() {
                let at = format!("{}.{key}.{}", step.path, reference.param);
                match earlier.get(reference.step.as_str()) {
                    None => problems.push(
                        source
                            .problem_at(&at, format!("no earlier step `{}`", reference.step))
                            .help(format!(
                                "`{}` must name a `{}` step that runs before this one",
                                reference.param, reference.action
                            )),
                    ),
                    Some(target) => {
                        let action = target.action.as_ref().map(ActionSpec::name);
                        if action != Some(reference.action) {
                            problems.push(source.problem_at(
                                &at,
                                format!(
                                    "step `{}` is a `{}` step, not `{}`",
                                    reference.step,
                                    action.unwrap_or("parallel"),
                                    reference.action
                                ),
                            ));
                        }
                    }
                }
            }
        }
        for (at, text) in templates {
            for name in template::references(&text) {
                if let Some(message) = reference_problem(&name, &input_names, &earlier) {
                    problems.push(
                        source
                            .problem_at(&at, format!("template `{text}`: {message}"))
                            .help("templates read `inputs.<name>`, `profile.<field>`, `run.<field>` and `steps.<earlier id>.<output>`"),
                    );
                }
            }
        }
    }
}

/// A read of `steps.<id>.<output>` where step `id` never produces `output`: such a template
/// would fail at run time (a `when` that fails is a failed step, not a skip).
fn output_problem(
    step: &str,
    output: Option<&str>,
    earlier: &HashMap<&str, &Flat>,
) -> Option<String> {
    let output = output?;
    let action = earlier.get(step)?.action.as_ref()?;
    let known = action
        .outputs()
        .iter()
        .chain(crate::actions::MANUAL_OUTPUTS);
    if known.clone().any(|o| *o == output) {
        return None;
    }
    Some(format!(
        "step `{step}` ({}) has no output `{output}`{}; it has: {}",
        action.name(),
        did_you_mean(output, known.clone().copied())
            .map(|h| format!("; {h}"))
            .unwrap_or_default(),
        action.outputs().join(", ")
    ))
}

fn reference_problem(
    name: &str,
    inputs: &BTreeSet<&str>,
    earlier: &HashMap<&str, &Flat>,
) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.iter().any(|part| {
        SECRET_WORDS
            .iter()
            .any(|word| part.to_ascii_lowercase().contains(word))
    }) {
        return Some(format!(
            "`{name}` names a secret; templates cannot read secrets"
        ));
    }
    let root = parts[0];
    let field = parts.get(1).copied();
    match root {
        "inputs" => match field {
            Some(field) if !inputs.contains(field) => Some(format!(
                "input `{field}` is not declared{}",
                did_you_mean(field, inputs.iter().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            )),
            _ => None,
        },
        "profile" => match field {
            Some(field) if !TEMPLATE_FIELDS.contains(&field) => Some(format!(
                "profiles have no field `{field}` templates can read{}",
                did_you_mean(field, TEMPLATE_FIELDS.iter().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            )),
            _ => None,
        },
        "run" => match field {
            Some(field) if !RUN_FIELDS.contains(&field) => {
                Some(format!("runs have no field `{field}`"))
            }
            _ => None,
        },
        "steps" => match field {
            Some(field) if !earlier.contains_key(field) => Some(format!(
                "no earlier step `{field}`{}",
                did_you_mean(field, earlier.keys().copied())
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            )),
            Some(field) => output_problem(field, parts.get(2).copied(), earlier),
            None => None,
        },
        // Builtins minijinja provides, used as functions (e.g. `range`).
        "range" | "loop" | "namespace" | "true" | "false" | "none" => None,
        other => Some(format!(
            "`{other}` is not something templates can read; they start with {}",
            ROOTS.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_for_unknown_fields_and_variants() {
        assert_eq!(
            serde_hint("unknown field `kye`, expected one of `key`, `ip_whitelist`, `read_only`")
                .as_deref(),
            Some("did you mean `key`?")
        );
        assert_eq!(
            serde_hint("unknown variant `withdraw`, expected one of `spot_trade`").as_deref(),
            Some("replacement keys never get a withdrawal permission; lockdown cannot express one")
        );
        assert_eq!(serde_hint("invalid type: integer"), None);
    }
}
