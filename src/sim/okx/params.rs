//! Request parameters: the query string of a GET or the JSON body of a POST, as one lookup.
//!
//! Parsing happens after the signature check, on the same bytes that were signed. OKX documents
//! every parameter as a string; numbers are accepted too, and an empty string counts as absent.
//! A missing required parameter is `50014`, a bad value `51000`, both naming the parameter. A
//! POST with an empty body is `50000`. Batch endpoints take a JSON array (`items`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::percent::{self, Plus};
use crate::sim::okx::reply::{ApiError, Code};

/// The parameters of one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    map: BTreeMap<String, Value>,
    /// The body's items, when it is a JSON array (batch endpoints).
    items: Option<Vec<Value>>,
}

impl Params {
    /// Parses a raw query string (without `?`); the last of repeated names wins.
    pub(crate) fn from_query(raw: &str) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = || ApiError::invalid(k, "bad percent-encoding");
            let k = percent::decode(k, Plus::Literal).ok_or_else(bad)?;
            let v = percent::decode(v, Plus::Literal).ok_or_else(bad)?;
            map.insert(k, Value::String(v));
        }
        Ok(Params { map, items: None })
    }

    /// Parses a JSON object or array body.
    pub(crate) fn from_body(body: &[u8]) -> Result<Params, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                Code::EmptyBody,
                "Body for POST request cannot be empty.",
            ));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Params {
                map: m.into_iter().collect(),
                items: None,
            }),
            Ok(Value::Array(items)) => Ok(Params {
                map: BTreeMap::new(),
                items: Some(items),
            }),
            Ok(_) => Err(ApiError::invalid("body", "must be a JSON object or array")),
            Err(_) => Err(ApiError::new(Code::ParamError, "JSON syntax error")),
        }
    }

    /// The body's items, for batch endpoints; `51000` when the body is not an array.
    pub(crate) fn items(&self) -> Result<&[Value], ApiError> {
        self.items
            .as_deref()
            .ok_or_else(|| ApiError::invalid("body", "must be a JSON array"))
    }

    /// Whether the parameter was sent at all, even empty (`ip=""` unbinds a key).
    pub(crate) fn present(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    /// Reads a string (numbers are accepted and stringified); empty means absent.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        string_of(self.map.get(name), name)
    }

    /// The raw value of a parameter (JSON bodies keep booleans as booleans).
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// Reads a required string.
    pub(crate) fn required(&self, name: &str) -> Result<String, ApiError> {
        self.string(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// Reads an integer sent as a string or a number.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.string(name)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, "must be an integer")),
        }
    }

    /// Reads `limit` within `1..=100`, 100 when absent (every OKX list endpoint).
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(100),
            Some(n) if (1..=100).contains(&n) => Ok(usize::try_from(n).unwrap_or(100)),
            Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 100")),
        }
    }
}

/// Reads a string field of a JSON value (a batch item or the parameter map).
pub(crate) fn string_of(value: Option<&Value>, name: &str) -> Result<Option<String>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::invalid(name, "must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_read_alike() {
        let q = Params::from_query("instType=SPOT&limit=5&after=12%3A3&x=").unwrap();
        assert_eq!(q.required("instType").unwrap(), "SPOT");
        assert_eq!(q.limit().unwrap(), 5);
        assert_eq!(q.string("after").unwrap().as_deref(), Some("12:3"));
        assert_eq!(q.string("x").unwrap(), None);
        assert_eq!(q.required("x").unwrap_err().code, Code::ParamEmpty);
        let b = Params::from_body(br#"{"sz":"1","n":5,"limit":"101"}"#).unwrap();
        assert_eq!(b.int("n").unwrap(), Some(5));
        assert_eq!(b.limit().unwrap_err().code, Code::ParamError);
        assert!(b.items().is_err());
        let a = Params::from_body(br#"[{"instId":"BTC-USDT"}]"#).unwrap();
        assert_eq!(a.items().unwrap().len(), 1);
        assert_eq!(Params::from_body(b" ").unwrap_err().code, Code::EmptyBody);
        assert_eq!(Params::from_body(b"{").unwrap_err().code, Code::ParamError);
    }
}
