//! Request parameters: the query string and the form body as one lookup, read after the
//! signature was checked on the same bytes.
//!
//! Binance takes parameters in the query, the `application/x-www-form-urlencoded` body, or both
//! (docs/venues/binance.md §2). Names and values are percent-decoded (`+` is a space in either);
//! the last of repeated names wins. A missing mandatory parameter is `-1102`, a bad value `-1130`,
//! both naming the parameter. Booleans are `true`/`false`, numbers plain decimals.

use std::collections::BTreeMap;

use crate::percent::{self, Plus};
use crate::sim::binance::reply::ApiError;

/// The parameters of one request.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(BTreeMap<String, String>);

impl Params {
    /// Parses the raw query and body; `None` for a broken escape or a non-UTF-8 value.
    pub(crate) fn parse(query: &str, body: &str) -> Option<Params> {
        let mut map = BTreeMap::new();
        for pair in query.split('&').chain(body.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(
                percent::decode(name, Plus::Space)?,
                percent::decode(value, Plus::Space)?,
            );
        }
        Some(Params(map))
    }

    /// A parameter's value; empty means absent.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// A mandatory parameter.
    pub(crate) fn required(&self, name: &str) -> Result<String, ApiError> {
        self.string(name).ok_or_else(|| ApiError::missing(name))
    }

    /// An integer parameter.
    pub(crate) fn int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.string(name)
            .map(|v| v.parse::<i64>().map_err(|_| ApiError::invalid(name)))
            .transpose()
    }

    /// A boolean parameter (`true`/`false`).
    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.string(name).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(name)),
        }
    }

    /// `limit` within `1..=max`, `default` when absent.
    pub(crate) fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.int("limit")? {
            None => Ok(default),
            Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(max).min(max)),
            Some(_) => Err(ApiError::invalid("limit")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_read_as_one() {
        let p = Params::parse(
            "symbol=%EF%BC%91%EF%BC%92&limit=5",
            "email=bot_virtual%40x.com&canTrade=true&empty=",
        )
        .unwrap();
        assert_eq!(p.string("symbol").as_deref(), Some("１２"));
        assert_eq!(p.required("email").unwrap(), "bot_virtual@x.com");
        assert_eq!(p.flag("canTrade").unwrap(), Some(true));
        assert_eq!(p.string("empty"), None);
        assert_eq!(p.limit(500, 1000).unwrap(), 5);
        assert!(p.required("nope").is_err());
        assert!(Params::parse("a=%zz", "").is_none());
    }
}
