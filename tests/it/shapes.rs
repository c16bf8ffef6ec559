//! The exchanges' documented example answers, against the adapters and against the simulator.
//!
//! A simulator built from what the adapter expects agrees with the adapter and with nothing else:
//! products the adapter skipped went unseen because the simulator skipped them too. So each
//! endpoint an adapter calls keeps the example answer from the venue's own documentation under
//! `tests/fixtures/<venue>/<name>.json`:
//!
//! ```json
//! { "source": "https://… (the documentation page)", "retrieved": "2026-12-05",
//!   "endpoint": "GET /v5/order/realtime", "answer": { … the example, verbatim … } }
//! ```
//!
//! and the venue's tests check (a) that the adapter decodes the example, and (b) that the
//! simulator's answer to the same request has the same fields with the same JSON types
//! ([`shape_differences`]: a field the simulator adds or drops fails with its path).

use std::collections::BTreeMap;
use std::path::PathBuf;

use lockdown::exchanges::{Auth, Client, ExchangeId, Op, Reply, Response};
use serde_json::Value;

/// One documented example answer.
#[derive(Debug)]
pub struct Fixture {
    /// The file it came from, for messages.
    pub path: PathBuf,
    /// The documentation page.
    pub source: String,
    /// `METHOD /path` (or the JSON-RPC method) it answers.
    pub endpoint: String,
    /// The example, verbatim.
    pub answer: Value,
}

/// The fixtures folder of a venue.
pub fn fixtures_dir(venue: ExchangeId) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(venue.to_string())
}

/// Reads `tests/fixtures/<venue>/<name>.json`.
pub fn fixture(venue: ExchangeId, name: &str) -> Fixture {
    let path = fixtures_dir(venue).join(format!("{name}.json"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let mut value: Value = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{}: not JSON: {err}", path.display()));
    let field = |value: &Value, name: &str| -> String {
        value[name]
            .as_str()
            .unwrap_or_else(|| panic!("{}: `{name}` missing", path.display()))
            .to_owned()
    };
    let source = field(&value, "source");
    let endpoint = field(&value, "endpoint");
    field(&value, "retrieved");
    assert!(
        source.starts_with("https://"),
        "{}: `source` must be the documentation page",
        path.display()
    );
    let answer = value
        .get_mut("answer")
        .map(Value::take)
        .unwrap_or_else(|| panic!("{}: `answer` missing", path.display()));
    Fixture {
        path,
        source,
        endpoint,
        answer,
    }
}

/// Every fixture name of a venue (file stems), sorted.
pub fn fixture_names(venue: ExchangeId) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir(venue))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".json").map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What the adapter makes of a documented answer to `op`, as if the exchange sent it with
/// HTTP 200.
pub fn decode(venue: ExchangeId, op: &Op, answer: &Value) -> Reply {
    let response = Response {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(answer).unwrap(),
    };
    venue
        .venue()
        .decode(op, &response)
        .reply
        .unwrap_or_else(|err| {
            panic!("{venue} cannot decode its documented answer to {op:?}: {err}")
        })
}

/// The simulator's answer to `op`, as it came over HTTP.
pub async fn sim_answer(client: &Client, op: &Op, auth: Auth<'_>) -> Value {
    let response = client
        .raw(op, auth)
        .await
        .unwrap_or_else(|err| panic!("the simulator refused {op:?}: {err}"));
    serde_json::from_slice(&response.body).expect("the simulator answers JSON")
}

/// Fails naming each endpoint (`METHOD /path`) that `ops`, prepared as the client would sign
/// them, call without a fixture, and each fixture no op calls; returns how many endpoints.
pub fn assert_every_endpoint_documented(
    venue: ExchangeId,
    client: &Client,
    cred: &lockdown::secret::Credential,
    ops: &[Op],
) -> usize {
    let documented: std::collections::BTreeSet<String> = fixture_names(venue)
        .iter()
        .map(|name| fixture(venue, name).endpoint)
        .collect();
    let mut called = std::collections::BTreeSet::new();
    for op in ops {
        let auth = if op.is_signed() {
            Auth::Key(cred)
        } else {
            Auth::Public
        };
        let request = client.prepare(op, auth).unwrap().request;
        let method = match request.method {
            lockdown::exchanges::Method::Get => "GET",
            _ => "POST",
        };
        called.insert(format!("{method} {}", request.path));
    }
    let missing: Vec<_> = called.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "{venue}: no documented answer for {missing:?}"
    );
    let unused: Vec<_> = documented.difference(&called).collect();
    assert!(
        unused.is_empty(),
        "{venue}: fixtures of endpoints never called: {unused:?}"
    );
    called.len()
}

/// The JSON type of a value, `null` matching anything (documentation shows optional fields as
/// null).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where the simulator's answer differs in shape from the documented one: fields it drops, adds
/// or types differently, each with its path (`$.result.list[].orderId`). Arrays compare the union
/// of their elements' fields; a documented list the simulator answered empty is a difference (the
/// test must set up something to list); an empty documented list compares nothing. `ignore`
/// names paths not compared (each needs a reason at the call).
pub fn shape_differences(doc: &Value, sim: &Value, ignore: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    compare("$", doc, sim, ignore, &mut out);
    out
}

