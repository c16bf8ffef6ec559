//! What a playbook's steps may read, checked across steps: ids are unique; a step reference
//! (`diff_orders.snapshot`) names an earlier step of the right action outside the step's own
//! parallel group; a template reads only declared inputs, the profile's non-secret fields, the
//! run's fields and outputs earlier steps really produce, never anything named like a secret.
//! A template that passes here cannot fail at run time for a name it reads.

use std::collections::{BTreeSet, HashMap};

use super::Input;
use super::validate::Flat;
use crate::actions::ActionSpec;
use crate::config::TEMPLATE_FIELDS;
use crate::source::{Problem, Source, did_you_mean};
use crate::template::{self, ROOTS};

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

/// Checks every step's id, step references and templates against the steps before it.
pub(super) fn check_semantics(
    source: &Source,
    flat: &[Flat],
    inputs: &[Input],
    problems: &mut Vec<Problem>,
) {
    duplicate_ids(source, flat, problems);
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
            step_refs(source, step, action, key, &earlier, problems);
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

/// A second step with an id already taken, pointed at with the line of the first.
fn duplicate_ids(source: &Source, flat: &[Flat], problems: &mut Vec<Problem>) {
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
}

/// The step references of `step`'s `action` (under key `key`) that name no earlier step, or a
/// step of another action.
fn step_refs(
    source: &Source,
    step: &Flat,
    action: &ActionSpec,
    key: &str,
    earlier: &HashMap<&str, &Flat>,
    problems: &mut Vec<Problem>,
) {
    for reference in action.step_refs() {
        let at = format!("{}.{key}.{}", step.path, reference.param);
        match earlier.get(reference.step.as_str()) {
            None => {
                // The steps it may name: earlier ones of the action it reads.
                let fitting = earlier
                    .iter()
                    .filter(|(_, s)| {
                        s.action.as_ref().map(ActionSpec::name) == Some(reference.action)
                    })
                    .map(|(id, _)| *id);
                let must = format!(
                    "`{}` must name a `{}` step that runs before this one",
                    reference.param, reference.action
                );
                problems.push(
                    source
                        .problem_at(&at, format!("no earlier step `{}`", reference.step))
                        .help(match did_you_mean(&reference.step, fitting) {
                            Some(meant) => format!("{meant} ({must})"),
                            None => must,
                        }),
                );
            }
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
