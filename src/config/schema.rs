//! The config file as a JSON Schema, for editors (yaml-language-server completes and checks with
//! it): `lockdown schema config > config.schema.json`.
//!
//! It describes the file as `raw` reads it; the closed lists come from the same constants the
//! loader uses (venues, secret schemes, notification events), and a test checks every object's
//! fields against the ones serde accepts for its `Raw*` type, so the schema cannot drift from
//! the parser. What only the loader checks (a reference resolves, an address parses) stays the
//! loader's: the schema helps to write the file, `lockdown check` says whether it works.

use serde_json::{Map, Value, json};

use crate::exchanges::ExchangeId;
use crate::playbook::schema::object;

/// The config schema's `$id`: a name, not an address (editors take the schema from
/// `schemas/config.schema.json` in the repository or `lockdown schema config`).
pub const SCHEMA_ID: &str = "urn:lockdown:schema:config:v1";

/// The notification channel types (`notify::build_channel`).
pub(crate) const CHANNEL_TYPES: &[&str] = &[
    "telegram",
    "discord",
    "slack",
    "pagerduty",
    "webhook",
    "email",
];

/// [`object`], with `x-` keys allowed beside its properties (the loader ignores them: a place
/// for YAML anchors) and `<<` merge keys.
fn open_object(properties: Value, required: &[&str]) -> Value {
    let mut schema = object(properties, required);
    schema["patternProperties"] = json!({ "^x-": {}, "^<<$": {} });
    schema
}

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn duration(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^[0-9]", "description": description })
}

/// A secret reference: `SCHEME:REST`, one of the schemes the loader reads.
fn reference(description: &str) -> Value {
    let schemes = crate::secrets::SCHEMES.join("|");
    json!({
        "type": "string",
        "pattern": format!("^({schemes}):"),
        "description": format!("{description}; a reference, never the value: {}", crate::secrets::SCHEMES.iter().map(|s| format!("`{s}:`")).collect::<Vec<_>>().join(", ")),
    })
}

/// `watch:` (docs/watch.md): read on its own, so no `x-` keys.
fn watch() -> Value {
    let mut signals: Vec<&str> = crate::watch::SignalKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .collect();
    signals.push("any");
    object(
        json!({
            "interval": duration("how often each watched key's orders are read (`2s`)"),
            "lookback": duration("how far back the first look reads the order history (`1m`)"),
            "streams": { "type": "boolean", "description": "follow the venue's private order stream where it has one (default true); false: REST polling only" },
            "account_interval": duration("how often the key's settings and the account's withdrawals and transfers are read (`30s`)"),
            "known_ips": {
                "type": "array",
                "description": "addresses or CIDR blocks a login or API access may come from without an `unknown_access` signal, besides the responder's and the bots' (`203.0.113.7`, `203.0.113.0/24`)",
                "items": { "type": "string" },
            },
            "client_prefix": text("the bots' client-order-id prefix"),
            "burst": object(json!({
                "orders": { "type": "integer", "minimum": 1, "description": "more new orders than this within `per` is a burst" },
                "per": duration("the burst's window (`10s`)"),
            }), &[]),
            "policy": {
                "type": "array",
                "description": "the rules, in order: the first that matches a signal acts",
                "items": object(json!({
                    "signal": { "enum": signals, "description": "a signal kind, or `any`" },
                    "confidence": { "enum": ["low", "medium", "high"], "description": "the lowest confidence it acts on (default `low`)" },
                    "action": { "enum": ["notify", "lock", "respond"] },
                }), &["signal", "action"]),
            },
        }),
        &[],
    )
}

