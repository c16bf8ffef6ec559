//! A request's parameters: the query string (GET, DELETE and the trade POSTs) or the JSON body
//! (the sub-account POSTs), as JSON values (query values are strings). `signature` is kept apart.

use serde_json::{Map, Value};

use crate::percent::{self, Plus};
use crate::sim::bingx::Refusal;
use crate::sim::front::Incoming;

/// Parameters by name.
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

    /// A parameter as text (a string, or a number or flag written out).
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub(crate) fn required(&self, name: &str) -> Result<String, Refusal> {
        self.text(name)
            .ok_or_else(|| Refusal::new(100_400, format!("miss arguments: {name}")))
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

    /// A time in Unix ms.
    pub(crate) fn ms(&self, name: &str) -> Result<Option<i64>, Refusal> {
        Ok(self
            .uint(name)?
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)))
    }

    /// A flag (`true`/`false`, as JSON or text).
    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, Refusal> {
        match self.text(name).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Refusal::invalid(name)),
        }
    }

    /// The `signature` sent, if any.
    pub(crate) fn signature(&self) -> Option<String> {
        self.text("signature")
    }
}

fn form(text: &str, map: &mut Map<String, Value>) -> Result<(), Refusal> {
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent::decode(k, Plus::Literal).ok_or_else(|| Refusal::invalid("query"))?;
        let v = percent::decode(v, Plus::Literal).ok_or_else(|| Refusal::invalid("query"))?;
        map.insert(k, Value::String(v));
    }
    Ok(())
}
