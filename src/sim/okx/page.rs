//! OKX pagination: `after`/`before` and `limit` over newest-first lists (docs/venues/okx.md §6).
//!
//! Lists are ordered newest first by (time, id). `after` returns records older than the one it
//! names, `before` records newer than it (the ones just above it, still newest first). On order
//! and fill lists the cursor is an id (`ordId`, `billId`) and names a record the account has,
//! whether it is still in the list or not; on withdrawals and transfers it is a timestamp
//! (exclusive). There is no "next" field: a client continues `after` the last record it got,
//! and an empty page is the end. An armed short page keeps half of a page of more than one
//! record, which such a client walks past without losing anything.

use crate::sim::injector::ShortPage;
use crate::sim::okx::params::Params;
use crate::sim::okx::reply::ApiError;

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Bound {
    None,
    /// Older than this key.
    After((i64, String)),
    /// Newer than this key.
    Before((i64, String)),
}

/// One page request.
#[derive(Clone, Debug)]
pub(crate) struct PageReq {
    limit: usize,
    bound: Bound,
}

impl PageReq {
    /// Reads `limit` and an id cursor: `lookup` turns the id into its record's (time, id) key.
    pub(crate) fn by_id(
        p: &Params,
        lookup: impl Fn(&str) -> Option<(i64, String)>,
    ) -> Result<PageReq, ApiError> {
        let key = |name: &str| -> Result<Option<(i64, String)>, ApiError> {
            match p.string(name)? {
                None => Ok(None),
                Some(id) => lookup(&id)
                    .map(Some)
                    .ok_or_else(|| ApiError::invalid(name, "names no record of this account")),
            }
        };
        Ok(PageReq {
            limit: p.limit()?,
            bound: bound(key("after")?, key("before")?),
        })
    }

    /// Reads `limit` and a timestamp cursor (ms, exclusive).
    pub(crate) fn by_time(p: &Params) -> Result<PageReq, ApiError> {
        // The largest id sorts after any real one with the same time: "older than ts" means
        // every record of an earlier millisecond, "newer" every record of a later one.
        let after = p.int("after")?.map(|t| (t, String::new()));
        let before = p.int("before")?.map(|t| (t, "\u{10ffff}".to_owned()));
        Ok(PageReq {
            limit: p.limit()?,
            bound: bound(after, before),
        })
    }

    /// Sorts `items` newest first by `key` and returns one page.
    pub(crate) fn page<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> (i64, String),
        short: &mut ShortPage,
    ) -> Vec<T> {
        items.sort_by_key(|b| std::cmp::Reverse(key(b)));
        let mut page: Vec<T> = match &self.bound {
            Bound::None => items.into_iter().take(self.limit).collect(),
            Bound::After(k) => items
                .into_iter()
                .filter(|t| key(t) < *k)
                .take(self.limit)
                .collect(),
            Bound::Before(k) => {
                let newer: Vec<T> = items.into_iter().filter(|t| key(t) > *k).collect();
                let skip = newer.len().saturating_sub(self.limit);
                newer.into_iter().skip(skip).collect()
            }
        };
        if *short == ShortPage::Armed && page.len() > 1 {
            page.truncate(page.len() / 2);
            *short = ShortPage::Applied;
        }
        page
    }
}

/// `after` wins when both are given (OKX documents no combination).
fn bound(after: Option<(i64, String)>, before: Option<(i64, String)>) -> Bound {
    match (after, before) {
        (Some(a), _) => Bound::After(a),
        (None, Some(b)) => Bound::Before(b),
        (None, None) => Bound::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<(i64, String)> {
        (0..7).map(|i| (i / 2, format!("id{i}"))).collect()
    }

    fn lookup(id: &str) -> Option<(i64, String)> {
        items().into_iter().find(|(_, i)| i == id)
    }

    /// Walks `after` the last id until an empty page, with `short` armed before each page.
    fn walk(short: ShortPage) -> Vec<(i64, String)> {
        let mut seen: Vec<(i64, String)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let q = match &after {
                None => "limit=3".to_owned(),
                Some(a) => format!("limit=3&after={a}"),
            };
            let req = PageReq::by_id(&Params::from_query(&q).unwrap(), lookup).unwrap();
            let mut state = short;
            let page = req.page(items(), |t| t.clone(), &mut state);
            let Some(last) = page.last() else {
                return seen;
            };
            after = Some(last.1.clone());
            seen.extend(page);
        }
    }

    #[test]
    fn walking_after_the_last_id_sees_everything_once() {
        for short in [ShortPage::Off, ShortPage::Armed] {
            let seen = walk(short);
            assert_eq!(seen.len(), 7, "{short:?}");
            assert!(
                seen.windows(2).all(|w| w[0] > w[1]),
                "newest first, no repeats"
            );
        }
    }

    #[test]
    fn before_gives_the_newer_records_next_to_the_cursor() {
        let q = Params::from_query("limit=2&before=id2").unwrap();
        let req = PageReq::by_id(&q, lookup).unwrap();
        let page = req.page(items(), |t| t.clone(), &mut ShortPage::Off);
        assert_eq!(page, [(2, "id4".to_owned()), (1, "id3".to_owned())]);
        let unknown = Params::from_query("after=nope").unwrap();
        assert!(PageReq::by_id(&unknown, lookup).is_err());
    }

    #[test]
    fn timestamp_cursors_are_exclusive() {
        let q = Params::from_query("after=2").unwrap();
        let req = PageReq::by_time(&q).unwrap();
        let page = req.page(items(), |t| t.clone(), &mut ShortPage::Off);
        assert!(page.iter().all(|(t, _)| *t < 2));
        assert_eq!(page.len(), 4);
    }
}
