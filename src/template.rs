//! Templates in playbooks: `{{ inputs.key }}`, `{{ steps.diff.unauthorized | length > 0 }}`.
//!
//! A string that is exactly one `{{ expression }}` evaluates to the expression's value with its
//! type (a list stays a list); any other string with `{{`/`{%` renders to a string. Undefined
//! names are errors, never empty strings: a lock bound to an empty IP list must not happen.
//! Templates see `inputs`, `profile` (non-secret fields only), `run` and `steps.<id>.<output>`;
//! one that names a secret is refused when the playbook is validated.
//!
//! A leaf module: `playbook` checks templates when it validates, `actions` and `engine` render
//! them when they run, so it imports nothing from any of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, LazyLock, OnceLock};

use minijinja::value::{Enumerator, Object, Serde};
use minijinja::{Environment, UndefinedBehavior};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The work one rendering may do, in minijinja fuel: one per instruction, one per 64 bytes of
/// data made (about 30 MB). A playbook's templates need a few hundred; a loop over
/// `range(100000)` twice, or a string of a gigabyte, runs out instead of stalling a response.
const FUEL: u64 = 500_000;

/// How deep templates may nest calls.
const RECURSION_LIMIT: usize = 64;

/// The longest string a template may render to, in bytes.
pub const MAX_RENDERED: usize = 1 << 20;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env
});

/// The roots a template may start from.
pub const ROOTS: &[&str] = &["inputs", "profile", "run", "steps"];

/// A rendering failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template `{template}`: {message}")]
pub struct TemplateError {
    /// The template text.
    pub template: String,
    /// What went wrong.
    pub message: String,
}

/// What templates are rendered against.
#[derive(Debug, Clone)]
pub struct Context {
    value: minijinja::Value,
}

impl Context {
    /// Builds a context from `{inputs, profile, run, steps}` data.
    pub fn new(data: &Value) -> Context {
        Context {
            value: minijinja::Value::from(Serde(data)),
        }
    }

    /// Builds a context from `{inputs, profile, run}` data and earlier steps' outputs, shared
    /// rather than copied: a step's outputs become template values only when a template reads
    /// them, once per context.
    pub fn with_steps(data: &Value, steps: &BTreeMap<String, Arc<StepOutputs>>) -> Context {
        let mut root: BTreeMap<String, minijinja::Value> = match data {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| (k.clone(), minijinja::Value::from(Serde(v))))
                .collect(),
            _ => BTreeMap::new(),
        };
        let steps = Steps(
            steps
                .iter()
                .map(|(id, outputs)| (id.clone(), (Arc::clone(outputs), OnceLock::new())))
                .collect(),
        );
        root.insert("steps".to_owned(), minijinja::Value::from_object(steps));
        Context {
            value: minijinja::Value::from(root),
        }
    }
}

/// One step's outputs, as templates read them (`steps.<id>.<output>`).
pub type StepOutputs = serde_json::Map<String, Value>;

/// Earlier steps' outputs behind `steps`: each converted to a template value on first read.
#[derive(Debug)]
struct Steps(BTreeMap<String, (Arc<StepOutputs>, OnceLock<minijinja::Value>)>);

impl Object for Steps {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        let (outputs, value) = self.0.get(key.as_str()?)?;
        Some(
            value
                .get_or_init(|| minijinja::Value::from(Serde(&**outputs)))
                .clone(),
        )
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(
            self.0
                .keys()
                .map(|id| minijinja::Value::from(id.as_str()))
                .collect(),
        )
    }
}

/// A playbook value that may hold templates, typed as `T` once rendered.
pub struct Tpl<T> {
    raw: Value,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Tpl<T> {
    fn clone(&self) -> Self {
        Tpl {
            raw: self.raw.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Tpl<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tpl({})", self.raw)
    }
}

impl<T> PartialEq for Tpl<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl<T> Serialize for Tpl<T> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(ser)
    }
}

impl<T: DeserializeOwned + Serialize> Tpl<T> {
    /// A value with no template in it.
    pub fn literal(value: &T) -> Tpl<T> {
        Tpl {
            raw: serde_json::to_value(value).unwrap_or(Value::Null),
            _type: PhantomData,
        }
    }
}

