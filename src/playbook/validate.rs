//! Raw playbook -> [`Playbook`]: every check, every problem at once. The file's own keys are
//! checked here; each step is parsed in `step`, and what steps may read of each other in
//! `references`.

use serde_yaml::Value;

use super::raw::RawPlaybook;
use super::references::check_semantics;
use super::step::{Walk, parse_step};
use super::{Input, Playbook, Step};
use crate::actions::ActionSpec;
use crate::clock;
use crate::exchanges::ExchangeId;
use crate::source::{Problem, Problems, Source, did_you_mean};

/// A step as the semantic checks see it, with where it sits in the file.
pub(super) struct Flat {
    /// Where it is: `steps[2]`, `steps[1].parallel[0]`.
    pub(super) path: String,
    /// Its id, where it has a good one.
    pub(super) id: Option<String>,
    /// The key of its (first) action.
    pub(super) action_key: Option<String>,
    /// Its action, where the parameters are good.
    pub(super) action: Option<ActionSpec>,
    /// The action's parameters as written, where it has one action (the venue checks read
    /// where each of them sits).
    pub(super) params: Option<Value>,
    /// Its `when`, where it parses.
    pub(super) when: Option<String>,
    /// The flat index of the `parallel` group it is a member of.
    pub(super) group: Option<usize>,
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
        let names = ExchangeId::names();
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
    let mut walk = Walk {
        source,
        flat: &mut flat,
        problems: &mut problems,
    };
    let steps = parse_steps(&mut walk, &raw.steps, "steps");
    let finally = parse_steps(&mut walk, &raw.finally, "finally");
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
    let mut unavailable = Vec::new();
    if let Some(exchange) = exchange {
        super::venue_check::check(source, &flat, exchange, &mut unavailable);
    }
    // Shown with the rest when there is anything else; on their own they do not stop a load.
    let unavailable = if problems.is_empty() {
        (!unavailable.is_empty()).then(|| {
            std::sync::Arc::new(Problems {
                file: source.name().to_owned(),
                problems: sorted(unavailable),
            })
        })
    } else {
        problems.extend(unavailable);
        None
    };

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
            unavailable,
        }),
        _ => Err(Problems {
            file: source.name().to_owned(),
            problems: sorted(problems),
        }),
    }
}

/// Problems in file order.
fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| location_order(p.location()));
    problems
}

fn location_order(location: &str) -> (usize, usize) {
    let mut parts = location.rsplitn(3, ':');
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
    (line, col)
}

/// The steps of list `list` (`steps`, `finally`) that parse.
fn parse_steps(walk: &mut Walk<'_>, values: &[Value], list: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for (i, value) in values.iter().enumerate() {
        if let Some(step) = parse_step(walk, value, &format!("{list}[{i}]"), None) {
            steps.push(step);
        }
    }
    steps
}
