//! Request parameters: a GET's query string or a POST's JSON-RPC `params`, as one lookup.
//!
//! Deribit's REST calls are GETs with the parameters in the query, and POSTs with a JSON-RPC
//! body (`{"jsonrpc","id","method","params"}`, docs/venues/deribit.md §1). In a query,
//! `true`/`false` are booleans and numbers are numbers; a parameter the spec declares an array
//! (`ip_whitelist`) must be a JSON array, which only a POST body carries ([`Params::array`]).
//! Every refusal is a -32602 naming the parameter.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::percent::{self, Plus};
use crate::sim::deribit::reply::{RpcError, code};

/// The parameters of one request, and the JSON-RPC `id` to echo.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    map: BTreeMap<String, Value>,
    pub(crate) id: Option<Value>,
}

impl Params {
    /// Parses a raw query string (without `?`); the last of repeated names wins.
    pub(crate) fn from_query(raw: &str) -> Result<Params, RpcError> {
        let mut map = BTreeMap::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = || RpcError::param(k, "is not percent-encoded properly");
            let k = percent::decode(k, Plus::Space).ok_or_else(bad)?;
            let v = percent::decode(v, Plus::Space).ok_or_else(bad)?;
            map.insert(k, Value::String(v));
        }
        Ok(Params { map, id: None })
    }

    /// Parses a JSON-RPC request body; `method`, when present, must name `expected`.
    pub(crate) fn from_body(body: &[u8], expected: &str) -> Result<Params, RpcError> {
        let parse_error = || RpcError::new(code::PARSE_ERROR, "Parse error");
        let value: Value = serde_json::from_slice(body).map_err(|_| parse_error())?;
        let Value::Object(mut request) = value else {
            return Err(parse_error());
        };
        if let Some(method) = request.get("method").and_then(Value::as_str)
            && method != expected
        {
            return Err(RpcError::param(
                "method",
                "must name the method of the path",
            ));
        }
        let map = match request.remove("params") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(params)) => params.into_iter().collect(),
            Some(_) => return Err(RpcError::param("params", "must be an object")),
        };
        Ok(Params {
            map,
            id: request.remove("id"),
        })
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Reads a string (numbers are stringified); empty means absent.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, RpcError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(RpcError::param(name, "must be a string")),
        }
    }

    /// Reads a required string.
    pub(crate) fn required(&self, name: &str) -> Result<String, RpcError> {
        self.string(name)?.ok_or_else(|| RpcError::missing(name))
    }

    /// Reads an integer.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, RpcError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| RpcError::param(name, "must be an integer")),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| RpcError::param(name, "must be an integer")),
            Some(_) => Err(RpcError::param(name, "must be an integer")),
        }
    }

    /// Reads a decimal number.
    pub(crate) fn number(&self, name: &str) -> Result<Option<f64>, RpcError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| RpcError::param(name, "must be a number")),
            Some(_) => Err(RpcError::param(name, "must be a number")),
        }
    }

    /// Reads a boolean (`true`/`false`), `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, RpcError> {
        Ok(self.opt_flag(name)?.unwrap_or(default))
    }

    /// Reads a boolean, `None` when absent.
    pub(crate) fn opt_flag(&self, name: &str) -> Result<Option<bool>, RpcError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(RpcError::param(name, "must be true or false")),
        }
    }

    /// Reads a parameter the method page declares an array of strings: only a JSON array, as a
    /// JSON-RPC body carries it. A query's text (`["1.2.3.4"]` is a string there) is refused,
    /// as Deribit refuses a string where its spec declares an array (-32602).
    pub(crate) fn array(&self, name: &str) -> Result<Option<Vec<String>>, RpcError> {
        let bad = || RpcError::param(name, "must be an array of strings");
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }

    /// Reads `count` within `1..=max`, `default` when absent.
    pub(crate) fn count(&self, default: usize, max: usize) -> Result<usize, RpcError> {
        match self.int("count")? {
            None => Ok(default),
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| RpcError::param("count", &format!("must be between 1 and {max}"))),
        }
    }

    /// Reads `offset` (default 0).
    pub(crate) fn offset(&self) -> Result<usize, RpcError> {
        match self.int("offset")? {
            None => Ok(0),
            Some(n) => usize::try_from(n).map_err(|_| RpcError::param("offset", "must be >= 0")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_read_alike() {
        let q = Params::from_query(
            "ip_whitelist=%5B%22127.0.0.1%22%5D&max_scope=account%3Aread+trade%3Aread&x=true&n=5",
        )
        .unwrap();
        assert_eq!(q.required("max_scope").unwrap(), "account:read trade:read");
        assert!(q.flag("x", false).unwrap());
        assert_eq!(q.count(10, 1000).unwrap(), 10);
        assert_eq!(q.int("n").unwrap(), Some(5));
        let b = Params::from_body(
            br#"{"jsonrpc":"2.0","id":7,"method":"private/edit_api_key","params":{"id":5,"ip_whitelist":["10.0.0.1"],"enabled":false}}"#,
            "private/edit_api_key",
        )
        .unwrap();
        assert_eq!(b.id, Some(Value::from(7)));
        assert_eq!(b.int("id").unwrap(), Some(5));
        assert!(!b.flag("enabled", true).unwrap());
        assert_eq!(b.array("ip_whitelist").unwrap().unwrap(), ["10.0.0.1"]);
        // A query carries an array only as text: a string where an array is declared.
        let err = q.array("ip_whitelist").unwrap_err();
        assert_eq!(err.code, code::INVALID_PARAMS);
        let err = Params::from_body(br#"{"method":"public/auth"}"#, "private/buy").unwrap_err();
        assert_eq!(err.code, code::INVALID_PARAMS);
        assert_eq!(
            Params::from_body(b"{", "x").unwrap_err().code,
            code::PARSE_ERROR
        );
    }
}
