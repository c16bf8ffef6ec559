//! Request parameters: the query string of a GET or the JSON body of a POST, as one lookup.
//!
//! Parsing happens after the signature check, on the same bytes that were signed. Values are
//! read leniently where Bybit's own clients differ (a number may arrive as `5` or `"5"`), and an
//! empty string counts as absent, as Bybit treats it. Every refusal is a 10001 naming the
//! parameter. Query values are percent-decoded; `+` stays a plus (Bybit clients do not encode).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::percent::{self, Plus};
use crate::sim::bybit::reply::{ApiError, RetCode};
use crate::sim::order::Category;
use crate::sim::state::SymbolFilter;

/// The parameters of one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params {
    map: BTreeMap<String, Value>,
}

impl Params {
    /// Parses a raw query string (without `?`); the last of repeated names wins.
    pub(crate) fn from_query(raw: &str) -> Result<Params, ApiError> {
        let mut map = BTreeMap::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = percent::decode(k, Plus::Literal).ok_or_else(|| bad_encoding(pair))?;
            let v = percent::decode(v, Plus::Literal).ok_or_else(|| bad_encoding(pair))?;
            map.insert(k, Value::String(v));
        }
        Ok(Params { map })
    }

    /// Parses a JSON object body; an empty body is `{}`.
    pub(crate) fn from_body(body: &[u8]) -> Result<Params, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Params {
                map: m.into_iter().collect(),
            }),
            Ok(_) => Err(ApiError::new(
                RetCode::ParamError,
                "params error: the body must be a JSON object",
            )),
            Err(e) => Err(ApiError::new(
                RetCode::ParamError,
                format!("params error: the body is not valid JSON: {e}"),
            )),
        }
    }

    /// Returns the raw JSON value of `name`, if present and not `null`.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// Reads a string (numbers are accepted and stringified); empty means absent.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(ApiError::invalid(name, "must be a string")),
        }
    }

    /// Reads a required string.
    pub(crate) fn required(&self, name: &str) -> Result<String, ApiError> {
        self.string(name)?.ok_or_else(|| ApiError::missing(name))
    }

    /// Reads an integer sent as a number or a numeric string.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(name, "must be an integer")),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(name, "must be an integer")),
            Some(_) => Err(ApiError::invalid(name, "must be an integer")),
        }
    }

    /// Reads a `0`/`1` flag such as `readOnly`.
    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.int(name)? {
            None => Ok(None),
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            Some(_) => Err(ApiError::invalid(name, "must be 0 or 1")),
        }
    }

    /// Reads the required `category`.
    pub(crate) fn category(&self) -> Result<Category, ApiError> {
        let raw = self.required("category")?;
        Category::parse(&raw).ok_or_else(|| {
            ApiError::invalid("category", "must be one of spot, linear, inverse, option")
        })
    }

    /// Reads `category` for rate-limit bucketing; `None` when absent or invalid.
    pub(crate) fn category_hint(&self) -> Option<Category> {
        self.value("category")
            .and_then(Value::as_str)
            .and_then(Category::parse)
    }

    /// Reads `limit` within `1..=max`, `default` when absent.
    pub(crate) fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(default),
            Some(n) if n >= 1 && usize::try_from(n).is_ok_and(|n| n <= max) => {
                Ok(usize::try_from(n).unwrap_or(default))
            }
            Some(_) => Err(ApiError::invalid(
                "limit",
                &format!("must be between 1 and {max}"),
            )),
        }
    }

    /// Reads the `symbol` / `baseCoin` / `settleCoin` filter.
    pub(crate) fn symbol_filter(&self) -> Result<SymbolFilter, ApiError> {
        Ok(SymbolFilter {
            symbol: self.string("symbol")?,
            base_coin: self.string("baseCoin")?,
            settle_coin: self.string("settleCoin")?,
        })
    }
}

fn bad_encoding(pair: &str) -> ApiError {
    ApiError::new(
        RetCode::ParamError,
        format!("params error: bad percent-encoding in `{pair}`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decodes_and_reads() {
        let p = Params::from_query("category=spot&limit=5&cursor=ab%3Acd&x=").unwrap();
        assert_eq!(p.category().unwrap(), Category::Spot);
        assert_eq!(p.limit(20, 50).unwrap(), 5);
        assert_eq!(p.string("cursor").unwrap().as_deref(), Some("ab:cd"));
        assert_eq!(p.string("x").unwrap(), None);
        assert!(Params::from_query("a=%zz").is_err());
    }

    #[test]
    fn body_reads_numbers_both_ways() {
        let p = Params::from_body(br#"{"subuid": 1000002, "readOnly": "1", "limit": 99}"#).unwrap();
        assert_eq!(p.int("subuid").unwrap(), Some(1_000_002));
        assert_eq!(p.flag("readOnly").unwrap(), Some(true));
        let err = p.limit(20, 50).unwrap_err();
        assert!(err.msg.contains("`limit`"), "{}", err.msg);
        assert!(Params::from_body(b"").is_ok());
        assert!(Params::from_body(b"[1]").is_err());
        assert!(Params::from_body(b"{").is_err());
    }
}