impl<T: DeserializeOwned> Tpl<T> {
    /// Renders every template in the value and reads the result as `T`.
    pub fn render(&self, ctx: &Context) -> Result<T, TemplateError> {
        let rendered = render_value(&self.raw, ctx)?;
        serde_json::from_value(rendered.clone()).map_err(|err| TemplateError {
            template: self.raw.to_string(),
            message: format!("rendered to `{rendered}`, which is not valid here: {err}"),
        })
    }

    /// The template strings inside the value.
    pub fn sources(&self) -> Vec<&str> {
        let mut out = Vec::new();
        collect(&self.raw, &mut out);
        out
    }

    /// The value as written.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Tpl<T> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(de)?;
        let mut sources = Vec::new();
        collect(&raw, &mut sources);
        for source in &sources {
            check_syntax(source).map_err(D::Error::custom)?;
        }
        if sources.is_empty() {
            // No template: the value must already have the right type.
            T::deserialize(&raw).map_err(D::Error::custom)?;
        }
        Ok(Tpl {
            raw,
            _type: PhantomData,
        })
    }
}

/// Whether a string holds a template.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The expression of a string that is exactly one `{{ … }}`.
fn sole_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}") && !inner.contains("{%")).then_some(inner)
}

fn collect<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(text) if is_template(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
        Value::Object(map) => map.values().for_each(|item| collect(item, out)),
        _ => {}
    }
}

/// Checks a template's syntax.
pub fn check_syntax(source: &str) -> Result<(), String> {
    match sole_expression(source) {
        Some(expr) => ENV.compile_expression(expr).map(drop),
        None => ENV.template_from_str(source).map(drop),
    }
    .map_err(|err| format!("template `{source}` does not parse: {err}"))
}

/// The dotted names a template reads (`steps.diff.unauthorized`, `inputs.key`).
pub fn references(source: &str) -> BTreeSet<String> {
    let found = match sole_expression(source) {
        Some(expr) => ENV
            .compile_expression(expr)
            .map(|e| e.undeclared_variables(true)),
        None => ENV
            .template_from_str(source)
            .map(|t| t.undeclared_variables(true)),
    };
    found.unwrap_or_default().into_iter().collect()
}

/// Renders one string.
pub fn render_str(source: &str, ctx: &Context) -> Result<Value, TemplateError> {
    let fail = |err: minijinja::Error| TemplateError {
        template: source.to_owned(),
        message: match err.detail() {
            _ if err.kind() == minijinja::ErrorKind::OutOfFuel => {
                format!("does too much work ({})", err.kind())
            }
            Some(detail) => format!("{} ({detail})", err.kind()),
            None => err.kind().to_string(),
        },
    };
    let too_long = |len: usize| TemplateError {
        template: source.to_owned(),
        message: format!("does too much work: it renders {len} bytes, more than {MAX_RENDERED}"),
    };
    match sole_expression(source) {
        Some(expr) => {
            let value = ENV
                .compile_expression(expr)
                .map_err(fail)?
                .eval(ctx.value.clone())
                .map_err(fail)?;
            if value.as_str().is_some_and(|text| text.len() > MAX_RENDERED) {
                return Err(too_long(value.as_str().map_or(0, str::len)));
            }
            if value.is_undefined() {
                return Err(TemplateError {
                    template: source.to_owned(),
                    message: "is undefined".to_owned(),
                });
            }
            serde_json::to_value(&value).map_err(|err| TemplateError {
                template: source.to_owned(),
                message: err.to_string(),
            })
        }
        None => match ENV.render_str(source, ctx.value.clone()).map_err(fail)? {
            text if text.len() > MAX_RENDERED => Err(too_long(text.len())),
            text => Ok(Value::String(text)),
        },
    }
}

/// Evaluates a `when` condition.
pub fn truthy(source: &str, ctx: &Context) -> Result<bool, TemplateError> {
    Ok(match render_str(source, ctx)? {
        Value::Bool(flag) => flag,
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(text) => !matches!(text.trim(), "" | "false" | "False" | "0"),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    })
}

