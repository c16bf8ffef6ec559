//! Cursor pagination and time windows, the way Bybit's list endpoints use them.
//!
//! A cursor is opaque to clients and looks like Bybit's: the text `page_args=<token>&` already
//! percent-encoded, `page_args%3D<token>%26` (docs/venues/bybit.md §6: the docs' example
//! answers), where the token is lowercase hex of `"<time_ms>:<id>"`, naming the last item of the
//! previous page. A client sends it back as it came: the query's one decoding then reads
//! `page_args=<token>&`. One that encodes it again (`page_args%253D…`) is refused with 10001. Lists are sorted newest first (time, then id, descending) and a page holds
//! the items strictly after the cursor, so items added during a walk never repeat or shift one.
//! An empty `nextPageCursor` means the last page. Windows follow docs/venues/bybit.md §6: a span
//! longer than allowed is 10001; with one bound missing the other is derived; with none, the newest
//! span. A `short` fault keeps half of a page (at least one item) and names the last kept item in
//! the cursor, so a client that follows cursors still sees every item exactly once.

use crate::sim::bybit::params::Params;
use crate::sim::bybit::reply::ApiError;
use crate::sim::injector::ShortPage;

/// A position in a newest-first list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    time_ms: i64,
    id: String,
}

impl Cursor {
    /// Returns the form `nextPageCursor` carries: percent-encoded, as Bybit's.
    pub(crate) fn encode(&self) -> String {
        let token = hex::encode(format!("{}:{}", self.time_ms, self.id));
        format!("page_args%3D{token}%26")
    }

    /// Reads a cursor a client sent back, as the query decoded it (`page_args=<token>&`); 10001
    /// when it is not one of ours.
    pub(crate) fn decode(s: &str) -> Result<Cursor, ApiError> {
        let bad = || ApiError::invalid("cursor", "is not a cursor this endpoint returned");
        let token = s
            .strip_prefix("page_args=")
            .and_then(|rest| rest.strip_suffix('&'))
            .ok_or_else(bad)?;
        let raw = String::from_utf8(hex::decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
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
    ///
    /// When `short` is armed and the page holds more than one item, keeps half of it (rounded
    /// down) with a cursor to the rest, and marks `short` applied.
    ///
    /// Each item's key is computed once and only the page (and one more, to tell whether there
    /// is a next) is sorted: a list of 100 k items is paged in linear time, not sorted whole for
    /// every page.
    pub(crate) fn page<T>(
        &self,
        items: Vec<T>,
        key: impl Fn(&T) -> (i64, String),
        short: &mut ShortPage,
    ) -> (Vec<T>, String) {
        let newest_first = |a: &((i64, String), T), b: &((i64, String), T)| b.0.cmp(&a.0);
        let mut keyed: Vec<((i64, String), T)> = items
            .into_iter()
            .map(|t| (key(&t), t))
            .filter(|(k, _)| {
                self.after
                    .as_ref()
                    .is_none_or(|c| (k.0, k.1.as_str()) < (c.time_ms, c.id.as_str()))
            })
            .collect();
        if keyed.len() > self.limit + 1 {
            keyed.select_nth_unstable_by(self.limit, newest_first);
            keyed.truncate(self.limit + 1);
        }
        keyed.sort_by(newest_first);
        let mut rest: Vec<T> = keyed.into_iter().map(|(_, t)| t).collect();
        let mut more = rest.len() > self.limit;
        rest.truncate(self.limit);
        if *short == ShortPage::Armed && rest.len() > 1 {
            rest.truncate(rest.len() / 2);
            more = true;
            *short = ShortPage::Applied;
        }
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
        // What the client sends back is decoded once by the query, as Bybit decodes it.
        let sent = c.encode();
        assert!(
            sent.starts_with("page_args%3D") && sent.ends_with("%26"),
            "{sent}"
        );
        let received = crate::percent::decode(&sent, crate::percent::Plus::Literal).unwrap();
        assert_eq!(Cursor::decode(&received).unwrap(), c);
        // Encoded once more by a client, it is not a cursor.
        let twice = crate::percent::decode(
            &crate::percent::encode(&sent),
            crate::percent::Plus::Literal,
        )
        .unwrap();
        assert!(Cursor::decode(&twice).is_err());
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode("page_args=zz&").is_err());
        assert!(Cursor::decode(&format!("page_args={}&", hex::encode("no-colon"))).is_err());
    }

    /// Walks `items` three at a time with `short` armed before each page; returns what was
    /// seen and the page sizes.
    fn walk(items: &[(i64, String)], short: ShortPage) -> (Vec<(i64, String)>, Vec<usize>) {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor = String::new();
        loop {
            let q = if cursor.is_empty() {
                "limit=3".to_owned()
            } else {
                format!("limit=3&cursor={cursor}")
            };
            let req = PageReq::from_params(&Params::from_query(&q).unwrap(), 20, 50).unwrap();
            let mut state = short;
            let (page, next) = req.page(items.to_vec(), |t| t.clone(), &mut state);
            assert_eq!(
                state == ShortPage::Applied,
                page.len() < 3 && !next.is_empty()
            );
            sizes.push(page.len());
            seen.extend(page);
            if next.is_empty() {
                break;
            }
            cursor = next;
        }
        (seen, sizes)
    }

    #[test]
    fn pages_walk_everything_once() {
        let items: Vec<(i64, String)> = (0..7).map(|i| (i / 2, format!("id{i}"))).collect();
        let (seen, sizes) = walk(&items, ShortPage::Off);
        assert_eq!(seen.len(), 7);
        assert!(
            seen.windows(2).all(|w| w[0] > w[1]),
            "newest first, no repeats"
        );
        assert_eq!(sizes, [3, 3, 1]);
    }

    #[test]
    fn short_pages_still_walk_everything_once() {
        let items: Vec<(i64, String)> = (0..7).map(|i| (i / 2, format!("id{i}"))).collect();
        let (seen, sizes) = walk(&items, ShortPage::Armed);
        assert_eq!(seen.len(), 7);
        assert!(seen.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(
            sizes,
            [1, 1, 1, 1, 1, 1, 1],
            "half of 3 is 1; one item is never cut"
        );
        let req = PageReq::from_params(&Params::default(), 20, 50).unwrap();
        let mut state = ShortPage::Armed;
        let (page, next) = req.page(Vec::<(i64, String)>::new(), |t| t.clone(), &mut state);
        assert!(page.is_empty() && next.is_empty() && state == ShortPage::Armed);
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
