//! A private request's parameters: its form body (`application/x-www-form-urlencoded`, what the
//! docs' examples send) or its JSON body (`application/json`, docs/venues/kraken.md §2), as
//! strings.
//!
//! The raw body is kept apart for the signature check (the exact bytes are signed); this is what
//! the handlers read. A missing or malformed parameter is `EGeneral:Invalid arguments:<name>`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::percent::{self, Plus};
use crate::sim::kraken::reply::KrakenError;

/// Parameter name to value.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Reads a body; JSON when the content type says so, a form otherwise.
    pub(crate) fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Params, KrakenError> {
        let json = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        let text = std::str::from_utf8(body).map_err(|_| KrakenError::invalid("body"))?;
        let mut map = BTreeMap::new();
        if json {
            let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
                return Err(KrakenError::invalid("body"));
            };
            for (key, value) in object {
                let value = match value {
                    Value::String(s) => s,
                    Value::Null => continue,
                    other => other.to_string(),
                };
                map.insert(key, value);
            }
        } else {
            for pair in text.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let decode = |text| {
                    percent::decode(text, Plus::Space).ok_or_else(|| KrakenError::invalid("body"))
                };
                map.insert(decode(key)?, decode(value)?);
            }
        }
        Ok(Params(map))
    }

    /// An optional parameter; empty counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required parameter.
    pub(crate) fn required(&self, name: &str) -> Result<&str, KrakenError> {
        self.get(name).ok_or_else(|| KrakenError::invalid(name))
    }

    /// An optional non-negative integer.
    pub(crate) fn uint(&self, name: &str) -> Result<Option<u64>, KrakenError> {
        self.get(name)
            .map(|v| v.parse::<u64>().map_err(|_| KrakenError::invalid(name)))
            .transpose()
    }

    /// An optional time bound: Unix seconds, with decimals allowed, as milliseconds.
    pub(crate) fn seconds(&self, name: &str) -> Result<Option<i64>, KrakenError> {
        self.get(name)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite())
                    .map(|s| (s * 1000.0).round() as i64)
                    .ok_or_else(|| KrakenError::invalid(name))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_json() {
        let p = Params::parse(None, b"nonce=1&key=my%20wallet&pair=XBTUSDT&x=").unwrap();
        assert_eq!(p.get("key"), Some("my wallet"));
        assert_eq!(p.get("x"), None);
        assert_eq!(p.uint("nonce").unwrap(), Some(1));
        assert!(p.required("volume").is_err());
        let j =
            Params::parse(Some("application/json"), br#"{"nonce":7,"pair":"XBTUSDT"}"#).unwrap();
        assert_eq!(j.get("nonce"), Some("7"));
        // Kraken's boolean parameters (`cursor`, `validate`) as JSON booleans read as their text.
        let b = Params::parse(
            Some("application/json"),
            br#"{"nonce":8,"cursor":true,"validate":false}"#,
        )
        .unwrap();
        assert_eq!(
            (b.get("cursor"), b.get("validate")),
            (Some("true"), Some("false"))
        );
        let t = Params::parse(None, b"start=1700000000.5").unwrap();
        assert_eq!(t.seconds("start").unwrap(), Some(1_700_000_000_500));
        assert!(Params::parse(None, b"a=%zz").is_err());
    }
}
