//! The playbook format as a JSON Schema, for editors (yaml-language-server completes and checks
//! with it): `lockdown schema > playbook.schema.json`.
//!
//! Step keys and the action list come from the same constants validation uses, and each action
//! describes its own parameters next to their serde types; a test checks each description
//! against what serde accepts, so the schema cannot drift from the parser.

use serde_json::{Map, Value, json};

/// The playbook schema's `$id`: a name, not an address (nothing is served from it; editors take
/// the schema from `schemas/playbook.schema.json` in the repository or `lockdown schema`). It
/// changes only when the playbook format's `version` does.
pub const SCHEMA_ID: &str = "urn:lockdown:schema:playbook:v1";

use crate::actions::ActionSpec;
use crate::exchanges::ExchangeId;

/// A parameter that is a template string or a literal of `literal`'s schema.
pub fn tpl(literal: Value, description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [literal, { "type": "string", "pattern": "\\{[{%]" }],
    })
}

/// A (possibly templated) string parameter.
pub fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

/// A (possibly templated) list of strings.
pub fn strings(description: &str) -> Value {
    tpl(
        json!({ "type": "array", "items": { "type": "string" } }),
        description,
    )
}

/// An object of `properties`, `required` ones among them, nothing else.
pub fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn duration(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^[0-9]", "description": description })
}

/// The JSON Schema of a playbook file.
pub fn schema() -> Value {
    let mut step_props = Map::new();
    step_props.insert(
        "id".into(),
        json!({
            "type": "string", "pattern": "^[a-z][a-z0-9_]*$",
            "description": "unique; later steps read its outputs as `steps.<id>`",
        }),
    );
    step_props.insert(
        "name".into(),
        string("what the step is for, shown to people"),
    );
    step_props.insert(
        "when".into(),
        string("a template; the step is skipped when it is false"),
    );
    step_props.insert(
        "timeout".into(),
        duration("how long the step may take, e.g. `30s`"),
    );
    step_props.insert(
        "on_error".into(),
        json!({
            "enum": ["abort", "continue"],
            "description": "`abort` stops the run; `continue` records the failure and goes on",
        }),
    );
    step_props.insert(
        "retry".into(),
        object(
            json!({
                "attempts": { "type": "integer", "minimum": 1 },
                "backoff": duration("first wait, doubled each time (default 200ms)"),
                "max_backoff": duration("longest wait (default 5s)"),
            }),
            &["attempts"],
        ),
    );
    step_props.insert(
        "max_parallel".into(),
        json!({ "type": "integer", "minimum": 1 }),
    );
    step_props.insert(
        "parallel".into(),
        json!({
            "type": "array", "items": { "$ref": "#/$defs/step" },
            "description": "steps run at once (at most `max_parallel`), journaled in order",
        }),
    );
    let mut one_of = vec![json!({ "required": ["parallel"] })];
    for (name, params) in ActionSpec::schemas() {
        step_props.insert(name.into(), params);
        one_of.push(json!({ "required": [name] }));
    }
    let step = json!({
        "type": "object",
        "properties": step_props,
        "required": ["id"],
        "additionalProperties": false,
        "oneOf": one_of,
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "lockdown playbook",
        "type": "object",
        "properties": {
            "version": { "const": 1 },
            "name": { "type": "string" },
            "description": { "type": "string" },
            "exchange": { "enum": ExchangeId::names() },
            "inputs": {
                "type": "object",
                "additionalProperties": object(json!({
                    "required": { "type": "boolean" },
                    "default": { "type": "string" },
                    "description": { "type": "string" },
                }), &[]),
            },
            "deadline": duration("how long `steps` may take altogether"),
            "steps": { "type": "array", "items": { "$ref": "#/$defs/step" }, "minItems": 1 },
            "finally": { "type": "array", "items": { "$ref": "#/$defs/step" } },
        },
        "required": ["version", "name", "exchange", "steps"],
        "additionalProperties": false,
        "$defs": { "step": step },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Editors read `schemas/playbook.schema.json` (each shipped playbook's first line points at
    /// it): it is what `lockdown schema` prints, and every shipped playbook names it.
    #[test]
    fn the_committed_schema_is_the_printed_one_and_every_playbook_names_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let printed = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema()).unwrap_or_default()
        );
        let committed =
            std::fs::read_to_string(root.join("schemas/playbook.schema.json")).unwrap_or_default();
        assert!(
            committed == printed,
            "schemas/playbook.schema.json is stale: run `cargo run -- schema > schemas/playbook.schema.json`"
        );
        let line = "# yaml-language-server: $schema=../schemas/playbook.schema.json";
        for dir in ["playbooks", "examples"] {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = entry.path();
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let is_playbook = text.lines().any(|l| l.starts_with("steps:"));
                if path.extension().is_some_and(|e| e == "yaml") && is_playbook {
                    assert_eq!(text.lines().next(), Some(line), "{}", path.display());
                }
            }
        }
    }

    /// The fields serde accepts for an action, read from its "unknown field" message.
    fn accepted_fields(action: &str) -> Vec<String> {
        let mut probe = serde_yaml::Mapping::new();
        probe.insert("__no_such_field__".into(), 1.into());
        let Some(Err(err)) = ActionSpec::parse(action, serde_yaml::Value::Mapping(probe)) else {
            panic!("{action} accepted an unknown field");
        };
        let list = err
            .message
            .split_once("expected")
            .map(|(_, l)| l.to_owned())
            .unwrap_or_default();
        let mut fields: Vec<String> = list
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        fields.sort();
        fields
    }

    #[test]
    fn every_action_is_described_exactly() {
        for (name, params) in ActionSpec::schemas() {
            let mut described: Vec<String> = params["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{name} has no properties"))
                .keys()
                .cloned()
                .collect();
            described.sort();
            assert_eq!(described, accepted_fields(name), "{name}");
        }
        assert_eq!(ActionSpec::schemas().len(), ActionSpec::NAMES.len());
    }

    #[test]
    fn step_keys_are_all_there() {
        let schema = schema();
        let props = schema["$defs"]["step"]["properties"].as_object().unwrap();
        for &key in super::super::step::STEP_KEYS {
            assert!(props.contains_key(key), "{key}");
        }
    }
}