fn render_value(value: &Value, ctx: &Context) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(text) if is_template(text) => render_str(text, ctx)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), render_value(item, ctx)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        Context::new(&json!({
            "inputs": {"key": "K123"},
            "profile": {"responder_ip": "127.0.0.1", "bot_ips": ["10.0.0.1", "10.0.0.2"]},
            "run": {"id": "r1"},
            "steps": {"diff": {"unauthorized": [1, 2]}},
        }))
    }

    #[test]
    fn sole_expression_keeps_its_type() {
        let ips: Tpl<Vec<String>> = serde_json::from_value(json!("{{ profile.bot_ips }}")).unwrap();
        assert_eq!(ips.render(&ctx()).unwrap(), ["10.0.0.1", "10.0.0.2"]);
        let list: Tpl<Vec<String>> =
            serde_json::from_value(json!(["{{ profile.responder_ip }}"])).unwrap();
        assert_eq!(list.render(&ctx()).unwrap(), ["127.0.0.1"]);
        let label: Tpl<String> = serde_json::from_value(json!("bot-{{ run.id }}")).unwrap();
        assert_eq!(label.render(&ctx()).unwrap(), "bot-r1");
    }

    #[test]
    fn undefined_is_an_error() {
        let key: Tpl<String> = serde_json::from_value(json!("{{ inputs.nope }}")).unwrap();
        assert!(key.render(&ctx()).is_err());
    }

    #[test]
    fn literals_are_type_checked_at_parse_time() {
        assert!(serde_json::from_value::<Tpl<Vec<String>>>(json!(5)).is_err());
        assert!(serde_json::from_value::<Tpl<String>>(json!("{{ unclosed")).is_err());
    }

    #[test]
    fn templates_that_do_too_much_work_stop_with_an_error() {
        for (label, source) in [
            (
                "nested loops",
                "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            ),
            ("a gigabyte string", "{{ 'x' * 1000000000 }}"),
            (
                "a gigabyte string in a condition",
                "{{ ('x' * 1000000000) | length > 0 }}",
            ),
            (
                "doubling",
                "{% set s = 'x' * 10000000 %}{{ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s }}",
            ),
            (
                "a long rendering",
                "{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}",
            ),
            (
                "a macro (not available to playbooks)",
                "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
            ),
        ] {
            let err = render_str(source, &ctx()).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("template `{source}`: ")),
                "{label}: {err}"
            );
        }
        let err = truthy("{{ 'x' * 1000000000 }}", &ctx()).unwrap_err();
        assert!(err.to_string().contains("does too much work"), "{err}");
        let err = render_str(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            &ctx(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does too much work"), "{err}");
        // What playbooks do stays well inside.
        let fine = "{% for i in range(1000) %}{{ inputs.key }}{% endfor %}";
        assert_eq!(
            render_str(fine, &ctx()).unwrap().as_str().unwrap().len(),
            4000
        );
    }

    #[test]
    fn shared_step_outputs_read_like_copied_ones() {
        let mut diff = StepOutputs::new();
        diff.insert("unauthorized".into(), json!([1, 2]));
        let mut steps = BTreeMap::new();
        steps.insert("diff".to_owned(), Arc::new(diff));
        let shared = Context::with_steps(
            &json!({"inputs": {"key": "K123"}, "profile": {}, "run": {"id": "r1"}}),
            &steps,
        );
        for (label, source, expected) in [
            (
                "a list's length",
                "{{ steps.diff.unauthorized | length > 1 }}",
                true,
            ),
            (
                "a step that did not run",
                "{{ steps.cancel is not defined }}",
                true,
            ),
            (
                "the playbooks' support condition",
                "{{ steps.diff is not defined or steps.diff.unauthorized | length > 0 or steps.diff.unverified | default([]) | length > 0 }}",
                true,
            ),
            (
                "inputs beside steps",
                "{{ inputs.key == 'K123' and 'diff' in steps }}",
                true,
            ),
        ] {
            assert_eq!(truthy(source, &shared).unwrap(), expected, "{label}");
            assert_eq!(
                truthy(source, &ctx()).unwrap(),
                expected,
                "{label} (copied)"
            );
        }
        assert!(render_str("{{ steps.cancel.done }}", &shared).is_err());
    }

    #[test]
    fn conditions_and_references() {
        assert!(truthy("{{ steps.diff.unauthorized | length > 0 }}", &ctx()).unwrap());
        assert!(!truthy("{{ steps.diff.unauthorized | length > 5 }}", &ctx()).unwrap());
        let refs = references("{{ steps.diff.unauthorized | length > 0 and inputs.key }}");
        assert!(refs.contains("steps.diff.unauthorized"), "{refs:?}");
        assert!(refs.contains("inputs.key"), "{refs:?}");
    }
}
