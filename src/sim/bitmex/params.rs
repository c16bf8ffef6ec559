//! A request's parameters: the query of a GET, the JSON (or form) body of a write.

use serde_json::{Map, Value};

use crate::percent::{self, Plus};
use crate::sim::bitmex::Refusal;
use crate::sim::front::Incoming;

/// Parameters by name, as JSON values (query and form values are strings).
#[derive(Debug, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    pub(crate) fn parse(req: &Incoming) -> Result<Params, Refusal> {
        let mut map = Map::new();
        form(&req.query, &mut map)?;
        let body = std::str::from_utf8(&req.body).map_err(|_| Refusal::invalid("body"))?;
        let body = body.trim();
        if body.starts_with('{') {
            let Ok(Value::Object(json)) = serde_json::from_str::<Value>(body) else {
                return Err(Refusal::invalid("JSON body"));
            };
            map.extend(json);
        } else if !body.is_empty() {
            form(body, &mut map)?;
        }
        Ok(Params(map))
    }

    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A parameter as text (a string, or a number written out).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<String, Refusal> {
        self.text(name).ok_or_else(|| Refusal::invalid(name))
    }

    /// A non-negative integer parameter.
    pub(crate) fn uint(&self, name: &str) -> Result<Option<u64>, Refusal> {
        match self.text(name) {
            None => Ok(None),
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|n| *n >= 0.0 && n.fract() == 0.0)
                .map(|n| Some(n as u64))
                .ok_or_else(|| Refusal::invalid(name)),
        }
    }

    /// A time parameter (ISO 8601) as Unix ms.
    pub(crate) fn time(&self, name: &str) -> Result<Option<i64>, Refusal> {
        match self.text(name) {
            None => Ok(None),
            Some(t) => crate::clock::parse_rfc3339_ms(&t)
                .map(Some)
                .ok_or_else(|| Refusal::invalid(name)),
        }
    }

    /// `filter`: a JSON object sent as text.
    pub(crate) fn filter(&self) -> Result<Map<String, Value>, Refusal> {
        match self.value("filter") {
            None => Ok(Map::new()),
            Some(Value::Object(map)) => Ok(map.clone()),
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(Refusal::invalid("filter")),
            },
            Some(_) => Err(Refusal::invalid("filter")),
        }
    }

    /// `reverse`: newest first.
    pub(crate) fn reverse(&self, default: bool) -> bool {
        self.text("reverse").map_or(default, |t| t == "true")
    }
}

fn form(text: &str, map: &mut Map<String, Value>) -> Result<(), Refusal> {
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent::decode(k, Plus::Space).ok_or_else(|| Refusal::invalid("query"))?;
        let v = percent::decode(v, Plus::Space).ok_or_else(|| Refusal::invalid("query"))?;
        map.insert(k, Value::String(v));
    }
    Ok(())
}