fn profile() -> Value {
    open_object(
        json!({
            "exchange": { "enum": ExchangeId::names(), "description": "the venue" },
            "base_url": text("the venue's REST API (or the simulator's address)"),
            "master": open_object(json!({
                "key": text("the master key's id, literal or a reference (`env:NAME`)"),
                "secret": reference("the master key's secret"),
                "passphrase": reference("the master key's passphrase (OKX)"),
            }), &["key", "secret"]),
            "keys": {
                "type": "array",
                "description": "the bots' keys the owner holds",
                "items": open_object(json!({
                    "id": text("the key's id (not secret)"),
                    "label": text("a name for people"),
                    "account": text("the sub-account it belongs to"),
                    "secret": reference("the key's secret"),
                    "passphrase": reference("the key's passphrase (OKX)"),
                    "listed": open_object(json!({
                        "id": { "type": "integer", "minimum": 0, "description": "the venue's number for the key (Deribit `id`)" },
                        "max_scope": text("the key's scope as listed (Deribit `max_scope`)"),
                    }), &["id", "max_scope"]),
                }), &["id"]),
            },
            "responder_ip": text("the address lockdown responds from: a leaked key is locked to it"),
            "bot_ips": { "type": "array", "items": { "type": "string" }, "description": "where the bots run: replacement keys are bound to them" },
            "known_orders": text("the bots' order ledger (JSONL or CSV)"),
            "ledger_lag": duration("how far the ledger may lag behind the bots' orders (`10s`)"),
            "ledger_max_age": duration("how old the ledger's newest entry may be before `check` calls it stale (`24h`)"),
            "state_dir": text("where runs, journals and reports are kept"),
            "secret_store": text("where a replacement key's secret goes: `file:PATH`, `env-file:PATH`, `vault:MOUNT/data/PATH`, `aws-sm:SECRET_ID` or `age:PATH`"),
            "playbook": text("the playbook this profile responds with (default: the one shipped for its venue)"),
            "ip_echo": text("a URL that answers this machine's address as the internet sees it"),
            "demo": { "type": "boolean", "description": "demo trading (OKX)" },
            "auth": { "enum": ["token", "signature"], "description": "how to authenticate (Deribit)" },
            "key_family": { "enum": ["sub_account", "broker"], "description": "which key-management API manages the keys (Binance)" },
            "futures_url": text("the venue's futures host when it is not `base_url` (Binance USD-M)"),
            "handoff": open_object(json!({
                "command": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "the program and its arguments" },
                "health_url": text("answers 2xx once the bot runs with its new key"),
                "timeout": duration("how long the command and the health check may take together (`60s`)"),
                "verify": { "enum": ["key_used", "health", "none"], "description": "how lockdown tells the bot picked up its new key" },
            }), &["command"]),
        }),
        &["exchange", "base_url", "master", "responder_ip"],
    )
}

fn notify() -> Value {
    let mut events: Vec<&str> = crate::notify::Event::ALL
        .iter()
        .map(|e| e.as_str())
        .collect();
    events.push("all");
    open_object(
        json!({
            "channels": {
                "type": "object",
                "description": "channels by name: `type` and the channel's own fields",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "type": { "enum": CHANNEL_TYPES },
                        "timeout": duration("how long one delivery may take (`10s`)"),
                        "retries": { "type": "integer", "minimum": 0, "maximum": 10 },
                    },
                    "required": ["type"],
                },
            },
            "routes": {
                "type": "array",
                "items": open_object(json!({
                    "events": { "type": "array", "items": { "enum": events } },
                    "profiles": { "type": "array", "items": { "type": "string" } },
                    "channels": { "type": "array", "items": { "type": "string" } },
                }), &["events", "channels"]),
            },
            "flush": duration("how long a command waits at its end for queued messages (`5s`)"),
        }),
        &[],
    )
}

