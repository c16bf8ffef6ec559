//! A request's parameters: the query of a GET, the JSON body of a POST (Bitget sends every
//! write as JSON, `Content-Type: application/json`).

use serde_json::{Map, Value};

use crate::percent::{self, Plus};
use crate::sim::bitget::Refusal;
use crate::sim::front::Incoming;

/// Parameters by name, as JSON values (query values are strings).
#[derive(Debug, Default)]
pub(crate) struct Params(Map<String, Value>);

impl Params {
    pub(crate) fn parse(req: &Incoming) -> Result<Params, Refusal> {
        let mut map = Map::new();
        for pair in req.query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = percent::decode(k, Plus::Space).ok_or_else(|| Refusal::param("query"))?;
            let v = percent::decode(v, Plus::Space).ok_or_else(|| Refusal::param("query"))?;
            map.insert(k, Value::String(v));
        }
        let body = std::str::from_utf8(&req.body).map_err(|_| Refusal::param("body"))?;
        if !body.trim().is_empty() {
            let Ok(Value::Object(json)) = serde_json::from_str::<Value>(body) else {
                return Err(Refusal::new(
                    "40017",
                    "Parameter verification failed: body is not a JSON object",
                ));
            };
            map.extend(json);
        }
        Ok(Params(map))
    }

    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A parameter as text (a string, or a number written out); empty strings are absent.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<String, Refusal> {
        self.text(name).ok_or_else(|| Refusal::param(name))
    }

    /// A list of strings (`ipList`, `permList`): absent is `None`, `[]` is empty.
    pub(crate) fn list(&self, name: &str) -> Result<Option<Vec<String>>, Refusal> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Refusal::param(name))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(Refusal::param(name)),
        }
    }

    /// An integer parameter (times in ms, limits, ids).
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, Refusal> {
        match self.text(name) {
            None => Ok(None),
            Some(t) => t.parse::<i64>().map(Some).map_err(|_| Refusal::param(name)),
        }
    }
}