fn compare(path: &str, doc: &Value, sim: &Value, ignore: &[&str], out: &mut Vec<String>) {
    if ignore.contains(&path) || doc.is_null() || sim.is_null() {
        return;
    }
    match (doc, sim) {
        (Value::Object(d), Value::Object(s)) => {
            for (key, dv) in d {
                let here = format!("{path}.{key}");
                match s.get(key) {
                    Some(sv) => compare(&here, dv, sv, ignore, out),
                    None if !ignore.contains(&here.as_str()) => {
                        out.push(format!("{here}: documented, the simulator drops it"));
                    }
                    None => {}
                }
            }
            for key in s.keys().filter(|k| !d.contains_key(*k)) {
                let here = format!("{path}.{key}");
                if !ignore.contains(&here.as_str()) {
                    out.push(format!("{here}: the simulator adds it, undocumented"));
                }
            }
        }
        (Value::Array(d), Value::Array(s)) => {
            if d.is_empty() {
                return;
            }
            if s.is_empty() {
                out.push(format!(
                    "{path}: documented with items, the simulator's is empty (set up something to list)"
                ));
                return;
            }
            let here = format!("{path}[]");
            compare(&here, &merged(d), &merged(s), ignore, out);
        }
        _ if kind(doc) != kind(sim) => out.push(format!(
            "{path}: documented as {}, the simulator answers {}",
            kind(doc),
            kind(sim)
        )),
        _ => {}
    }
}

/// The elements of an array as one: objects merged field by field (the first non-null value of
/// each field), anything else the first element.
fn merged(items: &[Value]) -> Value {
    if items.iter().all(Value::is_object) {
        let mut fields: BTreeMap<String, Value> = BTreeMap::new();
        for item in items {
            for (key, value) in item.as_object().into_iter().flatten() {
                let slot = fields.entry(key.clone()).or_insert(Value::Null);
                if slot.is_null() {
                    *slot = value.clone();
                }
            }
        }
        Value::Object(fields.into_iter().collect())
    } else {
        items.first().cloned().unwrap_or(Value::Null)
    }
}

/// Fails with every difference, naming the fixture.
pub fn assert_same_shape(fixture: &Fixture, sim: &Value, ignore: &[&str]) {
    let differences = shape_differences(&fixture.answer, sim, ignore);
    assert!(
        differences.is_empty(),
        "{} ({}, {}): the simulator's answer differs from the documented one:\n  {}\nsimulator: {sim}",
        fixture.path.display(),
        fixture.endpoint,
        fixture.source,
        differences.join("\n  ")
    );
}

#[test]
fn shapes_compare_fields_types_and_lists() {
    let doc = serde_json::json!({
        "retCode": 0,
        "result": { "list": [{ "orderId": "1", "price": "2", "extra": null }], "nextPageCursor": "" }
    });
    let same = serde_json::json!({
        "retCode": 0,
        "result": { "list": [{ "orderId": "9", "price": "3", "extra": "x" }, { "orderId": "8", "price": "4", "extra": "" }], "nextPageCursor": "a" }
    });
    assert!(shape_differences(&doc, &same, &[]).is_empty());
    let wrong = serde_json::json!({
        "retCode": "0",
        "result": { "list": [{ "orderId": "9", "qty": "1", "extra": 1 }], "nextPageCursor": "a" }
    });
    assert_eq!(
        shape_differences(&doc, &wrong, &[]),
        [
            "$.result.list[].price: documented, the simulator drops it",
            "$.result.list[].qty: the simulator adds it, undocumented",
            "$.retCode: documented as number, the simulator answers string",
        ]
    );
    let empty = serde_json::json!({ "retCode": 0, "result": { "list": [], "nextPageCursor": "" } });
    assert_eq!(
        shape_differences(&doc, &empty, &["$.result.nextPageCursor"]),
        [
            "$.result.list: documented with items, the simulator's is empty (set up something to list)"
        ]
    );
    assert!(shape_differences(&doc, &wrong, &["$.retCode", "$.result.list[]"]).is_empty());
}

#[tokio::test]
async fn bybit_server_time_is_answered_as_documented() {
    let venue = ExchangeId::Bybit;
    let doc = fixture(venue, "server-time");
    let lab = crate::support::Lab::start_on(venue, 7).await;
    let Reply::ServerTime(ms) = decode(venue, &Op::ServerTime, &doc.answer) else {
        panic!("not a server time");
    };
    assert_eq!(ms, 1_688_639_403_423);
    let sim = sim_answer(&lab.client(), &Op::ServerTime, Auth::Public).await;
    assert_same_shape(&doc, &sim, &[]);
    assert!(fixture_names(venue).contains(&"server-time".to_owned()));
}