/// The JSON Schema of a config file.
pub fn schema() -> Value {
    let mut backends = Map::new();
    for (name, what) in [
        ("vault", "Vault / OpenBao: `address`, `token`, …"),
        ("aws", "AWS Secrets Manager: `region`, `endpoint`, …"),
        ("age", "age: `identity`, `recipients`, …"),
        ("cmd", "password-manager commands: `allow`, `timeout`, …"),
    ] {
        backends.insert(
            name.into(),
            json!({ "type": "object", "description": what }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "lockdown config",
        "type": "object",
        "properties": {
            "profiles": {
                "type": "object",
                "description": "profiles by name",
                "additionalProperties": { "$ref": "#/$defs/profile" },
            },
            "schedules": {
                "type": "array",
                "description": "scheduled drills and checks (`lockdown schedule`)",
                "items": open_object(json!({
                    "name": text("unique; it names the systemd units"),
                    "cron": text("five fields, or six with seconds first"),
                    "timezone": text("IANA time zone the cron is read in (default UTC)"),
                    "run": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "the lockdown command line, without `lockdown`" },
                    "jitter": duration("up to how long to delay each run at random (`5m`)"),
                    "timeout": duration("how long a run may take (`30m`)"),
                }), &["name", "cron", "run"]),
            },
            "history": open_object(json!({
                "regression": open_object(json!({
                    "window": { "type": "integer", "minimum": 1 },
                    "ttc_factor": { "type": "number", "minimum": 0 },
                    "ttc_slack": duration("a regression is at least this much slower (`1s`)"),
                    "min_runs": { "type": "integer", "minimum": 1 },
                    "failure_after_pass": { "type": "boolean" },
                    "check_not_ready": { "type": "boolean" },
                }), &[]),
            }), &[]),
            "notify": notify(),
            "secrets": open_object(Value::Object(backends), &[]),
            "watch": watch(),
        },
        "patternProperties": { "^x-": {}, "^<<$": {} },
        "required": ["profiles"],
        "additionalProperties": false,
        "$defs": { "profile": profile() },
    })
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;
    use crate::config::raw;

    /// The fields serde accepts for `T`, read from its "unknown field" message.
    fn accepted<T: DeserializeOwned + std::fmt::Debug>() -> Vec<String> {
        let err = serde_yaml::from_str::<T>("__no_such_field__: 1\n")
            .expect_err("an unknown field was accepted");
        let message = err.to_string();
        let list = message
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

    fn described(schema: &Value) -> Vec<String> {
        let mut keys: Vec<String> = schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[test]
    fn every_object_is_described_exactly() {
        let root = schema();
        let profile = &root["$defs"]["profile"];
        let props = &root["properties"];
        let cases: [(&str, &Value, Vec<String>); 15] = [
            ("config", &root, accepted::<raw::RawConfig>()),
            ("profile", profile, accepted::<raw::RawProfile>()),
            (
                "master",
                &profile["properties"]["master"],
                accepted::<raw::RawMaster>(),
            ),
            (
                "key",
                &profile["properties"]["keys"]["items"],
                accepted::<raw::RawKey>(),
            ),
            (
                "listed",
                &profile["properties"]["keys"]["items"]["properties"]["listed"],
                accepted::<crate::exchanges::ListedKey>(),
            ),
            (
                "handoff",
                &profile["properties"]["handoff"],
                accepted::<super::super::handoff::RawHandoff>(),
            ),
            (
                "schedule",
                &props["schedules"]["items"],
                accepted::<raw::RawSchedule>(),
            ),
            ("history", &props["history"], accepted::<raw::RawHistory>()),
            (
                "regression",
                &props["history"]["properties"]["regression"],
                accepted::<raw::RawRegression>(),
            ),
            ("notify", &props["notify"], accepted::<raw::RawNotify>()),
            (
                "route",
                &props["notify"]["properties"]["routes"]["items"],
                accepted::<raw::RawRoute>(),
            ),
            (
                "secrets",
                &props["secrets"],
                accepted::<crate::secrets::RawSettings>(),
            ),
            (
                "watch",
                &props["watch"],
                accepted::<super::super::watch::RawWatch>(),
            ),
            (
                "burst",
                &props["watch"]["properties"]["burst"],
                accepted::<super::super::watch::RawBurst>(),
            ),
            (
                "rule",
                &props["watch"]["properties"]["policy"]["items"],
                accepted::<super::super::watch::RawRule>(),
            ),
        ];
        for (name, schema, fields) in cases {
            assert!(!fields.is_empty(), "{name}: no fields read from serde");
            assert_eq!(described(schema), fields, "{name}");
        }
    }

    #[test]
    fn closed_lists_are_the_loaders() {
        let dir = std::path::Path::new(".");
        for kind in CHANNEL_TYPES {
            if let Err(message) = crate::notify::build_channel(kind, "n", &json!({}), dir) {
                assert!(!message.contains("not a channel type"), "{kind}: {message}");
            }
        }
        let profile = profile();
        for (field, value) in [("auth", "signature"), ("key_family", "broker")] {
            let listed = profile["properties"][field]["enum"].clone();
            assert!(
                listed.as_array().is_some_and(|l| l.contains(&json!(value))),
                "{field}"
            );
        }
        let settings: crate::exchanges::VenueSettings =
            serde_yaml::from_str("auth: signature\nkey_family: broker\n").unwrap_or_default();
        assert_eq!(settings.auth, crate::exchanges::AuthStyle::Signature);
    }

    /// Editors read `schemas/config.schema.json` (each example config's first line points at
    /// it): it is what `lockdown schema config` prints.
    #[test]
    fn the_committed_schema_is_the_printed_one_and_every_example_config_names_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let printed = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema()).unwrap_or_default()
        );
        let committed =
            std::fs::read_to_string(root.join("schemas/config.schema.json")).unwrap_or_default();
        assert!(
            committed == printed,
            "schemas/config.schema.json is stale: run `cargo run -- schema config > schemas/config.schema.json`"
        );
        let line = "# yaml-language-server: $schema=../schemas/config.schema.json";
        let mut seen = 0;
        for entry in std::fs::read_dir(root.join("examples"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = entry.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with("config") && name.ends_with(".yaml") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                assert_eq!(text.lines().next(), Some(line), "{}", path.display());
                seen += 1;
            }
        }
        assert!(seen >= ExchangeId::ALL.len(), "{seen} example configs");
    }
}
