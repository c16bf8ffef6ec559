//! Cursor pagination and time windows, the way Bybit's list endpoints use them.
//!
//! A cursor is opaque to clients: lowercase hex of `"<time_ms>:<id>"`, naming the last item of
//! the previous page. Lists are sorted newest first (time, then id, descending) and a page holds
//! the items strictly after the cursor, so items added during a walk never repeat or shift one.
//! An empty `nextPageCursor` means the last page. Windows follow reference §3.6: a span longer
//! than allowed is 10001; with one bound missing the other is derived; with none, the newest span.

use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::ApiError;

/// A position in a newest-first list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    time_ms: i64,
    id: String,
}

impl Cursor {
    /// Returns the wire form.
    pub(crate) fn encode(&self) -> String {
        hex::encode(format!("{}:{}", self.time_ms, self.id))
    }

    /// Reads a cursor a client sent back; 10001 when it is not one of ours.
    pub(crate) fn decode(s: &str) -> Result<Cursor, ApiError> {
        let bad = || ApiError::invalid("cursor", "is not a cursor this endpoint returned");
        let raw = String::from_utf8(hex::decode(s).map_err(|_| bad())?).map_err(|_| bad())?;
        let (t, id) = raw.split_once(':').ok_or_else(bad)?;
        Ok(Cursor {
            time_ms: t.parse().map_err(|_| bad())?,
            id: id.to_owned(),
        })
    }
}

/// One page request: size and starting point.
#[derive(Clone, Debug)]
pub(crate) struct PageReq {
    limit: usize,
    after: Option<Cursor>,
}

impl PageReq {
    /// Reads `limit` (`1..=max`, default `default`) and `cursor`.
    pub(crate) fn from_params(p: &Params, default: usize, max: usize) -> Result<PageReq, ApiError> {
        Ok(PageReq {
            limit: p.limit(default, max)?,
            after: p
                .string("cursor")?
                .map(|c| Cursor::decode(&c))
                .transpose()?,
        })
    }

    /// Sorts `items` newest first by `key` and returns one page and the next cursor.
    pub(crate) fn page<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> (i64, String),
    ) -> (Vec<T>, String) {
        items.sort_by_key(|b| std::cmp::Reverse(key(b)));
        let mut rest: Vec<T> = match &self.after {
            None => items,
            Some(c) => items
                .into_iter()
                .filter(|t| key(t) < (c.time_ms, c.id.clone()))
                .collect(),
        };
        let more = rest.len() > self.limit;
        rest.truncate(self.limit);
        let next = match rest.last() {
            Some(last) if more => {
                let (time_ms, id) = key(last);
                Cursor { time_ms, id }.encode()
            }
            _ => String::new(),
        };
        (rest, next)
    }
}

/// How a window's maximum span is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    /// `endTime - startTime <= max` (orders, fills, transfers: 7 days).
    AtMost(i64),
    /// `endTime - startTime < max` (withdrawals: under 30 days).
    Under(i64),
}

impl Span {
    fn max(self) -> i64 {
        match self {
            Span::AtMost(m) | Span::Under(m) => m,
        }
    }

    fn allows(self, span: i64) -> bool {
        match self {
            Span::AtMost(m) => span <= m,
            Span::Under(m) => span < m,
        }
    }
}

/// Reads `startTime` / `endTime` (ms) into an inclusive window.
pub(crate) fn window(p: &Params, now_ms: i64, span: Span) -> Result<(i64, i64), ApiError> {
    // With a strict bound, the derived default span stays just inside it.
    let default = match span {
        Span::AtMost(m) => m,
        Span::Under(m) => m - 1,
    };
    let (start, end) = match (p.int("startTime")?, p.int("endTime")?) {
        (None, None) => (now_ms - default, now_ms),
        (Some(s), None) => (s, s + default),
        (None, Some(e)) => (e - default, e),
        (Some(s), Some(e)) => (s, e),
    };
    if end < start {
        return Err(ApiError::invalid(
            "endTime",
            "must not be before `startTime`",
        ));
    }
    if !span.allows(end - start) {
        let days = span.max() / crate::sim::key::DAY_MS;
        return Err(ApiError::invalid(
            "endTime",
            &format!("minus `startTime` exceeds the {days}-day window"),
        ));
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::key::DAY_MS;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = Cursor {
            time_ms: 42,
            id: "a-b".to_owned(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode(&hex::encode("no-colon")).is_err());
    }

    #[test]
    fn pages_walk_everything_once() {
        let items: Vec<(i64, String)> = (0..7).map(|i| (i / 2, format!("id{i}"))).collect();
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let q = if cursor.is_empty() {
                "limit=3".to_owned()
            } else {
                format!("limit=3&cursor={cursor}")
            };
            let req = PageReq::from_params(&Params::from_query(&q).unwrap(), 20, 50).unwrap();
            let (page, next) = req.page(items.clone(), |t| t.clone());
            seen.extend(page);
            if next.is_empty() {
                break;
            }
            cursor = next;
        }
        assert_eq!(seen.len(), 7);
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "newest first, no repeats"
        );
    }

    #[test]
    fn window_rules() {
        let now = 100 * DAY_MS;
        let p = |q: &str| Params::from_query(q).unwrap();
        let w7 = Span::AtMost(7 * DAY_MS);
        assert_eq!(window(&p(""), now, w7).unwrap(), (now - 7 * DAY_MS, now));
        let s = format!("startTime=0&endTime={}", 7 * DAY_MS);
        assert!(window(&p(&s), now, w7).is_ok());
        let s = format!("startTime=0&endTime={}", 7 * DAY_MS + 1);
        assert!(
            window(&p(&s), now, w7)
                .unwrap_err()
                .msg
                .contains("`endTime`")
        );
        let s = format!("startTime=0&endTime={}", 30 * DAY_MS);
        assert!(window(&p(&s), now, Span::Under(30 * DAY_MS)).is_err());
        assert!(window(&p("startTime=5&endTime=4"), now, w7).is_err());
    }
}
